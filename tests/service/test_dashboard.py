"""The dashboard: login, the session cookie, and every page of a hand-built world.

The world (``build_dashboard_world`` in conftest) is built through the real engine; the
numbers below are computed by hand from it.
"""

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from service_worlds import DASHBOARD_CHARTS as PAGES
from service_worlds import DashboardWorld, make_key

from mindshare import engine
from mindshare.core import Settings, to_epoch_ms
from mindshare.events import RecordKind, create_world
from mindshare.service import Scope, create_app, revoke_api_key
from mindshare.service._auth import SESSION_COOKIE

FIGURE = re.compile(r'<script type="application/json" id="([\w-]+)-figure">(.*?)</script>', re.S)


@pytest.fixture
def site(dashboard_world: DashboardWorld) -> Iterator[tuple[TestClient, DashboardWorld]]:
    app = create_app(dashboard_world.settings, store=dashboard_world.store)
    with TestClient(app, follow_redirects=False) as client:
        yield client, dashboard_world


def log_in(client: TestClient, token: str) -> Any:
    """Submit the login form with ``token``; the client keeps the cookie it sets."""
    return client.post("/dashboard/login", data={"key": token})


def page_url(page: str, world: str = "w") -> str:
    return f"/dashboard/{world}" if page == "overview" else f"/dashboard/{world}/{page}"


def figures(html: str) -> dict[str, dict[str, Any]]:
    """Every chart's figure embedded in a page, by chart id."""
    return {chart_id: json.loads(body) for chart_id, body in FIGURE.findall(html)}


def points(figure: dict[str, Any]) -> int:
    total = 0
    for trace in figure["data"]:
        if trace["type"] == "sankey":
            total += len(trace["link"]["value"])
        else:
            total += sum(v is not None for v in trace["y"])
    return total


# --- login ------------------------------------------------------------------------------


def test_the_login_form_asks_for_a_key(site: tuple[TestClient, DashboardWorld]) -> None:
    client, _ = site

    response = client.get("/dashboard")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert '<form class="login" method="post" action="/dashboard/login">' in response.text
    assert 'name="key"' in response.text


def test_login_with_a_read_key_sets_the_cookie_and_redirects_to_its_world(
    site: tuple[TestClient, DashboardWorld],
) -> None:
    client, world = site

    response = log_in(client, world.tokens["read"])

    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard/w"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}={world.tokens['read']};")
    attributes = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "path=/", "samesite=strict"} <= attributes
    assert client.get("/dashboard/w").status_code == 200
    # Logged in, the form sends the person to their world.
    assert client.get("/dashboard").headers["location"] == "/dashboard/w"


def test_a_wrong_key_gets_the_form_again_with_401(site: tuple[TestClient, DashboardWorld]) -> None:
    client, world = site

    response = log_in(client, world.tokens["read"][:-2] + "xx")
    empty = log_in(client, "")

    assert response.status_code == 401
    assert "not a valid API key" in response.text
    assert 'name="key"' in response.text
    assert "set-cookie" not in response.headers
    assert empty.status_code == 401


def test_a_key_without_the_read_scope_gets_the_form_again_with_403(
    site: tuple[TestClient, DashboardWorld],
) -> None:
    client, world = site

    response = log_in(client, world.tokens["ingest"])

    assert response.status_code == 403
    assert "lacks the &#39;read&#39; scope" in response.text
    assert "set-cookie" not in response.headers


def test_a_revoked_key_gets_the_form_again_with_401(
    site: tuple[TestClient, DashboardWorld],
) -> None:
    client, world = site
    with world.store.begin() as connection:
        key_id = world.tokens["read"].split("_")[1]
        revoke_api_key(connection, key_id, now_ms=to_epoch_ms(world.now))

    response = log_in(client, world.tokens["read"])

    assert response.status_code == 401
    assert "revoked" in response.text


def test_logout_forgets_the_cookie(site: tuple[TestClient, DashboardWorld]) -> None:
    client, world = site
    log_in(client, world.tokens["read"])

    response = client.post("/dashboard/logout")

    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard"
    assert f'{SESSION_COOKIE}="";' in response.headers["set-cookie"]
    assert client.get("/dashboard/w").headers["location"] == "/dashboard"


# --- who may see a page -----------------------------------------------------------------


@pytest.mark.parametrize("page", list(PAGES))
def test_a_page_without_a_cookie_redirects_to_the_login_form(
    site: tuple[TestClient, DashboardWorld], page: str
) -> None:
    client, _ = site

    response = client.get(page_url(page))

    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard"


