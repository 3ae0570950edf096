"""The multilingual map: its fit, its normalization, and the check against the skill tower it was fitted to."""

from __future__ import annotations

import json

import numpy as np
import pytest

from kgservice.errors import ArtifactMissing
from kgservice.inference import artifacts
from kgservice.inference.multilingual_encoder import (MAP_FILE, MAP_MODEL_ID, ConcatEncoder, apply_map, fit_map,
                                                     load_multilingual_encoder, parse_sources)
from kgservice.inference.onnx_encoder import model_file_sha256
from kgservice.settings import Settings


def test_multilingual_map_fit_recovers_a_linear_map():
    rng = np.random.default_rng(0)
    source = rng.normal(size=(2000, 16)).astype(np.float32)
    true = rng.normal(size=(16, 8)).astype(np.float32)
    fitted = fit_map(source, source @ true, ridge=1e-6)
    assert np.allclose(fitted, true, atol=1e-3)
    mapped = apply_map(source[:5], fitted)
    assert np.allclose(np.linalg.norm(mapped, axis=1), 1.0, atol=1e-5)


def test_multilingual_map_shipped_for_the_shipped_student():
    settings = Settings()
    directory = artifacts.model_dir(settings, MAP_MODEL_ID)
    manifest = json.loads((directory / "manifest.json").read_text())
    student = artifacts.model_dir(settings, manifest["skill_tower"]["model_id"])
    assert manifest["skill_tower"]["sha256"] == model_file_sha256(student, True)
    sources = parse_sources(manifest["source"])
    assert manifest["source_sha256"] == [s.sha256 for s in sources]
    assert np.load(directory / MAP_FILE).shape == (sum(s.dimension for s in sources), manifest["dimension"])


def test_multilingual_sources_parse_and_concatenate():
    assert [s.name for s in parse_sources("use+e5")] == ["use", "e5"]
    for bad in ("", "use+use", "use+bert", "+"):
        with pytest.raises(ValueError, match="joined by"):
            parse_sources(bad)

    class Fixed:  # a stand-in wheel encoder: the same unit row for every text
        def __init__(self, name, row):
            self.name, self.row, self.dimension = name, np.asarray(row, dtype=np.float32), len(row)

        def encode(self, texts, batch_size=64):
            return np.tile(self.row, (len(texts), 1))

    both = ConcatEncoder([Fixed("use", [1.0, 0.0]), Fixed("e5", [0.0, 0.6, 0.8])])
    assert both.name == "use+e5" and both.dimension == 5
    assert both.encode(["a", "b"]).tolist() == [[1.0, 0.0, 0.0, 0.6000000238418579, 0.800000011920929]] * 2


def test_multilingual_map_refuses_another_skill_tower(tmp_path):
    settings = Settings(home=tmp_path)
    directory = tmp_path / "models" / MAP_MODEL_ID
    directory.mkdir(parents=True)
    np.save(directory / MAP_FILE, np.zeros((512, 384), dtype=np.float32))
    (directory / "manifest.json").write_text(json.dumps(
        {"source": "use", "skill_tower": {"model_id": "some-other-student", "sha256": "ab" * 32}}))
    with pytest.raises(ArtifactMissing, match="fitted to some-other-student"):
        load_multilingual_encoder(settings, ("kgservice-skills-student-L3", "cd" * 32))
