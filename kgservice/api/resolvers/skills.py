"""Queries over the taxonomy: one skill, search by name and meaning, expansion."""

from __future__ import annotations

import strawberry

from kgservice.api.context import Context
from kgservice.api.limits import MAX_SEARCH_CHARS, check_depth, check_first, check_id, check_ids, check_text, not_found
from kgservice.api.types.documents import ExpandedSkill, SkillHit, SkillSearch
from kgservice.api.types.enums import GraphRelation, SearchMethod
from kgservice.api.types.pages import Window, decode_cursor
from kgservice.api.types.skill import Skill
from kgservice.graph import skill_queries

# How deep searchSkills pages through meaning-only hits (an HNSW query for k items costs about k).
MAX_SEMANTIC_HITS = 500


@strawberry.type
class SkillQuery:
    @strawberry.field(description="A skill by id (e.g. 'esco:<uuid>', 'lightcast:<id>'); null and an error when unknown.")
    async def skill(self, info: strawberry.Info[Context], id: strawberry.ID) -> Skill | None:
        check_id(id)
        row = await info.context.loaders.skill.load(str(id))
        if row is None:
            raise not_found(f"no skill with id {id!r}")
        return Skill.from_record(row)

    @strawberry.field(description="Skills by name or alias (full-text index skill_names) and, when the semantic "
                                  "artifacts exist, by meaning; `method` says which ran. Paged with `after` "
                                  "(pageInfo.endCursor); meaning-only hits stop after the first "
                                  f"{MAX_SEMANTIC_HITS}.")
    async def search_skills(self, info: strawberry.Info[Context], text: str, first: int = 10,
                            after: str | None = None) -> SkillSearch:
        check_first(first)
        check_text(text, MAX_SEARCH_CHARS, setting="")
        offset = decode_cursor(after)
        wanted = offset + first + 1  # one more than the page: whether there is a next one
        ctx = info.context
        rows = await ctx.run(skill_queries.search_skill_names, ctx.graph, text, wanted)
        hits: dict[str, tuple[Skill, float, SearchMethod]] = {}
        for r in rows:
            ctx.loaders.skill.prime(r["id"], r)
            hits[r["id"]] = (Skill.from_record(r), float(r["score"]), SearchMethod.FULLTEXT)
        state = await ctx.services.pipeline()
        if state.semantic is None:
            method = f"fulltext only: {state.semantic_note}"
        else:
            method = "fulltext+semantic"
            semantic = await ctx.run(state.semantic.search, text, min(wanted, MAX_SEMANTIC_HITS))
            for sid, _ in semantic:
                if sid in hits:
                    skill, ft, _ = hits[sid]
                    hits[sid] = (skill, ft, SearchMethod.BOTH)
            # One batched load for every meaning-only hit, not a round trip each.
            fresh = [(sid, score) for sid, score in semantic if sid not in hits]
            rows = await ctx.loaders.skill.load_many([sid for sid, _ in fresh])
            for (sid, score), row in zip(fresh, rows, strict=True):
                if row is not None:
                    hits[sid] = (Skill.from_record(row), score, SearchMethod.SEMANTIC)
        ranked = list(hits.values()) if state.semantic is None else sorted(
            hits.values(), key=lambda h: (h[2] is not SearchMethod.BOTH, -h[1]))
        window = Window.cut(ranked, offset, first)
        return SkillSearch(method=method, semantic_available=state.semantic is not None,
                           hits=[SkillHit(skill=s, score=round(sc, 4), method=m) for s, sc, m in window.items],
                           page_info=window.page_info)

    @strawberry.field(description="Skills reachable from `ids` over `relations`, up to `depth` hops (max 3), best fit to "
                                  "the input skills first (`score` and its parts say why), never by name.")
    async def expand_skills(self, info: strawberry.Info[Context], ids: list[strawberry.ID],
                            relations: list[GraphRelation] | None = None, depth: int = 1,
                            first: int = 50) -> list[ExpandedSkill]:
        ids = check_ids([str(i) for i in ids])
        check_depth(depth)
        check_first(first)
        ctx = info.context
        known = await ctx.loaders.skill.load_many(ids)
        unknown = [i for i, row in zip(ids, known) if row is None]
        if unknown:
            raise not_found(f"unknown skill ids: {', '.join(unknown)}")
        rels = [r.value for r in (relations or list(GraphRelation))]
        vectors = await ctx.run(ctx.services.skill_vectors)
        hits = await ctx.run(skill_queries.expand_skills, ctx.graph, ids, rels, depth, 10, vectors)
        return [ExpandedSkill(skill=Skill.from_record(h), seed=strawberry.ID(h["seed"]), via=strawberry.ID(h["via"]),
                              relation=GraphRelation(h["relation"]), depth=h["depth"], score=h["score"],
                              relation_prior=h["prior"], edge_weight=h["edgeWeight"], similarity=h["similarity"],
                              path_weight=h["path"]) for h in hits[:first]]