def test_an_invalid_cookie_redirects_to_the_login_form_and_is_forgotten(
    site: tuple[TestClient, DashboardWorld],
) -> None:
    client, _ = site
    client.cookies.set(SESSION_COOKIE, "msk_nothing_here")

    response = client.get("/dashboard/w/economy")

    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard"
    assert f'{SESSION_COOKIE}="";' in response.headers["set-cookie"]


@pytest.mark.parametrize("page", list(PAGES))
def test_a_cookie_of_another_world_is_forbidden_and_shows_no_data(
    site: tuple[TestClient, DashboardWorld], page: str
) -> None:
    client, world = site
    log_in(client, world.tokens["other"])

    response = client.get(page_url(page))

    assert response.status_code == 403
    assert "another world" in response.text
    assert "chart-" not in response.text
    assert "hats" not in response.text
    assert "acme" not in response.text


def test_a_key_without_read_scope_as_cookie_is_forbidden(
    site: tuple[TestClient, DashboardWorld],
) -> None:
    client, world = site
    client.cookies.set(SESSION_COOKIE, world.tokens["ingest"])

    response = client.get("/dashboard/w/market")

    assert response.status_code == 403
    assert "chart-" not in response.text


def test_too_many_page_requests_are_refused_with_retry_after(
    dashboard_world: DashboardWorld,
) -> None:
    settings = dashboard_world.settings.model_copy(update={"api_rate_per_s": 0.01, "api_burst": 2})
    app = create_app(settings, store=dashboard_world.store)
    with TestClient(app, follow_redirects=False) as client:
        log_in(client, dashboard_world.tokens["read"])  # the login takes one request's token
        client.get("/dashboard/w")

        response = client.get("/dashboard/w/models")

    assert response.status_code == 429
    assert int(response.headers["retry-after"]) >= 1
    assert "chart-" not in response.text


def test_an_unknown_page_is_not_found(site: tuple[TestClient, DashboardWorld]) -> None:
    client, world = site
    log_in(client, world.tokens["read"])

    response = client.get("/dashboard/w/secrets")

    assert response.status_code == 404
    assert "no dashboard page" in response.text


# --- the pages --------------------------------------------------------------------------


@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_answers_with_its_charts_and_their_data(
    site: tuple[TestClient, DashboardWorld], page: str
) -> None:
    client, world = site
    log_in(client, world.tokens["read"])

    response = client.get(page_url(page))

    assert response.status_code == 200
    drawn = figures(response.text)
    assert list(drawn) == PAGES[page]
    for chart_id, figure in drawn.items():
        assert f'<div id="{chart_id}" class="plot" data-figure="{chart_id}-figure"' in response.text
        assert points(figure) > 0, chart_id
    assert "No data yet" not in response.text
    assert '<nav aria-label="Dashboard pages">' in response.text
    assert f'href="{page_url(page)}" aria-current="page"' in response.text
    assert "/dashboard/static/plotly.min.js?v=" in response.text
    assert response.headers["cache-control"] == "no-store"
    assert "script-src 'self';" in response.headers["content-security-policy"]


def test_overview_shows_attention_per_day_and_the_top_items_and_creators(
    site: tuple[TestClient, DashboardWorld],
) -> None:
    client, world = site
    log_in(client, world.tokens["read"])

    response = client.get("/dashboard/w")

    drawn = figures(response.text)
    days = [(world.first_day.date() + timedelta(days=n)).isoformat() for n in range(5)]
    # Day 0: 60 + 30 + 30 (the ad) + 120 s = 4 min by u1 and u2; day 2: u3's 240 s;
    # day 4: u4's 20 s of n1.
    attention = drawn["chart-attention-per-day"]["data"][0]
    assert attention["x"] == days
    assert attention["y"] == pytest.approx([4.0, 0.0, 4.0, 0.0, 1 / 3])
    assert drawn["chart-active-people-per-day"]["data"][0]["y"] == [2, 0, 1, 0, 1]
    top_items = drawn["chart-top-items"]["data"][0]
    assert top_items["y"] == ["i2", "i1", "ad1", "n1"]
    assert top_items["x"] == pytest.approx([4.5, 3.0, 0.5, 1 / 3])
    assert drawn["chart-top-creators"]["data"][0]["y"] == ["c2", "c1", "acme", "c3"]
    # Headline counts: u1..u4 and p1..p3; c1, c2, c3, acme; six items; six events.
    assert re.search(r"<dt>People</dt><dd>7</dd>", response.text)
    assert re.search(r"<dt>Events</dt><dd>6</dd>", response.text)
    assert "<dt>Items</dt><dd>6</dd>" in response.text
    assert '<td>i2</td><td>c2</td><td class="num">4.5</td>' in response.text


