"""The v1 API: each route parses, authorizes, calls the packages and answers in JSON."""

import asyncio
from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa
from service_worlds import DAY0, Service, ServiceFactory

from mindshare.core import Settings, to_epoch_ms, utc_now
from mindshare.events import list_rejected
from mindshare.store import exposures, feeds, lock_world


def test_healthz_answers_without_a_key(service: Service) -> None:
    answer = service.client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json()["status"] == "ok"


def test_metrics_count_requests_by_route_template(service: Service) -> None:
    service.client.get("/v1/worlds/w/items/i1", headers=service.headers("read"))
    text = service.client.get("/metrics").text
    route = 'route="/v1/worlds/{world}/items/{item_id}"'
    line = f'mindshare_http_requests_total{{method="GET",{route},status="200"}} 1.0'
    assert line in text


def test_events_batch_answers_the_counts_and_keeps_each_rejection(service: Service) -> None:
    now = utc_now()
    events = [
        {
            "event_id": "n1",
            "type": "view",
            "user_id": "u9",
            "item_id": "i1",
            "ts": now.isoformat(),
            "dwell_ms": 4000,
            "visible_fraction": 1.0,
        },
        {
            "event_id": "n2",
            "type": "view",
            "user_id": "u9",
            "item_id": "nope",
            "ts": now.isoformat(),
            "dwell_ms": 4000,
        },
        {"event_id": "n3", "type": "click", "user_id": "u9", "ts": "2026-01-01T00:00:00"},
        {
            "event_id": "e12",
            "type": "view",
            "user_id": "u1",
            "item_id": "i2",
            "ts": (DAY0 + timedelta(minutes=12)).isoformat(),
            "dwell_ms": 20_000,
            "visible_fraction": 1.0,
        },
    ]
    answer = service.client.post(
        "/v1/worlds/w/events", json={"events": events}, headers=service.headers("ingest")
    )
    assert answer.status_code == 200
    body = answer.json()
    assert {k: body[k] for k in ("submitted", "accepted", "duplicates", "rejected")} == {
        "submitted": 4,
        "accepted": 1,
        "duplicates": 1,
        "rejected": 2,
    }
    assert body["people_created"] == 1
    assert {(p["location"], p["rule"]) for p in body["problems"]} == {
        ("events[1]", "unknown_item"),
        ("events[2]", "naive_timestamp"),
    }
    with service.store.connect() as connection:
        stored = {(r.location, r.rule) for r in list_rejected(connection, "w")}
    assert {("events[1]", "unknown_item"), ("events[2]", "naive_timestamp")} <= stored


def test_replayed_events_are_duplicates(service: Service) -> None:
    event = {
        "event_id": "r1",
        "type": "like",
        "user_id": "u1",
        "item_id": "i2",
        "ts": utc_now().isoformat(),
    }
    for expected in ({"accepted": 1, "duplicates": 0}, {"accepted": 0, "duplicates": 1}):
        body = service.client.post(
            "/v1/worlds/w/events", json={"events": [event]}, headers=service.headers("ingest")
        ).json()
        assert {k: body[k] for k in expected} == expected


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        (b'{"events": [', "application/json", 422),
        (b'{"events": []}', "application/json", 422),
        (b'{"events": [1], "extra": true}', "application/json", 422),
        (b"event_id,type", "text/csv", 415),
        (b'{"events": [{}]}', "", 415),
    ],
)
def test_bodies_that_are_not_an_events_batch_are_refused(
    service: Service, content: bytes, content_type: str, status: int
) -> None:
    headers = {**service.headers("ingest"), "Content-Type": content_type}
    answer = service.client.post("/v1/worlds/w/events", content=content, headers=headers)
    assert answer.status_code == status
    assert "detail" in answer.json()


def test_a_batch_over_ten_thousand_events_is_refused(service: Service) -> None:
    events = [{"event_id": f"x{n}"} for n in range(10_001)]
    answer = service.client.post(
        "/v1/worlds/w/events", json={"events": events}, headers=service.headers("ingest")
    )
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["loc"] == ["body", "events"]


