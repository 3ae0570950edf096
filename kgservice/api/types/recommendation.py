"""Result types of the product queries (kgservice/api/resolvers/recommendations.py)."""

from __future__ import annotations

import strawberry

from kgservice.api.types.documents import RankedEntity
from kgservice.api.types.pages import PageInfo
from kgservice.api.types.skill import Skill


@strawberry.type(description="A page of ranked jobs or profiles.")
class RankedEntityPage:
    items: list[RankedEntity]
    page_info: PageInfo


@strawberry.type(description="A page of a group's skills, by name.")
class SkillPage:
    skills: list[Skill]
    total: int
    page_info: PageInfo


@strawberry.type(description="A skill near another by meaning (cosine of their skill-tower vectors).")
class SimilarSkill:
    skill: Skill
    similarity: float
    also_in: list[strawberry.ID] = strawberry.field(description="The concept's ids in other taxonomies.")


@strawberry.type(description="An autocomplete suggestion: one skill per concept.")
class SkillSuggestion:
    skill: Skill
    matched: str = strawberry.field(description="The label or alias that starts with the prefix.")
    match: str = strawberry.field(description="'exact' (a label or alias is the prefix), 'label', 'alias', or "
                                              "'word' (a later word of the label).")
    also_in: list[strawberry.ID] = strawberry.field(description="The concept's ids in other taxonomies.")


@strawberry.type(description="A course and how much of a profile's gap for a job it covers.")
class CourseRecommendation:
    id: strawberry.ID
    title: str | None
    coverage: float = strawberry.field(description="Covered gap weight / the gap's weight (0-1).")
    covers: list[Skill] = strawberry.field(description="The gap skills the course teaches, heaviest first.")


@strawberry.type(description="Courses for a profile's gap for a job, most coverage first.")
class CourseRecommendations:
    job_id: strawberry.ID
    profile_id: strawberry.ID
    gap_skills: int = strawberry.field(description="Job skills the profile lacks (rejected and flagged ones out).")
    items: list[CourseRecommendation]
    page_info: PageInfo


@strawberry.type(description="A job seeker's flag on a job's skill, stored against (profile, job, skill).")
class SkillFlag:
    profile_id: strawberry.ID
    job_id: strawberry.ID
    skill: Skill
