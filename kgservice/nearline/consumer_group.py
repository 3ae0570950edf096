"""The Redis side of the nearline worker: one consumer of the edit stream's consumer group.

Every Redis command the worker sends is here, one method per step of the protocol (the worker's
loop, its writer thread and its retries are in :mod:`kgservice.nearline.worker`):

- ``read``: ``XREADGROUP COUNT n BLOCK ms``, new messages for this consumer;
- ``claim_idle``: ``XAUTOCLAIM`` of messages another consumer has held too long, with their delivery
  counts (``XPENDING``) and the last error each left (``<stream>:errors``);
- ``renew``: ``XCLAIM ... JUSTID`` of messages this consumer still works on: their idle time is reset
  and no delivery is counted, so nobody claims them from a live worker;
- ``acknowledge``: ``XACK`` + ``XDEL`` (and the commit time when recording commits) in one ``MULTI``;
- ``record_error`` / ``dead_letter``: a failed message waits for a retry with its error, or moves to
  ``<stream>:dead`` with it, atomically with its acknowledgement.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import neo4j.exceptions
import redis

from kgservice.errors import GraphUnavailable
from kgservice.nearline.edit_stream import NearlineSettings, ensure_group, now_ms

log = logging.getLogger("kgservice.nearline")

# Errors of the infrastructure, not of the message: retry the same batch until it commits.
TRANSIENT: tuple[type[BaseException], ...] = (
    GraphUnavailable,
    neo4j.exceptions.ServiceUnavailable,
    neo4j.exceptions.SessionExpired,
    neo4j.exceptions.TransientError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
)


def default_consumer() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


@dataclass(frozen=True, slots=True)
class Message:
    id: str
    fields: Mapping[Any, Any]
    deliveries: int = 1


class ConsumerGroup:
    """``consumer`` of the group ``cfg.group`` on ``cfg.stream``, through one Redis ``client``."""

    def __init__(self, client: Any, cfg: NearlineSettings, consumer: str) -> None:
        self.client = client
        self.cfg = cfg
        self.consumer = consumer
        self._claim_cursor = "0-0"

    def ensure(self) -> None:
        ensure_group(self.client, self.cfg)

    def read(self) -> list[Message]:
        """What arrived for this consumer, at most ``batch_size``, waiting up to ``block_ms``."""
        cfg = self.cfg
        try:
            response = self.client.xreadgroup(cfg.group, self.consumer, {cfg.stream: ">"}, count=cfg.batch_size,
                                              block=cfg.block_ms)
        except redis.exceptions.ResponseError as exc:
            if "NOGROUP" not in str(exc):
                raise
            self.ensure()  # the stream was deleted (or Redis lost it): start again
            return []
        return [Message(text(mid), fields) for _, entries in (response or []) for mid, fields in entries
                if fields is not None]

    def pending(self) -> int:
        """Messages of the group delivered but not acknowledged (any consumer)."""
        return int(self.client.xpending(self.cfg.stream, self.cfg.group)["pending"])

    def claim_idle(self, held: set[str]) -> list[Message]:
        """Messages idle for over ``claim_idle_ms`` (the next ``batch_size`` from a cursor), with their deliveries.

        ``held``: our own messages still being worked on; they are renewed, and one that comes back
        right after a long write is left out rather than counted as delivered twice.
        """
        cfg = self.cfg
        response = self.client.xautoclaim(cfg.stream, cfg.group, self.consumer, min_idle_time=cfg.claim_idle_ms,
                                          start_id=self._claim_cursor, count=cfg.batch_size)
        cursor, entries = response[0], response[1]
        self._claim_cursor = text(cursor)
        if len(response) > 2 and response[2]:
            log.error("messages %s were pending but deleted from the stream (trimmed?)", [text(i) for i in response[2]])
        entries = [(text(mid), fields) for mid, fields in entries if fields is not None and text(mid) not in held]
        if not entries:
            return []
        ids = [mid for mid, _ in entries]
        rows = self.client.xpending_range(cfg.stream, cfg.group, min=ids[0], max=ids[-1],
                                          count=len(ids) + 4 * cfg.batch_size, consumername=self.consumer)
        deliveries = {text(r["message_id"]): int(r["times_delivered"]) for r in rows}
        return [Message(mid, fields, deliveries.get(mid, 2)) for mid, fields in entries]

    def last_errors(self, messages: Sequence[Message]) -> list[str | None]:
        """The error each message's last failed delivery recorded, if any."""
        return [None if e is None else text(e) for e in self.client.hmget(self.cfg.errors, [m.id for m in messages])]

    def renew(self, ids: Sequence[str]) -> None:
        """Reset the idle time of ``ids`` without counting a delivery."""
        self.client.xclaim(self.cfg.stream, self.cfg.group, self.consumer, min_idle_time=0, message_ids=list(ids),
                           justid=True)

    def acknowledge(self, messages: Sequence[Message], committed_at: int | None) -> None:
        """Done with ``messages``: acknowledged, deleted, their errors dropped, their commit time recorded."""
        cfg = self.cfg
        ids = [m.id for m in messages]
        tx = self.client.pipeline(transaction=True)
        tx.xack(cfg.stream, cfg.group, *ids)
        tx.xdel(cfg.stream, *ids)
        retried = [m.id for m in messages if m.deliveries > 1]
        if retried:
            tx.hdel(cfg.errors, *retried)
        if committed_at is not None:
            tx.hset(cfg.committed, mapping={mid: committed_at for mid in ids})
        tx.execute()

    def record_error(self, message: Message, error: str) -> None:
        self.client.hset(self.cfg.errors, message.id, error)

    def dead_letter(self, message: Message, error: str) -> None:
        """Move ``message`` to ``<stream>:dead`` with its error, and acknowledge it, atomically."""
        cfg = self.cfg
        fields = {text(k): v for k, v in message.fields.items()}
        fields.update({"error": error[:4000], "deliveries": str(message.deliveries), "source_id": message.id,
                       "consumer": self.consumer, "failed_ms": str(now_ms())})
        tx = self.client.pipeline(transaction=True)
        tx.xadd(cfg.dead_letter, fields)
        tx.xack(cfg.stream, cfg.group, message.id)
        tx.xdel(cfg.stream, message.id)
        tx.hdel(cfg.errors, message.id)
        tx.execute()
