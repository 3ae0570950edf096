"""Read-side functions over the Skills Graph and its documents, for the GraphQL resolvers and workers.

Every function takes the process's :class:`Graph` and runs named Cypher (``kgservice/cypher/*.cypher``); batch
functions take many keys and return results aligned to them, ``None`` (or an empty list) for misses,
so DataLoaders can call them directly. The arithmetic over their rows lives apart, with no database:
matching in :mod:`kgservice.graph.match_scoring`, expansion in :mod:`kgservice.graph.expansion_scoring`.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from kgservice.graph.cypher import Query
from kgservice.graph.driver import Graph
from kgservice.graph.expansion_scoring import ExpansionScore, expansion_score, path_key, rank_key
from kgservice.graph.match_scoring import credit_parameters

if TYPE_CHECKING:
    from kgservice.inference.skill_vectors import SkillVectors

Row = dict[str, Any]

VERIFIED_PERCENTILE = 70.0
NEIGHBOUR_LIMIT = 50
EXPANSION_RELATIONS = ("parent", "child", "sibling", "same_group", "same_as", "related")
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


Neighbour = tuple[str, str, str, str, int, float]  # id, name, taxonomy, relation, support, weight
# The order relations come in, per seed: the snapshot and the live query must agree on it.
RELATION_ORDER = ("parent", "child", "same_as", "sibling", "same_group", "related")
# Relations whose members the query returns as a pool, to be ranked by meaning and cut to per_relation.
RANKED_RELATIONS = frozenset({"child", "sibling", "same_group"})
# Pool size per seed and relation: at least the largest group (423 skills in the default taxonomy).
NEIGHBOUR_POOL = 1000
# Edge weights are kept to 4 decimals, as the graph stores them: the snapshot's float32 then reads back
# exactly what the live query gives.
WEIGHT_DIGITS = 4


def rank_neighbours(seed: str, neighbours: Sequence[Neighbour], per_relation: int,
                    vectors: SkillVectors | None = None) -> list[Neighbour]:
    """A seed's neighbours in :data:`RELATION_ORDER`, children, siblings and same-group skills cut to the
    ``per_relation`` nearest the seed in meaning (then most shared parents or groups, then id).

    Never by name: the query used to keep the alphabetically first members of a group, so an iOS posting
    was expanded to ABAP and AJAX. Without vectors (``index build --no-semantic``), most shared groups
    first, then id.
    """
    by_relation: dict[str, list[Neighbour]] = defaultdict(list)
    for n in neighbours:
        by_relation[n[3]].append(n)
    seed_vector = vectors.vector(seed) if vectors is not None else None
    out: list[Neighbour] = []
    for relation in RELATION_ORDER:
        items = by_relation.get(relation, [])
        if relation in RANKED_RELATIONS:
            cos = vectors.cosines([n[0] for n in items], seed_vector) if seed_vector is not None else {}
            items = sorted(items, key=lambda n: (n[0] not in cos, -round(cos.get(n[0], 0.0), 6), -n[4], n[0]))
            items = items[:per_relation]
        out.extend(items)
    return out


def expansion_neighbours(graph: Graph, ids: Sequence[str], per_relation: int,
                         vectors: SkillVectors | None = None) -> dict[str, list[Neighbour]]:
    """Each of ``ids`` -> its graph neighbours (``kgservice/cypher/expand_neighbours.cypher``) ranked by
    :func:`rank_neighbours`: at most ``per_relation`` children, siblings, same-group and related skills
    each; an id with none (or unknown) maps to []."""
    found: dict[str, list[Neighbour]] = {i: [] for i in ids}
    for r in graph.read(Query.EXPAND_NEIGHBOURS, ids=list(found), limit=per_relation, pool=NEIGHBOUR_POOL):
        pool = list(zip(r["ids"], r["names"], r["taxonomies"], r["relations"], r["supports"],
                        (round(float(w), WEIGHT_DIGITS) for w in r["weights"]), strict=True))
        found[r["seed"]] = rank_neighbours(r["seed"], pool, per_relation, vectors)
    return found


def expand_skills(graph: Graph, ids: Sequence[str], relations: Sequence[str], depth: int,
                  per_relation: int = 10, vectors: SkillVectors | None = None) -> list[Row]:
    """Skills reachable from ``ids`` over ``relations`` in up to ``depth`` hops, one round trip per hop,
    best fit first (:mod:`kgservice.graph.expansion_scoring`: relation prior x edge weight x similarity
    to the profile of ``ids``, x the path's strength after the first hop).

    Each hit: ``{seed, via, id, name, taxonomy, relation, depth, support, score, prior, edgeWeight,
    similarity, path}``; ``seed`` is the starting skill, ``via`` the skill of the previous hop. A skill
    is reached at its fewest hops, over its best-scoring edge at that depth.
    """
    wanted = set(relations)
    seen: set[str] = set(ids)
    profile = vectors.profile(dict.fromkeys(ids, 1.0)) if vectors is not None else None
    frontier: dict[str, tuple[str, float]] = {i: (i, 1.0) for i in dict.fromkeys(ids)}  # id -> (seed, strength)
    hits: list[Row] = []
    for hop in range(1, depth + 1):
        if not frontier:
            break
        options: dict[str, list[tuple[str, ExpansionScore, Neighbour]]] = defaultdict(list)
        found = expansion_neighbours(graph, list(frontier), per_relation, vectors)
        similarity = {} if profile is None else vectors.cosines(  # type: ignore[union-attr]
            list({n[0] for ns in found.values() for n in ns}), profile)
        for via, neighbours in found.items():
            for n in neighbours:
                skill_id, relation, weight = n[0], n[3], n[5]
                if relation in wanted and skill_id not in seen:
                    score = expansion_score(relation, weight, similarity.get(skill_id), frontier[via][1])
                    options[skill_id].append((via, score, n))
        nxt: dict[str, tuple[str, float]] = {}
        for skill_id, paths in options.items():
            via, score, (_, name, taxonomy, relation, support, _) = min(paths, key=lambda p: path_key(p[0], p[1]))
            seed = frontier[via][0]
            nxt[skill_id] = (seed, score.strength)
            hits.append({"seed": seed, "via": via, "id": skill_id, "name": name, "taxonomy": taxonomy,
                         "relation": relation, "depth": hop, "support": support, "score": score.score,
                         "prior": score.prior, "edgeWeight": score.edge_weight, "similarity": score.similarity,
                         "path": score.path})
        seen.update(nxt)
        frontier = nxt
    return sorted(hits, key=lambda h: rank_key(h["id"], h["score"], h["depth"]))


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
    """Per wanted skill id: the held skills linked to it, ``{id, target, relation, weight}`` (exact, same_as,
    parent, child, sibling, related, same_group); :func:`~kgservice.graph.match_scoring.best_credits` scores them."""
    if not wanted or not held:
        return {}
    out: dict[str, list[Row]] = defaultdict(list)
    for r in graph.read(Query.GET_SKILL_LINKS, ids=list(dict.fromkeys(wanted)), rows=list(dict.fromkeys(held))):
        out[r["id"]].append(r)
    return dict(out)


def top_candidates(graph: Graph, job_key: str, first: int) -> list[Row]:
    return graph.read(Query.GET_TOP_CANDIDATES, key=job_key, first=first, **credit_parameters())


def top_jobs(graph: Graph, profile_key: str, first: int) -> list[Row]:
    return graph.read(Query.GET_TOP_JOBS, key=profile_key, first=first, **credit_parameters())
