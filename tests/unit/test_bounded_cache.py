"""BoundedCache: the LRU memo behind the tagger's, expander's and scorer's caches."""

from __future__ import annotations

import threading

import pytest

from kgservice.bounded_cache import BoundedCache


def test_bounded_cache_evicts_least_recently_used_and_counts() -> None:
    cache: BoundedCache[str, int] = BoundedCache(2)
    cache.put_many({"a": 1, "b": 2})
    assert cache.get_many(["a", "a", "z"]) == {"a": 1}  # "a" now most recent; "z" one miss
    assert (cache.hits, cache.misses) == (1, 1)
    cache.put_many({"c": 3})  # evicts "b", the least recently used
    assert cache.get_many(["a", "b", "c"]) == {"a": 1, "c": 3}
    assert len(cache) == 2 and cache.hit_rate == pytest.approx(3 / 5)
    cache.reset_counters()
    assert (cache.hits, cache.misses, len(cache)) == (0, 0, 2)
    cache.clear()
    assert len(cache) == 0 and (cache.hits, cache.misses) == (0, 0) and cache.hit_rate == 0.0


def test_bounded_cache_zero_stores_nothing_and_none_is_unbounded() -> None:
    off: BoundedCache[int, int] = BoundedCache(0)
    off.put_many({1: 1})
    assert off.get_many([1]) == {} and len(off) == 0
    unbounded: BoundedCache[int, int] = BoundedCache(None)
    unbounded.put_many({i: i for i in range(10_000)})
    assert len(unbounded) == 10_000
    with pytest.raises(ValueError, match="max_entries"):
        BoundedCache(-1)


def test_bounded_cache_stays_bounded_under_threads() -> None:
    cache: BoundedCache[int, int] = BoundedCache(100)

    def work(offset: int) -> None:
        for i in range(2_000):
            cache.put_many({offset + i: i})
            cache.get_many([offset + i - 1, offset + i])

    threads = [threading.Thread(target=work, args=(n * 10_000,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(cache) == 100
    assert cache.hits + cache.misses == 4 * 2_000 * 2


def test_bounded_cache_get_or_compute_computes_each_missing_key_once() -> None:
    cache: BoundedCache[str, int] = BoundedCache(10)
    cache.put_many({"a": 1})
    calls: list[list[str]] = []

    def compute(missing: list[str]) -> dict[str, int]:
        calls.append(missing)
        return {k: len(k) for k in missing}

    assert cache.get_or_compute(["bb", "a", "ccc", "bb"], compute) == {"a": 1, "bb": 2, "ccc": 3}
    assert calls == [["bb", "ccc"]] and (cache.hits, cache.misses) == (1, 2)
    assert cache.get_or_compute(["ccc", "a"], compute) == {"a": 1, "ccc": 3} and len(calls) == 1
