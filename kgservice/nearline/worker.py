"""The nearline worker: edits from the Redis Stream -> extraction -> the shared document writer.

The loop, its writer thread and its retries are here; each Redis command of the consumer-group
protocol is a method of :class:`~kgservice.nearline.consumer_group.ConsumerGroup`.

Several workers, on one machine or many, share one consumer group. Each loop:

1. every ``claim_idle_ms / 2`` it ``XAUTOCLAIM`` s messages another consumer (crashed, or hung) has held
   longer than ``claim_idle_ms``; one delivered more than ``max_deliveries`` times goes to the
   dead-letter stream with its last error instead of being tried again;
2. ``XREADGROUP COUNT batch_size BLOCK block_ms`` reads what arrived together;
3. the batch is extracted in one call of the worker's :class:`~kgservice.nearline.extraction.Extraction`
   (the whole pipeline, in a child process under ``kgservice worker``) and written with one
   :func:`~kgservice.graph.document_writer.write_documents` call (one Neo4j transaction);
4. only after that commit are the messages acknowledged (``XACK`` + ``XDEL``, and the commit time
   when ``record_commits``), in one Redis ``MULTI``.

Inside :meth:`Worker.run` a writer thread does step 3's write and step 4 while the loop reads and
extracts the next batch. The loop reads only while an extraction process is free and the writer is
at most ``parallelism + 1`` batches behind, so a busy pipeline or a slow Neo4j slows reading down
instead of piling batches up in memory (the messages wait in Redis, and the next read takes all of
them: batches grow with the load); batches are written in the order they were read.
:meth:`Worker.step` on its own writes before it returns.
While the writer holds a batch (a write can wait tens of seconds on retries when
Neo4j is down), the loop renews the worker's claim on those messages every ``claim_idle_ms / 3``
(``XCLAIM ... JUSTID``, which counts no delivery), so neither this worker's claim check nor another
worker takes them from a live worker; if the process dies, the renewals stop and they are claimed.

A crash between 3 and 4 means the batch is delivered again and written again: the same version with
the same ``updatedAt``, so the graph ends up exactly as after one write (and the writer ignores any
version older than the stored one, so reordering between workers cannot regress a document).

Neo4j or Redis being unavailable is not the message's fault: the worker keeps the batch, backs off,
keeps its claim on the messages (``XCLAIM ... JUSTID`` resets their idle time without counting a
delivery) and retries until it commits. Any other error is isolated to its message by retrying the
batch one message at a time; the failing message stays pending with its error recorded and is
retried after ``claim_idle_ms``, and goes to dead letters on its ``max_deliveries``-th failure. Input
that can never succeed (no text, unknown kind, too long, not UTF-8, a version out of range: the API's
checks, :mod:`kgservice.input_validation`) goes to dead letters at once, with its reason, on its first
delivery; the other messages of its batch are extracted and written as usual.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import neo4j.exceptions

from kgservice.errors import InvalidInput
from kgservice.graph.document_writer import DocumentWrite, write_documents
from kgservice.graph.driver import FIRST_RETRY_S, Graph
from kgservice.input_validation import check_text
from kgservice.nearline.consumer_group import TRANSIENT, ConsumerGroup, Message, default_consumer
from kgservice.nearline.edit_stream import Edit, NearlineSettings, now_ms
from kgservice.nearline.extraction import Extraction, PendingWrites, freeze_long_lived_objects
from kgservice.retry import Backoff, Stopped, retrying
from kgservice.telemetry.json_logs import REQUEST_ID
from kgservice.telemetry.prometheus_metrics import NEARLINE_BATCH_LATENCY, NEARLINE_EDITS

log = logging.getLogger("kgservice.nearline")
T = TypeVar("T")
# The worker's one retry loop, Neo4j writes included (Graph.write is told not to retry): from a
# deadlock's few milliseconds up to 5 s between tries while Neo4j or Redis is down, for as long as
# that lasts (the batch stays pending; a stop request ends the wait).
RETRY = Backoff(FIRST_RETRY_S, 5.0)
# Waits this short are deadlock retries: no warning, and no claim renewal (a claim lasts claim_idle_ms).
QUIET_RETRY_S = 0.2
__all__ = ["Message", "RETRY", "Stopped", "TRANSIENT", "Worker", "WorkerStats", "default_consumer"]


@dataclass(frozen=True, slots=True)
class _Item:
    message: Message
    edit: Edit


@dataclass(frozen=True, slots=True)
class _Batch:
    items: list[_Item]
    pending: PendingWrites
    read_at: float


class _Failed:
    """An extraction that could not even be started: its result raises why."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def result(self) -> list[DocumentWrite]:
        raise self.error

    def add_done_callback(self, fn: Callable[[Any], object]) -> None:
        fn(self)


