"""`kgservice cypher` against the real server: the taxonomist's named queries run, LOAD CSV is refused with a
clear error before it reaches the server (which would refuse it too: tests/neo4j/test_server_auth.py)."""

from __future__ import annotations

import pytest

from kgservice.cli import main
from kgservice.graph.cypher import taxonomist_queries

PARAMS = {
    "counts_by_taxonomy_level": [], "orphan_skills": ["taxonomy=esco", "limit=3"], "same_as_clusters": ["limit=3"],
    "search_skills": ["text=python", "limit=3"], "shared_occupation_skills": ["a=none", "b=none"],
    "skill_context": ["skill=Haskell"], "skill_group_paths": ["skill=Haskell"],
    "skill_hierarchy": ["skill=Haskell", "limit=3"], "weakest_broader_edges": ["source=null", "limit=3"],
}


def test_every_named_query_has_parameters_here():
    assert set(PARAMS) == set(taxonomist_queries())


@pytest.mark.parametrize("name", sorted(PARAMS))
def test_named_taxonomist_queries_run(graph, full_taxonomy, name, capsys):
    assert main(["cypher", name, *PARAMS[name], "--json"]) == 0, capsys.readouterr().err


@pytest.mark.parametrize("query", [
    "LOAD CSV FROM 'file:///etc/passwd' AS row RETURN row",
    "CALL dbms.listConfig() YIELD name, value RETURN name, value",
])
def test_adhoc_query_that_reads_outside_the_graph_is_refused(graph, query, capsys):
    assert main(["cypher", "--query", query]) == 1
    out = capsys.readouterr()
    assert "not allowed in ad-hoc Cypher" in out.err and "root:" not in out.out + out.err