def test_an_oversize_body_is_refused_before_it_is_read(make_service: ServiceFactory) -> None:
    small = make_service(api_max_body_bytes=1_000)
    answer = small.client.post(
        "/v1/worlds/w/events",
        json={"events": [{"event_id": "x" * 2_000}]},
        headers=small.headers("ingest"),
    )
    assert answer.status_code == 413
    assert answer.json()["code"] == "too_large"


def test_items_are_created_read_and_updated(service: Service) -> None:
    item = {
        "kind": "asset",
        "creator_id": "c2",
        "title": "Hat",
        "tags": ["hat"],
        "price_minor": 250,
        "currency": "GEMS",
    }
    created = service.client.put(
        "/v1/worlds/w/items/hat", json=item, headers=service.headers("ingest")
    )
    assert created.status_code == 200
    assert created.json() == {"item_id": "hat", "text": "", **item}
    changed = service.client.put(
        "/v1/worlds/w/items/hat",
        json={**item, "title": "Red hat"},
        headers=service.headers("ingest"),
    )
    assert changed.json()["title"] == "Red hat"
    read = service.client.get("/v1/worlds/w/items/hat", headers=service.headers("read"))
    assert read.json()["title"] == "Red hat"


def test_an_item_whose_creator_is_unknown_is_refused_with_the_rule(service: Service) -> None:
    answer = service.client.put(
        "/v1/worlds/w/items/x",
        json={"kind": "content", "creator_id": "ghost"},
        headers=service.headers("ingest"),
    )
    assert answer.status_code == 400
    assert answer.json()["code"] == "unknown_creator"


def test_people_and_creators_round_trip(service: Service) -> None:
    h = service.headers("ingest")
    assert service.client.put(
        "/v1/worlds/w/people/p1", json={"attributes": {"lang": "de"}}, headers=h
    ).json() == {"user_id": "p1", "attributes": {"lang": "de"}}
    assert service.client.put(
        "/v1/worlds/w/creators/c9", json={"name": "Nine"}, headers=h
    ).json() == {"creator_id": "c9", "name": "Nine", "attributes": {}}
    assert (
        service.client.get(
            "/v1/worlds/w/people/nobody", headers=service.headers("read")
        ).status_code
        == 404
    )


def test_feed_is_served_explained_and_recorded(service: Service) -> None:
    answer = service.client.get("/v1/worlds/w/feed/u1?k=3", headers=service.headers("read"))
    assert answer.status_code == 200
    feed = answer.json()
    seen = {"i2", "i4"}  # u1 viewed the items with (1 + i) odd
    assert [slot["slot"] for slot in feed["slots"]] == [1, 2, 3]
    assert not seen & {slot["item_id"] for slot in feed["slots"]}
    assert all("predicted_attention_s" in slot["explanation"] for slot in feed["slots"])
    with service.store.connect() as connection:
        recorded = connection.execute(
            sa.select(sa.func.count())
            .select_from(exposures)
            .where(exposures.c.feed_id == feed["feed_id"])
        ).scalar_one()
    assert recorded == 3


def test_feed_for_someone_first_seen_after_the_world_was_cached(service: Service) -> None:
    h = service.headers("read")
    assert service.client.get("/v1/worlds/w/feed/u1", headers=h).status_code == 200
    service.client.post(
        "/v1/worlds/w/events",
        headers=service.headers("ingest"),
        json={
            "events": [
                {
                    "event_id": "z",
                    "type": "session_start",
                    "user_id": "newbie",
                    "ts": utc_now().isoformat(),
                }
            ]
        },
    )
    assert service.client.get("/v1/worlds/w/feed/newbie", headers=h).status_code == 200


@pytest.mark.parametrize(
    ("query", "status"), [("k=0", 422), ("k=101", 422), ("policy=best", 422), ("k=2", 200)]
)
def test_feed_parameters_are_checked(service: Service, query: str, status: int) -> None:
    answer = service.client.get(f"/v1/worlds/w/feed/u2?{query}", headers=service.headers("read"))
    assert answer.status_code == status


