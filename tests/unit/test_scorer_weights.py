"""Which scorer weights a pipeline picks up: a local fit, the fit shipped for its sentence tower, or defaults."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from kgservice.inference import artifacts
from kgservice.pipeline import build
from kgservice.pipeline.build import load_scorer_weights
from kgservice.pipeline.scorer import FEATURES, ScorerWeights
from kgservice.settings import STATIC_SENTENCE_MODEL, Settings

FITTED = {"bias": -6.8, "trie": 4.8, "semantic": 6.4, "linked": 2.5, "agree": -1.2, "mention": 0.3, "section": 1.5,
          "frequency": 0.8, "position": 0.2, "support": 0.4}


def _write(path: Path, min_score: float, features: list[str] | None = None) -> None:
    path.write_text(json.dumps({"features": features if features is not None else list(FEATURES),
                                "weights": FITTED, "min_score": min_score}))


def test_weights_file_is_named_after_the_sentence_tower(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    path = artifacts.scorer_weights_path(settings, "v1")
    assert path.parent == artifacts.taxonomy_dir(settings, "v1")
    # The default embeds sentences with the skill tower, so the fit is the skill tower's.
    assert path.name == f"scorer_weights.{settings.pipeline.encoder_model}.json"
    settings.pipeline.sentence_model = STATIC_SENTENCE_MODEL
    assert artifacts.scorer_weights_path(settings, "v1").name == f"scorer_weights.{STATIC_SENTENCE_MODEL}.json"


def test_local_fit_wins_over_the_shipped_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shipped, local = tmp_path / "shipped", tmp_path / "local"
    shipped.mkdir(), local.mkdir()
    monkeypatch.setattr(build, "SHIPPED_SCORER_WEIGHTS", shipped)
    _write(shipped / "scorer_weights.enc.json", 0.3)
    assert load_scorer_weights(local / "scorer_weights.enc.json") == (ScorerWeights(**FITTED), 0.3)
    _write(local / "scorer_weights.enc.json", 0.2)
    assert load_scorer_weights(local / "scorer_weights.enc.json") == (ScorerWeights(**FITTED), 0.2)


def test_a_fit_over_other_features_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               caplog: pytest.LogCaptureFixture) -> None:
    monkeypatch.setattr(build, "SHIPPED_SCORER_WEIGHTS", tmp_path / "none")
    _write(tmp_path / "scorer_weights.enc.json", 0.2, features=["trie", "semantic"])
    with caplog.at_level(logging.WARNING, logger="kgservice.pipeline"):
        weights, min_score = load_scorer_weights(tmp_path / "scorer_weights.enc.json")
    assert weights == ScorerWeights() and min_score == 0.5
    assert "other features" in caplog.text and "fit-scorer" in caplog.text


def test_the_package_ships_weights_for_both_sentence_towers() -> None:
    settings = Settings()
    for tower in settings.pipeline.sentence_models:
        cfg = settings.pipeline.model_copy(update={"sentence_model": tower})
        name = artifacts.scorer_weights_path(settings.model_copy(update={"pipeline": cfg}), "v").name
        data = json.loads((build.SHIPPED_SCORER_WEIGHTS / name).read_text())
        assert tuple(data["features"]) == FEATURES and 0 < data["min_score"] < 1
