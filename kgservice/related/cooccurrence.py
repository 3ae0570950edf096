"""Related skills from co-occurrence: which skills documents name together, and how much more often than chance.

A document contributes a weighted skill set (skill id -> weight in (0, 1]). Over a collection of
``N`` documents:

- ``n(a)``: the sum of ``a``'s weights over the documents;
- ``n(a, b)``: the sum over documents of ``w(a) * w(b)``, the weighted co-occurrence count;
- ``docs(a, b)``: how many documents hold both.

A pair needs ``docs(a, b) >= min_documents``: one document naming two skills together is an
anecdote. Its weight is normalized PMI, kept when positive and shrunk by the evidence:

    npmi(a, b) = log(n(a, b) * N / (n(a) * n(b))) / -log(n(a, b) / N)        in (0, 1] when positive
    weight     = npmi(a, b) * n(a, b) / (n(a, b) + shrink)

Plain PMI ranks a pair of rare skills seen together twice above Python and Java seen together in 36
documents; normalizing by ``-log p(a, b)`` bounds it to [0, 1], and the shrink factor (a pseudo-count)
puts a pair seen twice at half its NPMI and one seen 36 times at 95%. docs/related-skills.md shows the
lists this gives next to those of plain PMI, context-smoothed PPMI and a conditional rate.

The weight is symmetric. :func:`related_edges` stores a pair as one edge per direction, each side
keeping at most ``top_k`` partners, so "the skills related to a" is one outgoing read; a hub such
as "communication" keeps its best ``top_k`` while still appearing in the lists of the skills it
suits.
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import combinations

SkillSet = Mapping[str, float]


def pairs_of(skills: SkillSet) -> Iterator[tuple[tuple[str, str], float]]:
    """Every unordered pair of a document's skills, ``(a, b)`` with ``a < b``, and ``w(a) * w(b)``."""
    for a, b in combinations(sorted(skills), 2):
        yield (a, b), skills[a] * skills[b]


@dataclass(slots=True)
class PairCounts:
    """Marginal and pair counts of a document collection; :meth:`merge` adds another's (Spark partitions)."""

    documents: int = 0
    marginals: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    # (a, b) with a < b -> [weighted count, documents]
    pairs: dict[tuple[str, str], list[float]] = field(default_factory=dict)

    def add(self, skills: SkillSet) -> None:
        self.documents += 1
        for sid, w in skills.items():
            self.marginals[sid] += w
        pairs = self.pairs
        for key, w in pairs_of(skills):
            entry = pairs.get(key)
            if entry is None:
                pairs[key] = [w, 1]
            else:
                entry[0] += w
                entry[1] += 1

    def add_all(self, documents: Iterable[SkillSet]) -> PairCounts:
        for skills in documents:
            self.add(skills)
        return self

    def merge(self, other: PairCounts) -> PairCounts:
        self.documents += other.documents
        for sid, w in other.marginals.items():
            self.marginals[sid] += w
        for key, (w, n) in other.pairs.items():
            entry = self.pairs.get(key)
            if entry is None:
                self.pairs[key] = [w, n]
            else:
                entry[0] += w
                entry[1] += n
        return self


@dataclass(frozen=True, slots=True)
class RelatedEdge:
    """``skill_id`` -> ``related_id``: weight (shrunk NPMI, 0-1), weighted count, documents holding both."""

    skill_id: str
    related_id: str
    weight: float
    count: float
    documents: int

    def row(self) -> dict[str, object]:
        """The edge as ``kgservice/cypher/merge_related_skills.cypher`` takes it."""
        return {"skillId": self.skill_id, "relatedId": self.related_id, "weight": self.weight,
                "count": self.count, "documents": self.documents}


def association(count: float, n_a: float, n_b: float, total: int, shrink: float) -> float:
    """Shrunk positive NPMI of a pair (module docstring); 0 when the pair is not above chance."""
    if count <= 0 or total <= 0 or n_a <= 0 or n_b <= 0:
        return 0.0
    joint = min(count / total, 1.0)
    pmi = math.log(count * total / (n_a * n_b))
    if pmi <= 0:
        return 0.0
    npmi = 1.0 if joint >= 1.0 else min(1.0, pmi / -math.log(joint))
    return npmi * count / (count + shrink)


def pair_weights(marginals: Mapping[str, float], pairs: Iterable[tuple[tuple[str, str], float, int]], total: int, *,
                 min_documents: int = 2, shrink: float = 2.0) -> Iterator[tuple[str, str, float, float, int]]:
    """``(a, b, weight, count, documents)`` for every pair with enough documents and a positive weight."""
    for (a, b), count, docs in pairs:
        if docs < min_documents:
            continue
        weight = association(count, marginals[a], marginals[b], total, shrink)
        if weight > 0:
            yield a, b, weight, count, docs


def related_edges(counts: PairCounts, *, min_documents: int = 2, shrink: float = 2.0,
                  top_k: int | None = 200) -> list[RelatedEdge]:
    """Both directions of every kept pair, each skill's partners cut to its ``top_k`` best (by weight, then id)."""
    weighted = pair_weights(counts.marginals, ((k, v[0], int(v[1])) for k, v in counts.pairs.items()),
                            counts.documents, min_documents=min_documents, shrink=shrink)
    return top_edges(weighted, top_k)


def top_edges(weighted: Iterable[tuple[str, str, float, float, int]], top_k: int | None) -> list[RelatedEdge]:
    """Directed edges from symmetric weighted pairs, at most ``top_k`` per skill (best first)."""
    by_skill: dict[str, list[tuple[float, str, float, int]]] = defaultdict(list)
    for a, b, weight, count, docs in weighted:
        by_skill[a].append((weight, b, count, docs))
        by_skill[b].append((weight, a, count, docs))
    edges = []
    for sid in sorted(by_skill):
        ranked = sorted(by_skill[sid], key=lambda t: (-t[0], t[1]))
        for weight, other, count, docs in ranked[:top_k] if top_k else ranked:
            edges.append(RelatedEdge(sid, other, round(weight, 4), round(count, 3), docs))
    return edges


def generation(edges: Iterable[RelatedEdge]) -> str:
    """A digest of an edge set: edges it stamps replace those of any other generation of the same source,
    and a rerun that computes the same edges changes nothing."""
    digest = hashlib.sha256()
    for e in edges:
        digest.update(f"{e.skill_id}\t{e.related_id}\t{e.weight}\t{e.count}\t{e.documents}\n".encode())
    return digest.hexdigest()[:16]
