"""Autocomplete ranking over a small hand-made catalog (kgservice/graph/skill_suggester.py)."""

from __future__ import annotations

import pytest

from kgservice.graph.skill_suggester import SkillSuggester


def entry(sid: str, name: str, aliases=(), canonical=None, documents=0, occupations=0, children=0) -> dict:
    return {"id": sid, "taxonomy": sid.split(":")[0], "name": name, "aliases": list(aliases), "canonical": canonical,
            "documents": documents, "occupations": occupations, "children": children}


ROWS = [
    entry("esco:py", "Python (computer programming)", aliases=["Python 3"]),
    entry("lightcast:py", "Python (Programming Language)", canonical="esco:py"),
    entry("lightcast:psp", "Python Server Pages"),
    entry("lightcast:k8s", "Kubernetes", aliases=["k8s"]),
    entry("lightcast:kubectl", "Kubectl"),
    entry("lightcast:kubeflow", "Kubeflow"),
    entry("esco:ml", "machine learning", aliases=["ML"], documents=3),
    entry("esco:sql", "SQL", aliases=["structured query language"]),
    entry("esco:sqls", "SQL Server", documents=9),
    entry("esco:mys", "MySQL"),
]


@pytest.fixture(scope="module")
def suggester() -> SkillSuggester:
    return SkillSuggester(ROWS)


def names(suggester, prefix, first=5):
    return [s.concept.name for s in suggester.suggest(prefix, first)]


def test_skill_suggester_one_per_concept(suggester):
    found = suggester.suggest("pyth", 5)
    assert [s.concept.id for s in found] == ["esco:py", "lightcast:psp"]
    assert found[0].concept.also_in == ("lightcast:py",) and found[0].kind == "label"
    assert suggester.concept("lightcast:py").id == "esco:py"


def test_skill_suggester_known_before_short(suggester):
    # No use counts: the alias makes Kubernetes better known than Kubectl and Kubeflow, though longer.
    assert names(suggester, "kube") == ["Kubernetes", "Kubectl", "Kubeflow"]


def test_skill_suggester_exact_before_used(suggester):
    found = suggester.suggest("sql", 5)
    assert [(s.concept.id, s.kind) for s in found] == [("esco:sql", "exact"), ("esco:sqls", "label")]


@pytest.mark.parametrize(("prefix", "first_hit", "kind"), [
    ("Structured q", "SQL", "alias"), ("k8", "Kubernetes", "alias"), ("learn", "machine learning", "word"),
    ("  MACHINE   lear", "machine learning", "label"), ("ml", "machine learning", "exact")])
def test_skill_suggester_alias_and_word_prefixes(suggester, prefix, first_hit, kind):
    found = suggester.suggest(prefix, 3)
    assert (found[0].concept.name, found[0].kind) == (first_hit, kind)


def test_skill_suggester_empty_and_first(suggester):
    assert suggester.suggest("   ", 5) == [] and suggester.suggest("zzz", 5) == []
    assert len(suggester.suggest("s", 1)) == 1
