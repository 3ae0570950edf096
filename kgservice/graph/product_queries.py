"""Reads and writes behind recommendCourses, the paged group members and a job seeker's job-skill flags.

Each runs one named query (``cypher/*.cypher``) on the process's :class:`Graph`.
"""

from __future__ import annotations

import time
from typing import Any

from kgservice.graph.cypher import Query
from kgservice.graph.driver import Graph

Row = dict[str, Any]


def course_recommendations(graph: Graph, job_key: str, profile_key: str, limit: int) -> Row:
    """``{gapSkills, courses: [{id, title, coverage, covered}]}``: at most ``limit`` courses, best first."""
    rows = graph.read(Query.GET_COURSE_RECOMMENDATIONS, jobKey=job_key, profileKey=profile_key, limit=limit)
    return rows[0] if rows else {"gapSkills": 0, "courses": []}


def group_skills(graph: Graph, group_id: str, offset: int, limit: int) -> tuple[list[Row], int]:
    """One page of a group's skills by name, and how many the group has (0 for a page past the end)."""
    rows = graph.read(Query.GET_GROUP_SKILLS, id=group_id, offset=offset, limit=limit)
    return rows, (rows[0]["total"] if rows else 0)


def flag_job_skill(graph: Graph, profile_key: str, job_key: str, skill_id: str, actor: str | None) -> Row | None:
    """Store a job seeker's "not relevant to me" on a job's skill; None when the job lacks the skill."""
    rows = graph.write(Query.MERGE_JOB_SKILL_FLAG, profileKey=profile_key, jobKey=job_key, skillId=skill_id,
                       actor=actor or "", updatedAt=int(time.time() * 1000))
    return rows[0] if rows else None
