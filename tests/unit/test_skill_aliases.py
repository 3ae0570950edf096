from __future__ import annotations

import pytest

from kgservice.loaders.skill_aliases import acronym, derived_aliases, read_abbreviations


@pytest.mark.parametrize(("label", "expected"), [("Google Cloud Platform (GCP)", "GCP"),
                                                 ("Key Performance Indicators (KPIs)", "KPIs"),
                                                 ("AWS Internet Of Things (IoT)", "IoT"), ("3M (Software)", None),
                                                 ("Swift (computer programming)", None), ("Kubernetes", None)])
def test_skill_aliases_acronym_of_a_label(label: str, expected: str | None) -> None:
    assert acronym(label) == expected


def test_skill_aliases_derived_rows() -> None:
    skills = [{"id": "l:gcp", "name": "Google Cloud Platform (GCP)"}, {"id": "l:k8s", "name": "Kubernetes"},
              {"id": "e:js", "name": "JavaScript"}, {"id": "l:none", "name": "Planning"}]
    rows = derived_aliases(skills, [("k8s", "kubernetes"), ("JS", "JavaScript"), ("XX", "missing label")])
    assert rows == [{"id": "e:js", "aliases": ["JS"]}, {"id": "l:gcp", "aliases": ["GCP"]},
                    {"id": "l:k8s", "aliases": ["k8s"]}]


def test_skill_aliases_shipped_table_is_well_formed(tmp_path) -> None:
    pairs = read_abbreviations()
    assert ("k8s", "Kubernetes") in pairs and len({short for short, _ in pairs}) == len(pairs)
    bad = tmp_path / "bad.tsv"
    bad.write_text("# comment\nJS JavaScript\n")
    with pytest.raises(ValueError, match="bad.tsv:2"):
        read_abbreviations(bad)
