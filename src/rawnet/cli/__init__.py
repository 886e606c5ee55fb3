"""The ``rawnet`` command line (click + rich). Imports rawnet.net and rawnet.wire; nothing imports it."""

from rawnet.cli.app import cli, main

__all__ = ["cli", "main"]
