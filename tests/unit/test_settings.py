from __future__ import annotations

import pytest

from kgservice.settings import Settings


def test_settings_default_is_the_project_started_server(monkeypatch: pytest.MonkeyPatch) -> None:
    # The defaults, whatever the environment running the suite points at (own ports, an external server).
    for name in ("NEO4J_URI", "NEO4J_LISTEN_ADDRESS"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert not settings.neo4j.external
    assert settings.neo4j.bolt_uri == "bolt://127.0.0.1:7687"


def test_settings_neo4j_uri_points_elsewhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEO4J_URI", "neo4j+s://example.databases.neo4j.io")
    monkeypatch.setenv("NEO4J_PASSWORD", "s3cret")
    settings = Settings()
    assert settings.neo4j.external
    assert settings.neo4j.bolt_uri == "neo4j+s://example.databases.neo4j.io"
    assert "s3cret" not in repr(settings)


def test_settings_nested_override(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("KG_HOME", str(tmp_path))
    monkeypatch.setenv("KG_TAXONOMY__BATCH_SIZE", "123")
    settings = Settings()
    assert settings.home == tmp_path
    assert settings.cache == tmp_path / "cache"
    assert settings.taxonomy.batch_size == 123


def test_sentence_tower_defaults_to_the_skill_tower_and_the_static_tower_is_a_setting() -> None:
    from kgservice.settings import STATIC_SENTENCE_MODEL, PipelineSettings

    cfg = PipelineSettings()
    assert cfg.sentence_tower == cfg.encoder_model and cfg.sentence_models == ["", STATIC_SENTENCE_MODEL]
    fast = PipelineSettings(sentence_model=STATIC_SENTENCE_MODEL)
    assert fast.sentence_tower == STATIC_SENTENCE_MODEL and fast.sentence_models == [STATIC_SENTENCE_MODEL, ""]
    named = PipelineSettings(sentence_model=cfg.encoder_model)
    assert named.sentence_models == [cfg.encoder_model, STATIC_SENTENCE_MODEL]
    assert cfg.mention_tower == cfg.encoder_model
