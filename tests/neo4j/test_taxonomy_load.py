"""The full default taxonomy in the real Neo4j: size, group paths, SAME_AS, idempotency, bad rows."""

from __future__ import annotations

import io

from kgservice.graph.cypher import Query, taxonomist_queries
from kgservice.loaders.ojd_taxonomy import read_esco
from kgservice.loaders.taxonomy_writer import load


def _counts(graph):
    labels = {r["label"]: r["count"] for r in graph.read(Query.COUNT_BY_LABEL)}
    rels = {r["type"]: r["count"] for r in graph.read(Query.COUNT_BY_RELATIONSHIP)}
    return labels, rels


def test_taxonomy_load_has_41000_skills(graph, full_taxonomy):
    labels, rels = _counts(graph)
    assert labels["Skill"] >= 41_000
    taxonomies = {r["taxonomy"]: r["count"] for r in graph.read(
        "MATCH (s:Skill) RETURN s.taxonomy AS taxonomy, count(*) AS count")}
    assert taxonomies["esco"] == 13_412
    assert taxonomies["lightcast"] == 31_995
    assert rels["IN_GROUP"] > 40_000
    assert not full_taxonomy.problems


def test_taxonomy_load_haskell_has_group_path(graph, full_taxonomy):
    keys, rows = graph.read_only(taxonomist_queries()["skill_group_paths"], {"skill": "Haskell"})
    paths = [dict(zip(keys, r)) for r in rows]
    assert {tuple(p["codes"]) for p in paths} == {("K", "K06", "K061", "K0613"), ("S", "S5", "S5.6", "S5.6.1")}
    assert all(p["id"].startswith("esco:") for p in paths)
    knowledge = next(p for p in paths if p["codes"][0] == "K")
    assert knowledge["names"][0] == "knowledge"
    assert knowledge["names"][-1] == "software and applications development and analysis"


def test_taxonomy_load_links_same_name_across_taxonomies(graph, full_taxonomy):
    rows = graph.read(
        "MATCH (e:Skill {taxonomy: 'esco'})-[r:SAME_AS]->(l:Skill {taxonomy: 'lightcast'}) "
        "WHERE e.name IN ['logistics', 'Java (computer programming)'] RETURN e.name AS e, l.name AS l, r.via AS via")
    pairs = {(r["e"], r["l"], r["via"]) for r in rows}
    assert ("logistics", "Logistics", "label") in pairs
    assert ("Java (computer programming)", "Java (Programming Language)", "label") in pairs
    assert full_taxonomy.same_as > 500


def test_taxonomy_load_second_run_changes_no_counts(graph, full_taxonomy, settings, quiet):
    from kgservice.loaders.default_sources import read_default_sources
    from kgservice.loaders.skill_graph import SkillGraphDerivation

    before = _counts(graph), graph.read(Query.COUNT_SKILL_GRAPH)
    load(graph, read_default_sources(settings.cache), settings.taxonomy.batch_size, quiet,
         derive=SkillGraphDerivation.from_settings(settings, quiet))
    assert (_counts(graph), graph.read(Query.COUNT_SKILL_GRAPH)) == before


MALFORMED = """id,description,hierarchy_levels,type
a1,good skill one,"[['S', 'S1', 'S1.1', 'S1.1.1']]",preferredLabel
a1,first alias,"[['S', 'S1', 'S1.1', 'S1.1.1']]",altLabels
a2,broken paths,"[['S', 'S1'",preferredLabel
a3,,"[['S', 'S1']]",preferredLabel
a4,good skill two,"[['K', 'K06']]",preferredLabel
a5,strange type,"[['K', 'K06']]",mysteryLabel
"""


def test_taxonomy_load_reports_and_skips_malformed_rows(graph, scratch_taxonomy, settings, quiet):
    batch = read_esco(io.StringIO(MALFORMED), {}, source="malformed.csv", taxonomy=scratch_taxonomy)
    report = load(graph, [batch], settings.taxonomy.batch_size, quiet, same_as=())
    assert [(p.source, p.line) for p in report.problems] == [("malformed.csv", 4), ("malformed.csv", 5),
                                                               ("malformed.csv", 7)]
    assert "hierarchy_levels" in report.problems[0].reason
    rows = graph.read("MATCH (s:Skill {taxonomy: $t}) RETURN s.name AS name, s.aliases AS aliases ORDER BY name",
                      t=scratch_taxonomy)
    assert rows == [{"name": "good skill one", "aliases": ["first alias"]}, {"name": "good skill two", "aliases": []}]
