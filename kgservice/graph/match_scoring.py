"""Job-profile matching arithmetic, with no database: credits, weights, the match score, skill gaps.

A profile covers each of a job's skills with the best credit any of its held skills earns:

- the same skill, or its SAME_AS twin: 1;
- a narrower skill (the held skill is a child of the wanted one: Swift for programming): 0.7 x the
  BROADER edge's confidence; a broader one (the held skill is the wanted one's parent): 0.5 x confidence,
  since knowing the field says less about one of its tools than the tool about the field;
- a sibling under a shared parent: 0.4 x the product of the two edges' confidences;
- a strongly related skill (RELATED_TO weight at least :data:`MIN_RELATED_WEIGHT`): 0.5 x the weight;
- a member of the same flat group: 0.2 (the groups hold hundreds of skills, so it is the least evidence).

The credits are passed to the ranking queries as parameters (:func:`credit_parameters`), so
``get_top_candidates.cypher`` and ``get_top_jobs.cypher`` rank with the numbers :func:`link_credit`
applies to a single pair. Each job skill weighs its score x its relation (:data:`RELATION_WEIGHTS`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Row = dict[str, Any]

# Relation of a required skill -> weight in matching; the ranking queries use the same numbers.
RELATION_WEIGHTS: Mapping[str, float] = {"required": 1.0, "core": 0.8, "mentioned": 0.5}
# Held skill's relation to the wanted one -> credit before the edge's weight (module docstring).
LINK_CREDITS: Mapping[str, float] = {"exact": 1.0, "same_as": 1.0, "child": 0.7, "parent": 0.5, "sibling": 0.4,
                                     "related": 0.5, "same_group": 0.2}
# Below this RELATED_TO weight two skills only co-occur now and then: no credit.
MIN_RELATED_WEIGHT = 0.2
FULL_MATCH = ("exact", "same_as")


def link_credit(relation: str, edge_weight: float = 1.0) -> float:
    """Credit a held skill earns toward a wanted one it reaches over ``relation`` with ``edge_weight``."""
    base = LINK_CREDITS.get(relation)
    if base is None:
        raise ValueError(f"unknown match relation {relation!r}")
    if relation == "related" and edge_weight < MIN_RELATED_WEIGHT:
        return 0.0
    if relation in FULL_MATCH or relation == "same_group":
        return base
    return round(base * max(0.0, min(1.0, float(edge_weight))), 4)


def credit_parameters() -> dict[str, Any]:
    """The Cypher parameters of the ranking queries: ``credits`` (relation -> base) and ``minRelated``."""
    return {"credits": dict(LINK_CREDITS), "minRelated": MIN_RELATED_WEIGHT,
            "relationWeights": dict(RELATION_WEIGHTS)}


def skill_weight(row: Mapping[str, Any]) -> float:
    score = row.get("score")
    return (1.0 if score is None else float(score)) * RELATION_WEIGHTS.get(row.get("relation") or "", 0.5)


@dataclass(frozen=True, slots=True)
class SkillCredit:
    """How a profile covers one job skill: the best held skill and the credit it earns."""

    wanted: Row
    held_id: str | None
    relation: str | None  # exact, same_as, parent, child, sibling, related, same_group; None when uncovered
    credit: float
    weight: float


@dataclass(slots=True)
class MatchResult:
    score: float
    credits: list[SkillCredit] = field(default_factory=list)
    embedding_similarity: float | None = None

    @property
    def exact(self) -> list[SkillCredit]:
        return [c for c in self.credits if c.relation in FULL_MATCH]

    @property
    def partial(self) -> list[SkillCredit]:
        return [c for c in self.credits if c.relation is not None and c.relation not in FULL_MATCH]

    @property
    def missing(self) -> list[SkillCredit]:
        return [c for c in self.credits if c.relation is None]


def best_credits(wanted: Sequence[Row], links: Mapping[str, list[Row]]) -> list[SkillCredit]:
    """Per wanted skill (``skillId``), the best of its ``links`` (rows ``target, relation, weight``): the
    highest credit, then an exact match, then the smaller id. A link worth no credit does not cover."""
    out = []
    for w in wanted:
        scored = [(link_credit(r["relation"], r.get("weight", 1.0)), r) for r in links.get(w["skillId"], [])]
        scored = [(c, r) for c, r in scored if c > 0]
        best = min(scored, key=lambda cr: (-cr[0], cr[1]["relation"] != "exact", cr[1]["target"]), default=None)
        out.append(SkillCredit(w, best[1]["target"] if best else None, best[1]["relation"] if best else None,
                               best[0] if best else 0.0, skill_weight(w)))
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
    """Wanted skills not held exactly (or via SAME_AS), in ``relations``, most important first: the
    heaviest, then the least covered (a skill with no partial credit before one a child half covers)."""
    gaps = [c for c in credits if c.relation not in FULL_MATCH
            and (c.wanted.get("relation") or "mentioned") in relations]
    return sorted(gaps, key=lambda c: (-c.weight, c.credit, c.wanted.get("skillId") or ""))
