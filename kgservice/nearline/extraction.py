"""The nearline worker's extraction: edits in, document writes out, in the worker's process or a child.

:class:`InlineExtraction` runs a :class:`~kgservice.pipeline.build.Pipeline` in the calling thread.
:class:`ExtractionProcess` runs one in each of its child processes (``KG_NEARLINE__EXTRACTORS``),
and is what ``kgservice worker`` uses: the
pipeline is pure CPU (tokenizer, encoder, index, scorer, all holding Python's GIL most of the
time), while the worker's own threads mostly wait for Redis and Neo4j. In one process every Bolt
or Redis reply had to wait for the GIL behind the encoder (up to the 5 ms switch interval, several
times per batch), and the two halves together could use one core at most; with the pipeline in a
child the worker's I/O runs on the other core, beside Neo4j (README, Nearline, gives the figures).

A child loads the same pipeline the worker would (``build_pipeline`` with the worker's settings,
without expanded skills unless the worker writes them) with a Neo4j driver of its own (the taxonomy
version, and expansion of any seed the neighbour snapshot lacks), so nothing but edits and
:class:`~kgservice.graph.document_writer.DocumentWrite` s cross the process boundary. When a child
dies (a crash in native code, the kernel's OOM killer) the children are started again as soon as
that is seen, and the batch it held fails with :class:`ExtractionCrashed`, which the worker treats like any other failure of its
messages: it retries them one by one, so a message that kills the child is held back (and sent to
dead letters after ``max_deliveries``) while the others go through.
"""

from __future__ import annotations

import atexit
import gc
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol

from kgservice.errors import KgServiceError
from kgservice.graph.document_writer import DocumentWrite
from kgservice.nearline.edit_stream import Edit
from kgservice.document_extraction import extract_writes
from kgservice.pipeline.build import Pipeline
from kgservice.settings import Settings


# Loading a pipeline takes ~10-20 s (trie, catalog, index, encoders); a child that waits this long
# at the start-up barrier means another never finished loading.
_LOAD_TIMEOUT_S = 600.0
_PARENT_CHECK_S = 0.5


class ExtractionCrashed(KgServiceError):
    """The extraction process died while it held a batch; it has been started again."""


class PendingWrites(Protocol):
    def result(self) -> list[DocumentWrite]:
        """The document write of each edit, in order; raises what extracting the batch raised."""
        ...

    def add_done_callback(self, fn: Callable[[Any], object]) -> None:
        """Call ``fn`` (from any thread) once the batch is extracted or has failed; at once if it has."""
        ...


class Extraction(Protocol):
    """What the worker needs from extraction."""

    model_version: str
    max_chars: int
    # Batches it extracts at the same time (the worker keeps that many in flight).
    parallelism: int

    def submit(self, edits: Sequence[Edit]) -> PendingWrites:
        """Start extracting a batch; the result says when it is done."""
        ...

    def cache_hit_rates(self) -> dict[str, float]:
        """Each pipeline cache's hit rate by stage name."""
        ...

    def cache_counts(self) -> dict[str, tuple[int, int]]:
        """Each pipeline cache's (hits, misses) by stage name, for the worker's metrics."""
        ...

    def close(self) -> None: ...


class InlineExtraction:
    """A pipeline run in the calling thread."""

    def __init__(self, pipeline: Pipeline, *, with_expansion: bool = False, max_chars: int = 100_000) -> None:
        self.pipeline = pipeline
        self.with_expansion = with_expansion
        self.max_chars = max_chars
        self.model_version = pipeline.model_version
        self.parallelism = 1

    def submit(self, edits: Sequence[Edit]) -> Future[list[DocumentWrite]]:
        """Extracts the batch before it returns (the returned future is done)."""
        future: Future[list[DocumentWrite]] = Future()
        try:
            future.set_result(self(edits))
        except Exception as exc:  # noqa: BLE001 - handed to whoever asks for the result, as a pool would
            future.set_exception(exc)
        return future

    def __call__(self, edits: Sequence[Edit]) -> list[DocumentWrite]:
        return extract_writes(self.pipeline, edits, with_expansion=self.with_expansion, batch_size=max(1, len(edits)))

    def cache_hit_rates(self) -> dict[str, float]:
        return {name: cache.hit_rate for name, cache in self.pipeline.caches.items()}

    def cache_counts(self) -> dict[str, tuple[int, int]]:
        return {name: (cache.hits, cache.misses) for name, cache in self.pipeline.caches.items()}

    def close(self) -> None:
        pass


_FROZEN = False


def freeze_long_lived_objects() -> None:
    """A loaded pipeline's trie and catalog are millions of long-lived objects; without freezing them
    every full collection walks them all (~100 ms pauses in the middle of a batch). Once per process,
    after the pipeline is loaded."""
    global _FROZEN
    if not _FROZEN:
        gc.collect()
        gc.freeze()
        _FROZEN = True


# -- the child process ---------------------------------------------------------------------------
_CHILD: InlineExtraction | None = None
_BARRIER: Any = None


