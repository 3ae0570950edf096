"""entity(kind, id) and the mutations that write documents, feedback and assessments."""

from __future__ import annotations

from functools import partial

import strawberry

from kgservice.api.context import Context
from kgservice.api.dataloaders import forget
from kgservice.api.access import NeedsAdmin, NeedsWrite
from kgservice.api.limits import bad_input, check_id, not_found
from kgservice.api.types.documents import AssessmentResult, Entity, FeedbackResult, UpsertResult
from kgservice.api.types.enums import DocumentKind, FeedbackAction, Long, SkillRelation
from kgservice.api.types.skill import Skill
from kgservice.graph import skill_queries
from kgservice.document_extraction import CheckedInput, extract_writes
from kgservice.graph.document_writer import document_key, write_documents
from kgservice.input_validation import now_ms


async def load_entity(info: strawberry.Info[Context], kind: DocumentKind, id: str) -> Entity:
    row = await info.context.loaders.document.load(document_key(kind.value, id))
    if row is None:
        raise not_found(f"no {kind.value} with id {id!r}")
    return Entity.from_record(row)


@strawberry.type
class EntityQuery:
    @strawberry.field(description="A job, profile, course or post with its scored skills; null and an error when unknown.")
    async def entity(self, info: strawberry.Info[Context], kind: DocumentKind, id: strawberry.ID) -> Entity | None:
        return await load_entity(info, kind, check_id(str(id)))


@strawberry.type
class EntityMutation:
    @strawberry.mutation(description="Extract skills from a document and replace its extracted HAS_SKILL edges in one "
                                     "transaction (feedback and assessment edges are kept). `version` defaults to "
                                     "now in ms and may be at most a day ahead of the server's clock; a version older "
                                     "than the stored one is ignored (`applied: false`). Needs a write key.",
                         permission_classes=[NeedsWrite])
    async def upsert_document(self, info: strawberry.Info[Context], kind: DocumentKind, id: strawberry.ID,
                              text: str, title: str | None = None, version: Long | None = None,
                              with_expansion: bool = False) -> UpsertResult:
        ctx = info.context
        doc_id = str(id)
        version = now_ms() if version is None else version
        checked = CheckedInput.check(kind.value, doc_id, text, title, version, max_chars=ctx.settings.pipeline.max_chars)
        state = await ctx.services.pipeline()
        (write,) = await ctx.run(partial(extract_writes, with_expansion=with_expansion), state.pipeline, [checked])
        report = await ctx.run(write_documents, ctx.graph, [write])
        result = report.results[0]
        key = document_key(kind.value, doc_id)
        forget(ctx.loaders.document, key)
        forget(ctx.loaders.document_skills, key)
        return UpsertResult(entity=await load_entity(info, kind, doc_id), applied=result.applied,
                            skills_written=result.written, model_version=write.model_version)

    @strawberry.mutation(description="A recruiter's ACCEPT / REMOVE / ADD of a job's skill, or a job seeker's "
                                     "NOT_RELEVANT flag on a skill of their profile. Needs a write key; the feedback's "
                                     "actor is the key's name.", permission_classes=[NeedsWrite])
    async def record_feedback(self, info: strawberry.Info[Context], kind: DocumentKind, id: strawberry.ID,
                              skill_id: strawberry.ID, action: FeedbackAction,
                              relation: SkillRelation = SkillRelation.REQUIRED) -> FeedbackResult | None:
        ctx = info.context
        doc_id, sid = check_id(str(id)), check_id(str(skill_id), "skillId")
        if action is FeedbackAction.NOT_RELEVANT and kind is not DocumentKind.PROFILE:
            raise bad_input("NOT_RELEVANT is a job seeker's flag on their PROFILE's skills")
        if action is not FeedbackAction.NOT_RELEVANT and kind is not DocumentKind.JOB:
            raise bad_input(f"{action.name} is a recruiter's feedback on a JOB's skills")
        await load_entity(info, kind, doc_id)
        skill_row = await ctx.loaders.skill.load(sid)
        if skill_row is None:
            raise not_found(f"no skill with id {sid!r}")
        key = document_key(kind.value, doc_id)
        actor = ctx.caller.name if ctx.caller is not None else None
        row = await ctx.run(skill_queries.record_feedback, ctx.graph, key, sid, action.value, actor, relation.value)
        if row is None:
            raise not_found(f"{kind.value} {doc_id!r} or skill {sid!r} disappeared")
        forget(ctx.loaders.document_skills, key)
        ctx.services.feedback_changed()
        return FeedbackResult(entity=await load_entity(info, kind, doc_id), skill=Skill.from_record(skill_row),
                              action=action.value)

    @strawberry.mutation(description="Record an assessment; the skill is verified at the 70th percentile or higher. "
                                     "Needs an admin key.", permission_classes=[NeedsAdmin])
    async def record_assessment(self, info: strawberry.Info[Context], profile_id: strawberry.ID,
                                skill_id: strawberry.ID, percentile: float) -> AssessmentResult | None:
        ctx = info.context
        pid, sid = check_id(str(profile_id), "profileId"), check_id(str(skill_id), "skillId")
        if not 0.0 <= percentile <= 100.0:
            raise bad_input(f"`percentile` must be between 0 and 100, got {percentile}")
        await load_entity(info, DocumentKind.PROFILE, pid)
        skill_row = await ctx.loaders.skill.load(sid)
        if skill_row is None:
            raise not_found(f"no skill with id {sid!r}")
        row = await ctx.run(skill_queries.record_assessment, ctx.graph, document_key("profile", pid), sid, percentile)
        if row is None:
            raise not_found(f"profile {pid!r} or skill {sid!r} disappeared")
        return AssessmentResult(profile_id=strawberry.ID(pid), skill=Skill.from_record(skill_row),
                                percentile=float(row["percentile"]), verified=bool(row["verified"]))
