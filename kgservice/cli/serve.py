"""The GraphQL API and pages: ``kgservice serve``."""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console

from kgservice.errors import KgServiceError
from kgservice.settings import Settings


def _serve(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    import uvicorn

    from kgservice.api.access import KeyTable, is_loopback
    from kgservice.api.app import NO_KEYS_WARNING, create_app
    from kgservice.telemetry.json_logs import configure_logging

    if not KeyTable.from_settings(settings).configured:
        if not is_loopback(args.host):
            raise KgServiceError(f"refusing to serve on {args.host} without API keys: set KG_API__KEYS "
                                 "(NAME:ROLE:KEY entries, docs/security.md), or serve on 127.0.0.1")
        console.print(f"[bold red]{NO_KEYS_WARNING}[/bold red]")
    configure_logging(args.log_level)
    app = create_app(settings)
    console.print(f"kgservice GraphQL on http://{args.host}:{args.port}/graphql (page: /, health: /health)")
    # log_config=None: uvicorn's own records go through the JSON handler configured here too.
    uvicorn.run(app, host=args.host, port=args.port, workers=1, log_level=args.log_level, access_log=False,
                log_config=None)
    return 0


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("serve", help="serve the GraphQL API, the extraction page, /health, /ready and /metrics")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on; any but loopback needs KG_API__KEYS")
    p.add_argument("--port", type=int, default=8000, help="port to listen on")
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"],
                   help="level of the JSON log lines on stderr")
    p.set_defaults(handler=_serve)
