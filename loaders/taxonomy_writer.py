"""Writes parsed taxonomies into Neo4j: batched ``UNWIND``, ``MERGE`` on constrained ids only.

Every statement is an upsert, so re-running a load changes no counts. Cross-taxonomy SAME_AS links
are computed from what is in the graph after the load, so any combination of sources (the wheel,
an ESCO bundle, a later Lightcast version) ends up linked the same way.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from kgservice.graph.cypher import Query
from kgservice.graph.driver import Graph
from kgservice.text_normalizer import label_key, label_keys
from loaders.taxonomy_records import Row, RowProblem, TaxonomyBatch

# (what, query, batch attribute) in dependency order: nodes before the relationships that MATCH them.
_STEPS: tuple[tuple[str, Query, str], ...] = (
    ("skills", Query.MERGE_SKILLS, "skills"),
    ("groups", Query.MERGE_SKILL_GROUPS, "groups"),
    ("occupations", Query.MERGE_OCCUPATIONS, "occupations"),
    ("group hierarchy", Query.MERGE_GROUP_BROADER, "group_broader"),
    ("group membership", Query.MERGE_SKILL_IN_GROUP, "skill_groups"),
    ("skill hierarchy", Query.MERGE_SKILL_BROADER, "skill_broader"),
    ("related skills", Query.MERGE_SKILL_RELATED, "related"),
    ("occupation skills", Query.MERGE_OCCUPATION_SKILLS, "occupation_skills"),
)


@dataclass(slots=True)
class LoadReport:
    written: dict[str, int] = field(default_factory=dict)
    problems: list[RowProblem] = field(default_factory=list)
    same_as: int = 0
    seconds: float = 0.0


def _progress(console: Console) -> Progress:
    return Progress(TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, transient=False)


def write_batch(graph: Graph, batch: TaxonomyBatch, batch_size: int, console: Console) -> dict[str, int]:
    written: dict[str, int] = {}
    with _progress(console) as progress:
        for what, query, attr in _STEPS:
            rows: Sequence[Row] = getattr(batch, attr)
            if not rows:
                continue
            task = progress.add_task(f"{batch.taxonomy} {what}", total=len(rows))
            for n in graph.write_batches(query, rows, batch_size):
                progress.advance(task, n)
            written[f"{batch.taxonomy} {what}"] = len(rows)
    graph.write(Query.MERGE_TAXONOMY_VERSION, id=batch.taxonomy, name=batch.name, version=batch.version,
                source=batch.source, skills=len(batch.skills), groups=len(batch.groups))
    return written


def same_as_pairs(left: Sequence[Row], right: Sequence[Row]) -> list[Row]:
    """Pairs (left skill, right skill) that name the same skill.

    A preferred-name match ("via": "label") may ignore a trailing qualifier on either side
    ("Python (computer programming)" = "Python (Programming Language)"). ESCO's alternative labels
    are broad (its "economics" lists "banking"), so an alias match ("via": "alias") must be exact,
    the alias must belong to one left skill only, and the right skill must have no label match.
    """
    full: dict[tuple[str, ...], list[str]] = defaultdict(list)
    loose: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for skill in right:
        full[label_key(skill["name"])].append(skill["id"])
        for key in label_keys(skill["name"]):
            loose[key].append(skill["id"])
    pairs: dict[tuple[str, str], str] = {}
    for skill in left:
        for key in label_keys(skill["name"]):
            for target in loose.get(key, ()):
                pairs[(skill["id"], target)] = "label"
    label_matched = {target for _, target in pairs}
    alias_owners: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for skill in left:
        for alias in skill["aliases"]:
            alias_owners[label_key(alias)].add(skill["id"])
    for key, owners in alias_owners.items():
        if len(owners) != 1 or not key:
            continue
        (owner,) = owners
        for target in full.get(key, ()):
            if target not in label_matched:
                pairs.setdefault((owner, target), "alias")
    return [{"source": s, "target": t, "via": v} for (s, t), v in sorted(pairs.items())]


# How much a link says, best first: the same label, the same label up to spelling, number or
# hyphenation, the same label once a trailing qualifier is set aside, then an ESCO alternative label.
_RULE_RANK = {"exact": 0, "variant": 1, "qualifier": 2, "alias": 3}
_VIA_RANK = {"label": 1, "alias": 3}


def canonical_twins(pairs: Sequence[Row]) -> dict[str, str]:
    """For every linked right-side (Lightcast) skill, its one best left-side (ESCO) twin.

    Canonicalization reports a Lightcast skill as its ESCO twin, so it needs exactly one; the best
    rule wins and, between equally good twins, the smallest id, so the choice never depends on order.
    """
    best: dict[str, tuple[int, str]] = {}
    for pair in pairs:
        rank = _RULE_RANK.get(pair.get("rule", ""), _VIA_RANK.get(pair["via"], len(_RULE_RANK)))
        candidate = (rank, pair["source"])
        if pair["target"] not in best or candidate < best[pair["target"]]:
            best[pair["target"]] = candidate
    return {target: source for target, (_, source) in sorted(best.items())}


def link_same_as(graph: Graph, left: str, right: str, batch_size: int, console: Console) -> int:
    rows = graph.read(Query.GET_SKILL_KEYS, taxonomies=[left, right])
    pairs = same_as_pairs([r for r in rows if r["taxonomy"] == left], [r for r in rows if r["taxonomy"] == right])
    with _progress(console) as progress:
        task = progress.add_task(f"SAME_AS {left}->{right}", total=len(pairs))
        for n in graph.write_batches(Query.MERGE_SAME_AS, pairs, batch_size):
            progress.advance(task, n)
    return len(pairs)


def load(graph: Graph, batches: Sequence[TaxonomyBatch], batch_size: int, console: Console,
         same_as: Sequence[tuple[str, str]] = (("esco", "lightcast"),)) -> LoadReport:
    """Apply the schema, write every batch, then link SAME_AS between the given taxonomy pairs."""
    started = time.perf_counter()
    report = LoadReport()
    graph.apply_schema()
    for batch in batches:
        report.problems.extend(batch.problems)
        report.written.update(write_batch(graph, batch, batch_size, console))
    for left, right in same_as:
        report.same_as += link_same_as(graph, left, right, batch_size, console)
    report.seconds = time.perf_counter() - started
    return report
