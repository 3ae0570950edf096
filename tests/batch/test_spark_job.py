"""``kgservice batch``: a real local Spark session (local[2]) writing to the real Neo4j; a few dozen documents."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from kgservice.batch.spark_job import run_batch, spark_session
from kgservice.document import Domain
from kgservice.graph.document_writer import DocumentWrite, SkillWrite, write_documents
from kgservice.graph.driver import Graph
from kgservice.pipeline.build import make_document

pytestmark = pytest.mark.neo4j

PREFIX = "test-batch-"
QUIET = Console(quiet=True)
TEXTS = [
    "We are hiring a Python developer. Requirements: Django, PostgreSQL, Docker, REST APIs and AWS.",
    "Registered nurse wanted: patient care, wound care, medication administration, Microsoft Excel, teamwork.",
    "Accountant: financial reporting, bookkeeping, Microsoft Excel, tax preparation and auditing.",
    "Project manager with agile and Scrum experience, stakeholder management and budgeting.",
    "Data analyst: SQL, machine learning, pandas, Tableau dashboards and statistics.",
    "Chef de partie: food safety, menu planning, cooking techniques and kitchen hygiene.",
]
EDGES = """
MATCH (d:Document) WHERE d.id STARTS WITH $prefix
OPTIONAL MATCH (d)-[h:HAS_SKILL]->(s:Skill)
WITH d, h, s ORDER BY d.key, s.id
RETURN d.key AS key, d.version AS version, d.modelVersion AS model, d.updatedAt AS updatedAt,
       collect([s.id, h.source, h.score, h.relation, h.method, h.section, h.modelVersion, h.updatedAt]) AS edges
