"""Every skill's graph neighbours, read from Neo4j once per taxonomy version, for the expander.

``kgservice index build`` runs ``kgservice/cypher/expand_neighbours.cypher`` over every skill (the query the
expander would send per batch, ranked the same way by the skill vectors:
:func:`~kgservice.graph.skill_queries.rank_neighbours`) and saves the answers beside the trie and the
catalog, under the same taxonomy version, so the three describe the same graph; ``kgservice graph
related`` rebuilds it after replacing the RELATED_TO edges. The expander then finds a seed's
parents, children, siblings, same-group, SAME_AS and related skills here instead of in a round trip: on the
nearline workload a batch of a few edits still missed the expander's cache about once, and each miss
cost CPU in the driver and in Neo4j on the same two cores (``bench/nearline_stages.py`` puts the
expander at 0.141 ms per edit with the snapshot, 0.432 without; README, Nearline). A graph edited without a new taxonomy version is out of date for
expansion exactly as it is for the trie: rebuild with ``kgservice index build``.

File (``neighbours.npz``, no pickles): ``seeds`` (every skill id, in catalog order), ``offsets``
(seed ``i``'s neighbours are rows ``offsets[i]:offsets[i + 1]``), ``targets`` (index into
``vocabulary``, the distinct neighbour ids), ``relations`` (index into :data:`RELATIONS`),
``supports``, ``weights`` (a related skill's RELATED_TO weight, else 1.0), and ``per_relation``, the
query's limit. A file without ``weights`` (made before related skills) loads as missing.
Names and taxonomies come from the catalog.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from kgservice.errors import ArtifactMissing
from kgservice.graph.driver import Graph
from kgservice.graph.skill_queries import WEIGHT_DIGITS, expansion_neighbours
from kgservice.inference.skill_vectors import SkillVectors

RELATIONS = ("parent", "child", "sibling", "same_group", "same_as", "related")
BATCH = 250


class NeighbourSnapshot:
    def __init__(self, seeds: Sequence[str], vocabulary: Sequence[str], offsets: np.ndarray, targets: np.ndarray,
                 relations: np.ndarray, supports: np.ndarray, weights: np.ndarray, per_relation: int) -> None:
        self.seeds = list(seeds)
        self.vocabulary = list(vocabulary)
        self.per_relation = per_relation
        self._index = {sid: i for i, sid in enumerate(self.seeds)}
        self._offsets, self._targets, self._relations, self._supports = offsets, targets, relations, supports
        self._weights = weights

    def __contains__(self, seed: object) -> bool:
        return seed in self._index

    def __len__(self) -> int:
        return len(self.seeds)

    def neighbours(self, seed: str) -> list[tuple[str, str, int, float]]:
        """``(skill_id, relation, support, weight)`` in the query's order; raises ``KeyError`` for an unknown seed."""
        i = self._index[seed]
        lo, hi = int(self._offsets[i]), int(self._offsets[i + 1])
        vocabulary, relations = self.vocabulary, RELATIONS
        return [(vocabulary[t], relations[r], int(s), round(w, WEIGHT_DIGITS)) for t, r, s, w in
                zip(self._targets[lo:hi].tolist(), self._relations[lo:hi].tolist(), self._supports[lo:hi].tolist(),
                    self._weights[lo:hi].tolist())]

    @classmethod
    def build(cls, graph: Graph, seeds: Sequence[str], per_relation: int, vectors: SkillVectors | None = None,
              progress: Callable[[int], None] | None = None) -> NeighbourSnapshot:
        """Ask the graph for every seed's neighbours, ``BATCH`` seeds per query, ranked by ``vectors``;
        ``progress(n)`` after each batch."""
        seeds = list(dict.fromkeys(seeds))
        index: dict[str, int] = {}  # neighbour id -> its row in the vocabulary
        code = {name: i for i, name in enumerate(RELATIONS)}
        offsets = [0]
        targets: list[int] = []
        relations: list[int] = []
        supports: list[int] = []
        weights: list[float] = []
        for start in range(0, len(seeds), BATCH):
            chunk = seeds[start:start + BATCH]
            found = expansion_neighbours(graph, chunk, per_relation, vectors)
            for seed in chunk:
                for skill_id, _name, _taxonomy, relation, support, weight in found[seed]:
                    targets.append(index.setdefault(skill_id, len(index)))
                    relations.append(code[relation])
                    supports.append(int(support))
                    weights.append(weight)
                offsets.append(len(targets))
            if progress is not None:
                progress(len(chunk))
        return cls(seeds, list(index), np.asarray(offsets, dtype=np.int64), np.asarray(targets, dtype=np.int32),
                   np.asarray(relations, dtype=np.int8), np.asarray(supports, dtype=np.int32),
                   np.asarray(weights, dtype=np.float32), per_relation)

    def save(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez(tmp, seeds=np.asarray(self.seeds, dtype=str), vocabulary=np.asarray(self.vocabulary, dtype=str),
                 offsets=self._offsets, targets=self._targets, relations=self._relations, supports=self._supports,
                 weights=self._weights, per_relation=np.int64(self.per_relation))
        tmp.replace(path)  # a reader never sees half a file
        return path

    @classmethod
    def load(cls, path: Path) -> NeighbourSnapshot:
        if not path.exists():
            raise ArtifactMissing(f"no neighbour snapshot at {path}; build it with `kgservice index build`")
        with np.load(path, allow_pickle=False) as data:
            if "weights" not in data:
                raise ArtifactMissing(f"the neighbour snapshot at {path} predates related skills; rebuild it with "
                                      "`kgservice index build`")
            return cls(data["seeds"].tolist(), data["vocabulary"].tolist(), data["offsets"], data["targets"],
                       data["relations"], data["supports"], data["weights"], int(data["per_relation"]))