def test_feed_of_an_unknown_person_is_not_found(service: Service) -> None:
    answer = service.client.get("/v1/worlds/w/feed/ghost", headers=service.headers("read"))
    assert answer.status_code == 404
    assert "ghost" in answer.json()["detail"]
    with service.store.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(feeds)).scalar_one() == 0


def test_auction_prices_the_textbook_gsp_example(service: Service) -> None:
    # Edelman, Ostrovsky & Schwarz: bids 10, 4, 2 per unit, equal quality, two slots.
    answer = service.client.post(
        "/v1/worlds/w/ads/auction",
        json={"bids": [4, 10, 2], "qualities": [1, 1, 1], "slot_weights": [200, 100]},
        headers=service.headers("read"),
    ).json()
    assert [(s["winner"], s["price"]) for s in answer["slots"]] == [(1, 4.0), (0, 2.0)]
    assert answer["revenue"] == pytest.approx(4 * 200 + 2 * 100)


def test_ledger_transfers_are_idempotent_and_conflicts_say_so(service: Service) -> None:
    admin, trade = service.headers("admin"), service.headers("trade")
    for account in (
        {
            "id": "src",
            "owner": "platform",
            "kind": "platform",
            "currency": "USD",
            "credits_must_not_exceed_debits": True,
        },
        {
            "id": "ann",
            "owner": "ann",
            "kind": "person",
            "currency": "USD",
            "debits_must_not_exceed_credits": True,
        },
    ):
        assert (
            service.client.post(
                "/v1/worlds/w/ledger/accounts", json=account, headers=admin
            ).status_code
            == 200
        )
    transfer = {
        "id": "t1",
        "debit_account_id": "src",
        "credit_account_id": "ann",
        "amount": 500,
        "currency": "USD",
    }
    first = service.client.post(
        "/v1/worlds/w/ledger/transfers", json={"transfers": [transfer]}, headers=trade
    )
    again = service.client.post(
        "/v1/worlds/w/ledger/transfers", json={"transfers": [transfer]}, headers=trade
    )
    assert [r["status"] for r in first.json()] == ["created"]
    assert [r["status"] for r in again.json()] == ["exists"]
    changed = service.client.post(
        "/v1/worlds/w/ledger/transfers",
        json={"transfers": [{**transfer, "amount": 501}]},
        headers=trade,
    )
    assert (changed.status_code, changed.json()["code"]) == (409, "transfer_conflict")
    overdraw = service.client.post(
        "/v1/worlds/w/ledger/transfers",
        headers=trade,
        json={
            "transfers": [
                {
                    "id": "t2",
                    "debit_account_id": "ann",
                    "credit_account_id": "src",
                    "amount": 501,
                    "currency": "USD",
                }
            ]
        },
    )
    assert (overdraw.status_code, overdraw.json()["code"]) == (409, "exceeds_credits")
    balance = service.client.get(
        "/v1/worlds/w/ledger/accounts/ann", headers=service.headers("read")
    ).json()
    assert (balance["posted"], balance["available"]) == (500, 500)


def test_payout_run_settles_once_and_refuses_an_overlap(service: Service) -> None:
    admin = service.headers("admin")
    first = service.client.post(
        "/v1/worlds/w/payouts/runs", json={"period": "2026-03-01..2026-03-07"}, headers=admin
    )
    assert first.status_code == 200
    again = service.client.post(
        "/v1/worlds/w/payouts/runs", json={"period": "2026-03-01..2026-03-07"}, headers=admin
    ).json()
    assert again["transfers_created"] == 0
    overlap = service.client.post(
        "/v1/worlds/w/payouts/runs", json={"period": "2026-03-05..2026-03-09"}, headers=admin
    )
    assert (overlap.status_code, overlap.json()["code"]) == (409, "period_overlap")
    bad = service.client.post("/v1/worlds/w/payouts/runs", json={"period": "March"}, headers=admin)
    assert bad.status_code == 422


