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


def test_sentence_tower_defaults_to_the_static_tower_and_falls_back_to_the_skill_tower() -> None:
    from kgservice.settings import PipelineSettings

    cfg = PipelineSettings()
    assert cfg.sentence_tower == "kgservice-skills-static" and cfg.sentence_models == ["kgservice-skills-static", ""]
    both = PipelineSettings(sentence_model="")
    assert both.sentence_tower == both.encoder_model and both.sentence_models == [""]
    named = PipelineSettings(sentence_model=both.encoder_model)
    assert named.sentence_models == [both.encoder_model]
