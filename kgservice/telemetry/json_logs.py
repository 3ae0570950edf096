"""JSON log lines, one object per line on stderr, each with the request id of the work it belongs to.

The id lives in a context variable: the API sets it per HTTP request (the caller's ``X-Request-ID``, or
a fresh one) and the nearline worker per batch of edits. ``anyio.to_thread.run_sync`` and asyncio tasks
copy the context, so records logged by the pipeline in a worker thread carry the id of the request that
ran it.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from contextvars import ContextVar
from typing import Any

REQUEST_ID: ContextVar[str | None] = ContextVar("kgservice_request_id", default=None)
# What a caller's id may be: short, and nothing that could forge a log line or a header.
_SAFE_ID = re.compile(r"[A-Za-z0-9._:@/+=-]{1,128}")


def request_id_from(header: str | None) -> str:
    """The caller's ``X-Request-ID`` when it is a plain token of at most 128 characters, else a new id."""
    if header and _SAFE_ID.fullmatch(header):
        return header
    return new_request_id()


def new_request_id() -> str:
    return uuid.uuid4().hex


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, and ``extra={"fields": {...}}``."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {"ts": round(record.created, 3), "level": record.levelname, "logger": record.name,
                               "msg": record.getMessage()}
        request_id = getattr(record, "request_id", None)
        if request_id:
            out["request_id"] = request_id
        out.update(getattr(record, "fields", {}))
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time (test runners swap it), not the one it started with."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


_FACTORY_INSTALLED = False


def _stamp_request_ids() -> None:
    """Give every record the request id of the context it was logged in, whichever handler formats it."""
    global _FACTORY_INSTALLED
    if _FACTORY_INSTALLED:
        return
    make_record = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        record.request_id = REQUEST_ID.get()
        return record

    logging.setLogRecordFactory(factory)
    _FACTORY_INSTALLED = True


def configure_logging(level: int | str | None = None) -> None:
    """JSON lines on stderr for every logger (the root's one handler; uvicorn's and the driver's too).

    Idempotent. ``level`` None leaves the levels as they are (Python's default shows warnings and
    errors); a level sets the root's and kgservice's. The Neo4j driver's DEBUG records every Bolt
    message, so it stays at INFO or above.
    """
    _stamp_request_ids()
    root = logging.getLogger()
    handler = next((h for h in root.handlers if isinstance(h.formatter, JsonFormatter)), None)
    if handler is None:
        handler = _StderrHandler()
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
    if level is None:
        return
    level = logging.getLevelName(level.upper()) if isinstance(level, str) else level
    root.setLevel(level)
    logging.getLogger("kgservice").setLevel(level)
    logging.getLogger("neo4j").setLevel(max(level, logging.INFO))
