"""Who may call a world's routes: the key, its world, its scope, its rate, and whether
the service has room for one more request (``Capacity``).

Every world route depends on ``authorize(scope)``. A request presents its key as
``Authorization: Bearer <key>`` (or, for the dashboard, the session cookie set at
login). Verified keys are remembered for a few seconds so that a busy key costs one
lookup, not one per request; a revoked key stops working within that time.
"""

import hashlib
import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import sqlalchemy as sa
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from mindshare.service._errors import ApiError
from mindshare.service._keys import ApiKey, Scope, verify_api_key

SESSION_COOKIE = "mindshare_key"
bearer = HTTPBearer(auto_error=False, description="An API key of the world: `msk_…`.")


@dataclass
class RateLimiter:
    """A token bucket per key: ``rate`` requests a second on average, bursts up to ``burst``."""

    rate: float
    burst: float
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_needed(self, key_id: str) -> float:
        """0 when the request may go now (and take a token), else seconds until it may."""
        now = self.clock()
        with self._lock:
            tokens, since = self._buckets.get(key_id, (self.burst, now))
            tokens = min(self.burst, tokens + (now - since) * self.rate)
            if tokens >= 1.0:
                self._buckets[key_id] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key_id] = (tokens, now)
            return (1.0 - tokens) / self.rate


@dataclass
class KeyCache:
    """Keys verified in the last ``ttl_s`` seconds, by a digest of the presented token."""

    store: sa.Engine
    ttl_s: float = 5.0
    clock: Callable[[], float] = time.monotonic
    _known: dict[str, tuple[ApiKey | None, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def verify(self, token: str) -> ApiKey | None:
        """The key ``token`` presents, or None."""
        digest = hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
        now = self.clock()
        with self._lock:
            known = self._known.get(digest)
        if known is not None and now - known[1] < self.ttl_s:
            return known[0]
        with self.store.connect() as connection:
            key = verify_api_key(connection, token)
        with self._lock:
            if len(self._known) > 10_000:
                self._known.clear()
            self._known[digest] = (key, now)
        return key

    def forget(self) -> None:
        """Verify every key afresh (after a revocation)."""
        with self._lock:
            self._known.clear()


@dataclass
class Capacity:
    """How many API requests the service works on at once; one more is refused (503).

    Past its capacity a service that queues every request makes each of them wait
    longer, until all time out (Little's law: the wait grows with the queue); one that
    refuses the excess at once serves the rest in good time and tells clients when to
    come back. A request takes its place once its body is read and its key admitted,
    so slow or keyless clients cannot fill the places.
    """

    limit: int
    _taken: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def in_use(self) -> int:
        """Places taken now."""
        return self._taken

    @contextmanager
    def place(self) -> Iterator[None]:
        """A place for one request while the block runs; ApiError 503 when none is free."""
        with self._lock:
            if self._taken >= self.limit:
                raise ApiError(
                    503,
                    "overloaded",
                    f"the service is working on {self.limit} requests already; retry in a second",
                    headers={"Retry-After": "1"},
                )
            self._taken += 1
        try:
            yield
        finally:
            with self._lock:
                self._taken -= 1


def authorize(scope: Scope) -> Callable[..., Iterator[ApiKey]]:
    """A dependency that admits a request to ``/v1/worlds/{world}/…`` with ``scope`` and
    holds one of the service's places (``Capacity``) until the route has answered."""

    def admitted(
        request: Request,
        world: str,
        credentials: HTTPAuthorizationCredentials | None = Depends(bearer),  # noqa: B008
    ) -> Iterator[ApiKey]:
        token = credentials.credentials if credentials is not None else None
        token = token or request.cookies.get(SESSION_COOKIE)
        key = admit(request, world, scope, token)
        with request.app.state.mindshare.capacity.place():
            yield key

    return admitted


def admit(request: Request, world: str, scope: Scope, token: str | None) -> ApiKey:
    """The key behind ``token`` when it may act on ``world`` with ``scope``; else ApiError."""
    if not token:
        raise ApiError(
            401,
            "missing_key",
            "send an API key as 'Authorization: Bearer <key>' "
            "(create one with `mindshare keys create`)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    state = request.app.state.mindshare
    key: ApiKey | None = state.keys.verify(token)
    if key is None or key.revoked_ms is not None:
        raise ApiError(
            401,
            "invalid_key",
            "this API key is not valid" + (" any more: it was revoked" if key else ""),
            headers={"WWW-Authenticate": "Bearer"},
        )
    if key.world_id != world:
        raise ApiError(403, "wrong_world", "this API key belongs to another world")
    if not key.allows(scope):
        raise ApiError(
            403, "missing_scope", f"this API key lacks the {scope.value!r} scope this route needs"
        )
    wait_s = state.limiter.wait_needed(key.key_id)
    if wait_s > 0:
        raise ApiError(
            429,
            "rate_limited",
            f"too many requests for this key; retry in {wait_s:.2f} s",
            headers={"Retry-After": str(max(1, math.ceil(wait_s)))},
        )
    return key
