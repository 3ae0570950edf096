"""Profile and job edits as a Redis Stream: the message format, the stream's names, the producer.

An edit is one upsert of a document's text. Producers ``XADD`` it to ``stream``; workers read it
through the consumer group ``group`` (``kgservice.nearline.worker``), write the document's
extracted skills to Neo4j, and only then acknowledge it. Every edit carries a ``version``
(monotonic per document, by default the edit time in ms): the shared document writer never lets an
older version overwrite a newer one, so redelivered or reordered messages cannot change the result.

Keys derived from ``stream``::

    <stream>             the edits (acknowledged entries are deleted, so it holds the backlog only)
    <stream>:dead        dead letters: the original fields plus error, deliveries, source id
    <stream>:errors      hash: message id -> last error, while the message waits for a retry
    <stream>:committed   hash: message id -> epoch ms of the Neo4j commit (only with record_commits)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kgservice.document import Domain
from kgservice.errors import InvalidInput, KgServiceError
from kgservice.input_validation import (check_id, check_kind, check_title, check_version, decode_utf8, now_ms,
                                        parse_version)
from kgservice.secret_files import read_secret
from kgservice.settings import NearlineSettings


def connect(cfg: NearlineSettings) -> Any:
    """A ``redis.Redis`` client for ``cfg.url``; fails with the command that starts Redis.

    The project-started Redis takes the password in ``cfg.password_file``; an external one whatever
    ``REDIS_URL`` carries.
    """
    try:
        import redis
    except ImportError as exc:  # pragma: no cover - a dependency, but say what to install
        raise KgServiceError("the nearline stream needs the redis client: pip install redis") from exc
    password = None
    if not cfg.external:
        if cfg.password_file is None:
            raise KgServiceError("NearlineSettings built outside Settings has no password_file; use Settings().nearline")
        try:
            password = read_secret(cfg.password_file)
        except KgServiceError as exc:
            raise KgServiceError(f"{exc} (start Redis with `kgservice redis start`)") from exc
    client = redis.Redis.from_url(cfg.url, password=password, socket_timeout=30, socket_connect_timeout=5,
                                  health_check_interval=30)
    try:
        client.ping()
    except redis.exceptions.RedisError as exc:
        client.close()
        hint = "" if cfg.external else " (start it with `kgservice redis start`)"
        raise KgServiceError(f"Redis at {cfg.url} does not answer{hint}: {exc}") from exc
    return client


@dataclass(frozen=True, slots=True)
class Edit:
    """One upsert of a document's text, as carried on the stream."""

    kind: Domain
    id: str
    text: str
    version: int
    title: str | None = None
    # Epoch ms when the edit was made; stamped as ``updatedAt`` on the node and its edges, so a
    # redelivered message writes exactly the same values.
    edited_ms: int = 0

    @property
    def updated_at(self) -> int:
        """What the writer stamps as ``updatedAt``: when the edit was made."""
        return self.edited_ms

    def fields(self) -> dict[str, str]:
        out = {"kind": Domain(self.kind).value, "id": self.id, "text": self.text, "version": str(self.version),
               "ts": str(self.edited_ms)}
        if self.title is not None:
            out["title"] = self.title
        return out

    @classmethod
    def from_fields(cls, fields: Mapping[Any, Any]) -> Edit:
        """Parse a stream entry with the API's checks (:mod:`kgservice.input_validation`); a malformed one
        raises :class:`InvalidInput` (the worker dead-letters it at once). The text's length is checked
        by the worker, which knows the limit."""
        f: dict[str, str] = {}
        for k, v in fields.items():
            key = decode_utf8(k, "field name") if isinstance(k, bytes) else str(k)
            f[key] = decode_utf8(v, key) if isinstance(v, bytes) else str(v)
        missing = [k for k in ("kind", "id", "version") if not f.get(k)] + (["text"] if "text" not in f else [])
        if missing:
            raise InvalidInput(f"edit lacks {', '.join(missing)}")
        version = parse_version(f["version"])
        edited = parse_version(f["ts"], "ts") if f.get("ts") else version
        return cls(check_kind(f["kind"]), check_id(f["id"]), f["text"], version, check_title(f.get("title")), edited)


def make_edit(kind: Domain | str, doc_id: str, text: str, *, title: str | None = None,
              version: int | None = None) -> Edit:
    """An edit stamped now, checked as the worker will check it; ``version`` defaults to the time in ms (give
    the source's own version when it has one)."""
    ts = now_ms()
    version = ts if version is None else version
    return Edit(check_kind(kind), check_id(doc_id), text, check_version(version), check_title(title), ts)


def ensure_group(client: Any, cfg: NearlineSettings) -> None:
    """Create the consumer group (and the stream) unless it exists.

    The group starts at id 0, so edits enqueued before any worker ever ran are still delivered.
    """
    import redis

    try:
        client.xgroup_create(cfg.stream, cfg.group, id="0", mkstream=True)
    except redis.exceptions.ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


def enqueue(client: Any, cfg: NearlineSettings, edits: Iterable[Edit]) -> list[str]:
    """``XADD`` the edits in one round trip; returns their message ids in order."""
    pipe = client.pipeline(transaction=False)
    count = 0
    for edit in edits:
        pipe.xadd(cfg.stream, edit.fields())
        count += 1
    if not count:
        return []
    return [i.decode() if isinstance(i, bytes) else str(i) for i in pipe.execute()]
