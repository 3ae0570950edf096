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


def test_multilingual_map_fit_weighs_rows():
    rng = np.random.default_rng(1)
    source = rng.normal(size=(400, 6))
    true = rng.normal(size=(6, 3))
    target = source @ true
    target[200:] = rng.normal(size=(200, 3))  # rows that disagree with the map
    ignored = fit_map(source, target, ridge=1e-8, weights=np.r_[np.ones(200), np.zeros(200)])
    assert np.allclose(ignored, true, atol=1e-4)
    doubled = fit_map(np.vstack([source, source[:50]]), np.vstack([target, target[:50]]), ridge=1e-8)
    weighted = fit_map(source, target, ridge=1e-8, weights=np.r_[np.full(50, 2.0), np.ones(350)])
    assert np.allclose(doubled, weighted, atol=1e-4)  # a weight of 2 is the row given twice


def test_multilingual_map_fit_reads_the_translated_train_sentences():
    from kgservice.offline.multilingual_map import translated_pairs

    originals, translations, gold = translated_pairs(Settings())
    assert len(originals) == 300 and sorted(translations) == ["de", "es", "fr", "nl", "pt"]
    assert all(len(batch) == len(originals) for batch in translations.values())
    assert len(gold) == len(originals) and sum(map(len, gold)) > len(originals)


def test_multilingual_map_shipped_for_the_shipped_student():
    settings = Settings()
    directory = artifacts.model_dir(settings, MAP_MODEL_ID)
    manifest = json.loads((directory / "manifest.json").read_text())
    student = artifacts.model_dir(settings, manifest["skill_tower"]["model_id"])
    assert manifest["skill_tower"]["sha256"] == model_file_sha256(student, True)
    sources = parse_sources(manifest["source"])
    assert manifest["source_sha256"] == [s.sha256 for s in sources]
    assert np.load(directory / MAP_FILE).shape == (sum(s.dimension for s in sources), manifest["dimension"])
    fit = manifest["fit"]  # fitted on the translated train sentences too, each language held out in part
    assert fit["languages"] == ["de", "es", "fr", "nl", "pt"] and fit["parallel_weight"] > 0
    assert all(fit["held_out_mean_cosine"][lang] > 0.8 for lang in ["en", *fit["languages"]])


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


def test_multilingual_map_cross_validation_holds_out_whole_sentences():
    from kgservice.offline.multilingual_map import FitData, cross_validate

    rng = np.random.default_rng(3)
    labels = [f"skill {i}" for i in range(12)]
    originals = [f"sentence about skill {i}" for i in range(40)]
    label_vectors = rng.normal(size=(12, 8))
    label_vectors /= np.linalg.norm(label_vectors, axis=1, keepdims=True)
    sentence_vectors = label_vectors[np.arange(40) % 12] + 0.05 * rng.normal(size=(40, 8))
    texts = labels + originals
    target = np.vstack([label_vectors, sentence_vectors])
    # the "multilingual" vectors are a fixed rotation of the student's; a translation adds a little noise
    rotation = np.linalg.qr(rng.normal(size=(8, 8)))[0]
    data = FitData(texts, target @ rotation, target, originals,
                   {"de": sentence_vectors @ rotation + 0.05 * rng.normal(size=(40, 8))}, sentence_vectors)
    assert data.without(np.arange(40) < 5).sum() == len(texts) - 5  # a held-out sentence's original goes too
    gold = [[labels[i % 12]] for i in range(40)]
    scores = cross_validate(data, gold, labels, weights=[0.0, 3.0], ridge=1e-3)
    assert set(scores) == {0.0, 3.0} and set(scores[3.0]) == {"en", "de"}
    assert scores[3.0]["en"][0] == 1.0 and scores[3.0]["de"][0] > 0.9
    assert scores[3.0]["de"][1] > 0.9  # mapped close to the student's vector of the original
