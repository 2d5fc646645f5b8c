"""Every route of the API authorizes: no key is 401, a key of another world or without
the route's scope is 403, and none of these answers carries any of the world's data."""

import re

import pytest
from fastapi.routing import APIRoute
from service_worlds import Service

#: The scope each world route needs; a new route must be added here to be deployed.
ROUTE_SCOPES = {
    ("POST", "/v1/worlds/{world}/events"): "ingest",
    ("POST", "/v1/worlds/{world}/items"): "ingest",
    ("POST", "/v1/worlds/{world}/people"): "ingest",
    ("POST", "/v1/worlds/{world}/creators"): "ingest",
    ("PUT", "/v1/worlds/{world}/items/{item_id}"): "ingest",
    ("PUT", "/v1/worlds/{world}/people/{user_id}"): "ingest",
    ("PUT", "/v1/worlds/{world}/creators/{creator_id}"): "ingest",
    ("GET", "/v1/worlds/{world}/items/{item_id}"): "read",
    ("GET", "/v1/worlds/{world}/people/{user_id}"): "read",
    ("GET", "/v1/worlds/{world}/creators/{creator_id}"): "read",
    ("GET", "/v1/worlds/{world}/feed/{user_id}"): "read",
    ("GET", "/v1/worlds/{world}/items/{item_id}/similar"): "read",
    ("GET", "/v1/worlds/{world}/trending"): "read",
    ("POST", "/v1/worlds/{world}/ads/auction"): "read",
    ("GET", "/v1/worlds/{world}/models"): "read",
    ("POST", "/v1/worlds/{world}/models/{model}/versions/{version}/activate"): "admin",
    ("POST", "/v1/worlds/{world}/ledger/accounts"): "admin",
    ("GET", "/v1/worlds/{world}/ledger/accounts/{account_id}"): "read",
    ("POST", "/v1/worlds/{world}/ledger/transfers"): "trade",
    ("POST", "/v1/worlds/{world}/payouts/runs"): "admin",
    ("GET", "/v1/worlds/{world}/market/listings"): "read",
    ("POST", "/v1/worlds/{world}/market/listings"): "trade",
    ("POST", "/v1/worlds/{world}/market/listings/{listing_id}/bids"): "trade",
    ("POST", "/v1/worlds/{world}/market/orders"): "trade",
    ("POST", "/v1/worlds/{world}/market/deposits"): "admin",
}
#: Routes anyone may call: they hold no world's data.
PUBLIC = {("GET", "/healthz"), ("GET", "/metrics")}
#: Values that would exist in world "w" (so a 404 cannot hide a missing check).
PATH_VALUES = {
    "item_id": "i1",
    "user_id": "u1",
    "creator_id": "c1",
    "model": "pop",
    "version": "1",
    "account_id": "a",
    "listing_id": "L1",
}


def api_routes(service: Service) -> list[tuple[str, str]]:
    """(method, path template) of every route in the published OpenAPI document."""
    document = service.client.get("/openapi.json").json()
    return sorted(
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
    )


def concrete(path: str, world: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: world if m[1] == "world" else PATH_VALUES[m[1]], path)


def call(service: Service, method: str, path: str, headers: dict[str, str]):
    body = {} if method in ("POST", "PUT") else None
    return service.client.request(method, path, json=body, headers=headers)


def test_every_route_in_the_openapi_document_is_classified(service: Service) -> None:
    assert set(api_routes(service)) == set(ROUTE_SCOPES) | PUBLIC


def test_every_route_of_the_app_is_in_the_openapi_document(service: Service) -> None:
    published = set(api_routes(service))
    for route in service.app.routes:
        if isinstance(route, APIRoute) and route.include_in_schema:
            assert {(m, route.path) for m in route.methods} <= published


@pytest.mark.parametrize(("method", "path"), sorted(ROUTE_SCOPES))
def test_a_key_of_another_world_gets_403_and_no_data(
    service: Service, method: str, path: str
) -> None:
    answer = call(service, method, concrete(path, "w"), service.headers("foreign"))
    assert answer.status_code == 403
    assert answer.json() == {
        "detail": "this API key belongs to another world",
        "code": "wrong_world",
    }


@pytest.mark.parametrize(("method", "path"), sorted(ROUTE_SCOPES))
def test_no_key_or_a_forged_key_gets_401(service: Service, method: str, path: str) -> None:
    forged = service.tokens["admin"][:-4] + "AAAA"
    for headers in ({}, {"Authorization": f"Bearer {forged}"}, {"Authorization": "Bearer x"}):
        answer = call(service, method, concrete(path, "w"), headers)
        assert answer.status_code == 401
        assert answer.headers["WWW-Authenticate"] == "Bearer"
        assert set(answer.json()) == {"detail", "code"}


@pytest.mark.parametrize(("method", "path"), sorted(ROUTE_SCOPES))
def test_only_the_routes_scope_or_admin_is_admitted(
    service: Service, method: str, path: str
) -> None:
    admitted = set()
    for scope in ("ingest", "read", "trade", "admin"):
        answer = call(service, method, concrete(path, "w"), service.headers(scope))
        if answer.status_code == 403:
            assert answer.json()["code"] == "missing_scope"
        else:
            admitted.add(scope)
    assert admitted == {ROUTE_SCOPES[(method, path)], "admin"}


def test_a_world_that_does_not_exist_is_forbidden_not_revealed(service: Service) -> None:
    answer = service.client.get("/v1/worlds/nowhere/items/i1", headers=service.headers("admin"))
    assert answer.status_code == 403


def test_a_revoked_key_stops_working(service: Service) -> None:
    from mindshare.core import to_epoch_ms, utc_now
    from mindshare.service import revoke_api_key

    headers = service.headers("read")
    assert service.client.get("/v1/worlds/w/items/i1", headers=headers).status_code == 200
    key_id = service.tokens["read"].split("_")[1]
    with service.store.begin() as connection:
        revoke_api_key(connection, key_id, now_ms=to_epoch_ms(utc_now()))
    service.app.state.mindshare.keys.forget()
    answer = service.client.get("/v1/worlds/w/items/i1", headers=headers)
    assert (answer.status_code, answer.json()["code"]) == (401, "invalid_key")
    assert "revoked" in answer.json()["detail"]


@pytest.mark.parametrize(
    "token", ["msk_\x00_abc", "msk_ZZ_abc", "msk__abc", "msk_" + "a" * 33 + "_x", "bearer"]
)
def test_a_malformed_key_is_invalid_before_the_store_is_asked(service: Service, token: str) -> None:
    from mindshare.service import verify_api_key

    with service.store.connect() as connection:
        assert verify_api_key(connection, token) is None


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/v1/worlds/w/market/orders", {"buyer_id": "u1", "listing_id": "\x00"}),
        (
            "POST",
            "/v1/worlds/w/ledger/transfers",
            {
                "transfers": [
                    {
                        "id": "t",
                        "debit_account_id": "\x00",
                        "credit_account_id": "b",
                        "amount": 1,
                        "currency": "USD",
                    }
                ]
            },
        ),
        ("GET", "/v1/worlds/w/items/a%00b", None),
    ],
)
def test_ids_holding_nul_are_refused_at_the_edge(
    service: Service, method: str, path: str, body: dict | None
) -> None:
    # Found by the fuzz on PostgreSQL: no text column holds NUL, so the store raised.
    answer = service.client.request(method, path, json=body, headers=service.headers("admin"))
    assert answer.status_code == 422
