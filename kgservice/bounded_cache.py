"""A bounded, thread-safe least-recently-used map with hit/miss counters.

The pipeline memoizes pure lookups with it: a piece of text -> its skill-index matches (the
embedding tagger), a skill -> its graph neighbours (the expander), a piece -> its vector (the
multitask scorer). The API runs one pipeline from several request threads, hence the lock; the
lock is held only for dictionary work, never while computing a miss.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BoundedCache(Generic[K, V]):
    """``max_entries`` values at most, least recently used dropped first.

    Args:
        max_entries: Capacity; ``None`` is unbounded (training jobs), ``0`` stores nothing (caching off).
    """

    def __init__(self, max_entries: int | None) -> None:
        if max_entries is not None and max_entries < 0:
            raise ValueError(f"max_entries must be >= 0 or None, not {max_entries}")
        self.max_entries = max_entries
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._items)

    def get_many(self, keys: Iterable[K]) -> dict[K, V]:
        """The cached values among ``keys`` (each marked recently used); counts one hit or miss per distinct key."""
        found: dict[K, V] = {}
        wanted = dict.fromkeys(keys)
        with self._lock:
            for key in wanted:
                value = self._items.get(key, _ABSENT)
                if value is not _ABSENT:
                    self._items.move_to_end(key)
                    found[key] = value  # type: ignore[assignment]
            self.hits += len(found)
            self.misses += len(wanted) - len(found)
        return found

    def get_or_compute(self, keys: Iterable[K], compute: Callable[[list[K]], Mapping[K, V]]) -> dict[K, V]:
        """Every distinct key's value: cached ones, and the rest from one ``compute(missing)`` call
        (missing keys in first-seen order; it returns a value for each), which are then cached."""
        keys = list(keys)
        found = self.get_many(keys)
        missing = [k for k in dict.fromkeys(keys) if k not in found]
        if missing:
            fresh = compute(missing)
            self.put_many(fresh)
            found.update(fresh)
        return found

    def put_many(self, items: Mapping[K, V]) -> None:
        if self.max_entries == 0:
            return
        with self._lock:
            for key, value in items.items():
                self._items[key] = value
                self._items.move_to_end(key)
            if self.max_entries is not None:
                while len(self._items) > self.max_entries:
                    self._items.popitem(last=False)

    def clear(self) -> None:
        """Drop every entry and reset the counters."""
        with self._lock:
            self._items.clear()
            self.hits = self.misses = 0

    def reset_counters(self) -> None:
        with self._lock:
            self.hits = self.misses = 0

    @property
    def hit_rate(self) -> float:
        looked_up = self.hits + self.misses
        return self.hits / looked_up if looked_up else 0.0

    def __repr__(self) -> str:
        return f"BoundedCache({len(self)}/{self.max_entries}, hit rate {self.hit_rate:.2f})"


_ABSENT = object()
