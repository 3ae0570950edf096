"""Aliases the sources do not list but job text uses: acronyms a label already spells out, and a
small curated table of short forms (``kgservice/resources/abbreviations.tsv``).

Lightcast carries no aliases at all, and writes an acronym only as a qualifier ("Google Cloud
Platform (GCP)", "Key Performance Indicators (KPIs)"), which the trie drops from its keys; so a
skills line "AWS, GCP, k8s" matched nothing. A qualifier counts as an acronym when it is one word
with at least two capitals (GCP, KPIs, IoT), not a word such as "(Software)".
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from kgservice.graph.cypher import Query
from kgservice.graph.driver import Graph
from kgservice.package_data import data_path

ABBREVIATIONS = data_path("resources", "abbreviations.tsv")
_ACRONYM = re.compile(r"\(([A-Za-z][A-Za-z0-9&/.+-]{1,11})\)\s*$")


def acronym(label: str) -> str | None:
    """The acronym a label ends with in parentheses, or None."""
    m = _ACRONYM.search(label)
    if m is None or sum(c.isupper() for c in m.group(1)) < 2:
        return None
    return m.group(1)


def read_abbreviations(path: Path = ABBREVIATIONS) -> list[tuple[str, str]]:
    """``(short form, label)`` pairs; comment and blank lines skipped.

    Raises:
        ValueError: A line is not two tab-separated fields.
    """
    pairs = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 2 or not all(f.strip() for f in fields):
            raise ValueError(f"{path}:{n}: expected 'short form<TAB>label', got {line!r}")
        pairs.append((fields[0].strip(), fields[1].strip()))
    return pairs


def derived_aliases(skills: Iterable[Mapping[str, object]],
                    abbreviations: Sequence[tuple[str, str]]) -> list[dict[str, object]]:
    """``{id, aliases}`` rows: each skill's acronym qualifier, and every curated short form of its label."""
    by_label: dict[str, list[str]] = defaultdict(list)
    found: dict[str, set[str]] = defaultdict(set)
    for skill in skills:
        sid, name = str(skill["id"]), str(skill["name"])
        by_label[name.casefold()].append(sid)
        short = acronym(name)
        if short:
            found[sid].add(short)
    for short, label in abbreviations:
        for sid in by_label.get(label.casefold(), ()):
            found[sid].add(short)
    return [{"id": sid, "aliases": sorted(aliases)} for sid, aliases in sorted(found.items())]


def add_derived_aliases(graph: Graph, batch_size: int, taxonomies: Sequence[str]) -> int:
    """Write :func:`derived_aliases` for the skills of ``taxonomies``; returns how many skills got some."""
    rows = derived_aliases(graph.read(Query.GET_SKILL_KEYS, taxonomies=list(taxonomies)), read_abbreviations())
    for _ in graph.write_batches(Query.MERGE_SKILL_ALIASES, rows, batch_size):
        pass
    return len(rows)