def test_market_sale_through_deposit_listing_and_order(service: Service) -> None:
    service.client.put(
        "/v1/worlds/w/items/hat",
        headers=service.headers("ingest"),
        json={"kind": "asset", "creator_id": "c1", "price_minor": 300, "currency": "GEMS"},
    )
    deposit = service.client.post(
        "/v1/worlds/w/market/deposits",
        headers=service.headers("admin"),
        json={"user_id": "u2", "amount_minor": 1_000, "reference": "p1"},
    )
    assert deposit.json()["available_minor"] == 1_000
    trade = service.headers("trade")
    listing = service.client.post(
        "/v1/worlds/w/market/listings",
        headers=trade,
        json={
            "seller_id": "c1",
            "item_id": "hat",
            "kind": "fixed",
            "price_minor": 300,
            "listing_id": "L1",
        },
    )
    assert listing.status_code == 200, listing.json()
    listed = service.client.get("/v1/worlds/w/market/listings", headers=service.headers("read"))
    assert [row["listing_id"] for row in listed.json()] == ["L1"]
    sale = service.client.post(
        "/v1/worlds/w/market/orders", headers=trade, json={"buyer_id": "u2", "listing_id": "L1"}
    )
    assert sale.status_code == 200
    assert sale.json()["price_minor"] == 300
    assert (
        sale.json()["seller_minor"]
        + sale.json()["creator_royalty_minor"]
        + sale.json()["platform_fee_minor"]
        == 300
    )
    broke = service.client.post(
        "/v1/worlds/w/market/orders", headers=trade, json={"buyer_id": "u3", "listing_id": "L1"}
    )
    assert broke.status_code in (400, 409)


def test_models_lists_only_this_worlds_versions(service: Service) -> None:
    answer = service.client.get("/v1/worlds/w/models", headers=service.headers("read"))
    assert answer.json() == []
    missing = service.client.post(
        "/v1/worlds/w/models/ease/versions/1/activate", headers=service.headers("admin")
    )
    assert missing.status_code == 404


def test_rate_limit_answers_429_with_retry_after(make_service: ServiceFactory) -> None:
    limited = make_service(api_rate_per_s=0.5, api_burst=2)
    headers = limited.headers("read")
    statuses = [limited.client.get("/v1/worlds/w/items/i1", headers=headers) for _ in range(3)]
    assert [s.status_code for s in statuses] == [200, 200, 429]
    assert statuses[2].headers["Retry-After"] == "2"


