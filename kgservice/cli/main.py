"""``kgservice`` command line: the parser assembled from one module per command group, and ``main``.

Each module of this package (as spaCy's ``cli/``) holds a group's handlers and its ``add_parsers``;
``main`` builds the one Settings object and hands it to the handler.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from rich.console import Console

from kgservice.cli import (batch, extract, graph, index, models, nearline, neo4j_server, queries, serve,
                           taxonomy)
from kgservice.errors import KgServiceError
from kgservice.settings import Settings

Handler = Callable[[argparse.Namespace, Settings, Console], int]
# Order of the commands in --help.
COMMAND_GROUPS = (neo4j_server, taxonomy, queries, index, graph, models, extract, serve, nearline, batch)


def package_version() -> str:
    """The installed distribution's version (the wheel's metadata), else the package's own."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("kgservice")
    except PackageNotFoundError:
        from kgservice import __version__

        return __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kgservice", description=__doc__.split("\n")[0].strip("`"))
    parser.add_argument("--version", action="version", version=f"kgservice {package_version()}")
    sub = parser.add_subparsers(dest="command", required=True)
    for group in COMMAND_GROUPS:
        group.add_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    console = Console(stderr=False)
    try:
        return int(args.handler(args, Settings(), console))
    except KgServiceError as exc:
        Console(stderr=True).print(f"[red]error:[/] {exc}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
