"""Named Cypher, loaded once from ``kgservice/cypher/*.cypher`` (package data).

Queries live in files so taxonomists can read and run them, and so a query has one name across
the service, the tests and the docs. :class:`Query` lists the service's queries: a missing file
fails at import, not at the first request.
"""

from __future__ import annotations

import re
from enum import StrEnum
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

from kgservice.errors import ArtifactMissing
from kgservice.package_data import data_path

CYPHER_DIR = data_path("cypher")
SCHEMA_DIR = data_path("schema")
TAXONOMIST_DIR = CYPHER_DIR / "taxonomist"


class Query(StrEnum):
    """Service queries; the value is the file name without ``.cypher``."""

    COUNT_BY_LABEL = "count_by_label"
    COUNT_BY_RELATIONSHIP = "count_by_relationship"
    MERGE_SKILLS = "merge_skills"
    MERGE_SKILL_GROUPS = "merge_skill_groups"
    MERGE_GROUP_BROADER = "merge_group_broader"
    MERGE_SKILL_IN_GROUP = "merge_skill_in_group"
    MERGE_SKILL_BROADER = "merge_skill_broader"
    MERGE_SKILL_RELATED = "merge_skill_related"
    MERGE_OCCUPATIONS = "merge_occupations"
    MERGE_OCCUPATION_SKILLS = "merge_occupation_skills"
    MERGE_SAME_AS = "merge_same_as"
    SET_CANONICAL_SKILLS = "set_canonical_skills"
    MERGE_SKILL_ALIASES = "merge_skill_aliases"
    DELETE_STALE_SAME_AS = "delete_stale_same_as"
    GET_DERIVATION_INPUTS = "get_derivation_inputs"
    GET_GROUP_TREE = "get_group_tree"
    GET_SOURCE_BROADER = "get_source_broader"
    MERGE_DERIVED_IN_GROUP = "merge_derived_in_group"
    DELETE_STALE_DERIVED_IN_GROUP = "delete_stale_derived_in_group"
    MERGE_DERIVED_BROADER = "merge_derived_broader"
    DELETE_STALE_DERIVED_BROADER = "delete_stale_derived_broader"
    COUNT_SKILL_GRAPH = "count_skill_graph"
    GET_OCCUPATIONS_FOR_INDEX = "get_occupations_for_index"
    SEARCH_OCCUPATION_NAMES = "search_occupation_names"
    GET_OCCUPATIONS_BY_IDS = "get_occupations_by_ids"
    MERGE_TAXONOMY_VERSION = "merge_taxonomy_version"
    DELETE_TAXONOMY = "delete_taxonomy"
    GET_SKILLS_FOR_INDEX = "get_skills_for_index"
    GET_TAXONOMY_VERSIONS = "get_taxonomy_versions"
    EXPAND_NEIGHBOURS = "expand_neighbours"
    GET_SKILL_KEYS = "get_skill_keys"
    GET_SKILLS_BY_IDS = "get_skills_by_ids"
    GET_SKILL_NEIGHBOURS = "get_skill_neighbours"
    GET_SKILL_GROUPS = "get_skill_groups"
    SEARCH_SKILL_NAMES = "search_skill_names"
    GET_DOCUMENTS_BY_KEYS = "get_documents_by_keys"
    GET_DOCUMENT_SKILLS = "get_document_skills"
    WRITE_DOCUMENTS = "write_documents"
    MERGE_FEEDBACK_SKILL = "merge_feedback_skill"
    MERGE_REJECTED_SKILL = "merge_rejected_skill"
    MERGE_ASSESSMENT = "merge_assessment"
    GET_SKILL_LINKS = "get_skill_links"
    GET_TOP_CANDIDATES = "get_top_candidates"
    GET_TOP_JOBS = "get_top_jobs"
    GET_FEEDBACK_LABELS = "get_feedback_labels"
    GET_OCCUPATION_SKILL_RELATIONS = "get_occupation_skill_relations"
    GET_SAME_AS_NAMES = "get_same_as_names"
    GET_WARMUP_SKILL_IDS = "get_warmup_skill_ids"
    GET_WARMUP_DOCUMENTS = "get_warmup_documents"
    DELETE_DOCUMENTS_BY_ID_PREFIX = "delete_documents_by_id_prefix"
    MERGE_RELATED_SKILLS = "merge_related_skills"
    DELETE_STALE_RELATED = "delete_stale_related"
    GET_DOCUMENT_SKILL_SETS = "get_document_skill_sets"
    GET_SKILL_SUGGESTION_ENTRIES = "get_skill_suggestion_entries"
    GET_COURSE_RECOMMENDATIONS = "get_course_recommendations"
    GET_GROUP_SKILLS = "get_group_skills"
    GET_FEEDBACK_PRIORS = "get_feedback_priors"
    MERGE_JOB_SKILL_FLAG = "merge_job_skill_flag"


_COMMENT = re.compile(r"^\s*//.*$", re.MULTILINE)


def strip_comments(text: str) -> str:
    return _COMMENT.sub("", text).strip()


def _read_dir(directory: Path) -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(directory.glob("*.cypher"))}


@cache
def service_queries() -> Mapping[Query, str]:
    files = _read_dir(CYPHER_DIR)
    missing = [q.value for q in Query if q.value not in files]
    if missing:
        raise RuntimeError(f"kgservice/cypher/ lacks files for queries: {', '.join(missing)}")
    return MappingProxyType({q: strip_comments(files[q.value]) for q in Query})


@cache
def taxonomist_queries() -> Mapping[str, str]:
    """Raw text (with header comments) of the taxonomist's named queries; none found is an error, since
    the folder ships with the package (an install that lost its package data must not list nothing)."""
    queries = _read_dir(TAXONOMIST_DIR)
    if not queries:
        raise ArtifactMissing(f"no named queries (*.cypher) in {TAXONOMIST_DIR}: the package data is missing, "
                              "reinstall kgservice")
    return MappingProxyType(queries)


def schema_statements() -> list[str]:
    """Every statement of ``kgservice/schema/*.cypher`` in file order; each is idempotent (IF NOT EXISTS)."""
    statements: list[str] = []
    for path in sorted(SCHEMA_DIR.glob("*.cypher")):
        statements.extend(s.strip() for s in strip_comments(path.read_text(encoding="utf-8")).split(";") if s.strip())
    return statements


def header(text: str) -> str:
    """The leading ``//`` comment block of a query file: its purpose, parameters and columns."""
    lines = []
    for line in text.splitlines():
        if not line.startswith("//"):
            break
        lines.append(line[2:].strip())
    return "\n".join(lines)


def params_of(text: str) -> list[str]:
    return sorted(set(re.findall(r"\$([A-Za-z_][A-Za-z0-9_]*)", strip_comments(text))))
