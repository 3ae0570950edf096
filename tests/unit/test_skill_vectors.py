"""SkillVectors and ranking neighbours by meaning (small in-memory vectors)."""

from __future__ import annotations

import numpy as np
import pytest

from kgservice.document import GraphLink
from kgservice.errors import ArtifactMissing
from kgservice.graph.skill_queries import rank_neighbours
from kgservice.inference.skill_vectors import SkillVectors
from kgservice.pipeline.graph_expander import GraphExpander
from kgservice.pipeline.neighbour_snapshot import NeighbourSnapshot
from kgservice.pipeline.skill_catalog import SkillCatalog


def unit(*xs: float) -> list[float]:
    v = np.asarray(xs, dtype=np.float32)
    return list(v / np.linalg.norm(v))


@pytest.fixture
def vectors() -> SkillVectors:
    rows = {"swift": unit(1, 0, 0), "objc": unit(0.9, 0.1, 0), "kotlin": unit(0.7, 0.3, 0), "abap": unit(0.1, 0.9, 0),
            "ajax": unit(0, 1, 0.1), "apl": unit(0, 0.2, 1), "nursing": unit(0, 0, 1)}
    return SkillVectors(list(rows), np.asarray(list(rows.values()), dtype=np.float16))


def test_skill_vectors_profile_and_cosines(vectors):
    profile = vectors.profile({"swift": 1.0, "objc": 1.0, "unknown": 5.0})
    assert profile is not None and np.linalg.norm(profile) == pytest.approx(1.0, abs=1e-3)
    cos = vectors.cosines(["kotlin", "nursing", "unknown"], profile)
    assert set(cos) == {"kotlin", "nursing"} and cos["kotlin"] > 0.9 > cos["nursing"]
    assert vectors.profile({"unknown": 1.0}) is None and vectors.vector("unknown") is None


def test_skill_vectors_round_trip_and_refuse_a_changed_file(vectors, tmp_path):
    vectors.manifest.update(model_id="m", taxonomy_version="v1")
    vectors.save(tmp_path)
    loaded = SkillVectors.load(tmp_path, {"model_id": "m", "taxonomy_version": "v1"})
    assert loaded.ids == vectors.ids and np.array_equal(np.asarray(loaded.matrix), np.asarray(vectors.matrix))
    with pytest.raises(ArtifactMissing, match="taxonomy_version"):
        SkillVectors.load(tmp_path, {"taxonomy_version": "v2"})
    data = (tmp_path / "skill_vectors.npy").read_bytes()
    (tmp_path / "skill_vectors.npy").write_bytes(data[:-2] + b"\x00\x01")
    with pytest.raises(ArtifactMissing, match="checksum"):
        SkillVectors.load(tmp_path)


def n(sid: str, relation: str, support: int = 1, weight: float = 1.0) -> tuple:
    return (sid, sid.upper(), "esco", relation, support, weight)


def test_rank_neighbours_keeps_the_nearest_in_meaning_never_the_first_by_name(vectors):
    pool = [n("abap", "same_group"), n("ajax", "same_group"), n("apl", "same_group"), n("objc", "same_group"),
            n("kotlin", "same_group"), n("related-x", "related", weight=0.4), n("parent-y", "parent")]
    ranked = rank_neighbours("swift", pool, per_relation=2, vectors=vectors)
    assert [r[0] for r in ranked] == ["parent-y", "objc", "kotlin", "related-x"]
    # Without vectors: most shared groups, then id (a stable order that is not the names').
    pool[2] = n("apl", "same_group", support=2)
    assert [r[0] for r in rank_neighbours("swift", pool, 2, None) if r[3] == "same_group"] == ["apl", "abap"]


def offline_expander(vectors: SkillVectors, rank: bool = True) -> GraphExpander:
    """An expander with no graph and an empty snapshot: weighing links needs neither."""
    empty = np.zeros(0, dtype=np.int32)
    snapshot = NeighbourSnapshot([], [], np.zeros(1, dtype=np.int64), empty, empty.astype(np.int8), empty,
                                 empty.astype(np.float32), per_relation=5)
    return GraphExpander(None, snapshot=snapshot, catalog=SkillCatalog.build([]), vectors=vectors, rank=rank)


def test_expander_weighs_links_by_their_fit_to_the_document(vectors):
    expander = offline_expander(vectors)
    links = (GraphLink("swift", "kotlin", "Kotlin", "esco", "same_group"),
             GraphLink("swift", "nursing", "nursing", "esco", "same_group"),
             GraphLink("swift", "abap", "ABAP", "esco", "related", weight=0.5))
    weighed = expander.weigh({"swift": 1.0, "objc": 0.8}, links)
    by_id = {link.skill_id: link.weight for link in weighed}
    assert by_id["kotlin"] > 0.9 and by_id["nursing"] < 0.1
    assert by_id["abap"] == pytest.approx(0.5 * float(vectors.cosines(["abap"], vectors.profile({"swift": 1.0, "objc": 0.8}))["abap"]), abs=1e-3)
    assert offline_expander(vectors, rank=False).weigh({"swift": 1.0}, links) == links
