"""The one data model that flows through the pipeline.

A :class:`Document` is immutable: every stage returns ``dataclasses.replace(doc, ...)`` with its
own additions, so one document can be shared by tests and threads without copies, and each span
group records which stage produced it. All offsets are character offsets into ``Document.text``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType


class Domain(StrEnum):
    JOB = "job"
    PROFILE = "profile"
    COURSE = "course"
    POST = "post"


class Method(StrEnum):
    TRIE = "trie"
    SEMANTIC = "semantic"
    EXPANSION = "expansion"


class Relation(StrEnum):
    REQUIRED = "required"
    CORE = "core"
    MENTIONED = "mentioned"


@dataclass(frozen=True, slots=True)
class Section:
    """A contiguous part of the text, e.g. ``qualifications`` in a job posting."""

    kind: str
    start: int
    end: int
    # Offsets of the header line that opened the section, when there was one.
    header: tuple[int, int] | None = None
    # How the kind was decided: "header" rule, "classifier" fallback, or "whole" (no split).
    source: str = "header"


@dataclass(frozen=True, slots=True)
class SkillSpan:
    """One piece of evidence that the text mentions (or implies) a skill."""

    start: int
    end: int
    text: str
    skill_id: str
    method: Method
    score: float
    section: str | None = None


@dataclass(frozen=True, slots=True)
class Mention:
    """A stretch of text that names a skill or a piece of knowledge, whichever skill it turns out to be
    (found by the mention detector, before any linking)."""

    start: int
    end: int
    text: str
    score: float
    section: str | None = None


@dataclass(frozen=True, slots=True)
class ScoredSkill:
    """A skill the document is about, after scoring; the unit written to the graph."""

    skill_id: str
    name: str
    taxonomy: str
    score: float
    relation: Relation
    method: Method
    spans: tuple[tuple[int, int], ...] = ()
    section: str | None = None
    # For expansion: the extracted skill this one was reached from, and over which relation.
    via: str | None = None
    # The same concept's ids in other taxonomies (e.g. the Lightcast twins of an ESCO skill).
    also_in: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class GraphLink:
    """A taxonomy neighbour of an extracted skill, found by the graph expander."""

    seed: str
    skill_id: str
    name: str
    taxonomy: str
    relation: str  # parent, child, sibling, same_group, same_as, related
    support: int = 1
    # How strongly the link stands for its relation (a related skill's co-occurrence weight, else 1), times,
    # once the expander has weighed it for a document, how well the neighbour fits that document (0-1).
    weight: float = 1.0


def _frozen_groups(groups: Mapping[str, tuple[SkillSpan, ...]] | None) -> Mapping[str, tuple[SkillSpan, ...]]:
    return MappingProxyType(dict(groups or {}))


@dataclass(frozen=True, slots=True)
class Document:
    """Raw text plus everything the stages have found in it."""

    text: str
    domain: Domain = Domain.JOB
    title: str | None = None
    id: str | None = None
    sections: tuple[Section, ...] = ()
    # Span groups keyed by the stage that produced them ("trie_tagger", "embedding_tagger", ...).
    spans: Mapping[str, tuple[SkillSpan, ...]] = field(default_factory=lambda: MappingProxyType({}))
    mentions: tuple[Mention, ...] = ()
    links: tuple[GraphLink, ...] = ()
    skills: tuple[ScoredSkill, ...] = ()
    expanded: tuple[ScoredSkill, ...] = ()
    model_version: str | None = None
    # ISO 639-1 code the language detector decided ("en", "de", ...); None before it ran.
    language: str | None = None

    def with_spans(self, group: str, spans: tuple[SkillSpan, ...]) -> Document:
        merged = dict(self.spans)
        merged[group] = spans
        return dataclasses.replace(self, spans=_frozen_groups(merged))

    def all_spans(self) -> tuple[SkillSpan, ...]:
        return tuple(s for group in self.spans.values() for s in group)

    def section_at(self, offset: int) -> Section | None:
        for section in self.sections:
            if section.start <= offset < section.end:
                return section
        return None
