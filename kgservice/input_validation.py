"""The checks of a document's input that every way in shares: the GraphQL API, the nearline stream, the
Spark job and the graph writer reject the same input with the same message, before any work is done.

Each raises :class:`~kgservice.errors.InvalidInput` (``BAD_USER_INPUT`` in the API; dead-lettered at
once on the stream; a skipped row in the batch job).

Versions. A document's ``version`` orders its writes: a write older than the stored version is
ignored. By default it is the edit time in epoch milliseconds; a source may use its own counter that
grows from 0. A version far in the future would freeze the document (every later edit is "older"),
so a version may be at most :data:`MAX_VERSION_AHEAD_MS` (a day) ahead of this server's clock, which
also keeps it far below 2^63, Neo4j's integer limit; and it is never negative.
"""

from __future__ import annotations

import re
import time

from kgservice.document import Domain
from kgservice.errors import InvalidInput

MAX_ID_CHARS = 200
MAX_TITLE_CHARS = 500
MAX_VERSION_AHEAD_MS = 24 * 3600 * 1000
_INTEGER = re.compile(r"-?[0-9]{1,30}")


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def _check_unicode(value: str, name: str) -> None:
    # A lone surrogate (e.g. "\ud800" from a JSON escape) is a Python str but no Unicode text: the
    # tokenizer, the Bolt driver and Redis all fail on it later.
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidInput(f"`{name}` is not valid Unicode: a lone surrogate at character {exc.start}") from None


def check_kind(value: object) -> Domain:
    try:
        return Domain(value)
    except ValueError:
        raise InvalidInput(f"unknown kind {value!r}; use one of {', '.join(d.value for d in Domain)}") from None


def check_text(value: object, max_chars: int, name: str = "text", setting: str = " (KG_PIPELINE__MAX_CHARS)") -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"`{name}` is empty")
    if len(value) > max_chars:
        raise InvalidInput(f"`{name}` has {len(value)} characters; the limit is {max_chars}{setting}")
    _check_unicode(value, name)
    return value


def check_id(value: object, name: str = "id") -> str:
    return check_text(value, MAX_ID_CHARS, name, setting="")


def check_title(value: object, name: str = "title") -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"`{name}` must be a string")
    if len(value) > MAX_TITLE_CHARS:
        raise InvalidInput(f"`{name}` has {len(value)} characters; the limit is {MAX_TITLE_CHARS}")
    _check_unicode(value, name)
    return value


def check_version(value: object, name: str = "version", now: int | None = None) -> int:
    """A version (or an epoch-ms time stamp) by the rule in the module docstring."""
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidInput(f"`{name}` must be an integer, got {value!r}")
    if value < 0:
        raise InvalidInput(f"`{name}` must not be negative, got {value}")
    limit = (now_ms() if now is None else now) + MAX_VERSION_AHEAD_MS
    if value > limit:
        raise InvalidInput(f"`{name}` {value} is more than a day ahead of the server's clock (at most {limit}): "
                           "versions are edit times in epoch ms, or counters that grow from 0")
    return value


def parse_version(raw: str, name: str = "version") -> int:
    """A version sent as text (a stream field): decimal digits only, then :func:`check_version`."""
    if not _INTEGER.fullmatch(raw.strip()):
        raise InvalidInput(f"`{name}` {raw[:40]!r} is not an integer")
    return check_version(int(raw), name)


def decode_utf8(raw: bytes, name: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"`{name}` is not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})") from None


def check_document(kind: object, doc_id: object, text: object, title: object, version: object, *,
                   max_chars: int, updated_at: object = None) -> None:
    """Everything about one document write that can be checked before extracting it."""
    check_kind(kind)
    check_id(doc_id)
    check_text(text, max_chars)
    check_title(title)
    check_version(version)
    if updated_at is not None:
        check_version(updated_at, "updatedAt")
