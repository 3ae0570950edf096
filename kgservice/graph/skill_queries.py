"""Read-side functions over the Skills Graph and its documents, for the GraphQL resolvers and workers.

Every function takes the process's :class:`Graph` and runs named Cypher (``kgservice/cypher/*.cypher``); batch
functions take many keys and return results aligned to them, ``None`` (or an empty list) for misses,
so DataLoaders can call them directly. Matching arithmetic that needs no database lives here too, as
pure functions over rows the queries return.
"""

from __future__ import annotations

import math
import re
import time
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from kgservice.graph.cypher import Query
from kgservice.graph.driver import Graph

Row = dict[str, Any]

# Relation of a required skill -> weight in matching; mirrors get_top_candidates.cypher.
RELATION_WEIGHTS: Mapping[str, float] = {"required": 1.0, "core": 0.8, "mentioned": 0.5}
VERIFIED_PERCENTILE = 70.0
NEIGHBOUR_LIMIT = 50
EXPANSION_RELATIONS = ("parent", "child", "sibling", "same_group", "same_as")
_LUCENE_SPECIAL = re.compile(r'([+\-&|!(){}\[\]^"~*?:\\/])')


# -- skills -----------------------------------------------------------------------------------------
def skills_by_ids(graph: Graph, ids: Sequence[str]) -> list[Row | None]:
    rows = {r["id"]: r for r in graph.read(Query.GET_SKILLS_BY_IDS, ids=list(dict.fromkeys(ids)))}
    return [rows.get(i) for i in ids]


def skill_neighbours(graph: Graph, ids: Sequence[str], limit: int = NEIGHBOUR_LIMIT) -> list[dict[str, list[Row]]]:
    """Per skill: ``{"parent": [...], "child": [...], "sibling": [...], "related": [...], "same_as": [...]}``."""
    out: dict[str, dict[str, list[Row]]] = defaultdict(lambda: defaultdict(list))
    for r in graph.read(Query.GET_SKILL_NEIGHBOURS, ids=list(dict.fromkeys(ids)), limit=limit):
        out[r["seed"]][r["relation"]].append(r)
    return [dict(out[i]) if i in out else {} for i in ids]


def skill_groups(graph: Graph, ids: Sequence[str]) -> list[list[Row]]:
    """Per skill: its groups, most specific first, each with ``path`` from the top group down."""
    out: dict[str, list[Row]] = defaultdict(list)
    for r in graph.read(Query.GET_SKILL_GROUPS, ids=list(dict.fromkeys(ids))):
        out[r["seed"]].append(r)
    return [out.get(i, []) for i in ids]


def lucene_query(text: str) -> str:
    """User text as a safe Lucene query: the whole phrase boosted, or any of its words."""
    raw = [w for w in text.split() if w.strip('"\\')]
    words = [_LUCENE_SPECIAL.sub(r"\\\1", w.lower() if w in ("AND", "OR", "NOT") else w) for w in raw]
    words = [w for w in words if w.strip("\\")]
    if not words:
        return ""
    phrase = " ".join(w.replace("\\", "").replace('"', "") for w in raw).strip()
    return (f'"{phrase}"^3 ' if phrase else "") + " ".join(words)


def search_skill_names(graph: Graph, text: str, first: int) -> list[Row]:
    query = lucene_query(text)
    if not query:
        return []
    return graph.read(Query.SEARCH_SKILL_NAMES, text=query, first=first)


Neighbour = tuple[str, str, str, str, int]  # id, name, taxonomy, relation, support


def expansion_neighbours(graph: Graph, ids: Sequence[str], per_relation: int) -> dict[str, list[Neighbour]]:
    """Each of ``ids`` -> its graph neighbours (``kgservice/cypher/expand_neighbours.cypher``), at most
    ``per_relation`` children, siblings and same-group skills each; an id with none (or unknown) maps to []."""
    found: dict[str, list[Neighbour]] = {i: [] for i in ids}
    for r in graph.read(Query.EXPAND_NEIGHBOURS, ids=list(found), limit=per_relation):
        found[r["seed"]] = list(zip(r["ids"], r["names"], r["taxonomies"], r["relations"], r["supports"], strict=True))
    return found


def expand_skills(graph: Graph, ids: Sequence[str], relations: Sequence[str], depth: int,
                  per_relation: int = 10) -> list[Row]:
    """Skills reachable from ``ids`` over ``relations`` in up to ``depth`` hops, one round trip per hop.

    Each hit: ``{seed, via, id, name, taxonomy, relation, depth}``; ``seed`` is the starting skill,
    ``via`` the skill of the previous hop. The first (shortest) path to a skill wins.
    """
    wanted = set(relations)
    seen: set[str] = set(ids)
    frontier = {i: i for i in dict.fromkeys(ids)}  # skill id -> seed it came from
    hits: list[Row] = []
    for hop in range(1, depth + 1):
        if not frontier:
            break
        nxt: dict[str, str] = {}
        for via, neighbours in expansion_neighbours(graph, list(frontier), per_relation).items():
            for skill_id, name, taxonomy, relation, support in neighbours:
                if relation not in wanted or skill_id in seen:
                    continue
                seen.add(skill_id)
                seed = frontier[via]
                nxt[skill_id] = seed
                hits.append({"seed": seed, "via": via, "id": skill_id, "name": name, "taxonomy": taxonomy,
                             "relation": relation, "depth": hop, "support": support})
        frontier = nxt
    return hits


# -- documents ----------------------------------------------------------------------------------------
def documents_by_keys(graph: Graph, keys: Sequence[str]) -> list[Row | None]:
    rows = {r["key"]: r for r in graph.read(Query.GET_DOCUMENTS_BY_KEYS, ids=list(dict.fromkeys(keys)))}
    return [rows.get(k) for k in keys]


