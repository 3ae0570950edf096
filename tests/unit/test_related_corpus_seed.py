"""The packaged corpus skill sets seed the extraction cache whole, so `graph related` on a fresh install reads
them instead of extracting again."""

from __future__ import annotations

from pathlib import Path

from kgservice.related.corpus import _read_cache, _seed_from_package, corpus_documents, shipped_cache
from kgservice.settings import Settings

SHIPPED = "corpus-skills-f43a70337ad6.jsonl"


def test_the_package_ships_the_corpus_skill_sets_of_every_corpus_document():
    assert shipped_cache(SHIPPED) is not None
    assert shipped_cache("corpus-skills-000000000000.jsonl") is None


def test_seeding_writes_the_whole_cache_and_only_when_it_is_missing(tmp_path: Path):
    path = tmp_path / "related" / SHIPPED
    _seed_from_package(path)
    sets = _read_cache(path)
    assert set(sets) == {d.id for d in corpus_documents(Settings())}
    assert all(0.0 < w <= 1.0 for skills in sets.values() for w in skills.values())
    assert not list(path.parent.glob("*.seeding"))


def test_no_seed_for_a_cache_of_another_model(tmp_path: Path):
    path = tmp_path / "corpus-skills-000000000000.jsonl"
    _seed_from_package(path)
    assert not path.exists()
