"""Queries over ESCO occupations: a job title or headline -> ranked occupations."""

from __future__ import annotations

import strawberry

from kgservice.api.context import Context
from kgservice.api.limits import MAX_SEARCH_CHARS, check_first, check_text
from kgservice.api.types.occupation import Occupation, OccupationMatch, TitleNormalization
from kgservice.graph.occupation_titles import core_title


@strawberry.type
class OccupationQuery:
    @strawberry.field(description="ESCO occupations a job title or a member's headline names, best first: by "
                                  "label and alias match and by the meaning of the title "
                                  "(kgservice/graph/occupation_titles.py).")
    async def normalize_title(self, info: strawberry.Info[Context], title: str, first: int = 5) -> TitleNormalization:
        check_first(first)
        check_text(title, MAX_SEARCH_CHARS, name="title", setting="")
        ctx = info.context
        found = await ctx.run(ctx.services.titles().normalize, title, first)
        return TitleNormalization(method=found.method, title=core_title(title), matches=[
            OccupationMatch(occupation=Occupation.from_record(m.occupation), score=m.score, matched_label=m.label,
                            method=m.method) for m in found.matches])
