"""One retry policy for every loop that waits out a failure: exponential backoff with full jitter.

Each wait is a random fraction of a delay that doubles from ``first_s`` to at most ``max_delay_s``
(full jitter, so two deadlocked writers do not collide again in step), for up to ``max_time_s`` in
all or, with ``None``, until the work succeeds or the caller's stop event is set. A write is retried
by one loop only: callers that keep retrying themselves (the nearline worker) tell
:meth:`~kgservice.graph.driver.Graph.write` not to (``retry_=None``).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


class Stopped(Exception):
    """The stop event was set while waiting to retry; the work was not done."""


@dataclass(frozen=True, slots=True)
class Backoff:
    first_s: float
    max_delay_s: float
    max_time_s: float | None = None


def retrying(work: Callable[[], T], backoff: Backoff, retryable: Callable[[BaseException], bool], *,
             stop: threading.Event | None = None,
             on_retry: Callable[[BaseException, float], None] | None = None) -> T:
    """``work()``, retried per ``backoff`` while ``retryable(error)``; the last error once time is up.

    Raises:
        Stopped: ``stop`` was set during a wait.
    """
    deadline = None if backoff.max_time_s is None else time.monotonic() + backoff.max_time_s
    delay = backoff.first_s
    while True:
        try:
            return work()
        except Exception as exc:
            if not retryable(exc) or (deadline is not None and time.monotonic() + delay > deadline):
                raise
            wait = random.uniform(0.0, delay)
            if on_retry is not None:
                on_retry(exc, wait)
            if stop is None:
                time.sleep(wait)
            elif stop.wait(wait):
                raise Stopped() from exc
            delay = min(delay * 2, backoff.max_delay_s)
