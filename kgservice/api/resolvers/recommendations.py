"""Queries product teams build on: autocomplete, similar skills, courses for a skill gap, paged rankings,
and a job seeker's flag on a job's skill."""

from __future__ import annotations

import strawberry

from kgservice.api.access import NeedsWrite
from kgservice.api.context import Context
from kgservice.api.limits import bad_input, check_first, check_id, check_text, not_found
from kgservice.api.resolvers.entities import load_entity
from kgservice.api.types.documents import RankedEntity
from kgservice.api.types.enums import DocumentKind
from kgservice.api.types.pages import PageInfo, Window, decode_cursor, encode_cursor
from kgservice.api.types.recommendation import (CourseRecommendation, CourseRecommendations, RankedEntityPage,
                                                SimilarSkill, SkillFlag, SkillPage, SkillSuggestion)
from kgservice.api.types.skill import Skill
from kgservice.graph import product_queries, skill_queries
from kgservice.graph.document_writer import document_key

# An autocomplete prefix is a few characters of a label; longer text belongs to searchSkills.
MAX_PREFIX_CHARS = 100


async def _skill(info: strawberry.Info[Context], skill_id: str) -> dict:
    row = await info.context.loaders.skill.load(skill_id)
    if row is None:
        raise not_found(f"no skill with id {skill_id!r}")
    return row


def _ranked(rows: list[dict], kind: DocumentKind) -> list[RankedEntity]:
    return [RankedEntity(id=strawberry.ID(r["id"]), title=r["title"], score=round(r["score"], 4),
                         matched=r["matched"], kind=kind) for r in rows]

async def _ranked_page(info: strawberry.Info[Context], kind: DocumentKind, doc_id: str, ranked: DocumentKind,
                       query, first: int, after: str | None) -> RankedEntityPage:  # noqa: ANN001
    """One page of ``query``'s ranking (top candidates of a job, top jobs of a profile) after the cursor."""
    check_first(first)
    offset = decode_cursor(after)
    await load_entity(info, kind, doc_id)
    rows = await info.context.run(query, info.context.graph, document_key(kind.value, doc_id), offset + first + 1)
    window = Window.cut(rows, offset, first)
    return RankedEntityPage(items=_ranked(window.items, ranked), page_info=window.page_info)



