"""The ASGI app: GraphQL at ``/graphql`` (GraphiQL for browsers), the extraction page at ``/`` and skill
pages at ``/skill/<id>``, their files under ``/static``, ``/health``, ``/ready``, ``/metrics``.

``create_app(settings)`` is the one place that wires it: the lifespan opens the process's one Neo4j
driver (and closes it), builds the pipeline when it can (a Neo4j that is down at start-up does not
stop the server: ``/health``, the liveness probe, still answers 200, ``/ready`` answers 503 and requests
get ``GRAPH_UNAVAILABLE`` until it answers), and
:class:`KgGraphQL` hands every request a fresh :class:`~kgservice.api.context.Context`.
Run it with ``kgservice serve``.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any

import anyio.to_thread
from starlette.applications import Starlette
from starlette.requests import Request
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send
# The exception Strawberry's HTTP views raise for a bad request: cross_web's in current releases,
# strawberry.http's before; strawberry.asgi imports it either way.
from strawberry.asgi import GraphQL, HTTPException

from kgservice.api.access import AccessRefused, KeyTable
from kgservice.api.body_limit import BodyLimitMiddleware
from kgservice.api.context import Context, Services
from kgservice.api.dataloaders import create_loaders
from kgservice.api.http_errors import error_response
from kgservice.api.limits import BODY_OVERHEAD_BYTES
from kgservice.api.schema import schema
from kgservice.graph.driver import Graph
from kgservice.settings import Settings
from kgservice.telemetry.json_logs import REQUEST_ID, configure_logging, request_id_from
from kgservice.telemetry.prometheus_metrics import (GRAPHQL_OPERATIONS, HTTP_LATENCY, HTTP_REQUESTS,
                                                    render as render_metrics)

log = logging.getLogger("kgservice.api")
access_log = logging.getLogger("kgservice.api.access")


KNOWN_PATHS = frozenset({"/", "/graphql", "/health", "/ready", "/metrics"})
REQUEST_ID_HEADER = "x-request-id"


class Metrics:
    """The API's request metrics (kgservice.telemetry.prometheus_metrics), by path among the known ones."""

    def observe(self, method: str, path: str, status: int, seconds: float, operation: dict[str, Any] | None) -> None:
        path = path if path in KNOWN_PATHS else "other"
        HTTP_REQUESTS.labels(method, path, str(status)).inc()
        HTTP_LATENCY.labels(path).observe(seconds)
        if operation is not None:
            GRAPHQL_OPERATIONS.labels(operation.get("type") or "unknown",
                                      "true" if operation.get("errors") else "false").inc()

    def render(self) -> bytes:
        return render_metrics()


class ObserveMiddleware:
    """Request ids, the access log (one JSON line per request, with latency) and metrics.

    Each request runs with the caller's ``X-Request-ID`` (a plain token of up to 128 characters) or a
    fresh id in the context, so every log line it causes carries it, and the response echoes it.
    """

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        scope.setdefault("state", {})
        sent = dict((k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in scope.get("headers", []))
        request_id = request_id_from(sent.get(REQUEST_ID_HEADER))
        token = REQUEST_ID.set(request_id)

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"x-request-id"]
                message = {**message, "headers": [*headers, (b"x-request-id", request_id.encode("latin-1"))]}
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            seconds = time.perf_counter() - started
            operation = scope["state"].get("graphql")
            self.metrics.observe(scope["method"], scope["path"], status, seconds, operation)
            fields: dict[str, Any] = {"event": "request", "method": scope["method"], "path": scope["path"],
                                      "status": status, "latency_ms": round(seconds * 1e3, 2)}
            if operation:
                fields.update({f"graphql_{k}": v for k, v in operation.items()})
            access_log.info("%s %s %s", scope["method"], scope["path"], status, extra={"fields": fields})
            REQUEST_ID.reset(token)


# -- GraphQL view -------------------------------------------------------------------------------------
def _static(name: str) -> str:
    return resources.files("kgservice.api").joinpath("static", name).read_text(encoding="utf-8")


# Codes of the HTTP-level refusals Strawberry raises (a body that is not a GraphQL request, a method).
_HTTP_CODES = {400: "BAD_USER_INPUT", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 415: "BAD_USER_INPUT"}
NO_KEYS_WARNING = ("NO API KEYS: KG_API__KEYS is empty, so every GraphQL caller on loopback is admin and callers "
                   "from any other address are refused; configure keys before this server is reachable by anyone "
                   "else (docs/security.md)")


