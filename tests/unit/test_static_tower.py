"""The static sentence tower: its ONNX graph, its int8 rows, its training loop, the shipped copy, and
the checks that tie it to the skill tower whose space it was fitted to."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from kgservice.errors import ArtifactMissing
from kgservice.inference.onnx_encoder import OnnxEncoder, sha256_file
from kgservice.package_data import data_path
from kgservice.settings import Settings
from tests.shipped_models import checked_manifest
from kgservice.offline.distill import STUDENT_ID
from kgservice.offline.static_distill import (
    STATIC_ID,
    export_static,
    quantize_rows,
    reference_vectors,
    special_ids,
)

SHIPPED = data_path("models") / STATIC_ID
STUDENT = data_path("models") / STUDENT_ID
TEXTS = ["designed and shipped iPhone apps", "prepared sourdough loaves every morning", "SQL", "", "!!!",
         "HGV class 1 licence, long-haul routes " * 30]


@pytest.fixture(scope="module")
def student() -> OnnxEncoder:
    return OnnxEncoder.load(STUDENT, quantized=True, threads=2)


@pytest.fixture(scope="module")
def exported(student: OnnxEncoder, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, np.ndarray]:
    rng = np.random.default_rng(5)
    table = rng.normal(0, 0.1, (student.tokenizer.get_vocab_size(), student.dimension)).astype(np.float32)
    table[special_ids(student.tokenizer)] = 0.0
    out = tmp_path_factory.mktemp("static") / STATIC_ID
    return export_static(table, student, out, verify_texts=TEXTS[:3]), table


def test_quantize_rows_round_trips_within_a_step_and_keeps_zero_rows() -> None:
    table = np.random.default_rng(1).normal(0, 0.2, (50, 16)).astype(np.float32)
    table[7] = 0.0
    q, scale = quantize_rows(table)
    assert q.dtype == np.int8 and scale.shape == (50,)
    assert np.all(np.abs(q.astype(np.float32) * scale[:, None] - table) <= scale[:, None] / 2 + 1e-7)
    assert not q[7].any() and scale[7] == 1.0


def test_static_graph_sums_rows_and_outputs_them_as_token_states(exported, student: OnnxEncoder) -> None:
    folder, table = exported
    fp32 = OnnxEncoder.load(folder, quantized=False)
    vectors = fp32.encode(TEXTS)
    np.testing.assert_allclose(vectors, reference_vectors(table, student.tokenizer, TEXTS), atol=1e-5)
    assert np.allclose(np.linalg.norm(vectors[[0, 1, 2, 5]], axis=1), 1.0, atol=1e-5)
    assert not vectors[3].any(), "no word pieces: a zero vector, not NaN"
    assert fp32.has_token_states and fp32.batch_tokens > 128
    sentence, windows = fp32.encode_windows(TEXTS[:1], 2)
    ids = student.tokenizer.encode(TEXTS[0]).ids
    pairs = table[ids[1:-2]] + table[ids[2:-1]]  # windows skip the special tokens at either end
    np.testing.assert_allclose(windows[0], pairs / np.linalg.norm(pairs, axis=1, keepdims=True), atol=1e-5)
    int8 = OnnxEncoder.load(folder, quantized=True).encode(TEXTS)
    assert float(np.min(np.sum(int8[[0, 1, 2, 5]] * vectors[[0, 1, 2, 5]], axis=1))) > 0.999


def test_exported_manifest_names_the_skill_tower_file(exported, student: OnnxEncoder) -> None:
    folder, _ = exported
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["skill_tower"] == {"model_id": STUDENT_ID, "encoder_file": "model.int8.onnx",
                                       "sha256": student.file_sha256}
    assert OnnxEncoder.load(folder, quantized=True).skill_tower == (STUDENT_ID, student.file_sha256)
    assert student.skill_tower == (STUDENT_ID, student.file_sha256), "a transformer is its own skill tower"
    assert manifest["verification"]["fp32_min_cosine"] >= 0.9999
    for name, entry in manifest["files"].items():
        assert sha256_file(folder / name) == entry["sha256"]


def test_train_table_fits_targets_keeps_frozen_rows_and_resumes(tmp_path: Path, monkeypatch) -> None:
    from kgservice.offline import static_distill

    rng = np.random.default_rng(2)
    start = rng.normal(0, 0.1, (40, 8)).astype(np.float32)
    start[0] = 0.0
    texts = [rng.integers(0, 40, rng.integers(1, 6)).astype(np.int64) for _ in range(600)]
    truth = rng.normal(0, 1, (40, 8))
    targets = np.stack([truth[t].sum(axis=0) for t in texts]).astype(np.float32)
    targets /= np.linalg.norm(targets, axis=1, keepdims=True)

    def agreement(table: np.ndarray) -> float:
        got = np.stack([table[t].sum(axis=0) for t in texts])
        got /= np.maximum(np.linalg.norm(got, axis=1, keepdims=True), 1e-12)
        return float(np.mean(np.sum(got * targets, axis=1)))

    kwargs = {"epochs": 3, "lr": 0.05, "batch_size": 32, "frozen_rows": [0]}
    whole, record = static_distill.train_table(start, texts, targets, tmp_path / "a", None, **kwargs)
    assert agreement(whole) > agreement(start) + 0.2
    assert not whole[0].any()
    assert record["resumed_at_epoch"] == 0 and record["loss_last_50"] < record["loss_first_50"]

    class Interrupted(Exception):
        pass

    real = static_distill.training_progress
    steps = 600 // 32

    class Stopper:  # the progress bar of a run killed in its second epoch, after the first checkpoint
        def __init__(self, console):  # noqa: ANN001
            self.bar, self.calls = real(console), 0

        def __enter__(self):  # noqa: ANN204
            self.inner = self.bar.__enter__()
            return self

        def __exit__(self, *exc):  # noqa: ANN002, ANN204
            return self.bar.__exit__(*exc)

        def add_task(self, *args, **kw):  # noqa: ANN002, ANN003, ANN201
            return self.inner.add_task(*args, **kw)

        def update(self, *args, **kw):  # noqa: ANN002, ANN003, ANN201
            self.calls += 1
            if self.calls > steps + 3:
                raise Interrupted()
            return self.inner.update(*args, **kw)

    monkeypatch.setattr(static_distill, "training_progress", Stopper)
    with pytest.raises(Interrupted):
        static_distill.train_table(start, texts, targets, tmp_path / "b", None, **kwargs)
    assert (tmp_path / "b" / "static-checkpoint.pt").exists()
    monkeypatch.setattr(static_distill, "training_progress", real)
    resumed, record = static_distill.train_table(start, texts, targets, tmp_path / "b", None, **kwargs)
    assert record["resumed_at_epoch"] == 1
    np.testing.assert_allclose(resumed, whole, atol=1e-5)
    assert not (tmp_path / "b" / "static-checkpoint.pt").exists()


def test_shipped_static_tower_is_fitted_to_the_shipped_student(student: OnnxEncoder) -> None:
    manifest = checked_manifest(SHIPPED, STATIC_ID)
    assert manifest["skill_tower"]["sha256"] == student.file_sha256, "redistil: `kgservice models distill-static`"
    # Mean cosine to the student's own vectors on 200 held-out SkillSkape dev sentences, at export.
    assert manifest["verification"]["int8_vs_skill_tower_mean_cosine"] >= 0.9
    assert STATIC_ID in Settings().pipeline.sentence_models, "index build calibrates it, fit-scorer fits it"


def test_shipped_static_tower_lands_next_to_the_students_vectors(student: OnnxEncoder) -> None:
    static = OnnxEncoder.load(SHIPPED, quantized=True)
    labels = ["develop mobile applications", "bake bread", "drive heavy goods vehicles"]
    texts = TEXTS[:2] + [TEXTS[5].strip()]
    skill_vectors = student.encode(labels, batch_size=1)  # as the index holds them
    sims = static.encode(texts) @ skill_vectors.T
    assert list(np.argmax(sims, axis=1)) == [0, 1, 2]


def test_sentence_tower_must_belong_to_the_configured_skill_tower(tmp_path: Path) -> None:
    from kgservice.pipeline.embedding_tagger import load_sentence_tower

    settings = Settings(home=tmp_path)
    assert load_sentence_tower(settings).model_id == STUDENT_ID
    settings.pipeline.sentence_model = STATIC_ID
    assert load_sentence_tower(settings).model_id == STATIC_ID

    local = tmp_path / "models" / STATIC_ID  # a local copy wins over the shipped one
    shutil.copytree(SHIPPED, local)
    manifest = json.loads((local / "manifest.json").read_text())
    settings.pipeline.sentence_model = STATIC_ID
    (local / "manifest.json").write_text(json.dumps({**manifest, "skill_tower": {
        **manifest["skill_tower"], "sha256": "0" * 64}}))
    with pytest.raises(ArtifactMissing, match="distill-static"):
        load_sentence_tower(settings)
    (local / "manifest.json").write_text(json.dumps({**manifest, "skill_tower": {
        **manifest["skill_tower"], "model_id": "all-MiniLM-L6-v2"}}))
    with pytest.raises(ArtifactMissing, match="KG_PIPELINE__ENCODER_MODEL"):
        load_sentence_tower(settings)
