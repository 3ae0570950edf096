"""Ad-hoc Cypher may read the graph and nothing else: LOAD CSV, procedures and user functions that could read
files or the network are refused before the query is sent; the taxonomist's named queries all pass."""

from __future__ import annotations

import pytest

from kgservice.errors import InvalidInput
from kgservice.graph.adhoc_cypher import check_adhoc_cypher
from kgservice.graph.cypher import taxonomist_queries


@pytest.mark.parametrize("name", sorted(taxonomist_queries()))
def test_taxonomist_queries_pass(name):
    check_adhoc_cypher(taxonomist_queries()[name])


ALLOWED = [
    "MATCH (s:Skill) WHERE s.name = 'LOAD CSV' RETURN s.id",
    'MATCH (s:Skill {name: "call apoc.load.json(1)"}) RETURN s',
    "// LOAD CSV FROM 'file:///etc/passwd' AS row\nMATCH (n) RETURN count(n)",
    "/* CALL dbms.listConfig() */ RETURN 1",
    "MATCH (`LOAD`:Skill) RETURN `LOAD`.name AS csv",
    "CALL db.labels() YIELD label RETURN label",
    "CALL db.index.fulltext.queryNodes('skill_names', 'sql') YIELD node RETURN node.name",
    "MATCH (s:Skill) CALL (s) { MATCH (s)-[:BROADER]->(p) RETURN p } RETURN s, p",
    "MATCH (s:Skill) RETURN s { .id, .name }, date.truncate('day', date()), duration.between(date(), date())",
    "RETURN toLower('X'), size([1, 2]), point.distance(point({x: 0, y: 0}), point({x: 1, y: 1}))",
]
REFUSED = [
    ("LOAD CSV FROM 'file:///etc/passwd' AS row RETURN row", "LOAD CSV"),
    ("load csv with headers from 'https://example.com/x.csv' as row return row", "LOAD CSV"),
    ("MATCH (n) WITH n LIMIT 1 LOAD /* hidden */ CSV FROM 'file:///etc/passwd' AS r RETURN r", "LOAD CSV"),
    ("CALL apoc.load.json('file:///etc/passwd') YIELD value RETURN value", "apoc.load.json"),
    ("CALL dbms.listConfig() YIELD name RETURN name", "dbms.listConfig"),
    ("CALL `apoc`.`load`.`csv`('x') YIELD map RETURN map", "apoc.load.csv"),
    ("CALL db.labels YIELD label CALL apoc.util.sleep(1) RETURN label", "apoc.util.sleep"),
    ("RETURN apoc.static.get('x')", "apoc.static.get"),
    ("MATCH (s:Skill) RETURN custom.fetch(s.uri)", "custom.fetch"),
]


@pytest.mark.parametrize("query", ALLOWED)
def test_queries_that_only_read_the_graph_pass(query):
    check_adhoc_cypher(query)


@pytest.mark.parametrize(("query", "named"), REFUSED)
def test_queries_that_could_read_outside_the_graph_are_refused(query, named):
    with pytest.raises(InvalidInput, match="not allowed") as refused:
        check_adhoc_cypher(query)
    assert named in str(refused.value)
