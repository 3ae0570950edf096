from __future__ import annotations

import pytest

from kgservice.settings import Settings


def test_settings_default_is_the_project_started_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NEO4J_URI", raising=False)
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
