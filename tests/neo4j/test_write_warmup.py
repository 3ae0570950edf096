"""The write-path warm-up on the real Neo4j: it runs the real write, and commits nothing."""

from __future__ import annotations

import subprocess
import sys

from rich.console import Console

from kgservice.document import Domain
from kgservice.graph.cypher import Query
from kgservice.graph.document_writer import DocumentWrite, SkillWrite, document_row, write_documents
from kgservice.graph.driver import Graph
from kgservice.graph.write_warmup import WARMUP_ID_PREFIX, warm_write_path
from kgservice.settings import PROJECT_ROOT

DOC_ID = "test-warmup-stored"


def graph_shape(graph: Graph) -> tuple[list[dict], list[dict]]:
    return graph.read(Query.COUNT_BY_LABEL), graph.read(Query.COUNT_BY_RELATIONSHIP)


def stored_skills(graph: Graph) -> list[dict]:
    return graph.read("MATCH (d:Document {key: $key})-[h:HAS_SKILL]->(s:Skill) RETURN s.id AS id, h.score AS score, "
                      "d.version AS version ORDER BY id", key=f"profile:{DOC_ID}")


def scratch_left(graph: Graph) -> int:
    return graph.read("MATCH (d:Document) WHERE d.id STARTS WITH $p RETURN count(d) AS n", p=WARMUP_ID_PREFIX)[0]["n"]


def test_rehearse_runs_the_statements_and_rolls_back(graph: Graph, full_taxonomy) -> None:
    skill = graph.read(Query.GET_WARMUP_SKILL_IDS, limit=1)[0]["id"]
    row = document_row(DocumentWrite(Domain.JOB, f"{WARMUP_ID_PREFIX}probe", 1, "warmup",
                                     (SkillWrite(skill, 0.5, "core", "trie"),)), 0)
    returned = graph.rehearse([(Query.WRITE_DOCUMENTS, {"rows": [row]}),
                               ("MATCH (d:Document {key: $key})-[:HAS_SKILL]->() RETURN d.key AS key",
                                {"key": row["key"]})])
    assert returned == 2  # the write's row, and the same transaction reading the edge it created
    assert graph.read(Query.GET_DOCUMENTS_BY_KEYS, ids=[row["key"]]) == []


def test_warm_write_path_leaves_the_graph_as_it_was(graph: Graph, full_taxonomy) -> None:
    skills = [r["id"] for r in graph.read(Query.GET_WARMUP_SKILL_IDS, limit=3)]
    write_documents(graph, [DocumentWrite(Domain.PROFILE, DOC_ID, 5, "test",
                                          tuple(SkillWrite(s, 0.9, "core", "trie") for s in skills))])
    try:
        before_shape, before_doc = graph_shape(graph), stored_skills(graph)
        report = warm_write_path(graph, seconds=1.5, console=Console(quiet=True), commit_s=0.5)
        assert report.transactions > 0 and report.statements >= 3 * report.transactions
        assert report.committed > 0
        assert graph_shape(graph) == before_shape
        # The warm-up rewrites stored documents (this one, if it picked it): none of that committed.
        assert stored_skills(graph) == before_doc
        assert scratch_left(graph) == 0
    finally:
        graph.write("MATCH (d:Document {key: $key}) DETACH DELETE d", key=f"profile:{DOC_ID}")


def test_a_cut_short_warm_up_leaves_no_scratch_behind(graph: Graph, full_taxonomy) -> None:
    skill = graph.read(Query.GET_WARMUP_SKILL_IDS, limit=1)[0]["id"]
    left = DocumentWrite(Domain.POST, f"{WARMUP_ID_PREFIX}2", 10**9, "warmup", (SkillWrite(skill, 0.5, "core", "trie"),))
    write_documents(graph, [left])  # as if a warm-up had been killed in its committed phase
    report = warm_write_path(graph, seconds=0.5, console=Console(quiet=True), commit_s=0.5)
    assert report.transactions == 0 and report.committed > 0
    assert scratch_left(graph) == 0


def test_neo4j_warm_command(graph: Graph, full_taxonomy) -> None:
    out = subprocess.run([sys.executable, "-m", "kgservice.cli", "neo4j", "warm", "--seconds", "1",
                          "--commit-seconds", "0"],
                         capture_output=True, text=True, timeout=120, check=True, cwd=PROJECT_ROOT).stdout
    said = " ".join(out.split())  # the console wraps at its width
    assert "rolled-back write transactions" in said and "(nothing committed)" in said