ORDER BY key
"""


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    session = spark_session("local[2]", app_name="kgservice-tests")
    yield session
    session.stop()
    from pyspark import SparkContext

    gateway = SparkContext._gateway
    if gateway is not None:  # leave no JVM behind
        gateway.shutdown()
        proc = getattr(gateway, "proc", None)
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
        SparkContext._gateway = None
        SparkContext._jvm = None


@pytest.fixture()
def batch_graph(graph: Graph, trie_pipeline) -> Iterator[Graph]:
    graph.write("MATCH (d:Document) WHERE d.id STARTS WITH $p DETACH DELETE d", p=PREFIX)
    yield graph
    graph.write("MATCH (d:Document) WHERE d.id STARTS WITH $p DETACH DELETE d", p=PREFIX)


def rows(n: int, version: int = 7) -> list[dict[str, Any]]:
    return [{"id": f"{PREFIX}{i}", "kind": "job" if i % 3 else "profile", "title": f"doc {i}",
             "text": TEXTS[i % len(TEXTS)] + f" Reference {i}.", "version": version} for i in range(n)]


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def snapshot(graph: Graph) -> list[dict[str, Any]]:
    return graph.read(EDGES, prefix=PREFIX)


def test_spark_job_writes_every_document_and_a_rerun_changes_nothing(spark, settings, batch_graph, trie_pipeline,
                                                                     tmp_path):
    records = rows(30) + [{"id": f"{PREFIX}empty", "kind": "job", "text": " ", "version": 1},
                          {"id": f"{PREFIX}nover", "kind": "job", "text": TEXTS[0]},
                          {"id": f"{PREFIX}negative", "kind": "job", "text": TEXTS[0], "version": -3},
                          {"id": f"{PREFIX}future", "kind": "job", "text": TEXTS[0], "version": 2**62}]
    source = write_jsonl(tmp_path / "docs.jsonl", records)
    first = run_batch(spark, settings, source, semantic=False, partitions=4, write_batch=8, console=QUIET)
    assert (first.documents, first.applied, first.ignored, first.failed) == (34, 30, 0, 4)
    assert first.model_versions == {trie_pipeline.model_version}
    assert any("`text` is empty" in e for e in first.errors) and any("no version" in e for e in first.errors)
    # The API's and the stream's checks (kgservice/input_validation.py), before any extraction.
    assert any("negative" in e for e in first.errors) and any("a day ahead" in e for e in first.errors)
    before = snapshot(batch_graph)
    assert len(before) == 30 and first.edges == sum(len([e for e in r["edges"] if e[0]]) for r in before)
    for record in records[:6]:  # the same skills as the pipeline finds in-process
        doc = trie_pipeline(make_document(record["text"], record["kind"], doc_id=record["id"]))
        row = next(r for r in before if r["key"] == f"{record['kind']}:{record['id']}")
        assert {e[0] for e in row["edges"] if e[0]} == {s.skill_id for s in doc.skills}
        assert row["version"] == 7 and row["updatedAt"] == 7 and row["model"] == trie_pipeline.model_version

    again = run_batch(spark, settings, source, semantic=False, partitions=3, write_batch=5, console=QUIET)
    assert (again.documents, again.applied, again.failed) == (34, 30, 4)
    assert snapshot(batch_graph) == before


def test_spark_job_reads_parquet_and_writes_parquet_for_bulk_import(spark, settings, batch_graph, trie_pipeline,
                                                                    tmp_path):
    source = str(tmp_path / "docs.parquet")
    spark.createDataFrame(rows(12)).write.parquet(source)
    out = tmp_path / "out"
    report = run_batch(spark, settings, source, out=out, semantic=False, console=QUIET)
    assert (report.documents, report.failed) == (12, 0)
    written = {r["key"]: r.asDict(recursive=True) for r in spark.read.parquet(str(out)).collect()}
    assert sorted(written) == sorted(f"{r['kind']}:{r['id']}" for r in rows(12))
    assert report.edges == sum(len(r["skills"]) for r in written.values())
    one = written[f"job:{PREFIX}1"]
    doc = trie_pipeline(make_document(rows(2)[1]["text"], "job", doc_id=f"{PREFIX}1"))
    assert {s["skillId"] for s in one["skills"]} == {s.skill_id for s in doc.skills}
    assert (one["version"], one["updatedAt"], one["label"]) == (7, 7, "Job")
    assert snapshot(batch_graph) == []  # nothing went to Neo4j


def test_spark_job_model_version_switch_never_leaves_a_document_without_skills(spark, settings, batch_graph,
                                                                               trie_pipeline, tmp_path):
    # Documents the new model finds skills in (a document it finds none in rightly ends with none).
    found = {r["id"]: [s.skill_id for s in trie_pipeline(make_document(r["text"], r["kind"], doc_id=r["id"])).skills]
             for r in rows(24)}
    records = [r for r in rows(24) if found[r["id"]]]
    assert len(records) >= 12
    # The previous model's extraction: one skill the new model also finds, one it does not.
    stale = batch_graph.read("MATCH (s:Skill {taxonomy: 'esco'}) RETURN s.id AS id ORDER BY s.id LIMIT 1")[0]["id"]
    old = []
    for r in records:
        assert stale not in found[r["id"]]
        old.append(DocumentWrite(Domain(r["kind"]), r["id"], 7, "old-model",
                                 (SkillWrite(found[r["id"]][0], 0.5, "mentioned", "trie"), SkillWrite(stale, 0.5, "mentioned",
                                                                                             "trie")), updated_at=1))
    # One document was edited since the input was taken: its newer version must stay.
    old[0] = DocumentWrite(old[0].kind, old[0].id, 99, "newer-edit", old[0].skills, updated_at=2)
    write_documents(batch_graph, old)

    seen_empty: list[str] = []
    polls = 0
    stop = threading.Event()

    def reader() -> None:  # a reader running through the whole switch
        nonlocal polls
        while not stop.is_set():
            counts = batch_graph.read("""
                MATCH (d:Document) WHERE d.id STARTS WITH $prefix
                RETURN d.key AS key, COUNT { (d)-[:HAS_SKILL {source: 'extraction'}]->() } AS n""", prefix=PREFIX)
            seen_empty.extend(r["key"] for r in counts if r["n"] == 0)
            polls += 1

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        report = run_batch(spark, settings, write_jsonl(tmp_path / "docs.jsonl", records), semantic=False,
                           partitions=4, write_batch=3, console=QUIET)
    finally:
        stop.set()
        thread.join()
    assert polls > 0 and seen_empty == []
    assert (report.applied, report.ignored) == (len(records) - 1, 1)
    after = {r["key"]: r for r in snapshot(batch_graph)}
    kept = after[f"{records[0]['kind']}:{records[0]['id']}"]
    assert kept["version"] == 99 and {e[6] for e in kept["edges"]} == {"newer-edit"}
    for r in records[1:]:
        row = after[f"{r['kind']}:{r['id']}"]
        assert row["model"] == trie_pipeline.model_version
        assert {e[6] for e in row["edges"]} == {trie_pipeline.model_version}
        assert stale not in {e[0] for e in row["edges"]}


def test_spark_job_recounts_the_documents_related_skills_after_a_run(spark, settings, batch_graph, trie_pipeline,
                                                                     tmp_path):
    from kgservice.related.build import edges_of, graph_document_counts

    report = run_batch(spark, settings, write_jsonl(tmp_path / "docs.jsonl", rows(12)), semantic=False, console=QUIET)
    related = report.related
    assert related is not None and related.source == "documents" and related.documents >= 12
    stored = {(r["a"], r["b"]): (r["weight"], r["count"], r["documents"]) for r in batch_graph.read(
        "MATCH (a:Skill)-[r:RELATED_TO {source: 'documents'}]->(b:Skill) "
        "RETURN a.id AS a, b.id AS b, r.weight AS weight, r.count AS count, r.documents AS documents")}
    # What Spark counted equals counting the same graph in one process.
    expected = {(e.skill_id, e.related_id): (e.weight, e.count, e.documents)
                for e in edges_of(graph_document_counts(batch_graph), settings)}
    assert stored == expected and related.edges == len(expected)
    # rows(12) writes every text twice, so the skills two copies share are pairs of at least two documents.
    edges = {r["key"]: {e[0] for e in r["edges"] if e[0]} for r in snapshot(batch_graph)}
    shared = [edges[f"{r['kind']}:{r['id']}"] & edges[f"{t['kind']}:{t['id']}"]
              for r, t in zip(rows(12)[:6], rows(12)[6:], strict=True)]
    pairs = [(a, b) for skills in shared for a in skills for b in skills if a < b]
    assert pairs and all((a, b) in stored and stored[(a, b)][2] >= 2 for a, b in pairs)

    # A bulk run (Parquet out) leaves the graph, and so the edges, alone.
    bulk = run_batch(spark, settings, write_jsonl(tmp_path / "more.jsonl", rows(3, version=8)), out=tmp_path / "out",
                     semantic=False, console=QUIET)
    assert bulk.related is None