@dataclass(slots=True)
class WorkerStats:
    read: int = 0
    claimed: int = 0
    batches: int = 0
    committed: int = 0
    applied: int = 0
    ignored: int = 0
    failed: int = 0
    dead: int = 0
    retries: int = 0


class Worker:
    """One consumer of the edit stream. Not thread-safe: run one per thread (or, better, per process).

    ``run`` uses one extra thread of its own, the writer (see the module docstring).
    """

    def __init__(self, graph: Graph, client: Any, extraction: Extraction, cfg: NearlineSettings, *,
                 consumer: str | None = None, record_commits: bool = False) -> None:
        self.graph = graph
        self.client = client
        self.extraction = extraction
        self.cfg = cfg
        self.consumer = consumer or default_consumer()
        self.record_commits = record_commits
        self.group = ConsumerGroup(client, cfg, self.consumer)
        self.stats = WorkerStats()
        self.stop_event = threading.Event()
        self._next_claim = 0.0
        self._lock = threading.Lock()  # stats and in-flight ids: the loop and the writer thread share them
        self._writes: queue.Queue[_Batch | None] | None = None
        self._writer: threading.Thread | None = None
        self._writer_error: BaseException | None = None
        self._in_flight: set[str] = set()  # ids handed to the writer and not yet acknowledged or failed
        # The loop reads only while an extraction process is free (and a bounded number of batches
        # wait to be written), so what arrives meanwhile waits in Redis and the next read takes it
        # all: batches grow with the load instead of queueing up behind a busy process.
        self._extracting = 0  # batches submitted and not yet extracted
        self._outstanding = 0  # batches handed to the writer and not yet written
        self._room = threading.Condition(self._lock)
        self._parallelism = max(1, extraction.parallelism)
        self._next_renewal = 0.0

    def _count(self, **increments: int) -> None:
        with self._lock:
            for name, n in increments.items():
                setattr(self.stats, name, getattr(self.stats, name) + n)
        for name, n in increments.items():
            NEARLINE_EDITS.labels(name).inc(n)

    # -- loop ------------------------------------------------------------------------------------
    def run(self, stop: threading.Event | None = None, idle_exit_s: float | None = None,
            on_progress: Callable[[WorkerStats], None] | None = None, progress_every_s: float = 10.0) -> WorkerStats:
        """Consume until ``stop`` is set (or, with ``idle_exit_s``, until nothing came for that long)."""
        if stop is not None:
            self.stop_event = stop
        freeze_long_lived_objects()  # the pipeline, when it runs in this process (InlineExtraction)
        self._retrying(self.group.ensure)
        idle_since = time.monotonic()
        next_progress = time.monotonic() + progress_every_s
        self._start_writer()
        try:
            while not self.stop_event.is_set():
                try:
                    handled = self.step()
                except Stopped:
                    break
                now = time.monotonic()
                if handled:
                    idle_since = now
                elif idle_exit_s is not None and now - idle_since >= idle_exit_s and self.pending() == 0:
                    break
                if on_progress is not None and now >= next_progress:
                    on_progress(self.stats)
                    next_progress = now + progress_every_s
        finally:
            self._stop_writer()
        return self.stats

    # -- the writer thread -------------------------------------------------------------------------
    def _start_writer(self) -> None:
        self._writes = queue.Queue()
        self._writer_error = None
        self._outstanding = 0
        self._writer = threading.Thread(target=self._write_loop, name=f"{self.consumer}-writer", daemon=True)
        self._writer.start()

    def _write_loop(self) -> None:
        writes = self._writes  # _stop_writer clears the attribute while this thread drains
        assert writes is not None
        while (batch := writes.get()) is not None:
            try:
                self._finish(batch)
            except BaseException as exc:  # noqa: BLE001 - handed to the loop, which stops with it
                self._writer_error = exc
                return
            finally:
                with self._room:
                    self._in_flight.difference_update(item.message.id for item in batch.items)
                    self._outstanding -= 1
                    self._room.notify_all()

    def _hand_over(self, batch: _Batch) -> None:
        """Give a batch being extracted to the writer thread, or finish it here when there is none (``step``)."""
        if self._writer is None or self._writes is None:
            self._finish(batch)
            return
        with self._room:
            self._in_flight.update(item.message.id for item in batch.items)
            self._outstanding += 1
        self._writes.put(batch)

    def _wait_for_room(self) -> None:
        """Block while every extraction process is busy or the writer is too far behind, renewing claims."""
        if self._writer is None:
            return
        while True:
            self._raise_writer_error()
            self._renew_claims()
            with self._room:
                if self._extracting < self._parallelism and self._outstanding <= self._parallelism + 1:
                    return
                self._room.wait(0.1)

    def _renew_claims(self) -> None:
        """Reset the idle time of the messages the writer holds (no delivery counted), every claim_idle_ms / 3."""
        now = time.monotonic()
        if now < self._next_renewal:
            return
        self._next_renewal = now + self.cfg.claim_idle_ms / 3000
        with self._lock:
            ids = list(self._in_flight)
        if ids:
            try:
                self.group.renew(ids)
            except TRANSIENT as exc:  # Redis is down: the next read says so and retries
                log.debug("renewing the claim on %d messages failed: %s", len(ids), exc)

    def _raise_writer_error(self) -> None:
        if self._writer_error is not None:
            error, self._writer_error = self._writer_error, None
            raise error
        if self._writer is not None and not self._writer.is_alive():
            raise Stopped()

    def _stop_writer(self) -> None:
        """Let the writer finish what it was given (unless it is retrying and asked to stop), then end it."""
        writer, writes = self._writer, self._writes
        self._writer = self._writes = None
        if writer is None or writes is None:
            return
        writes.put(None)
        writer.join()
        if self._writer_error is not None and not isinstance(self._writer_error, Stopped):
            error, self._writer_error = self._writer_error, None
            raise error

    def step(self) -> int:
        """One claim check (when due) and one read; returns the number of messages handled."""
        handled = 0
        self._wait_for_room()
        self._renew_claims()
        if time.monotonic() >= self._next_claim:
            handled += self._claim()
        messages = self._retrying(self.group.read)
        if messages:
            self._count(read=len(messages))
            self.process(messages)
        return handled + len(messages)

    def pending(self) -> int:
        """Messages of the group delivered but not acknowledged (any consumer)."""
        return self._retrying(self.group.pending)

    # -- claiming --------------------------------------------------------------------------------
    def _claim(self) -> int:
        cfg = self.cfg
        self._next_claim = time.monotonic() + max(0.05, cfg.claim_idle_ms / 2000)
        with self._lock:
            held = set(self._in_flight)
        messages = self._retrying(lambda: self.group.claim_idle(held))
        if not messages:
            return 0
        self._count(claimed=len(messages))
        log.info("%s claimed %d messages idle for over %d ms", self.consumer, len(messages), cfg.claim_idle_ms)
        exhausted = [m for m in messages if m.deliveries > cfg.max_deliveries]
        if exhausted:
            errors = self._retrying(lambda: self.group.last_errors(exhausted))
            for message, error in zip(exhausted, errors, strict=True):
                reason = error if error is not None else (
                    f"not acknowledged after {message.deliveries - 1} deliveries (the worker died or hung)")
                self._dead_letter(message, reason)
        self.process([m for m in messages if m.deliveries <= cfg.max_deliveries])
        return len(messages)

    # -- processing ------------------------------------------------------------------------------
    def process(self, messages: Sequence[Message]) -> None:
        """Extract, write in one transaction, then acknowledge; see the module docstring for failures."""
        items: list[_Item] = []
        for message in messages:
            # A message that cannot be read can never succeed: it goes to dead letters now, with its own
            # reason, and the rest of its batch goes on. Retrying it would only hold the others up.
            try:
                edit = Edit.from_fields(message.fields)
                check_text(edit.text, self.extraction.max_chars)
            except InvalidInput as exc:
                self._dead_letter(message, f"invalid edit: {exc}")
                continue
            except Exception as exc:  # noqa: BLE001 - no input may stop the consumer
                log.exception("message %s could not be parsed", message.id)
                self._dead_letter(message, f"unreadable edit: {type(exc).__name__}: {exc}")
                continue
            items.append(_Item(message, edit))
        if items:
            self._process_items(items)

    def _process_items(self, items: list[_Item]) -> None:
        self._hand_over(_Batch(items, self._start_extraction(items), time.perf_counter()))

    def _start_extraction(self, items: list[_Item]) -> PendingWrites:
        with self._room:
            self._extracting += 1
        try:
            pending = self.extraction.submit([i.edit for i in items])
        except Exception as exc:  # noqa: BLE001 - surfaces when the result is asked for, like any other failure
            pending = _Failed(exc)
        pending.add_done_callback(self._extracted_one)
        return pending

    def _extracted_one(self, _: object) -> None:
        with self._room:
            self._extracting -= 1
            self._room.notify_all()

    def _finish(self, batch: _Batch) -> None:
        # The batch's log lines carry its first message's stream id (the edit is found by it).
        REQUEST_ID.set(f"nearline:{batch.items[0].message.id}")
        extracted = self._extracted(batch.items, batch.pending)
        if log.isEnabledFor(logging.DEBUG):
            log.debug("batch of %d: extracted %.1f ms after it was read", len(batch.items),
                      (time.perf_counter() - batch.read_at) * 1000)
        if extracted:
            self._write_isolating(extracted)
        NEARLINE_BATCH_LATENCY.observe(time.perf_counter() - batch.read_at)

    def _extracted(self, items: list[_Item], pending: PendingWrites | None = None) -> list[tuple[_Item, DocumentWrite]]:
        """A batch's writes; if extracting it fails, each message alone, so only the failing one is held back.

        ``pending``: the extraction already started; a retry (or ``None``) starts a new one.
        """
        def extract() -> list[DocumentWrite]:
            nonlocal pending
            started, pending = pending, None
            return (started or self._start_extraction(items)).result()

        try:
            writes = self._retrying(extract, keep=[i.message.id for i in items])
        except Stopped:
            raise
        except Exception as exc:  # noqa: BLE001 - isolate the message that fails, whatever the error
            if len(items) > 1:
                log.warning("extracting a batch of %d failed (%s); retrying its messages one by one", len(items), exc)
                return [pair for item in items for pair in self._extracted([item])]
            self._failed(items[0].message, exc)
            return []
        return list(zip(items, writes, strict=True))

    def _write_isolating(self, batch: list[tuple[_Item, DocumentWrite]]) -> None:
        """Write a batch in one transaction, then acknowledge it; if that fails, each message alone."""
        items = [item for item, _ in batch]
        try:
            committed_at = self._retrying(lambda: self._write(batch), keep=[i.message.id for i in items])
        except Stopped:
            raise
        except Exception as exc:  # noqa: BLE001 - isolate the message that fails, whatever the error
            if len(batch) > 1:
                log.warning("writing a batch of %d failed (%s); retrying its messages one by one", len(batch), exc)
                for pair in batch:
                    self._write_isolating([pair])
                return
            self._failed(items[0].message, exc)
            return
        self._retrying(lambda: self._acknowledge(items, committed_at))

    def _write(self, batch: list[tuple[_Item, DocumentWrite]]) -> int:
        started = time.perf_counter()
        report = write_documents(self.graph, [write for _, write in batch], retry=None)  # retried by _retrying
        committed_at = now_ms()
        if log.isEnabledFor(logging.DEBUG):
            log.debug("batch of %d: write %.1f ms, oldest waited %d ms", len(batch),
                      (time.perf_counter() - started) * 1000,
                      committed_at - min(item.edit.edited_ms for item, _ in batch))
        self._count(batches=1, committed=len(batch), applied=len(report.applied), ignored=len(report.ignored))
        if report.ignored:
            log.info("older than the stored version, not applied: %s", report.ignored)
        return committed_at

    def _acknowledge(self, items: list[_Item], committed_at: int) -> None:
        self.group.acknowledge([i.message for i in items], committed_at if self.record_commits else None)

    def _failed(self, message: Message, exc: Exception) -> None:
        self._count(failed=1)
        error = f"{type(exc).__name__}: {exc}"
        if message.deliveries >= self.cfg.max_deliveries:
            self._dead_letter(message, error)
            return
        log.warning("message %s failed (delivery %d of %d), retried after %d ms: %s", message.id,
                    message.deliveries, self.cfg.max_deliveries, self.cfg.claim_idle_ms, error)
        self._retrying(lambda: self.group.record_error(message, error))

    def _dead_letter(self, message: Message, error: str) -> None:
        """Move a message to ``<stream>:dead`` with its error, and acknowledge it, atomically."""
        log.error("message %s -> %s: %s", message.id, self.cfg.dead_letter, error)
        self._retrying(lambda: self.group.dead_letter(message, error))
        self._count(dead=1)

    # -- retries ---------------------------------------------------------------------------------
    def _retrying(self, work: Callable[[], T], keep: Sequence[str] = ()) -> T:
        """Run ``work`` until no transient error stops it (:data:`RETRY`); keep our claim on ``keep`` meanwhile."""
        def on_retry(exc: BaseException, wait: float) -> None:
            self._count(retries=1)
            if wait < QUIET_RETRY_S:
                log.debug("%s: %s; retrying in %.3fs", self.consumer, exc, wait)
                return
            log.warning("%s: %s; retrying in %.1fs", self.consumer, exc, wait)
            if keep:
                try:  # reset the idle time, so other workers do not claim what we are retrying
                    self.group.renew(keep)
                except TRANSIENT:
                    pass

        return retrying(work, RETRY, _transient, stop=self.stop_event, on_retry=on_retry)


def _transient(exc: BaseException) -> bool:
    """Not the message's fault: Redis or Neo4j unavailable (Graph.write raises GraphUnavailable for a
    server that does not answer), or a failure Neo4j calls retryable, as Graph.write's own loop would."""
    return isinstance(exc, TRANSIENT) or (isinstance(exc, neo4j.exceptions.Neo4jError) and exc.is_retryable())
