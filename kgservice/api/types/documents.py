"""Types for extraction, documents (entities), search, expansion and matching."""

from __future__ import annotations

from typing import Any

import strawberry

from kgservice.api.context import Context
from kgservice.api.types.enums import (DocumentKind, ExtractionMethod, GraphRelation, Long, MatchRelation,
                                       SearchMethod, SkillRelation)
from kgservice.api.types.pages import PageInfo
from kgservice.api.types.skill import Skill
from kgservice.document import Document, ScoredSkill


# -- extraction -------------------------------------------------------------------------------------
@strawberry.type(description="Where a skill was found: character offsets into the text, and the text there.")
class Span:
    start: int
    end: int
    text: str


@strawberry.type(description="A section of the text (e.g. qualifications, responsibilities).")
class Section:
    kind: str
    start: int
    end: int
    source: str


@strawberry.type(description="A skill the extraction found, with its evidence.")
class ExtractedSkill:
    skill: Skill
    score: float
    relation: SkillRelation
    method: ExtractionMethod
    section: str | None
    spans: list[Span]
    via: str | None = strawberry.field(description="For expansion: '<relation>:<seed skill id>'.")
    also_in: list[strawberry.ID] = strawberry.field(
        default_factory=list,
        description="The same concept's ids in other taxonomies (the Lightcast twins of an ESCO skill): results "
                    "name one canonical skill per concept and keep these as cross-references.")

    @classmethod
    def from_scored(cls, s: ScoredSkill, text: str) -> ExtractedSkill:
        return cls(skill=Skill(id=strawberry.ID(s.skill_id), name=s.name, taxonomy=s.taxonomy),
                   score=s.score, relation=s.relation, method=s.method,
                   section=s.section, spans=[Span(start=a, end=b, text=text[a:b]) for a, b in s.spans], via=s.via,
                   also_in=[strawberry.ID(i) for i in s.also_in])


@strawberry.type(description="The result of running the extraction pipeline on a text.")
class Extraction:
    model_version: str
    domain: DocumentKind
    sections: list[Section]
    skills: list[ExtractedSkill]
    expanded: list[ExtractedSkill]
    notes: list[str] = strawberry.field(description="What was switched off and why, e.g. the semantic tagger.")
    language: str | None = strawberry.field(
        default=None, description="ISO 639-1 code of the language detected in the text (en, de, fr, es, nl, pt...).")

    @classmethod
    def from_document(cls, doc: Document, notes: list[str]) -> Extraction:
        return cls(model_version=doc.model_version or "", domain=doc.domain, language=doc.language,
                   sections=[Section(kind=s.kind, start=s.start, end=s.end, source=s.source) for s in doc.sections],
                   skills=[ExtractedSkill.from_scored(s, doc.text) for s in doc.skills],
                   expanded=[ExtractedSkill.from_scored(s, doc.text) for s in doc.expanded], notes=notes)


# -- entities ---------------------------------------------------------------------------------------
@strawberry.type(description="A skill on a document: extracted, given by feedback, or assessed.")
class EntitySkill:
    skill: Skill
    score: float | None
    relation: str | None
    method: str | None
    section: str | None
    model_version: str | None
    updated_at: Long | None = strawberry.field(description="Epoch milliseconds.")
    sources: list[str] = strawberry.field(description="Edge sources: extraction, feedback, assessment.")
    verified: bool = strawberry.field(description="Assessed at the 70th percentile or higher.")
    percentile: float | None
    language: str | None = strawberry.field(
        default=None, description="ISO 639-1 code of the text an extraction edge came from.")

    @classmethod
    def from_record(cls, r: dict[str, Any]) -> EntitySkill:
        return cls(skill=Skill(id=strawberry.ID(r["skillId"]), name=r["name"], taxonomy=r["taxonomy"]),
                   score=r["score"], relation=r["relation"], method=r["method"], section=r["section"],
                   model_version=r["modelVersion"], updated_at=r["updatedAt"], sources=list(r["sources"]),
                   verified=bool(r["verified"]), percentile=r["percentile"], language=r["language"])


