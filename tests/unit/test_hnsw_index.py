"""SkillVectorIndex: build, query, save/load round trip, manifest checks."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from kgservice.errors import ArtifactMissing, InvalidInput
from kgservice.inference.hnsw_index import SkillVectorIndex, build_skill_index, index_dir
from kgservice.inference.onnx_encoder import OnnxEncoder, sha256_file
from kgservice.settings import Settings


def _vectors(n: int, dim: int = 16, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


@pytest.fixture()
def small_index() -> SkillVectorIndex:
    ids = [f"esco:{i}" for i in range(50)]
    return SkillVectorIndex.build(ids, _vectors(50), model_id="m", taxonomy_version="t1", texts=ids)


def test_hnsw_index_query_finds_itself(small_index: SkillVectorIndex) -> None:
    ids, sims = small_index.query(_vectors(50)[:5], k=3)
    assert [row[0] for row in ids] == [f"esco:{i}" for i in range(5)]
    np.testing.assert_allclose(sims[:, 0], 1.0, atol=1e-5)
    assert sims.shape == (5, 3) and np.all(sims <= 1.0 + 1e-6) and np.all(sims >= -1.0 - 1e-6)
    assert np.all(np.diff(sims, axis=1) <= 1e-6)  # best first


def test_hnsw_index_ef_search_is_settable_and_checked(small_index: SkillVectorIndex, tmp_path: Path) -> None:
    small_index.ef_search = 17
    assert small_index.ef_search == 17
    with pytest.raises(InvalidInput):
        small_index.ef_search = 0
    small_index.save(tmp_path / "idx")
    assert SkillVectorIndex.load(tmp_path / "idx", ef_search=9).ef_search == 9


def test_hnsw_index_save_load_round_trip(small_index: SkillVectorIndex, tmp_path: Path) -> None:
    small_index.save(tmp_path / "idx")
    loaded = SkillVectorIndex.load(tmp_path / "idx", expected_model_id="m", expected_dim=16,
                                   expected_taxonomy_version="t1")
    q = _vectors(7, seed=3)
    assert loaded.query(q, k=4)[0] == small_index.query(q, k=4)[0]
    np.testing.assert_allclose(loaded.query(q, k=4)[1], small_index.query(q, k=4)[1], atol=1e-6)
    manifest = json.loads((tmp_path / "idx" / "manifest.json").read_text())
    assert manifest["count"] == 50 and manifest["dimension"] == 16 and set(manifest["files"]) >= {"index.bin", "ids.json"}


@pytest.mark.parametrize(
    "expect",
    [{"expected_model_id": "other"}, {"expected_dim": 384}, {"expected_taxonomy_version": "t2"},
     {"expected_encoder_sha256": "0" * 64}],
    ids=["model", "dimension", "taxonomy", "encoder-weights"],
)
def test_hnsw_index_manifest_mismatch_raises(small_index: SkillVectorIndex, tmp_path: Path, expect: dict) -> None:
    small_index.save(tmp_path)
    with pytest.raises(ArtifactMissing, match="kgservice index build"):
        SkillVectorIndex.load(tmp_path, **expect)


def test_hnsw_index_tampered_or_missing_raises(small_index: SkillVectorIndex, tmp_path: Path) -> None:
    with pytest.raises(ArtifactMissing):
        SkillVectorIndex.load(tmp_path / "missing")
    small_index.save(tmp_path)
    (tmp_path / "ids.json").write_text(json.dumps(["x"] * 50))
    with pytest.raises(ArtifactMissing, match="checksum"):
        SkillVectorIndex.load(tmp_path)


def test_hnsw_index_dedupes_alias_vectors() -> None:
    v = _vectors(4)
    # esco:a has two vectors (label + alias); a query near both must return esco:a once, with the best score.
    ids = ["esco:a", "esco:a", "esco:b", "esco:c"]
    index = SkillVectorIndex.build(ids, v, model_id="m", taxonomy_version="t")
    out_ids, sims = index.query(v[1], k=3)
    assert out_ids[0][0] == "esco:a" and len(set(out_ids[0])) == len(out_ids[0]) == 3
    assert sims[0, 0] == pytest.approx(1.0, abs=1e-5)
    out_ids, sims = index.query(v[1], k=5)  # only 3 distinct skills: padded with -inf
    assert len(out_ids[0]) == 3 and np.isneginf(sims[0, 3:]).all()


@pytest.mark.parametrize("aliases", [False, True], ids=["one-row-per-skill", "aliases"])
def test_hnsw_index_rescore_is_the_best_exact_cosine_over_vectors_and_rows(aliases: bool) -> None:
    v = _vectors(6)
    ids = ["esco:a", "esco:a", "esco:b", "esco:c", "esco:d", "esco:e"] if aliases else [f"esco:{c}" for c in "abcdef"]
    index = SkillVectorIndex.build(ids, v, model_id="m", taxonomy_version="t")
    rows = {sid: [r for r, i in enumerate(ids) if i == sid] for sid in set(ids)}
    candidates = [["esco:c", "esco:a", "esco:b"], ["esco:b"], ["esco:a", "esco:d"]]
    queries = [_vectors(3, seed=1), _vectors(5, seed=2), np.zeros((0, 16), dtype=np.float32)]
    out = index.rescore(candidates, queries)
    assert out.shape == (3, 3) and out.dtype == np.float32
    for i, asked in enumerate(candidates[:2]):
        expected = [max(float(q @ v[r]) for q in queries[i] for r in rows[sid]) for sid in asked]
        np.testing.assert_allclose(out[i, :len(asked)], expected, atol=1e-5)
    assert np.isneginf(out[1, 1:]).all(), "a shorter candidate list is padded with -inf"
    assert np.isneginf(out[2]).all(), "no vectors, no score"
    assert index.rescore([], []).shape == (0, 0)
    with pytest.raises(KeyError):
        index.rescore([["esco:nope"]], [queries[0]])


def test_hnsw_index_dir_layout(tmp_path: Path) -> None:
    assert index_dir(tmp_path, "all-MiniLM-L6-v2", "esco-1.1.1") == tmp_path / "indexes/all-MiniLM-L6-v2/esco-1.1.1"


@pytest.fixture(scope="session")
def encoder() -> OnnxEncoder:
    from kgservice.offline.onnx_export import ensure_encoder

    return OnnxEncoder.load(ensure_encoder(Settings()), threads=2)


@pytest.mark.onnx
def test_hnsw_index_build_skill_index_with_aliases(encoder: OnnxEncoder, tmp_path: Path) -> None:
    skills = [("esco:py", "Python (computer programming)"), ("esco:py", "python"), ("esco:py", "Python"),
              ("esco:bake", "bake bread"), ("esco:fork", "operate forklift"), ("esco:nurse", "provide nursing care")]
    index = build_skill_index(encoder, skills, taxonomy_version="tiny", progress=False)
    assert len(index) == 5 and index.manifest["skills"] == 4  # "python"/"Python" embedded once
    index.save(tmp_path)
    loaded = SkillVectorIndex.load(tmp_path, expected_model_id=encoder.model_id, expected_dim=encoder.dimension,
                                   expected_encoder_sha256=encoder.file_sha256)
    assert loaded.manifest["encoder_sha256"] == sha256_file(encoder.model_path)
    ids, sims = loaded.query(encoder.encode(["Python programming", "bread baker"]), k=2)
    assert ids[0][0] == "esco:py" and ids[1][0] == "esco:bake"
    assert len(set(ids[0])) == 2 and sims[0, 0] > sims[0, 1]
