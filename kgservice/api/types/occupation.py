"""ESCO occupations and title normalization results."""

from __future__ import annotations

from typing import Any

import strawberry


@strawberry.type(description="An ESCO occupation.")
class Occupation:
    id: strawberry.ID
    name: str
    taxonomy: str
    aliases: list[str] = strawberry.field(description="Alternative labels (split from the source text; "
                                                      "docs/skills-graph.md says how well).")
    description: str | None
    uri: str | None

    @classmethod
    def from_record(cls, r: dict[str, Any]) -> Occupation:
        return cls(id=strawberry.ID(r["id"]), name=r["name"], taxonomy=r["taxonomy"],
                   aliases=list(r.get("aliases") or []), description=r.get("description"), uri=r.get("uri"))


@strawberry.type(description="An occupation a title names, with how well.")
class OccupationMatch:
    occupation: Occupation
    score: float = strawberry.field(description="1.0 when the title is the occupation's preferred label; about "
                                                "0.9-1.0 for one of its alternative labels; else the cosine of "
                                                "the title and the nearest label.")
    matched_label: str = strawberry.field(description="The occupation's label that matched the title best.")
    method: str = strawberry.field(description="'label', 'vector' or 'fulltext'.")


@strawberry.type
class TitleNormalization:
    method: str = strawberry.field(description="'label+vector+fulltext', or 'label+fulltext only: <why>'.")
    title: str = strawberry.field(description="The part of the title that was matched (seniority words and "
                                              "a headline's tagline left out).")
    matches: list[OccupationMatch]