@strawberry.type(description="A job, profile, course or post with its scored skills.")
class Entity:
    kind: DocumentKind
    id: strawberry.ID
    title: str | None
    version: Long | None = strawberry.field(description="Monotonic version of the last applied write.")
    model_version: str | None
    updated_at: Long | None = strawberry.field(description="Epoch milliseconds of the last applied write.")
    language: str | None = strawberry.field(
        default=None, description="ISO 639-1 code of the text of the last applied write.")

    @classmethod
    def from_record(cls, r: dict[str, Any]) -> Entity:
        return cls(kind=DocumentKind(r["kind"]), id=strawberry.ID(r["id"]), title=r["title"], version=r["version"],
                   model_version=r["modelVersion"], updated_at=r["updatedAt"], language=r["language"])

    @strawberry.field(description="Effective skills, highest score first (rejected skills left out).")
    async def skills(self, info: strawberry.Info[Context]) -> list[EntitySkill]:
        rows = await info.context.loaders.document_skills.load(f"{self.kind.value}:{self.id}")
        return [EntitySkill.from_record(r) for r in rows]


@strawberry.type
class UpsertResult:
    entity: Entity | None
    applied: bool = strawberry.field(description="False when a newer version was already stored.")
    skills_written: int
    model_version: str


@strawberry.type
class FeedbackResult:
    entity: Entity | None
    skill: Skill
    action: str


@strawberry.type
class AssessmentResult:
    profile_id: strawberry.ID
    skill: Skill
    percentile: float
    verified: bool


# -- search and expansion ---------------------------------------------------------------------------
@strawberry.type
class SkillHit:
    skill: Skill
    score: float = strawberry.field(description="Full-text relevance, or cosine similarity for semantic hits.")
    method: SearchMethod


@strawberry.type
class SkillSearch:
    method: str = strawberry.field(description="'fulltext+semantic', or 'fulltext only: <why>'.")
    semantic_available: bool
    hits: list[SkillHit]
    page_info: PageInfo


@strawberry.type
class ExpandedSkill:
    skill: Skill
    seed: strawberry.ID = strawberry.field(description="The input skill this one was reached from.")
    via: strawberry.ID = strawberry.field(description="The skill of the previous hop.")
    relation: GraphRelation
    depth: int
    score: float = strawberry.field(description="How well the skill fits the input skills, 0-1: relationPrior x "
                                                "edgeWeight x max(similarity, 0) x pathWeight; results come best first.")
    relation_prior: float = strawberry.field(description="What the relation passes on (same_as 0.9, parent 0.6, "
                                                         "child 0.45, sibling 0.35, same_group 0.25, related 1).")
    edge_weight: float = strawberry.field(description="The edge's strength: BROADER confidence (siblings: both "
                                                      "edges'), RELATED_TO weight; 1 for same_as and same_group.")
    similarity: float | None = strawberry.field(description="Cosine of the skill's vector to the input skills' mean "
                                                            "vector; null without skill vectors (then counted 0.5).")
    path_weight: float = strawberry.field(description="Prior x edge weight of the hops before this one (1 at depth 1).")


# -- matching ---------------------------------------------------------------------------------------
@strawberry.type(description="A job skill and how the profile covers it.")
class SkillCoverage:
    skill: Skill
    relation: str | None = strawberry.field(description="The job skill's relation: required, core, mentioned.")
    weight: float
    held: Skill | None = strawberry.field(description="The profile's closest skill, when any.")
    match: MatchRelation | None
    credit: float


@strawberry.type
class JobProfileMatch:
    job_id: strawberry.ID
    profile_id: strawberry.ID
    score: float = strawberry.field(description="Weighted coverage of the job's skills, 0-1, with partial credit.")
    overlap: list[SkillCoverage] = strawberry.field(description="Held exactly or through SAME_AS.")
    partial: list[SkillCoverage] = strawberry.field(description="Covered through a parent, child, sibling or group.")
    missing: list[SkillCoverage]
    embedding_similarity: float | None = strawberry.field(
        description="Cosine of the two skill sets' mean vectors; null when skill vectors are not available.")


@strawberry.type
class SkillGap:
    job_id: strawberry.ID
    profile_id: strawberry.ID
    missing: list[SkillCoverage] = strawberry.field(
        description="Wanted skills the profile lacks, most important first, each with its closest held skill.")


@strawberry.type
class RankedEntity:
    id: strawberry.ID
    title: str | None
    score: float
    matched: int
    kind: DocumentKind

    @strawberry.field
    async def entity(self, info: strawberry.Info[Context]) -> Entity | None:
        row = await info.context.loaders.document.load(f"{self.kind.value}:{self.id}")
        return Entity.from_record(row) if row else None