def test_fairness_shows_the_lorenz_curve_gini_and_new_creator_share(
    site: tuple[TestClient, DashboardWorld],
) -> None:
    client, world = site
    log_in(client, world.tokens["read"])

    response = client.get("/dashboard/w/fairness")

    drawn = figures(response.text)
    # Feeds showed i2 (c2) three times and n1 (c3, new) once; c1 never: exposure 3, 1, 0.
    assert drawn["chart-creator-exposure"]["data"][0]["x"] == ["c2", "c3", "c1"]
    assert drawn["chart-creator-exposure"]["data"][0]["y"] == [3.0, 1.0, 0.0]
    lorenz = drawn["chart-lorenz"]["data"][0]
    assert lorenz["x"] == pytest.approx([0, 1 / 3, 2 / 3, 1])
    assert lorenz["y"] == pytest.approx([0, 0, 0.25, 1])
    # Day 4: exposure [0, 1, 2], Gini 4/9, c3's share 1/3; day 5: [0, 0, 1], 2/3 and 0.
    assert drawn["chart-gini-per-day"]["data"][0]["y"] == pytest.approx([4 / 9, 2 / 3])
    new_share = drawn["chart-new-creator-share"]["data"][0]["y"]
    assert new_share == pytest.approx([1 / 3, 0.0])
    # Gini of [0, 1, 3] is 1/2; c3 had a quarter of all exposure.
    assert "<dt>Gini of exposure</dt><dd>0.5</dd>" in response.text
    assert "<dt>New creators&#39; share</dt><dd>25.0%</dd>" in response.text


def test_economy_shows_flows_payouts_balances_and_ad_spend(
    site: tuple[TestClient, DashboardWorld],
) -> None:
    client, world = site
    log_in(client, world.tokens["read"])

    response = client.get("/dashboard/w/economy")

    drawn = figures(response.text)
    sankey = drawn["chart-money-flows"]["data"][0]
    labels = sankey["node"]["label"]
    links = {
        (labels[s], labels[t]): v
        for s, t, v in zip(
            sankey["link"]["source"], sankey["link"]["target"], sankey["link"]["value"], strict=True
        )
    }
    # acme prepaid 1,000; u1 and u2 deposited 5,000 each; u1's 30 s of ad at 2 a second
    # was charged 60; the pool got half of it (30) and the emission (970) and paid it all
    # out; buyers paid 1,000 + 2,000 + 1,800 into escrow.
    assert links[("platform (USD)", "advertiser (USD)")] == 1_000
    assert links[("platform (USD)", "person (USD)")] == 10_000
    assert links[("advertiser (USD)", "platform (USD)")] == 60
    assert links[("platform (USD)", "pool (USD)")] == 1_000
    assert links[("pool (USD)", "creator (USD)")] == 1_000
    assert links[("person (USD)", "escrow (USD)")] == 4_800
    payouts = {trace["name"]: trace["y"] for trace in drawn["chart-payouts-per-period"]["data"]}
    assert payouts["charged to advertisers"] == [60]
    assert payouts["paid to creators"] == [1_000]
    period = f"{world.first_day.date()}..{(world.first_day + timedelta(days=1)).date()}"
    assert drawn["chart-payouts-per-period"]["data"][0]["x"] == [period]
    balances = drawn["chart-balances-by-kind"]["data"][0]
    assert dict(zip(balances["x"], balances["y"], strict=True))["advertiser (USD)"] == 940
    spend = {trace["name"]: trace["y"] for trace in drawn["chart-ad-spend"]["data"]}
    assert spend == {
        "daily budget": [10_000],
        "spent on its latest day": [0],
        "charged in settled periods": [60],
    }
    assert '<td class="num">10,000</td>' in response.text


def test_market_shows_listings_sale_prices_and_suggested_prices(
    site: tuple[TestClient, DashboardWorld],
) -> None:
    client, world = site
    log_in(client, world.tokens["read"])

    response = client.get("/dashboard/w/market")

    drawn = figures(response.text)
    sales = drawn["chart-sale-prices"]["data"][0]
    assert sales["y"] == [1_000, 2_000, 1_800]
    assert sales["x"] == [
        f"{(world.first_day + timedelta(days=n)).date()}T00:00:00Z" for n in (2, 3, 4)
    ]
    asking, suggested = drawn["chart-suggested-vs-asking"]["data"]
    assert asking["y"] == [2_500]
    expected = engine.market_report(world.store, "w", now_ms=to_epoch_ms(world.now))
    assert suggested["y"] == expected.listings.suggested_minor
    assert suggested["y"] != [None]
    assert "<dt>Sales so far</dt><dd>3</dd>" in response.text
    assert '<td class="num">2,500</td>' in response.text


