"""The ``mindshare`` command line (Typer)."""

from mindshare.cli import (
    _allocate,  # noqa: F401 - registers allocate
    _ledger,  # noqa: F401 - registers ledger, payouts
    _market,  # noqa: F401 - registers market
    _models,  # noqa: F401 - registers train, evaluate, models, datasets
    _ope,  # noqa: F401 - registers ope
    _service,  # noqa: F401 - registers serve, keys
    _sim,  # noqa: F401 - registers simulate, sweep, abtest
)
from mindshare.cli._app import app, main

__all__ = ["app", "main"]
