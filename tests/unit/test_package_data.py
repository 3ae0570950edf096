"""Shipped files are package data, and KG_HOME defaults to the checkout's var/ or the per-user data directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from kgservice import settings as settings_module
from kgservice.graph.cypher import CYPHER_DIR, SCHEMA_DIR, Query
from kgservice.graph.server import RUNTIME_DIR
from kgservice.package_data import checkout_root, data_path, package_dir
from kgservice.settings import Settings


def test_package_data_lives_inside_the_package():
    pkg = package_dir()
    for folder in (CYPHER_DIR, SCHEMA_DIR, RUNTIME_DIR, data_path("models")):
        assert folder.is_dir() and folder.resolve().is_relative_to(pkg.resolve()), folder
    assert (CYPHER_DIR / f"{Query.MERGE_SKILLS}.cypher").is_file()
    assert (RUNTIME_DIR / "Launcher.java").is_file() and (RUNTIME_DIR / "pom.xml").is_file()
    assert (SCHEMA_DIR / "kgservice.graphql").is_file()


def test_package_data_checkout_is_the_folder_with_pyproject():
    root = checkout_root()
    assert root is not None and (root / "pyproject.toml").is_file()
    assert root == package_dir().parent


def test_settings_home_defaults_to_the_checkouts_var():
    assert Settings().home == checkout_root() / "var"


@pytest.mark.parametrize("xdg", [True, False])
def test_settings_home_outside_a_checkout_is_the_user_data_dir(monkeypatch, tmp_path: Path, xdg: bool):
    monkeypatch.delenv("KG_HOME", raising=False)
    monkeypatch.setattr(settings_module, "CHECKOUT", None)
    if xdg:
        monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
        expected = tmp_path / "xdg" / "kgservice"
    else:
        monkeypatch.delenv("XDG_DATA_HOME", raising=False)
        monkeypatch.setenv("HOME", str(tmp_path))
        expected = tmp_path / ".local" / "share" / "kgservice"
    settings = Settings()
    assert settings.home == expected
    assert settings.neo4j.password_file == expected / "secrets" / "neo4j-password"
    assert settings.shared_data == expected / "shared-data"


def test_settings_home_env_wins(monkeypatch, tmp_path: Path):
    monkeypatch.setattr(settings_module, "CHECKOUT", None)
    monkeypatch.setenv("KG_HOME", str(tmp_path / "elsewhere"))
    assert Settings().home == tmp_path / "elsewhere"
