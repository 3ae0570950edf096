"""The int8 student committed under models/: intact, small, and the encoder serving uses by default."""

from __future__ import annotations

import json

import numpy as np

from kgservice.inference.onnx_encoder import OnnxEncoder, sha256_file
from kgservice.settings import PROJECT_ROOT, Settings
from kgservice.train.distill import SHIPPED_FILES, STUDENT_ID

SHIPPED = PROJECT_ROOT / "models" / STUDENT_ID


def test_shipped_student_matches_its_manifest_and_size_budget() -> None:
    manifest = json.loads((SHIPPED / "manifest.json").read_text())
    assert manifest["model_id"] == STUDENT_ID
    assert sorted(manifest["files"]) == sorted(SHIPPED_FILES)
    for name, entry in manifest["files"].items():
        assert sha256_file(SHIPPED / name) == entry["sha256"], name
    # The budget for a committed model.
    assert (SHIPPED / "model.int8.onnx").stat().st_size < 30_000_000
    assert manifest["training"]["smaller_than_teacher"] >= 0.80
    assert manifest["verification"]["int8_vs_torch_mean_cosine"] >= 0.99
    assert Settings().pipeline.encoder_model == STUDENT_ID


def test_shipped_student_links_text_to_skill_labels() -> None:
    encoder = OnnxEncoder.load(SHIPPED, quantized=True, threads=2)
    labels = ["develop mobile applications", "bake bread", "drive heavy goods vehicles"]
    texts = ["designed and shipped iPhone apps", "prepared sourdough loaves every morning",
             "HGV class 1 licence, long-haul routes"]
    sims = encoder.encode(texts) @ encoder.encode(labels).T
    assert sims.shape == (3, 3)
    assert list(np.argmax(sims, axis=1)) == [0, 1, 2]