def test_unexpected_failures_answer_500_without_internals(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mindshare import engine

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("boom at /srv/secret/path.py line 3")

    monkeypatch.setattr(engine, "open_listings", broken)
    answer = service.client.get("/v1/worlds/w/market/listings", headers=service.headers("read"))
    assert answer.status_code == 500
    assert answer.json() == {
        "detail": "the service failed; the error is in its log",
        "code": "internal",
    }
    assert "secret" not in answer.text
    assert "Traceback" not in answer.text


def test_time_of_recorded_feed_is_now(service: Service) -> None:
    before = to_epoch_ms(utc_now())
    feed = service.client.get("/v1/worlds/w/feed/u3", headers=service.headers("read")).json()
    assert before <= feed["served_ms"] <= to_epoch_ms(utc_now())


def test_similar_items_without_a_model_come_from_co_occurrence(service: Service) -> None:
    answer = service.client.get(
        "/v1/worlds/w/items/i1/similar?k=2", headers=service.headers("read")
    )
    assert answer.status_code == 200
    body = answer.json()
    assert body["source"] == "co-occurrence"
    # i1 was viewed by u2 and u4, who viewed i3 and i5 too (u + i odd): both share two readers.
    assert {n["item_id"] for n in body["neighbours"]} == {"i3", "i5"}
    unknown = service.client.get("/v1/worlds/w/items/zz/similar", headers=service.headers("read"))
    assert unknown.status_code == 404


def test_trending_ranks_recent_attention(service: Service) -> None:
    now = utc_now()
    events = [
        {
            "event_id": f"t{n}",
            "type": "view",
            "user_id": f"u{n}",
            "item_id": "i3",
            "ts": (now - timedelta(minutes=5)).isoformat(),
            "dwell_ms": 30_000,
            "visible_fraction": 1.0,
        }
        for n in range(1, 4)
    ] + [
        {
            "event_id": "t9",
            "type": "view",
            "user_id": "u1",
            "item_id": "i5",
            "ts": (now - timedelta(minutes=5)).isoformat(),
            "dwell_ms": 5_000,
            "visible_fraction": 1.0,
        }
    ]
    service.client.post(
        "/v1/worlds/w/events", json={"events": events}, headers=service.headers("ingest")
    )
    body = service.client.get(
        "/v1/worlds/w/trending?k=5&window=1", headers=service.headers("read")
    ).json()
    assert [item["item_id"] for item in body["items"]] == ["i3", "i5"]
    # u1's views of i3 (30 s) and i5 (5 s) overlap for 5 s, so each gets half of it.
    assert body["items"][0]["recent_ms"] == 30_000 + 30_000 + 27_500
    assert body["items"][1]["recent_ms"] == 2_500
    assert (
        service.client.get(
            "/v1/worlds/w/trending?window=0", headers=service.headers("read")
        ).status_code
        == 422
    )


def test_framework_refusals_answer_in_the_same_shape(service: Service) -> None:
    headers = {**service.headers("ingest"), "Content-Type": "application/json"}
    unreadable = service.client.post("/v1/worlds/w/events", content=b"\x80", headers=headers)
    assert unreadable.status_code == 400
    assert unreadable.json()["code"] == "bad_request"
    nowhere = service.client.get("/v2/anything")
    assert (nowhere.status_code, nowhere.json()["code"]) == (404, "not_found")


def test_past_its_capacity_the_service_refuses_api_requests_at_once_with_503(
    make_service: ServiceFactory,
) -> None:
    service = make_service(api_max_in_flight=1)
    refused, unkeyed, health, held, after = asyncio.run(_one_request_held_in_flight(service))
    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "1"
    assert refused.json()["code"] == "overloaded"
    assert unkeyed.status_code == 401  # a request without a key never takes a place
    assert health.status_code == 200  # health checks are never refused
    assert held.status_code == 200
    assert held.json()["accepted"] == 1
    assert after.status_code == 200  # the place is free again
    assert service.app.state.mindshare.capacity.in_use == 0


async def _one_request_held_in_flight(service: Service) -> list[httpx.Response]:
    """An events batch held in its route by another writer's lock on the world, and what
    a read, a read without a key, the health check, the batch and a later read get."""
    event = {
        "event_id": "held",
        "type": "view",
        "user_id": "u9",
        "item_id": "i1",
        "ts": utc_now().isoformat(),
        "dwell_ms": 4000,
        "visible_fraction": 1.0,
    }
    capacity = service.app.state.mindshare.capacity
    transport = httpx.ASGITransport(app=service.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        with service.store.connect() as writer, writer.begin():
            lock_world(writer, "w")  # the batch waits for this writer's turn to end
            held = asyncio.create_task(
                client.post(
                    "/v1/worlds/w/events",
                    json={"events": [event]},
                    headers=service.headers("ingest"),
                )
            )
            for _ in range(500):
                if capacity.in_use:
                    break
                await asyncio.sleep(0.01)
            read = service.headers("read")
            refused = await client.get("/v1/worlds/w/items/i1", headers=read)
            unkeyed = await client.get("/v1/worlds/w/items/i1")
            health = await client.get("/healthz")
        answered = await asyncio.wait_for(held, 30)
        after = await client.get("/v1/worlds/w/items/i1", headers=read)
    return [refused, unkeyed, health, answered, after]


def test_the_in_flight_limit_needs_room_for_one_request() -> None:
    with pytest.raises(ValueError, match="greater than or equal to 1"):
        Settings(api_max_in_flight=0)
