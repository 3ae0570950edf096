"""``kgservice`` command line: the parser assembled from one module per command group, and ``main``.

Each module of this package (as spaCy's ``cli/``) holds a group's handlers and its ``add_parsers``;
``main`` builds the one Settings object and hands it to the handler.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from rich.console import Console

from kgservice.cli import (batch, extract, graph, index, models, nearline, neo4j_server, queries, serve,
                           taxonomy)
from kgservice.cli.output import print_error
from kgservice.errors import KgServiceError
from kgservice.settings import Settings
from kgservice.telemetry.json_logs import configure_logging

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


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Each flag's default in its help, except where there is none to show: a switch off by default, or
    None where the help says which setting decides."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default is None or action.default is False or action.default == argparse.SUPPRESS:
            return action.help
        return super()._get_help_string(action)


class Parser(argparse.ArgumentParser):
    """Defaults in every command's help; a usage error is one line (the usage is one --help away)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="kgservice", description=__doc__.split("\n")[0].replace("``", ""))
    parser.add_argument("--version", action="version", version=f"kgservice {package_version()}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for group in COMMAND_GROUPS:
        group.add_parsers(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # In a pipe or a file, rich would wrap long lines at 80 columns: scripts get whole lines.
    console = Console(stderr=False, soft_wrap=not sys.stdout.isatty())
    # Log records of every command are JSON lines on stderr (serve and worker set their own level).
    configure_logging()
    try:
        return int(args.handler(args, Settings(), console))
    except KgServiceError as exc:
        print_error(str(exc))
        return 1


if __name__ == "__main__":
    sys.exit(main())
