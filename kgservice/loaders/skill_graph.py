"""The structure the loader derives after every load: a group for every skill, and the skill hierarchy.

Runs after the sources are written and SAME_AS is linked (``taxonomy_writer.load``), on what is then
in the graph, so any combination of sources gets the same treatment. Both steps are idempotent: the
derived edges carry their ``source``; what the current rules make is merged, and derived edges they no
longer make are deleted, as SAME_AS links are.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from kgservice.graph.cypher import Query
from kgservice.graph.driver import Graph
from kgservice.settings import Settings
from kgservice.loaders import group_placement, skill_hierarchy
from kgservice.loaders.label_vectors import LabelVectors


@dataclass(slots=True)
class DerivedReport:
    placed: dict[str, int] = field(default_factory=dict)  # derived IN_GROUP edges by source
    broader: dict[str, int] = field(default_factory=dict)  # derived BROADER edges by source
    seconds: float = 0.0


@dataclass(slots=True)
class SkillGraphDerivation:
    """What ``load`` needs for the derived structure: label vectors and the taxonomies it covers."""

    vectors: LabelVectors
    taxonomies: Sequence[str] = ("esco", "lightcast")

    @classmethod
    def from_settings(cls, settings: Settings, console: Console | None = None) -> SkillGraphDerivation:
        return cls(LabelVectors.from_settings(settings, console))

    def __call__(self, graph: Graph, batch_size: int, console: Console) -> DerivedReport:
        started = time.perf_counter()
        report = DerivedReport()
        taxonomies = list(self.taxonomies)
        rows = graph.read(Query.GET_DERIVATION_INPUTS, taxonomies=taxonomies,
                          derived=list(group_placement.DERIVED_SOURCES))
        if not rows:
            return report
        self.vectors.console = console
        vectors = self.vectors([r["name"] for r in rows])
        twins = sorted({tuple(sorted((r["id"], t))) for r in rows for t in r["sameAs"]})
        groups = graph.read(Query.GET_GROUP_TREE, taxonomies=taxonomies)
        parents = {g["id"]: g["parent"] for g in groups if g["parent"]}
        memberships = {r["id"]: r["groups"] for r in rows}

        placed = group_placement.place_ungrouped(rows, vectors, memberships, twins, parents)
        _replace(graph, console, "derived group placement", placed, Query.MERGE_DERIVED_IN_GROUP,
                 Query.DELETE_STALE_DERIVED_IN_GROUP, group_placement.DERIVED_SOURCES,
                 [f"{p['skill']}|{p['group']}" for p in placed], batch_size)
        for p in placed:
            report.placed[p["source"]] = report.placed.get(p["source"], 0) + 1

        members: dict[str, list[str]] = {}
        for sid, gs in memberships.items():
            for g in gs:
                members.setdefault(g, []).append(sid)
        fixed = [(r["child"], r["parent"]) for r in graph.read(
            Query.GET_SOURCE_BROADER, taxonomies=taxonomies, derived=list(skill_hierarchy.DERIVED_SOURCES))]
        edges = skill_hierarchy.derive_hierarchy(skill_hierarchy.HierarchyInput(
            skills=rows, vectors=vectors, twins=twins, fixed=fixed,
            groups=[{**g, "members": members.get(g["id"], [])} for g in groups],
            fields=skill_hierarchy.fields_of(rows, memberships, placed, parents)))
        _replace(graph, console, "skill hierarchy (derived)", edges, Query.MERGE_DERIVED_BROADER,
                 Query.DELETE_STALE_DERIVED_BROADER, skill_hierarchy.DERIVED_SOURCES,
                 [f"{e['child']}|{e['parent']}" for e in edges], batch_size)
        for e in edges:
            report.broader[e["source"]] = report.broader.get(e["source"], 0) + 1
        report.seconds = time.perf_counter() - started
        return report


def _replace(graph: Graph, console: Console, what: str, rows: list[dict], merge: Query, delete: Query,
             sources: Sequence[str], keep: list[str], batch_size: int) -> None:
    graph.write(delete, sources=list(sources), keep=keep)
    with Progress(TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console) as progress:
        task = progress.add_task(what, total=len(rows))
        for n in graph.write_batches(merge, rows, batch_size):
            progress.advance(task, n)