class KgGraphQL(GraphQL[Context, None]):
    """Strawberry's ASGI view with the typed per-request context and GraphiQL served from the package.

    Requests that are not GraphQL requests (not UTF-8, not JSON, not a JSON object) are refused with 400
    and a GraphQL-shaped error naming what is wrong, instead of failing inside Strawberry with a 500.
    """

    def __init__(self, services: Services, keys: KeyTable) -> None:
        super().__init__(schema, graphql_ide="graphiql")
        self.services = services
        self.keys = keys

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            response = await self.run(Request(scope=scope, receive=receive))
        except HTTPException as exc:
            response = error_response(exc.reason, _HTTP_CODES.get(exc.status_code, "BAD_REQUEST"), exc.status_code)
        except AccessRefused as exc:
            code, headers = ("UNAUTHENTICATED", {"WWW-Authenticate": "Bearer"}) if exc.status == 401 else ("FORBIDDEN", None)
            response = error_response(exc.message, code, exc.status, headers)
        await response(scope, receive, send)

    def decode_json(self, data: str | bytes) -> object:
        if isinstance(data, bytes):
            try:
                data = data.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise HTTPException(400, f"request body is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset "
                                         f"{exc.start})") from None
        value = json.loads(data)
        if not isinstance(value, (dict, list)):
            raise HTTPException(400, f"request body is a JSON {type(value).__name__}; a GraphQL request is a JSON "
                                     'object: {"query": ..., "variables": {...}}')
        return value

    async def get_context(self, request: Request, response: Response) -> Context:  # type: ignore[override]
        # A GET without a query can only render the GraphiQL page, which needs no key; anything that
        # executes (a POST, or a GET with ?query=) is authenticated before it is parsed.
        caller = None
        if request.method != "GET" or "query" in request.query_params:
            caller = self.keys.authenticate(request.headers.get("authorization"),
                                            request.client.host if request.client else None)
        return Context(request=request, response=response, services=self.services,
                       loaders=create_loaders(self.services.graph), caller=caller)

    async def render_graphql_ide(self, request: Request) -> Response:
        # Strawberry's own page loads GraphiQL from a CDN; this one loads the bundle built from
        # web/graphiql/ and committed under static/graphiql/ (docs/graphiql.md).
        return HTMLResponse(_static("graphiql.html"))


# -- app --------------------------------------------------------------------------------------------
def create_app(settings: Settings | None = None) -> Starlette:
    """The whole service, wired once: settings -> driver -> services -> routes."""
    settings = settings or Settings()
    # JSON lines; INFO (the access log) unless `kgservice serve` already chose a level.
    configure_logging(logging.INFO if logging.getLogger("kgservice").level == logging.NOTSET else None)
    keys = KeyTable.from_settings(settings)
    metrics = Metrics()
    # Not verified: a down Neo4j must not stop the server from starting.
    graph = Graph.connect(settings, verify=False, fail_fast=True)
    services = Services(settings, graph)
    view = KgGraphQL(services, keys)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if keys.configured:
            log.info("API keys by role: %s", keys.summary(), extra={"fields": {"event": "keys", **keys.summary()}})
        else:
            log.warning(NO_KEYS_WARNING, extra={"fields": {"event": "keys", "keys": 0}})
        status = await anyio.to_thread.run_sync(services.neo4j_status)
        log.info("starting", extra={"fields": {"event": "start", "neo4j": status}})
        if status["ok"]:
            try:
                await anyio.to_thread.run_sync(services.pipeline_state)
                log.info("pipeline ready", extra={"fields": {"model_version": services.state.pipeline.model_version,
                                                             "semantic": services.state.semantic_note or "on"}})
            except Exception as exc:  # served as NOT_READY until it builds; /ready says why
                log.error("pipeline not built: %s", exc)
        yield
        graph.close()

    async def index(request: Request) -> Response:
        return HTMLResponse(_static("index.html"))

    async def skill_page(request: Request) -> Response:
        # The page reads the id from its own path and asks /graphql; an unknown id is its NOT_FOUND.
        return HTMLResponse(_static("skill.html"))

    async def health(request: Request) -> Response:
        # Liveness: the process answers. Neo4j being down is not a reason to restart this process, so
        # it is /ready's business, not this endpoint's.
        return JSONResponse({"status": "ok"})

    async def ready(request: Request) -> Response:
        # Readiness: Neo4j answers and the pipeline (models, trie, index) is built. Why not goes to the
        # server log only: URIs and driver errors are nothing a client should see.
        neo4j = await anyio.to_thread.run_sync(services.neo4j_status)
        if not neo4j["ok"]:
            log.warning("not ready: %s", neo4j["error"])
            return JSONResponse({"ready": False, "reason": "the graph database does not answer"}, status_code=503)
        try:
            state = await services.pipeline()
        except Exception as exc:
            log.warning("not ready: pipeline: %s", exc)
            return JSONResponse({"ready": False, "reason": "the extraction pipeline is not built"}, status_code=503)
        return JSONResponse({"ready": True, "modelVersion": state.pipeline.model_version,
                             "semantic": state.semantic is not None})

    async def metrics_endpoint(request: Request) -> Response:
        return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)

    app = Starlette(routes=[
        Route("/", index), Route("/favicon.ico", lambda request: Response(status_code=204)), Route("/health", health), Route("/ready", ready), Route("/metrics", metrics_endpoint),
        Route("/graphql", view, methods=["GET", "POST"]),
        Route("/skill/{skill_id:path}", skill_page),
        Mount("/static", StaticFiles(packages=[("kgservice.api", "static")]), name="static"),
    ], lifespan=lifespan)
    app.state.services = services
    app.state.metrics = metrics
    app.state.keys = keys
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.pipeline.max_chars * 4 + BODY_OVERHEAD_BYTES)
    # Added last, so outermost: a body the limit refused is logged and counted too.
    app.add_middleware(ObserveMiddleware, metrics=metrics)
    return app
