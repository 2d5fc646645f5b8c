"""Per-world API keys: created once and shown once, stored as a digest, checked in constant time.

A key reads ``msk_<key_id>_<secret>``. ``key_id`` is public (it names the key in the
store and in logs); the 256-bit ``secret`` is kept only as its SHA-256 digest: a secret
that long needs no slow password hash, since nobody can guess it.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import sqlalchemy as sa

from mindshare.core import InputError, NotFound
from mindshare.store import api_keys, worlds

KEY_PREFIX = "msk"


class Scope(StrEnum):
    """What a key may do; ``admin`` may do everything."""

    INGEST = "ingest"
    READ = "read"
    TRADE = "trade"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A stored key, without its secret."""

    key_id: str
    world_id: str
    scopes: frozenset[Scope]
    name: str
    created_ms: int
    revoked_ms: int | None

    def allows(self, scope: Scope) -> bool:
        """Whether this key may act with ``scope``."""
        return self.revoked_ms is None and (scope in self.scopes or Scope.ADMIN in self.scopes)


@dataclass(frozen=True, slots=True)
class NewKey:
    """A key just created: ``token`` is the only time its secret is seen."""

    key: ApiKey
    token: str


def parse_scopes(text: str) -> frozenset[Scope]:
    """Scopes from ``"read,ingest"``; an unknown or missing scope is an ``InputError``."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise InputError("give at least one scope: ingest, read, trade or admin")
    unknown = sorted(set(names) - {scope.value for scope in Scope})
    if unknown:
        raise InputError(f"unknown scope {unknown[0]!r}: scopes are ingest, read, trade and admin")
    return frozenset(Scope(name) for name in names)


def create_api_key(
    connection: sa.Connection,
    world_id: str,
    scopes: frozenset[Scope],
    *,
    name: str = "",
    now_ms: int,
) -> NewKey:
    """Create a key of ``world_id`` with ``scopes``; the returned token is never stored."""
    if not scopes:
        raise InputError("a key needs at least one scope")
    exists = connection.execute(
        sa.select(worlds.c.world_id).where(worlds.c.world_id == world_id)
    ).first()
    if exists is None:
        raise NotFound(f"world {world_id!r} does not exist")
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    ordered = ",".join(sorted(scope.value for scope in scopes))
    connection.execute(
        api_keys.insert().values(
            key_id=key_id,
            world_id=world_id,
            secret_sha256=_digest(secret),
            scopes=ordered,
            name=name,
            created_ms=now_ms,
        )
    )
    key = ApiKey(key_id, world_id, frozenset(scopes), name, now_ms, None)
    return NewKey(key=key, token=f"{KEY_PREFIX}_{key_id}_{secret}")


def verify_api_key(connection: sa.Connection, token: str) -> ApiKey | None:
    """The stored key ``token`` presents, or None when it is malformed, unknown or wrong.

    Revoked keys are returned (with ``revoked_ms`` set) so callers can say so.
    """
    prefix, _, rest = token.partition("_")
    key_id, _, secret = rest.partition("_")
    if prefix != KEY_PREFIX or not secret or not _is_key_id(key_id):
        return None
    row = connection.execute(sa.select(api_keys).where(api_keys.c.key_id == key_id)).first()
    if row is None or not hmac.compare_digest(row.secret_sha256, _digest(secret)):
        return None
    return _stored_key(row)


def revoke_api_key(connection: sa.Connection, key_id: str, *, now_ms: int) -> None:
    """Revoke a key; requests with it are refused from then on."""
    updated = connection.execute(
        api_keys.update()
        .where(api_keys.c.key_id == key_id, api_keys.c.revoked_ms.is_(None))
        .values(revoked_ms=now_ms)
    )
    if updated.rowcount == 0:
        raise NotFound(f"no active API key {key_id!r}")


def list_api_keys(connection: sa.Connection, world_id: str) -> list[ApiKey]:
    """The keys of a world, newest first, without secrets."""
    rows = connection.execute(
        sa.select(api_keys)
        .where(api_keys.c.world_id == world_id)
        .order_by(api_keys.c.created_ms.desc(), api_keys.c.key_id)
    ).all()
    return [_stored_key(row) for row in rows]


def _stored_key(row: sa.Row[Any]) -> ApiKey:
    return ApiKey(
        key_id=row.key_id,
        world_id=row.world_id,
        scopes=frozenset(Scope(name) for name in row.scopes.split(",")),
        name=row.name,
        created_ms=row.created_ms,
        revoked_ms=row.revoked_ms,
    )


def _is_key_id(text: str) -> bool:
    """Whether ``text`` can be a key id at all (lower-case hex), before asking the store."""
    return 0 < len(text) <= 32 and all(c in "0123456789abcdef" for c in text)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()
