"""How well an expanded skill fits what it was expanded from: the arithmetic, with no database.

An expanded skill is reached from a seed over one relation; its score is the product of three parts,
kept apart so an answer can say why it ranks where it does:

- ``prior``: how much the relation passes on (:data:`RELATION_PRIORS`): a SAME_AS twin almost all, a
  parent more than a child (a posting asking for Swift asks for programming, not for every Swift
  framework), a sibling or a co-occurring skill less, a member of the same flat group least;
- ``edge_weight``: how strongly this edge stands for its relation: a BROADER edge's confidence (ESCO's
  own 1.0, derived ones lower), for siblings the two edges' confidences multiplied, a RELATED_TO
  edge's co-occurrence weight (shrunk NPMI, 0-1);
- ``similarity``: the cosine of the skill tower's vectors of the candidate and of the document (or
  the seed skills asked about), clipped at 0; :data:`NO_VECTOR_FIT` when either has no vector.

Over several hops the ``path`` (the prior x edge weight of the hops before) multiplies in, so a skill
two hops away ranks below one as strongly tied at one hop. Ties break by id, never by name: ordering
by name gave every seed of a big group the same alphabetically first members.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

RELATION_PRIORS: Mapping[str, float] = {"same_as": 0.9, "parent": 0.6, "child": 0.45, "sibling": 0.35,
                                        "same_group": 0.25, "related": 1.0}
# A related skill's edge weight is a shrunk NPMI (most between 0.1 and 0.5), so its prior is 1: the
# weight alone puts a strongly co-occurring skill level with a child and a weak one below a sibling.
UNKNOWN_RELATION_PRIOR = 0.2
NO_VECTOR_FIT = 0.5


@dataclass(frozen=True, slots=True)
class ExpansionScore:
    """One expanded skill's score and its parts (module docstring)."""

    relation: str
    prior: float
    edge_weight: float
    similarity: float | None
    path: float
    score: float

    @property
    def strength(self) -> float:
        """What the next hop from this skill carries as its ``path``."""
        return self.path * self.prior * self.edge_weight


def fit(similarity: float | None) -> float:
    """A cosine as a 0-1 factor."""
    return NO_VECTOR_FIT if similarity is None else max(0.0, min(1.0, similarity))


def expansion_score(relation: str, edge_weight: float, similarity: float | None, path: float = 1.0) -> ExpansionScore:
    prior = RELATION_PRIORS.get(relation, UNKNOWN_RELATION_PRIOR)
    weight = max(0.0, float(edge_weight))
    return ExpansionScore(relation, prior, round(weight, 4), None if similarity is None else round(similarity, 4),
                          round(path, 4), round(path * prior * weight * fit(similarity), 6))


def path_key(via: str, score: ExpansionScore) -> tuple[float, float, str]:
    """Sort key among the ways to one skill: highest score, then the stronger path, then the smaller via id."""
    return (-score.score, -score.strength, via)


def rank_key(skill_id: str, score: float, depth: int = 1) -> tuple[float, int, str]:
    """Sort key of expanded skills: best score first, then fewer hops, then id."""
    return (-score, depth, skill_id)
