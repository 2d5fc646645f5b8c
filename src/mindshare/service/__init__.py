"""The HTTP service: the v1 API, per-world API keys, Prometheus metrics and the dashboard.

Thin, like the CLI: routes parse, authorize and call ``engine`` or one package.
``create_app`` builds the app; ``mindshare serve`` runs it with uvicorn.
"""

from mindshare.service._app import ServiceState, create_app
from mindshare.service._keys import (
    ApiKey,
    NewKey,
    Scope,
    create_api_key,
    list_api_keys,
    parse_scopes,
    revoke_api_key,
    verify_api_key,
)

__all__ = [
    "ApiKey",
    "NewKey",
    "Scope",
    "ServiceState",
    "create_api_key",
    "create_app",
    "list_api_keys",
    "parse_scopes",
    "revoke_api_key",
    "verify_api_key",
]