@strawberry.type
class RecommendationQuery:
    @strawberry.field(description="Skills whose label or alias starts with `prefix` (case-insensitive), one per "
                                  "concept (ESCO canonical, Lightcast twins in alsoIn): an exact label or alias "
                                  "first, then label, alias and later-word prefixes, each by use and shortness.")
    async def suggest_skills(self, info: strawberry.Info[Context], prefix: str, first: int = 10
                             ) -> list[SkillSuggestion]:
        check_first(first)
        check_text(prefix, MAX_PREFIX_CHARS, name="prefix", setting="")
        ctx = info.context
        suggester = await ctx.run(ctx.services.suggester)
        return [SkillSuggestion(skill=Skill(id=strawberry.ID(s.concept.id), name=s.concept.name,
                                            taxonomy=s.concept.taxonomy),
                                matched=s.matched, match=s.kind,
                                also_in=[strawberry.ID(i) for i in s.concept.also_in])
                for s in suggester.suggest(prefix, first)]

    @strawberry.field(description="The skills nearest by meaning to a skill: neighbours in the HNSW skill index of "
                                  "the semantic tagger (its skill-tower vectors), one per concept, most similar "
                                  "first; a Lightcast twin answers as its ESCO skill. Null and an error when the skill is unknown; an error with code "
                                  "NOT_READY when the semantic artifacts are off.")
    async def similar_skills(self, info: strawberry.Info[Context], id: strawberry.ID, first: int = 10
                             ) -> list[SimilarSkill] | None:
        sid = check_id(str(id))
        check_first(first)
        ctx = info.context
        row = await _skill(info, sid)
        state = await ctx.services.pipeline()
        if state.semantic is None:
            from kgservice.errors import ArtifactMissing

            raise ArtifactMissing(f"similarSkills needs the semantic tagger: {state.semantic_note}")
        suggester = await ctx.run(ctx.services.suggester)
        own = suggester.concept(sid)
        # A Lightcast twin asks as its concept: the ESCO skill, whose vector the index holds.
        own_id, label = (own.id, own.name) if own is not None else (sid, row["name"])
        if "(" not in label:
            # Embedded only when the index lacks the skill (a Lightcast tool): a bare product name means
            # little to the tower ("Kubernetes" -> ecosystems, dock operations), its category as a
            # qualifier, as Lightcast writes "Docker (Software)", places it ("Kubernetes (IT Automation)"
            # -> automation technology, cloud technologies).
            groups = await ctx.loaders.groups.load(own_id)
            if groups and groups[0].get("name"):
                label = f"{label} ({groups[0]['name']})"
        # Twins collapse into one concept, and the skill's own twins are not neighbours: fetch spares.
        hits = await ctx.run(state.semantic.similar, own_id, label, 2 * first + 4)
        best: dict[str, float] = {}
        for hit, sim in hits:
            concept = suggester.concept(hit)
            head = concept.id if concept is not None else hit
            if head != own_id and head != sid and head not in best:
                best[head] = sim
        ranked = sorted(best.items(), key=lambda kv: -kv[1])[:first]
        rows = await ctx.loaders.skill.load_many([h for h, _ in ranked])
        out = []
        for (head, sim), r in zip(ranked, rows, strict=True):
            if r is None:
                continue
            concept = suggester.concept(head)
            out.append(SimilarSkill(skill=Skill.from_record(r), similarity=round(sim, 4),
                                    also_in=[strawberry.ID(i) for i in (concept.also_in if concept else ())]))
        return out

    @strawberry.field(description="Courses (documents of kind COURSE) whose skills cover the profile's gap for the "
                                  "job (the job's skills the profile lacks, less those the job seeker flagged as "
                                  "not relevant for this job), most coverage first; paged with `after`.")
    async def recommend_courses(self, info: strawberry.Info[Context], profile_id: strawberry.ID,
                                job_id: strawberry.ID, first: int = 10, after: str | None = None
                                ) -> CourseRecommendations | None:
        pid, jid = check_id(str(profile_id), "profileId"), check_id(str(job_id), "jobId")
        check_first(first)
        offset = decode_cursor(after)
        ctx = info.context
        await load_entity(info, DocumentKind.PROFILE, pid)
        await load_entity(info, DocumentKind.JOB, jid)
        found = await ctx.run(product_queries.course_recommendations, ctx.graph, document_key("job", jid),
                              document_key("profile", pid), offset + first + 1)
        window = Window.cut(found["courses"], offset, first)
        skill_ids = list(dict.fromkeys(s for c in window.items for s in c["covered"]))
        skills = dict(zip(skill_ids, await ctx.loaders.skill.load_many(skill_ids), strict=True))
        items = [CourseRecommendation(id=strawberry.ID(c["id"]), title=c["title"], coverage=round(c["coverage"], 4),
                                      covers=[Skill.from_record(skills[s]) for s in c["covered"] if skills[s]])
                 for c in window.items]
        return CourseRecommendations(job_id=strawberry.ID(jid), profile_id=strawberry.ID(pid),
                                     gap_skills=found["gapSkills"], items=items, page_info=window.page_info)

    @strawberry.field(description="A group's skills (IN_GROUP members) by name, paged with `after`; null and an "
                                  "error when the group is unknown or has no skills.")
    async def group_skills(self, info: strawberry.Info[Context], group_id: strawberry.ID, first: int = 50,
                           after: str | None = None) -> SkillPage | None:
        gid = check_id(str(group_id), "groupId")
        check_first(first)
        offset = decode_cursor(after)
        ctx = info.context
        rows, total = await ctx.run(product_queries.group_skills, ctx.graph, gid, offset, first + 1)
        if total == 0 and offset == 0:
            raise not_found(f"no skill group {gid!r} with skills")
        window = Window.cut(rows, 0, first)
        end = offset + len(window.items)
        for r in window.items:
            ctx.loaders.skill.prime(r["id"], r)
        return SkillPage(skills=[Skill.from_record(r) for r in window.items], total=total,
                         page_info=PageInfo(end_cursor=encode_cursor(end) if window.items else None,
                                            has_next_page=total > end))

    @strawberry.field(description="topCandidates with cursor pagination: pass pageInfo.endCursor as `after`.")
    async def top_candidates_page(self, info: strawberry.Info[Context], job_id: strawberry.ID, first: int = 10,
                                  after: str | None = None) -> RankedEntityPage | None:
        return await _ranked_page(info, DocumentKind.JOB, check_id(str(job_id), "jobId"), DocumentKind.PROFILE,
                                  skill_queries.top_candidates, first, after)

    @strawberry.field(description="topJobs with cursor pagination: pass pageInfo.endCursor as `after`.")
    async def top_jobs_page(self, info: strawberry.Info[Context], profile_id: strawberry.ID, first: int = 10,
                            after: str | None = None) -> RankedEntityPage | None:
        return await _ranked_page(info, DocumentKind.PROFILE, check_id(str(profile_id), "profileId"),
                                  DocumentKind.JOB, skill_queries.top_jobs, first, after)


@strawberry.type
class FlagMutation:
    @strawberry.mutation(description="A job seeker flags one of a job's skills as not relevant to them: stored against "
                                     "(profile, job, skill), left out of their gap for that job (recommendCourses); "
                                     "the job's skills are unchanged. Idempotent. Needs a write key.",
                         permission_classes=[NeedsWrite])
    async def flag_job_skill(self, info: strawberry.Info[Context], profile_id: strawberry.ID, job_id: strawberry.ID,
                             skill_id: strawberry.ID) -> SkillFlag | None:
        ctx = info.context
        pid, jid = check_id(str(profile_id), "profileId"), check_id(str(job_id), "jobId")
        sid = check_id(str(skill_id), "skillId")
        await load_entity(info, DocumentKind.PROFILE, pid)
        await load_entity(info, DocumentKind.JOB, jid)
        row = await _skill(info, sid)
        actor = ctx.caller.name if ctx.caller is not None else None
        stored = await ctx.run(product_queries.flag_job_skill, ctx.graph, document_key("profile", pid),
                               document_key("job", jid), sid, actor)
        if stored is None:
            raise bad_input(f"job {jid!r} has no skill {sid!r} to flag")
        return SkillFlag(profile_id=strawberry.ID(pid), job_id=strawberry.ID(jid), skill=Skill.from_record(row))
