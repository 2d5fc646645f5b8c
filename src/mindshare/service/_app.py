"""The HTTP service: one FastAPI app with the v1 API, health, metrics and the dashboard.

``create_app`` wires the store, the model registry and the service's memory (feed
cache, verified keys, rate limits) into ``app.state.mindshare``; the routes only parse,
authorize and call the packages.
"""

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from pydantic import BaseModel
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mindshare import __version__
from mindshare.core import Settings
from mindshare.engine import FeedCache
from mindshare.models import ModelRegistry
from mindshare.service._auth import Capacity, KeyCache, RateLimiter
from mindshare.service._errors import ApiError, error_response, install_error_handlers
from mindshare.store import connect, require_current

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


@dataclass
class ServiceState:
    """What every request of one app shares."""

    store: sa.Engine
    registry: ModelRegistry
    feeds: FeedCache
    keys: KeyCache
    limiter: RateLimiter
    capacity: Capacity
    settings: Settings
    metrics: "Metrics"


class Metrics:
    """Prometheus counters of this app (its own registry, so apps never share state)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "mindshare_http_requests",
            "HTTP requests answered, by route and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "mindshare_http_request_seconds",
            "Time to answer an HTTP request, by route.",
            ["method", "route"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10),
            registry=self.registry,
        )


class Health(BaseModel):
    """The service is up and its store answers."""

    status: str
    version: str
    schema_revision: str


def create_app(settings: Settings | None = None, *, store: sa.Engine | None = None) -> FastAPI:
    """The service for the store in ``settings`` (or ``store``), refusing one that needs init."""
    settings = settings or Settings()
    store = store or connect(settings.database_url)
    require_current(store)
    state = ServiceState(
        store=store,
        registry=ModelRegistry(Path(settings.artifacts_dir) / "models"),
        feeds=FeedCache(max_age_ms=settings.feed_cache_ms),
        keys=KeyCache(store),
        limiter=RateLimiter(rate=settings.api_rate_per_s, burst=float(settings.api_burst)),
        capacity=Capacity(settings.api_max_in_flight),
        settings=settings,
        metrics=Metrics(),
    )
    app = FastAPI(
        title="Mindshare",
        version=__version__,
        summary="Measure, predict, allocate and settle attention in virtual worlds.",
        description=(
            "Every world route is under `/v1/worlds/{world}` and needs an API key of that "
            "world (`Authorization: Bearer msk_…`, made by `mindshare keys create`) with "
            "the scope the route names. Errors answer `{detail, code}`; a body that does "
            "not match the schema answers 422 with each location and problem."
        ),
    )
    app.state.mindshare = state
    install_error_handlers(app)
    _add_system_routes(app, state)
    _include_routers(app)
    app.add_middleware(LimitRequestBody, max_bytes=settings.api_max_body_bytes)
    app.add_middleware(MeasureRequests, metrics=state.metrics)
    return app


def _add_system_routes(app: FastAPI, state: ServiceState) -> None:
    @app.get("/healthz", tags=["system"])
    def healthz() -> Health:
        """Whether the service is up and its store answers."""
        with state.store.connect() as connection:
            revision = connection.execute(sa.text("SELECT version_num FROM alembic_version"))
            schema = revision.scalar_one()
        return Health(status="ok", version=__version__, schema_revision=str(schema))

    @app.get(
        "/metrics",
        tags=["system"],
        response_class=Response,
        responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus"}},
    )
    def metrics() -> Response:
        """Request counts and latencies in the Prometheus text format."""
        return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)


def _include_routers(app: FastAPI) -> None:
    from mindshare.service._dashboard import dashboard
    from mindshare.service._routes_attention import attention_routes
    from mindshare.service._routes_economy import economy_routes
    from mindshare.service._routes_world import world_routes

    app.include_router(world_routes)
    app.include_router(attention_routes)
    app.include_router(economy_routes)
    app.include_router(dashboard)


class LimitRequestBody:
    """Refuse a body over ``max_bytes`` (413) and a /v1 body that is not JSON (415)."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            await self._refuse(scope, receive, send, 413)
            return
        has_body = (length is not None and length != b"0") or b"transfer-encoding" in headers
        content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
        if has_body and scope["path"].startswith("/v1/") and content_type != b"application/json":
            await self._refuse(scope, receive, send, 415)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise ApiError(413, "too_large", self._too_large())
            return message

        await self.app(scope, counted, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, status: int) -> None:
        if status == 413:
            error = ApiError(413, "too_large", self._too_large())
        else:
            error = ApiError(
                415, "not_json", "send the body as JSON (Content-Type: application/json)"
            )
        await error_response(error)(scope, receive, send)

    def _too_large(self) -> str:
        return f"the body is larger than {self.max_bytes:,} bytes; send smaller batches"


class MeasureRequests:
    """Count and time every request by its route template (never by raw path)."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def noted(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, noted)
        finally:
            route: Any = scope.get("route")
            name = getattr(route, "path", "unmatched")
            method = scope["method"]
            self.metrics.requests.labels(method, name, str(status)).inc()
            self.metrics.latency.labels(method, name).observe(time.perf_counter() - started)