def test_models_shows_metrics_per_version_and_the_active_one(
    site: tuple[TestClient, DashboardWorld],
) -> None:
    client, world = site
    log_in(client, world.tokens["read"])

    response = client.get("/dashboard/w/models")

    drawn = figures(response.text)
    metrics = {trace["name"]: trace for trace in drawn["chart-model-metrics"]["data"]}
    assert metrics["valid_ndcg@10"]["x"] == ["pop@1", "pop@2"]
    assert metrics["valid_ndcg@10"]["y"] == [0.25, 0.5]
    assert metrics["valid_recall@10"]["y"] == [None, 0.75]
    assert drawn["chart-train-time"]["data"][0]["y"] == [1.5, 2.0]
    assert "<dt>Active model</dt><dd>pop@2</dd>" in response.text
    assert '<tr class="active"><th scope="row">pop@2</th>' in response.text


@pytest.mark.parametrize("page", list(PAGES))
def test_an_empty_world_says_no_data_yet(
    dashboard_world: DashboardWorld, tmp_path: Path, page: str
) -> None:
    # A registry of its own: model versions are listed to every world.
    settings = Settings(artifacts_dir=str(tmp_path / "empty"))
    with TestClient(create_app(settings, store=dashboard_world.store)) as client:
        log_in(client, dashboard_world.tokens["other"])

        response = client.get(page_url(page, "other"))

    assert response.status_code == 200
    assert figures(response.text) == {}
    assert response.text.count('class="empty"') == len(PAGES[page])
    assert "No data yet" in response.text


def test_ids_are_escaped_in_the_html_and_kept_whole_in_the_chart_data(
    sqlite_database: sa.Engine, tmp_path: Path
) -> None:
    hostile = "</script><script>alert(1)</script>"
    with sqlite_database.begin() as connection:
        create_world(connection, "x", now_ms=0)
    engine.ingest_world(
        sqlite_database,
        "x",
        {
            RecordKind.CREATORS: [{"creator_id": hostile}],
            RecordKind.ITEMS: [{"item_id": "<b>i</b>", "kind": "content", "creator_id": hostile}],
            RecordKind.EVENTS: [
                {
                    "event_id": "e1",
                    "type": "view",
                    "user_id": "u1",
                    "ts": "2026-03-01T10:00:00+00:00",
                    "item_id": "<b>i</b>",
                    "dwell_ms": 60_000,
                    "visible_fraction": 1.0,
                }
            ],
        },
    )
    token = make_key(sqlite_database, "x", Scope.READ)
    settings = Settings(artifacts_dir=str(tmp_path / "artifacts"))
    with TestClient(create_app(settings, store=sqlite_database)) as client:
        client.post("/dashboard/login", data={"key": token})

        response = client.get("/dashboard/x")

    assert response.status_code == 200
    assert "<script>alert(1)" not in response.text
    assert "<b>i</b>" not in response.text
    assert "&lt;b&gt;i&lt;/b&gt;" in response.text
    assert figures(response.text)["chart-top-creators"]["data"][0]["y"] == [hostile]


# --- static files -----------------------------------------------------------------------


def test_plotly_is_served_from_the_python_package_with_a_long_cache(
    site: tuple[TestClient, DashboardWorld],
) -> None:
    client, _ = site

    response = client.get("/dashboard/static/plotly.min.js")
    script = client.get("/dashboard/static/dashboard.js")
    missing = client.get("/dashboard/static/../../etc/passwd")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert "max-age=31536000" in response.headers["cache-control"]
    assert "plotly.js" in response.text[:200]
    assert script.status_code == 200
    assert "Plotly.newPlot" in script.text
    assert missing.status_code == 404
    assert client.get("/dashboard/static/nothing.js").status_code == 404


def test_simulation_shows_each_recorded_day_of_the_simulation(
    site: tuple[TestClient, DashboardWorld],
) -> None:
    client, world = site
    log_in(client, world.tokens["read"])

    response = client.get("/dashboard/w/simulation")

    drawn = figures(response.text)
    days = [(world.first_day.date() + timedelta(days=n)).isoformat() for n in range(2)]
    attention = drawn["chart-simulation-attention"]["data"][0]
    assert attention["x"] == days
    assert attention["y"] == [30.0, 45.0]
    survival = drawn["chart-simulation-diversity"]["data"][0]
    assert survival["y"] == [None, None]  # no cohort of new creators yet: undefined, not 0
    assert re.search(r"<dt>Policy</dt><dd>fair</dd>", response.text)
    assert re.search(r"<dt>Seed</dt><dd>7</dd>", response.text)
