"""The dashboard: server-rendered pages of a world, charts drawn by the bundled plotly.js.

A person logs in with an API key of a world that has the ``read`` scope; the key goes
into an HttpOnly, SameSite=Strict cookie that the dashboard (and the v1 API) accepts.
Each page renders one of ``engine``'s reports as it is: the service only lays the
report's lists out as tables and as plotly figures, embedded as JSON in the page and
drawn by ``static/dashboard.js``. plotly.js is served from the ``plotly`` package, so
the dashboard works offline; a strict Content-Security-Policy allows no inline script.
"""

import functools
import hashlib
import importlib.util
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import jinja2
from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from mindshare import __version__, engine
from mindshare.core import MS_PER_DAY, to_epoch_ms, utc_now
from mindshare.service._auth import SESSION_COOKIE, admit
from mindshare.service._errors import ApiError
from mindshare.service._keys import ApiKey, Scope

dashboard = APIRouter(include_in_schema=False)

#: The pages of a world, in the order of the navigation, with their titles.
PAGES: dict[str, str] = {
    "overview": "Overview",
    "fairness": "Fairness",
    "economy": "Economy",
    "market": "Market",
    "models": "Models",
    "simulation": "Simulation",
}
#: Day axes get one tick a day up to this many days, and plotly's choice beyond.
_DAILY_TICKS_UP_TO = 14
#: How long a browser keeps the dashboard cookie (a key is revoked in the store, not here).
SESSION_MAX_AGE_S = 12 * 3600
_HERE = Path(__file__).resolve().parent


def _plotly_dir() -> Path:
    """Where the ``plotly`` package is installed, found without importing it (it is slow)."""
    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the plotly package is missing: reinstall mindshare")
    return Path(next(iter(spec.submodule_search_locations))).resolve()


