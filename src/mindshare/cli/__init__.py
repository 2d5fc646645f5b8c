"""The ``mindshare`` command line (Typer)."""

from mindshare.cli._app import app, main

__all__ = ["app", "main"]
