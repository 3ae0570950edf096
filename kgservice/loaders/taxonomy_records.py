"""What a taxonomy source parses into, before it is written to the graph.

Readers for each source format produce a :class:`TaxonomyBatch`; one writer stores any batch. Rows
are plain dicts shaped like the ``$rows`` parameters of the ``merge_*.cypher`` files, so nothing is
translated twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Row = dict[str, Any]


@dataclass(frozen=True, slots=True)
class RowProblem:
    """A source row that could not be used; it is reported and skipped, the rest still loads."""

    source: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.reason}"


@dataclass(slots=True)
class TaxonomyBatch:
    taxonomy: str
    name: str
    version: str
    source: str
    skills: list[Row] = field(default_factory=list)
    groups: list[Row] = field(default_factory=list)
    group_broader: list[Row] = field(default_factory=list)
    skill_groups: list[Row] = field(default_factory=list)
    skill_broader: list[Row] = field(default_factory=list)
    related: list[Row] = field(default_factory=list)
    occupations: list[Row] = field(default_factory=list)
    occupation_skills: list[Row] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)


def skill_id(taxonomy: str, source_id: str) -> str:
    """Stable graph id: taxonomy prefix plus the source's own id (a UUID for ESCO, a code for Lightcast)."""
    return f"{taxonomy}:{source_id}"


def dedupe(rows: list[Row], *keys: str) -> list[Row]:
    seen: set[tuple[Any, ...]] = set()
    out = []
    for row in rows:
        k = tuple(row[key] for key in keys)
        if k not in seen:
            seen.add(k)
            out.append(row)
    return out
