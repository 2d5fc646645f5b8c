"""The ``mindshare`` command line (Typer)."""

from mindshare.cli import _models  # noqa: F401 - registers train, evaluate, models, datasets
from mindshare.cli._app import app, main

__all__ = ["app", "main"]