def document_skills(graph: Graph, keys: Sequence[str]) -> list[list[Row]]:
    """Per document: its effective skills (feedback over extraction over assessment, minus rejected)."""
    out: dict[str, list[Row]] = defaultdict(list)
    for r in graph.read(Query.GET_DOCUMENT_SKILLS, ids=list(dict.fromkeys(keys))):
        out[r["key"]].append(r)
    return [out.get(k, []) for k in keys]


def record_feedback(graph: Graph, key: str, skill_id: str, action: str, actor: str | None,
                    relation: str = "required") -> Row | None:
    """Apply a person's accept/add (a feedback HAS_SKILL edge) or remove/not_relevant (REJECTED_SKILL)."""
    now = int(time.time() * 1000)
    if action in ("accept", "add"):
        rows = graph.write(Query.MERGE_FEEDBACK_SKILL, key=key, skillId=skill_id, action=action,
                           relation=relation, actor=actor or "", updatedAt=now)
    elif action in ("remove", "not_relevant"):
        rows = graph.write(Query.MERGE_REJECTED_SKILL, key=key, skillId=skill_id, action=action,
                           actor=actor or "", updatedAt=now)
    else:
        raise ValueError(f"unknown feedback action {action!r}")
    return rows[0] if rows else None


def record_assessment(graph: Graph, key: str, skill_id: str, percentile: float) -> Row | None:
    rows = graph.write(Query.MERGE_ASSESSMENT, key=key, skillId=skill_id, percentile=float(percentile),
                       verified=percentile >= VERIFIED_PERCENTILE, updatedAt=int(time.time() * 1000))
    return rows[0] if rows else None


# -- matching -----------------------------------------------------------------------------------------
def skill_links(graph: Graph, wanted: Sequence[str], held: Sequence[str]) -> dict[str, list[Row]]:
    """Per wanted skill id: the held skills linked to it (exact, same_as, parent, child, sibling, same_group)."""
    if not wanted or not held:
        return {}
    out: dict[str, list[Row]] = defaultdict(list)
    for r in graph.read(Query.GET_SKILL_LINKS, ids=list(dict.fromkeys(wanted)), rows=list(dict.fromkeys(held))):
        out[r["id"]].append(r)
    return dict(out)


def top_candidates(graph: Graph, job_key: str, first: int) -> list[Row]:
    return graph.read(Query.GET_TOP_CANDIDATES, key=job_key, first=first)


def top_jobs(graph: Graph, profile_key: str, first: int) -> list[Row]:
    return graph.read(Query.GET_TOP_JOBS, key=profile_key, first=first)


def skill_weight(row: Mapping[str, Any]) -> float:
    score = row.get("score")
    return (1.0 if score is None else float(score)) * RELATION_WEIGHTS.get(row.get("relation") or "", 0.5)


@dataclass(frozen=True, slots=True)
class SkillCredit:
    """How a profile covers one job skill: the best held skill and the credit it earns."""

    wanted: Row
    held_id: str | None
    relation: str | None  # exact, same_as, parent, child, sibling, same_group; None when uncovered
    credit: float
    weight: float


@dataclass(slots=True)
class MatchResult:
    score: float
    credits: list[SkillCredit] = field(default_factory=list)
    embedding_similarity: float | None = None

    @property
    def exact(self) -> list[SkillCredit]:
        return [c for c in self.credits if c.relation in ("exact", "same_as")]

    @property
    def partial(self) -> list[SkillCredit]:
        return [c for c in self.credits if c.relation is not None and c.relation not in ("exact", "same_as")]

    @property
    def missing(self) -> list[SkillCredit]:
        return [c for c in self.credits if c.relation is None]


def best_credits(wanted: Sequence[Row], links: Mapping[str, list[Row]]) -> list[SkillCredit]:
    out = []
    for w in wanted:
        found = links.get(w["skillId"], [])
        best = max(found, key=lambda r: (r["credit"], r["relation"] == "exact", r["target"]), default=None)
        out.append(SkillCredit(w, best["target"] if best else None, best["relation"] if best else None,
                               float(best["credit"]) if best else 0.0, skill_weight(w)))
    return out


def match_score(credits: Sequence[SkillCredit]) -> float:
    total = sum(c.weight for c in credits)
    return round(sum(c.weight * c.credit for c in credits) / total, 4) if total > 0 else 0.0


def weighted_cosine(a: Mapping[str, tuple[Sequence[float], float]],
                    b: Mapping[str, tuple[Sequence[float], float]]) -> float | None:
    """Cosine of the weighted mean vectors of two skill sets (``id -> (vector, weight)``)."""
    if not a or not b:
        return None

    def mean(vs: Mapping[str, tuple[Sequence[float], float]]) -> list[float]:
        dim = len(next(iter(vs.values()))[0])
        acc = [0.0] * dim
        for vec, weight in vs.values():
            for i, x in enumerate(vec):
                acc[i] += weight * float(x)
        return acc

    u, v = mean(a), mean(b)
    nu, nv = math.sqrt(sum(x * x for x in u)), math.sqrt(sum(x * x for x in v))
    if nu == 0 or nv == 0:
        return None
    return round(sum(x * y for x, y in zip(u, v)) / (nu * nv), 4)


def rank_gaps(credits: Sequence[SkillCredit], relations: Sequence[str]) -> list[SkillCredit]:
    """Wanted skills not held exactly (or via SAME_AS), in ``relations``, most important first."""
    gaps = [c for c in credits if c.relation not in ("exact", "same_as")
            and (c.wanted.get("relation") or "mentioned") in relations]
    return sorted(gaps, key=lambda c: (-c.weight, -c.credit, c.wanted.get("name") or ""))
