"""``kgservice`` command line (the ``kgservice`` entry point is :func:`kgservice.cli.main.main`)."""

from kgservice.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