_STATIC: dict[str, tuple[Path, str]] = {
    "plotly.min.js": (
        _plotly_dir() / "package_data" / "plotly.min.js",
        "text/javascript",
    ),
    "dashboard.js": (_HERE / "static" / "dashboard.js", "text/javascript"),
    "dashboard.css": (_HERE / "static" / "dashboard.css", "text/css"),
    "favicon.svg": (_HERE / "static" / "favicon.svg", "image/svg+xml"),
}
# plotly.js writes style attributes and <style> elements, and exports images as data URLs.
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
_PAGE_HEADERS = {
    "Content-Security-Policy": _CSP,
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


# --- routes -----------------------------------------------------------------------------


@dashboard.get("/dashboard/static/{name}")
def static_file(name: str) -> Response:
    """A file of the dashboard (plotly.js, its script, its style), cached for a year: its
    URL carries a digest of its content, so a new version is a new URL."""
    found = _STATIC.get(name)
    if found is None:
        return Response("no such file", status_code=404, media_type="text/plain")
    path, media_type = found
    return FileResponse(
        path,
        media_type=media_type,
        headers={
            "Cache-Control": "public, max-age=31536000, immutable",
            "X-Content-Type-Options": "nosniff",
        },
    )


@dashboard.get("/dashboard")
def login_form(request: Request) -> Response:
    """The login form, or the key's world when its cookie is still good."""
    token = request.cookies.get(SESSION_COOKIE)
    key = _verified(request, token)
    if key is not None and key.allows(Scope.READ):
        return RedirectResponse(_world_url(key.world_id), status_code=303)
    return _login_page(request)


@dashboard.post("/dashboard/login")
def login(request: Request, key: Annotated[str, Form(max_length=512)] = "") -> Response:
    """Check ``key`` and remember it in the session cookie; the world is the key's own."""
    token = key.strip()
    verified: ApiKey | None = request.app.state.mindshare.keys.verify(token) if token else None
    if verified is None:
        return _login_page(
            request,
            error="That is not a valid API key of any world. Check that it was copied whole, "
            "or create one with `mindshare keys create --world WORLD --scopes read`.",
            status_code=401,
        )
    try:
        admit(request, verified.world_id, Scope.READ, token)
    except ApiError as refused:
        message = refused.detail
        if refused.code == "missing_scope":
            message = "This key lacks the 'read' scope that the dashboard needs."
        elif refused.code == "invalid_key":
            message = "This API key is not valid any more: it was revoked."
        return _login_page(
            request, error=message, status_code=refused.status, headers=refused.headers
        )
    response = RedirectResponse(_world_url(verified.world_id), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=SESSION_MAX_AGE_S,
        path="/",
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )
    return response


@dashboard.post("/dashboard/logout")
def logout() -> Response:
    """Forget the session cookie and show the login form."""
    response = RedirectResponse("/dashboard", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response


@dashboard.get("/dashboard/{world}")
def overview_page(request: Request, world: str) -> Response:
    """A world's overview: attention per day, active people, top items and creators."""
    return _world_page(request, world, "overview")


@dashboard.get("/dashboard/{world}/{page}")
def world_page(request: Request, world: str, page: str) -> Response:
    """One page of a world's dashboard."""
    if page not in PAGES:
        return _error_page(request, 404, "No such page", f"There is no dashboard page {page!r}.")
    return _world_page(request, world, page)


# --- pages ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Chart:
    """A plotly figure to draw into the element ``id``; without data the page says so."""

    id: str
    title: str
    data: list[dict[str, Any]]
    layout: dict[str, Any]
    has_data: bool
    empty: str = "No data yet."

    def figure(self) -> dict[str, Any]:
        """What ``dashboard.js`` hands to ``Plotly.newPlot``."""
        return {"data": self.data, "layout": self.layout}


@dataclass(frozen=True, slots=True)
class Page:
    """What one page template renders: the report as JSON-safe values, and its charts."""

    report: dict[str, Any]
    charts: dict[str, Chart]
    extra: dict[str, Any] = field(default_factory=dict)


def _world_page(request: Request, world: str, page: str) -> Response:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return RedirectResponse("/dashboard", status_code=303)
    try:
        admit(request, world, Scope.READ, token)
    except ApiError as refused:
        if refused.status == 401:
            response = RedirectResponse("/dashboard", status_code=303)
            response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
            return response
        title = "Not allowed" if refused.status == 403 else "Too many requests"
        return _error_page(request, refused.status, title, refused.detail, refused.headers)
    content = _PAGE_BUILDERS[page](request, world)
    return _render(
        request,
        f"dashboard/{page}.html",
        {"world": world, "page": page, "view": content},
    )


def _overview(request: Request, world: str) -> Page:
    report = engine.overview_report(request.app.state.mindshare.store, world).to_dict()
    days = report["days"]
    return Page(
        report=report,
        charts={
            "attention": _chart(
                "chart-attention-per-day",
                "Attentive minutes per day",
                [_bar(days, report["attentive_minutes"], name="attentive minutes")],
                x_title="day (UTC)",
                days_shown=len(days),
                y_title="attentive minutes",
                has_data=bool(days),
            ),
            "people": _chart(
                "chart-active-people-per-day",
                "Active people per day",
                [_line(days, report["active_people"], name="active people")],
                x_title="day (UTC)",
                days_shown=len(days),
                y_title="people with verified attention",
                has_data=bool(days),
            ),
            "top_items": _chart(
                "chart-top-items",
                "Top items by attentive minutes",
                [
                    _bar(
                        report["top_item_minutes"],
                        report["top_items"],
                        name="attentive minutes",
                        orientation="h",
                        hovertext=[f"by {c}" for c in report["top_item_creators"]],
                    )
                ],
                x_title="attentive minutes",
                y_title="item",
                category="y",
                has_data=bool(report["top_items"]),
                ranked=True,
            ),
            "top_creators": _chart(
                "chart-top-creators",
                "Top creators by attentive minutes",
                [
                    _bar(
                        report["top_creator_minutes"],
                        report["top_creators"],
                        name="attentive minutes",
                        orientation="h",
                    )
                ],
                x_title="attentive minutes",
                y_title="creator",
                category="y",
                has_data=bool(report["top_creators"]),
                ranked=True,
            ),
        },
        extra={
            "per_day": _rows(report, "days", "attentive_minutes", "active_people"),
            "top_items": _rows(report, "top_items", "top_item_creators", "top_item_minutes"),
            "top_creators": _rows(report, "top_creators", "top_creator_minutes"),
        },
    )


def _fairness(request: Request, world: str) -> Page:
    report = engine.fairness_report(request.app.state.mindshare.store, world).to_dict()
    days = report["days"]
    exposed = bool(report["lorenz_population"])
    return Page(
        report=report,
        charts={
            "lorenz": _chart(
                "chart-lorenz",
                "Lorenz curve of exposure over creators",
                [
                    _line(
                        report["lorenz_population"],
                        report["lorenz_share"],
                        name="exposure",
                        fill="tozeroy",
                    ),
                    {
                        "type": "scatter",
                        "mode": "lines",
                        "x": [0, 1],
                        "y": [0, 1],
                        "name": "perfect equality",
                        "line": {"dash": "dash", "color": "#888"},
                        "hoverinfo": "skip",
                    },
                ],
                x_title="share of creators (least exposed first)",
                y_title="share of exposure",
                has_data=exposed,
                empty="No data yet: no feed has shown a creator.",
                percent_axes=("x", "y"),
            ),
            "exposure": _chart(
                "chart-creator-exposure",
                "Exposure per creator",
                [_bar(report["creators"], report["creator_exposure"], name="exposure")],
                x_title="creator",
                category="x",
                y_title="position exposure",
                has_data=exposed,
                empty="No data yet: no feed has shown a creator.",
            ),
            "gini": _chart(
                "chart-gini-per-day",
                "Gini coefficient of exposure per day",
                [_line(days, report["daily_gini"], name="Gini")],
                x_title="day (UTC)",
                days_shown=len(days),
                y_title="Gini (0 equal, 1 one creator)",
                has_data=bool(days),
                empty="No data yet: no feed has been served.",
                y_range=[0, 1],
            ),
            "new_share": _chart(
                "chart-new-creator-share",
                "New creators' share of exposure per day",
                [_line(days, report["daily_new_creator_share"], name="new creators' share")],
                x_title="day (UTC)",
                days_shown=len(days),
                y_title="share of the day's exposure",
                has_data=bool(days),
                empty="No data yet: no feed has been served.",
                percent_axes=("y",),
                y_range=[0, 1],
            ),
        },
        extra={
            "per_day": _rows(
                report,
                "days",
                "daily_feeds",
                "daily_exposure",
                "daily_gini",
                "daily_new_creator_share",
            ),
            "per_creator": _rows(report, "creators", "creator_exposure"),
        },
    )


def _economy(request: Request, world: str) -> Page:
    report = engine.economy_report(request.app.state.mindshare.store, world).to_dict()
    flows, payouts = report["flows"], report["payouts"]
    balances, spend = report["balances"], report["ad_spend"]
    sources = [f"{k} ({c})" for k, c in zip(flows["from_kind"], flows["currency"], strict=True)]
    targets = [f"{k} ({c})" for k, c in zip(flows["to_kind"], flows["currency"], strict=True)]
    nodes = list(dict.fromkeys([*sources, *targets]))
    payout_parts = [
        ("charged_minor", "charged to advertisers"),
        ("paid_to_creators_minor", "paid to creators"),
        ("rewarded_minor", "rewarded to people"),
        ("quest_rewards_minor", "quest rewards"),
        ("held_back_minor", "held back"),
        ("carried_minor", "carried to next period"),
    ]
    return Page(
        report=report,
        charts={
            "flows": _chart(
                "chart-money-flows",
                "Money moved between account kinds",
                [
                    {
                        "type": "sankey",
                        "arrangement": "snap",
                        "valueformat": ",d",
                        "node": {"label": nodes, "pad": 18, "thickness": 16},
                        "link": {
                            "source": [nodes.index(s) for s in sources],
                            "target": [nodes.index(t) for t in targets],
                            "value": flows["amount_minor"],
                            "customdata": flows["transfers"],
                            "hovertemplate": "%{source.label} → %{target.label}<br>"
                            "%{value:,d} minor units in %{customdata} transfer(s)"
                            "<extra></extra>",
                        },
                    }
                ],
                has_data=bool(flows["amount_minor"]),
                empty="No data yet: no money has moved.",
            ),
            "payouts": _chart(
                "chart-payouts-per-period",
                "Settled periods",
                [
                    _bar(payouts["period"], payouts[name], name=label)
                    for name, label in payout_parts
                ],
                x_title="period",
                category="x",
                y_title="minor units",
                has_data=bool(payouts["period"]),
                empty="No data yet: no period has been settled.",
                grouped=True,
            ),
            "balances": _chart(
                "chart-balances-by-kind",
                "Posted balances by account kind",
                [
                    _bar(
                        [
                            f"{k} ({c})"
                            for k, c in zip(balances["kind"], balances["currency"], strict=True)
                        ],
                        balances["balance_minor"],
                        name="balance",
                    )
                ],
                x_title="account kind (currency)",
                category="x",
                y_title="minor units (credits minus debits)",
                has_data=bool(balances["kind"]),
                empty="No data yet: the world has no ledger accounts.",
            ),
            "ad_spend": _chart(
                "chart-ad-spend",
                "Ad spend against budget per campaign",
                [
                    _bar(spend["campaign_id"], spend["daily_budget_minor"], name="daily budget"),
                    _bar(
                        spend["campaign_id"],
                        spend["spent_on_spend_day_minor"],
                        name="spent on its latest day",
                    ),
                    _bar(
                        spend["campaign_id"],
                        spend["charged_minor"],
                        name="charged in settled periods",
                    ),
                ],
                x_title="campaign",
                category="x",
                y_title="minor units",
                has_data=bool(spend["campaign_id"]),
                empty="No data yet: the world has no ad campaigns.",
                grouped=True,
            ),
        },
        extra={
            "flows": _rows(flows, "from_kind", "to_kind", "currency", "amount_minor", "transfers"),
            "payouts": _rows(
                payouts, "period", "currency", *(name for name, _ in payout_parts), "settled_at"
            ),
            "payout_labels": [label for _, label in payout_parts],
            "balances": _rows(balances, "kind", "currency", "balance_minor", "accounts"),
            "ad_spend": _rows(
                spend,
                "campaign_id",
                "advertiser_id",
                "currency",
                "active",
                "daily_budget_minor",
                "spend_day",
                "spent_on_spend_day_minor",
                "charged_minor",
            ),
        },
    )


def _market(request: Request, world: str) -> Page:
    now_ms = to_epoch_ms(utc_now())
    store = request.app.state.mindshare.store
    report = engine.market_report(store, world, now_ms=now_ms).to_dict()
    listings, trades = report["listings"], report["trades"]
    return Page(
        report=report,
        charts={
            "sales": _chart(
                "chart-sale-prices",
                "Sale prices over time",
                [
                    {
                        "type": "scatter",
                        "mode": "markers",
                        "x": trades["settled_at"],
                        "y": trades["price_minor"],
                        "name": "sale",
                        "text": [
                            f"{item} ({currency})"
                            for item, currency in zip(
                                trades["item_id"], trades["currency"], strict=True
                            )
                        ],
                        "hovertemplate": "%{text}<br>%{y:,d} minor units<br>%{x}<extra></extra>",
                        "marker": {"size": 9},
                    }
                ],
                x_title="settled at (UTC)",
                y_title="price (minor units)",
                has_data=bool(trades["listing_id"]),
                empty="No data yet: nothing has been sold.",
            ),
            "prices": _chart(
                "chart-suggested-vs-asking",
                "Asking and suggested prices of open listings",
                [
                    _bar(listings["listing_id"], listings["asking_minor"], name="asking"),
                    _bar(listings["listing_id"], listings["suggested_minor"], name="suggested"),
                ],
                x_title="listing",
                category="x",
                y_title="price (minor units)",
                has_data=bool(listings["listing_id"]),
                empty="No data yet: nothing is listed.",
                grouped=True,
            ),
        },
        extra={
            "listings": _rows(
                listings,
                "listing_id",
                "item_id",
                "kind",
                "seller_id",
                "currency",
                "asking_minor",
                "suggested_minor",
                "high_bid_minor",
                "bids",
                "closes_at",
            ),
            "trades": _rows(
                trades,
                "settled_at",
                "listing_id",
                "item_id",
                "seller_id",
                "buyer_id",
                "currency",
                "price_minor",
            )[::-1],
        },
    )


def _models(request: Request, world: str) -> Page:
    report = engine.models_report(request.app.state.mindshare.registry, world).to_dict()
    labels = report["labels"]
    metrics: Mapping[str, list[float | None]] = report["metrics"]
    return Page(
        report=report,
        charts={
            "metrics": _chart(
                "chart-model-metrics",
                "Validation metrics per model version",
                [_bar(labels, values, name=name) for name, values in metrics.items()],
                x_title="model version",
                category="x",
                y_title="metric value",
                has_data=bool(labels) and bool(metrics),
                empty="No data yet: no model version has validation metrics.",
                grouped=True,
            ),
            "train": _chart(
                "chart-train-time",
                "Training time per model version",
                [_bar(labels, report["train_s"], name="training time")],
                x_title="model version",
                category="x",
                y_title="seconds",
                has_data=bool(labels),
                empty="No data yet: no model has been trained.",
            ),
        },
        extra={
            "metric_names": list(metrics),
            "versions": [
                {
                    "label": label,
                    "dataset": report["datasets"][i],
                    "created_at": report["created_at"][i],
                    "train_s": report["train_s"][i],
                    "is_active": report["is_active"][i],
                    "metrics": [values[i] for values in metrics.values()],
                }
                for i, label in enumerate(labels)
            ],
        },
    )


#: The simulation page's charts: (chart id, title, metrics drawn, y axis title).
_SIMULATION_CHARTS = (
    ("attention", "Verified attention per day", ("attentive_minutes",), "minutes"),
    ("people", "People: utility and retention", ("mean_utility", "retention"), ""),
    ("inequality", "Creators' inequality", ("creator_income_gini", "exposure_gini"), "Gini"),
    (
        "diversity",
        "New-creator survival and homogenization",
        ("new_creator_survival", "homogenization"),
        "share",
    ),
    ("revenue", "Money per day", ("ad_revenue_minor", "paid_to_creators_minor"), "minor units"),
)


def _simulation(request: Request, world: str) -> Page:
    report = engine.simulation_report(request.app.state.mindshare.store, world).to_dict()
    days, metrics = report["days"], report["metrics"]
    return Page(
        report=report,
        charts={
            key: _chart(
                f"chart-simulation-{key}",
                title,
                [_line(days, metrics.get(name, []), name=name.replace("_", " ")) for name in names],
                x_title="simulated day (UTC)",
                days_shown=len(days),
                y_title=y_title,
                has_data=bool(days),
                empty="No data yet: this world was not made by `mindshare simulate`.",
            )
            for key, title, names, y_title in _SIMULATION_CHARTS
        },
    )


_PAGE_BUILDERS: dict[str, Callable[[Request, str], Page]] = {
    "overview": _overview,
    "fairness": _fairness,
    "economy": _economy,
    "market": _market,
    "models": _models,
    "simulation": _simulation,
}


# --- figures ----------------------------------------------------------------------------


def _chart(
    chart_id: str,
    title: str,
    traces: list[dict[str, Any]],
    *,
    has_data: bool,
    x_title: str = "",
    y_title: str = "",
    empty: str = "No data yet.",
    grouped: bool = False,
    ranked: bool = False,
    percent_axes: Iterable[str] = (),
    y_range: list[float] | None = None,
    category: str | None = None,
    days_shown: int = 0,
) -> Chart:
    """A figure with the dashboard's layout: titled axes, a legend where traces are many."""
    layout: dict[str, Any] = {
        "margin": {"l": 64, "r": 24, "t": 16, "b": 56},
        "height": 340,
        "showlegend": len(traces) > 1,
        "legend": {"orientation": "h", "y": -0.25},
        "xaxis": {"title": {"text": x_title}, "automargin": True},
        "yaxis": {"title": {"text": y_title}, "automargin": True},
        "font": {"family": "system-ui, sans-serif", "size": 13},
        "paper_bgcolor": "#ffffff",
    }
    if grouped:
        layout["barmode"] = "group"
    if ranked:
        layout["yaxis"]["autorange"] = "reversed"
    for axis in percent_axes:
        layout[f"{axis}axis"]["tickformat"] = ".0%"
    if y_range is not None:
        layout["yaxis"]["range"] = y_range
    if category is not None:
        # Ids such as "42" or "2026" name things: never let plotly read them as numbers.
        layout[f"{category}axis"]["type"] = "category"
    if days_shown:
        layout["xaxis"] |= {"type": "date", "tickformat": "%b %-d", "hoverformat": "%Y-%m-%d"}
        if days_shown <= _DAILY_TICKS_UP_TO:
            layout["xaxis"]["dtick"] = MS_PER_DAY
    return Chart(chart_id, title, traces, layout, has_data, empty)


def _bar(x: list[Any], y: list[Any], *, name: str, **options: Any) -> dict[str, Any]:
    return {"type": "bar", "x": x, "y": y, "name": name, **options}


def _line(x: list[Any], y: list[Any], *, name: str, **options: Any) -> dict[str, Any]:
    return {"type": "scatter", "mode": "lines+markers", "x": x, "y": y, "name": name, **options}


def _rows(columns: Mapping[str, Any], *names: str) -> list[tuple[Any, ...]]:
    """The parallel lists ``names`` of a report as table rows."""
    return list(zip(*(columns[name] for name in names), strict=True))


# --- rendering --------------------------------------------------------------------------


def _verified(request: Request, token: str | None) -> ApiKey | None:
    """The unrevoked key behind ``token``, or None."""
    if not token:
        return None
    key: ApiKey | None = request.app.state.mindshare.keys.verify(token)
    return key if key is not None and key.revoked_ms is None else None


def _login_page(
    request: Request,
    *,
    error: str | None = None,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    return _render(
        request, "dashboard/login.html", {"error": error}, status_code=status_code, headers=headers
    )


def _error_page(
    request: Request,
    status_code: int,
    title: str,
    detail: str,
    headers: Mapping[str, str] | None = None,
) -> Response:
    return _render(
        request,
        "dashboard/error.html",
        {"title": title, "detail": detail, "status": status_code},
        status_code=status_code,
        headers=headers,
    )


def _render(
    request: Request,
    template: str,
    context: dict[str, Any],
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    return _templates().TemplateResponse(
        request,
        template,
        {"pages": PAGES, "version": __version__, "asset": _asset_url, **context},
        status_code=status_code,
        headers={**_PAGE_HEADERS, **(headers or {})},
    )


@functools.cache
def _templates() -> Jinja2Templates:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["number"] = _number
    environment.filters["when"] = _when
    environment.filters["world_url"] = _world_url
    return Jinja2Templates(env=environment)


@functools.cache
def _asset_url(name: str) -> str:
    """The URL of a static file, with a digest of its content so caches never go stale."""
    digest = hashlib.sha256(_STATIC[name][0].read_bytes()).hexdigest()[:12]
    return f"/dashboard/static/{name}?v={digest}"


def _world_url(world: str) -> str:
    """The overview's URL of ``world``, whose id may hold any printable character."""
    return f"/dashboard/{quote(world, safe='')}"


def _number(value: Any, digits: int = 2) -> str:
    """``1,234`` for integers, ``1,234.5`` for floats, an em dash for a missing value."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.{digits}f}".rstrip("0").rstrip(".") if value % 1 else f"{value:,.0f}"
    return str(value)


def _when(value: str | None) -> str:
    """An ISO 8601 moment as ``2026-03-01 12:00 UTC``."""
    if not value:
        return "—"
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment.strftime("%Y-%m-%d %H:%M UTC")