def _load(settings: Settings, semantic: bool | None, expansion: bool | None, with_expansion: bool,
          barrier: Any) -> None:
    """Initializer of the child: the pipeline and its driver, once."""
    global _CHILD, _BARRIER
    _BARRIER = barrier
    _exit_with_parent(os.getppid())
    from kgservice.graph.driver import Graph
    from kgservice.pipeline.build import SERVING, WRITES, build_pipeline

    # Ctrl-C reaches the whole process group; the worker decides when its child stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    graph = Graph.connect(settings)
    atexit.register(graph.close)
    pipeline = build_pipeline(settings, graph, SERVING if with_expansion else WRITES, semantic=semantic,
                              expansion=expansion)
    _CHILD = InlineExtraction(pipeline, with_expansion=with_expansion, max_chars=settings.pipeline.max_chars)
    freeze_long_lived_objects()


def _exit_with_parent(parent: int) -> None:
    """A worker killed outright (SIGKILL, OOM) cannot shut its pool down, and the child, blocked on a
    queue whose other end it holds itself, would wait forever: it checks for its parent instead."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(_PARENT_CHECK_S)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _loaded() -> tuple[str, int]:
    assert _CHILD is not None
    _BARRIER.wait(timeout=_LOAD_TIMEOUT_S)
    return _CHILD.model_version, os.getpid()


def _extract(edits: list[Edit]) -> list[DocumentWrite]:
    assert _CHILD is not None
    return _CHILD(edits)


def _cache_hit_rates() -> dict[str, float]:
    assert _CHILD is not None
    return _CHILD.cache_hit_rates()


def _cache_counts() -> dict[str, tuple[int, int]]:
    assert _CHILD is not None
    return _CHILD.cache_counts()


class _PoolPending:
    def __init__(self, owner: ExtractionProcess, pool: ProcessPoolExecutor, future: Future[list[DocumentWrite]],
                 size: int) -> None:
        self._owner, self._pool, self._future, self._size = owner, pool, future, size

    def add_done_callback(self, fn: Callable[[Any], object]) -> None:
        self._future.add_done_callback(fn)

    def result(self) -> list[DocumentWrite]:
        try:
            return self._future.result()
        except BrokenProcessPool as exc:
            self._owner._restart(self._pool)
            raise ExtractionCrashed(f"an extraction process died extracting {self._size} edit(s); "
                                    "the processes were started again") from exc


class ExtractionProcess:
    """A pipeline run in ``processes`` child processes (``spawn``: the parent's threads and sockets
    stay its own); each batch goes to whichever child is free.

    Construction waits until every child has loaded the pipeline (its errors, e.g. a missing
    artifact, are raised here). Thread-safe: the worker's loop submits while its writer waits.
    """

    def __init__(self, settings: Settings, *, semantic: bool | None = None, expansion: bool | None = None,
                 with_expansion: bool = False, processes: int = 1) -> None:
        if processes < 1:
            raise ValueError("an extraction needs at least one process")
        self._args = (settings, semantic, expansion, with_expansion)
        self.max_chars = settings.pipeline.max_chars
        self.parallelism = processes
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        with self._lock:
            self._pool = self._start()

    def _start(self) -> ProcessPoolExecutor:
        context = multiprocessing.get_context("spawn")
        # One task per child that waits for all of them at a barrier: no child can take two, so each
        # has loaded the pipeline before the first batch, and a load that fails fails here.
        barrier = context.Barrier(self.parallelism)
        pool = ProcessPoolExecutor(max_workers=self.parallelism, mp_context=context, initializer=_load,
                                   initargs=(*self._args, barrier))
        try:
            loaded = [f.result() for f in [pool.submit(_loaded) for _ in range(self.parallelism)]]
        except BrokenProcessPool as exc:
            pool.shutdown(wait=True, cancel_futures=True)
            raise KgServiceError("an extraction process died while loading the pipeline (its error is above)") \
                from exc
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise
        self.model_version = loaded[0][0]
        self._pids = [pid for _, pid in loaded]
        return pool

    def pids(self) -> list[int]:
        """The children's process ids (new ones after a restart)."""
        return list(self._pids)

    def _restart(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is not broken:
                return  # another thread saw the same crash first and restarted
            self._pool = None
            broken.shutdown(wait=True, cancel_futures=True)
            self._pool = self._start()

    def submit(self, edits: Sequence[Edit]) -> PendingWrites:
        with self._lock:
            pool = self._pool
        if pool is None:
            raise KgServiceError("the extraction processes are closed")
        try:
            return _PoolPending(self, pool, pool.submit(_extract, list(edits)), len(edits))
        except BrokenProcessPool as exc:
            self._restart(pool)
            raise ExtractionCrashed("an extraction process had died; the processes were started again") from exc

    def __call__(self, edits: Sequence[Edit]) -> list[DocumentWrite]:
        return self.submit(edits).result()

    def cache_hit_rates(self) -> dict[str, float]:
        """The first child's (each child has its own caches)."""
        return self._ask_child(_cache_hit_rates)

    def cache_counts(self) -> dict[str, tuple[int, int]]:
        """The first child's (each child has its own caches)."""
        return self._ask_child(_cache_counts)

    def _ask_child(self, question: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        with self._lock:
            pool = self._pool
        if pool is None:
            return {}
        try:
            return pool.submit(question).result()
        except BrokenProcessPool:  # the next extraction restarts it and says so
            return {}

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
