"""The official ESCO CSV bundle format, from small fixture files, through the real loader and Neo4j."""

from __future__ import annotations

import pytest

from kgservice.errors import InvalidInput
from kgservice.graph.cypher import taxonomist_queries
from kgservice.loaders.esco_bundle import read_bundle
from kgservice.loaders.taxonomy_writer import load
from tests.conftest import DATA


@pytest.fixture()
def bundle(graph, scratch_taxonomy, settings, quiet):
    batch = read_bundle(DATA / "esco_bundle", taxonomy=scratch_taxonomy, version="fixture")
    report = load(graph, [batch], settings.taxonomy.batch_size, quiet, same_as=())
    return scratch_taxonomy, report


def _query(graph, name, **params):
    keys, rows = graph.read_only(taxonomist_queries()[name], params)
    return [dict(zip(keys, r)) for r in rows]


def test_esco_bundle_loads_skills_groups_and_hierarchy(graph, bundle):
    taxonomy, report = bundle
    skills = graph.read("MATCH (s:Skill {taxonomy: $t}) RETURN s.name AS name, s.type AS type, "
                        "s.description AS description, s.aliases AS aliases ORDER BY name", t=taxonomy)
    assert [s["name"] for s in skills] == ["Swift (computer programming)", "develop mobile applications",
                                           "develop software", "develop web applications", "manage budgets"]
    mobile = skills[1]
    assert mobile["aliases"] == ["build iOS apps", "create Android apps"]
    assert mobile["description"].startswith("Develop applications")
    assert skills[0]["type"] == "knowledge"
    [context] = _query(graph, "skill_context", skill=f"{taxonomy}:f0000001-0000-4000-8000-000000000002")
    assert context["parents"] == ["develop software"]
    assert context["siblings"] == ["develop web applications"]
    assert context["related"] == ["Swift (computer programming)"]
    paths = _query(graph, "skill_group_paths", skill="develop software")
    assert [p["codes"] for p in paths if p["id"].startswith(taxonomy)] == [["S", "S5", "S5.5"]]
    swift = _query(graph, "skill_group_paths", skill="Swift (computer programming)")
    assert [p["codes"] for p in swift if p["id"].startswith(taxonomy)] == [["K0613"]]


def test_esco_bundle_loads_occupations_with_essential_and_optional_skills(graph, bundle):
    shared = _query(graph, "shared_occupation_skills", a="mobile app developer", b="software engineering manager")
    assert shared == [{"skill": "develop software", "taxonomy": bundle[0], "relationA": "essential",
                       "relationB": "essential"}]


def test_esco_bundle_reports_malformed_rows_with_their_lines(bundle):
    _, report = bundle
    assert [str(p) for p in report.problems] == [
        "skills_en.csv:10: empty conceptUri or preferredLabel",
        "broaderRelationsSkillPillar_en.csv:10: broader relation names an unknown concept",
        "occupationSkillRelations_en.csv:7: relationType 'sometimes' is neither essential nor optional",
    ]


def test_esco_bundle_second_load_is_idempotent(graph, bundle, settings, quiet):
    taxonomy, _ = bundle
    count = ("MATCH (n {taxonomy: $t}) OPTIONAL MATCH (n)-[r]-() "
             "RETURN count(DISTINCT n) AS nodes, count(DISTINCT r) AS rels")
    before = graph.read(count, t=taxonomy)
    load(graph, [read_bundle(DATA / "esco_bundle", taxonomy=taxonomy)], settings.taxonomy.batch_size, quiet,
         same_as=())
    assert graph.read(count, t=taxonomy) == before


def test_esco_bundle_missing_files_give_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="not an ESCO CSV bundle"):
        read_bundle(tmp_path)


def test_adhoc_cypher_is_read_only(graph):
    with pytest.raises(InvalidInput, match="AccessMode"):
        graph.read_only("CREATE (:ShouldNotExist) RETURN 1")
    assert graph.read("MATCH (n:ShouldNotExist) RETURN count(n) AS n") == [{"n": 0}]
