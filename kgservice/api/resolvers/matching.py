"""Job-profile matching, skill gaps, and ranking over the graph."""

from __future__ import annotations

from typing import Any

import strawberry

from kgservice.api.context import Context
from kgservice.api.limits import check_first, check_id
from kgservice.api.resolvers.entities import load_entity
from kgservice.api.types.documents import JobProfileMatch, RankedEntity, SkillCoverage, SkillGap
from kgservice.api.types.enums import DocumentKind, MatchRelation, SkillRelation
from kgservice.api.types.skill import Skill
from kgservice.graph import match_scoring, skill_queries
from kgservice.graph.document_writer import document_key
from kgservice.graph.match_scoring import SkillCredit


def _coverage(c: SkillCredit, held: dict[str, dict[str, Any]]) -> SkillCoverage:
    w = c.wanted
    h = held.get(c.held_id) if c.held_id else None
    return SkillCoverage(
        skill=Skill(id=strawberry.ID(w["skillId"]), name=w["name"], taxonomy=w["taxonomy"]),
        relation=w.get("relation"), weight=round(c.weight, 4),
        held=Skill(id=strawberry.ID(h["skillId"]), name=h["name"], taxonomy=h["taxonomy"]) if h else None,
        match=MatchRelation(c.relation) if c.relation else None, credit=c.credit)


async def _credits(info: strawberry.Info[Context], job_id: str, profile_id: str
                   ) -> tuple[list[SkillCredit], list[dict[str, Any]], list[dict[str, Any]]]:
    ctx = info.context
    await load_entity(info, DocumentKind.JOB, job_id)
    await load_entity(info, DocumentKind.PROFILE, profile_id)
    job_skills, profile_skills = await ctx.loaders.document_skills.load_many(
        [document_key("job", job_id), document_key("profile", profile_id)])
    links = await ctx.run(skill_queries.skill_links, ctx.graph, [s["skillId"] for s in job_skills],
                          [s["skillId"] for s in profile_skills])
    return match_scoring.best_credits(job_skills, links), job_skills, profile_skills


@strawberry.type
class MatchQuery:
    @strawberry.field(description="How well a profile covers a job: exact overlap, partial credit through siblings, "
                                  "parents, children, strongly related skills and groups (weighed by the edges' confidence and "
                                  "co-occurrence weight), and an embedding similarity when skill vectors exist.")
    async def match_job_to_profile(self, info: strawberry.Info[Context], job_id: strawberry.ID,
                                   profile_id: strawberry.ID) -> JobProfileMatch | None:
        jid, pid = check_id(str(job_id), "jobId"), check_id(str(profile_id), "profileId")
        credits, job_skills, profile_skills = await _credits(info, jid, pid)
        result = match_scoring.MatchResult(match_scoring.match_score(credits), credits)
        state = await info.context.services.pipeline()
        if state.semantic is not None and job_skills and profile_skills:
            ids = [s["skillId"] for s in job_skills + profile_skills]
            vectors = await info.context.run(state.semantic.skill_vectors, ids)
            if vectors:
                a = {s["skillId"]: (vectors[s["skillId"]], match_scoring.skill_weight(s))
                     for s in job_skills if s["skillId"] in vectors}
                b = {s["skillId"]: (vectors[s["skillId"]], match_scoring.skill_weight(s))
                     for s in profile_skills if s["skillId"] in vectors}
                result.embedding_similarity = match_scoring.weighted_cosine(a, b)
        held = {s["skillId"]: s for s in profile_skills}
        return JobProfileMatch(job_id=strawberry.ID(jid), profile_id=strawberry.ID(pid), score=result.score,
                               overlap=[_coverage(c, held) for c in result.exact],
                               partial=[_coverage(c, held) for c in result.partial],
                               missing=[_coverage(c, held) for c in result.missing],
                               embedding_similarity=result.embedding_similarity)

    @strawberry.field(description="The job's skills the profile lacks (default: required and core), most important "
                                  "first, each with the closest skill the member has.")
    async def skill_gap(self, info: strawberry.Info[Context], profile_id: strawberry.ID, job_id: strawberry.ID,
                        relations: list[SkillRelation] | None = None) -> SkillGap | None:
        jid, pid = check_id(str(job_id), "jobId"), check_id(str(profile_id), "profileId")
        credits, _, profile_skills = await _credits(info, jid, pid)
        rels = [r.value for r in (relations or [SkillRelation.REQUIRED, SkillRelation.CORE])]
        held = {s["skillId"]: s for s in profile_skills}
        return SkillGap(job_id=strawberry.ID(jid), profile_id=strawberry.ID(pid),
                        missing=[_coverage(c, held) for c in match_scoring.rank_gaps(credits, rels)])

    @strawberry.field(description="Profiles that best cover a job's skills, over the graph.")
    async def top_candidates(self, info: strawberry.Info[Context], job_id: strawberry.ID,
                             first: int = 10) -> list[RankedEntity] | None:
        jid = check_id(str(job_id), "jobId")
        check_first(first)
        await load_entity(info, DocumentKind.JOB, jid)
        rows = await info.context.run(skill_queries.top_candidates, info.context.graph, document_key("job", jid), first)
        return [RankedEntity(id=strawberry.ID(r["id"]), title=r["title"], score=round(r["score"], 4),
                             matched=r["matched"], kind=DocumentKind.PROFILE) for r in rows]

    @strawberry.field(description="Jobs whose skills a profile best covers, over the graph.")
    async def top_jobs(self, info: strawberry.Info[Context], profile_id: strawberry.ID,
                       first: int = 10) -> list[RankedEntity] | None:
        pid = check_id(str(profile_id), "profileId")
        check_first(first)
        await load_entity(info, DocumentKind.PROFILE, pid)
        rows = await info.context.run(skill_queries.top_jobs, info.context.graph, document_key("profile", pid), first)
        return [RankedEntity(id=strawberry.ID(r["id"]), title=r["title"], score=round(r["score"], 4),
                             matched=r["matched"], kind=DocumentKind.JOB) for r in rows]
