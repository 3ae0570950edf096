"""Which fitted scorer weights a pipeline picks up: its encoder's, a legacy file fitted with it, or none."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from kgservice.inference import artifacts
from kgservice.pipeline.build import LEGACY_SCORER_WEIGHTS, load_scorer_weights
from kgservice.pipeline.scorer import ScorerWeights
from kgservice.settings import Settings

FITTED = {"bias": -6.8, "trie": 4.8, "semantic": 6.4, "agree": -1.2, "section": -0.1, "frequency": 4.9,
          "position": 0.6, "support": 0.4}


def _write(path: Path, encoder: str, min_score: float) -> None:
    path.write_text(json.dumps({"weights": FITTED, "min_score": min_score,
                                "pipeline": f"trie@esco-1.1.1+{encoder}-int8"}))


def test_weights_file_is_named_after_the_sentence_tower(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    path = artifacts.scorer_weights_path(settings, "v1")
    assert path.name == f"scorer_weights.{settings.pipeline.sentence_model}.json"
    assert path.parent == artifacts.taxonomy_dir(settings, "v1")
    # With the skill tower embedding the sentences too, the fit is the skill tower's.
    settings.pipeline.sentence_model = ""
    assert artifacts.scorer_weights_path(settings, "v1").name == f"scorer_weights.{settings.pipeline.encoder_model}.json"


def test_own_file_wins_over_legacy(tmp_path: Path) -> None:
    _write(tmp_path / "scorer_weights.enc-a.json", "enc-a", 0.2)
    _write(tmp_path / LEGACY_SCORER_WEIGHTS, "enc-a", 0.3)
    weights, min_score = load_scorer_weights(tmp_path / "scorer_weights.enc-a.json", encoder_model="enc-a")
    assert weights == ScorerWeights(**FITTED) and min_score == 0.2


def test_legacy_file_is_used_only_for_the_encoder_it_was_fitted_with(tmp_path: Path,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    _write(tmp_path / LEGACY_SCORER_WEIGHTS, "enc-a", 0.3)
    assert load_scorer_weights(tmp_path / "scorer_weights.enc-a.json", encoder_model="enc-a")[1] == 0.3
    # A longer model id that starts with this one is another encoder.
    assert load_scorer_weights(tmp_path / "scorer_weights.enc.json", encoder_model="enc")[1] == 0.5
    with caplog.at_level(logging.WARNING, logger="kgservice.pipeline"):
        weights, min_score = load_scorer_weights(tmp_path / "scorer_weights.enc-b.json", encoder_model="enc-b")
    assert weights == ScorerWeights() and min_score == 0.5
    assert "fit-scorer" in caplog.text
