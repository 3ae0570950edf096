"""DataLoaders, created fresh for every request (never shared: their caches would leak across users).

Each batch function runs one named query for all keys the request asked for in one tick of the
event loop, in a worker thread (the Neo4j driver is synchronous), and returns results aligned to
the keys. A query for 50 skills with their parents is then 2 round trips, not 51.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio.to_thread
from strawberry.dataloader import DataLoader

from kgservice.graph import skill_queries
from kgservice.graph.driver import Graph

T = TypeVar("T")
Row = dict[str, Any]


def _batched(graph: Graph, fn: Callable[[Graph, Sequence[str]], list[T]], counter: list[int]
             ) -> Callable[[list[str]], Any]:
    async def load(keys: list[str]) -> list[T]:
        counter[0] += 1
        return await anyio.to_thread.run_sync(fn, graph, keys)

    return load


@dataclass(slots=True)
class Loaders:
    skill: DataLoader[str, Row | None]
    neighbours: DataLoader[str, dict[str, list[Row]]]
    groups: DataLoader[str, list[Row]]
    document: DataLoader[str, Row | None]
    document_skills: DataLoader[str, list[Row]]
    # Batches sent to Neo4j by this request's loaders (exposed for tests and logs).
    round_trips: list[int]


def create_loaders(graph: Graph) -> Loaders:
    trips = [0]
    return Loaders(
        skill=DataLoader(_batched(graph, skill_queries.skills_by_ids, trips)),
        neighbours=DataLoader(_batched(graph, skill_queries.skill_neighbours, trips)),
        groups=DataLoader(_batched(graph, skill_queries.skill_groups, trips)),
        document=DataLoader(_batched(graph, skill_queries.documents_by_keys, trips)),
        document_skills=DataLoader(_batched(graph, skill_queries.document_skills, trips)),
        round_trips=trips,
    )


def forget(loader: DataLoader[str, Any], key: str) -> None:
    """Drop a cached key after a write in the same request (DataLoader.clear raises when it is absent)."""
    try:
        loader.clear(key)
    except KeyError:
        pass
