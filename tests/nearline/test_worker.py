"""The nearline worker against a real Redis and the real Neo4j: round trip, batching, crash and claim,
dead letters. No assertion depends on timing; waits have generous deadlines only so a bug cannot hang."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from typing import Any

import pytest

from kgservice.errors import InvalidInput
from kgservice.graph.driver import Graph
from kgservice.nearline import worker as worker_module
from kgservice.nearline.edit_stream import Edit, NearlineSettings, enqueue, make_edit
from kgservice.nearline.extraction import InlineExtraction
from kgservice.nearline.worker import Worker, WorkerStats
from kgservice.pipeline.build import make_document
from kgservice.settings import PROJECT_ROOT
from tests.nearline.conftest import DOC_PREFIX
from tests.nearline.crashing_worker import CRASH_CODE

pytestmark = pytest.mark.neo4j

TEXTS = [
    "Python developer with Django, PostgreSQL and Docker experience; builds REST APIs on AWS.",
    "Registered nurse experienced in patient care, wound care and medication administration.",
    "Accountant skilled in financial reporting, bookkeeping, Excel and tax preparation.",
    "Project manager: agile, Scrum, stakeholder management and budgeting.",
    "Data scientist using SQL, machine learning, pandas and Tableau for forecasting.",
]


def drain(worker: Worker, deadline_s: float = 120.0) -> WorkerStats:
    """Run the worker until nothing is left to do (or a deadline that only guards against hanging)."""
    stop = threading.Event()
    timer = threading.Timer(deadline_s, stop.set)
    timer.start()
    try:
        stats = worker.run(stop, idle_exit_s=1.0)
    finally:
        timer.cancel()
    assert not stop.is_set(), "the worker did not finish within the deadline"
    return stats


def wait_gone(pids: Sequence[int], deadline_s: float = 60.0) -> None:
    deadline = time.monotonic() + deadline_s
    for pid in pids:
        while os.path.exists(f"/proc/{pid}") and "zombie" not in open(f"/proc/{pid}/status").read():
            assert time.monotonic() < deadline, f"process {pid} outlived its worker"
            time.sleep(0.1)


def expected_skills(pipeline, edit: Edit) -> set[str]:  # noqa: ANN001
    doc = pipeline(make_document(edit.text, edit.kind, edit.title, edit.id))
    return {s.skill_id for s in doc.skills}


def stored(graph: Graph, edits: Sequence[Edit]) -> dict[str, dict[str, Any]]:
    rows = graph.read("""
        UNWIND $keys AS key MATCH (d:Document {key: key})
        OPTIONAL MATCH (d)-[h:HAS_SKILL {source: 'extraction'}]->(s:Skill)
        WITH d, h, s ORDER BY s.id
        RETURN d.key AS key, d.version AS version, d.updatedAt AS updatedAt, d.title AS title,
               collect(CASE WHEN s IS NULL THEN null ELSE [s.id, h.score, h.modelVersion, h.updatedAt] END) AS edges""",
                      keys=list({f"{e.kind.value}:{e.id}" for e in edits}))
    return {r["key"]: r for r in rows}


def stream_state(client, cfg: NearlineSettings) -> dict[str, int]:  # noqa: ANN001
    return {"length": client.xlen(cfg.stream), "pending": client.xpending(cfg.stream, cfg.group)["pending"],
            "dead": client.xlen(cfg.dead_letter), "errors": client.hlen(cfg.errors)}


def test_worker_round_trip_and_older_edit_never_overwrites(clean_documents, trie_pipeline, stream_cfg, redis_client):
    graph = clean_documents
    newer = make_edit("profile", f"{DOC_PREFIX}p1", TEXTS[0], title="v2", version=200)
    older = make_edit("profile", f"{DOC_PREFIX}p1", TEXTS[1], title="v1", version=100)  # arrives late
    job = make_edit("job", f"{DOC_PREFIX}j1", TEXTS[2], version=5)
    ids = enqueue(redis_client, stream_cfg, [newer, job])
    worker = Worker(graph, redis_client, InlineExtraction(trie_pipeline), stream_cfg, consumer="t-1",
                    record_commits=True)
    drain(worker)
    ids += enqueue(redis_client, stream_cfg, [older])
    stats = drain(worker)

    state = stored(graph, [newer, job])
    p1, j1 = state[f"profile:{DOC_PREFIX}p1"], state[f"job:{DOC_PREFIX}j1"]
    assert (p1["version"], p1["title"], p1["updatedAt"]) == (200, "v2", newer.edited_ms)
    assert {e[0] for e in p1["edges"]} == expected_skills(trie_pipeline, newer) != set()
    assert {e[0] for e in j1["edges"]} == expected_skills(trie_pipeline, job)
    assert {e[2] for e in p1["edges"]} == {trie_pipeline.model_version}
    assert (stats.committed, stats.applied, stats.ignored, stats.dead) == (3, 2, 1, 0)
    assert sorted(k.decode() for k in redis_client.hkeys(stream_cfg.committed)) == sorted(ids)
    assert stream_state(redis_client, stream_cfg) == {"length": 0, "pending": 0, "dead": 0, "errors": 0}


def test_worker_writes_messages_that_arrive_together_in_one_transaction(clean_documents, trie_pipeline, stream_cfg,
                                                                        redis_client, monkeypatch):
    calls: list[int] = []
    real = worker_module.write_documents

    def counting(graph, docs, **kw):  # noqa: ANN001, ANN003, ANN202
        calls.append(len(docs))
        return real(graph, docs, **kw)

    monkeypatch.setattr(worker_module, "write_documents", counting)
    edits = [make_edit("profile", f"{DOC_PREFIX}b{i}", TEXTS[i % len(TEXTS)], version=1) for i in range(20)]
    enqueue(redis_client, stream_cfg, edits)
    worker = Worker(clean_documents, redis_client, InlineExtraction(trie_pipeline), stream_cfg, consumer="t-batch")
    assert worker.step() == 20
    assert calls == [20] and worker.stats.batches == 1
    assert len(stored(clean_documents, edits)) == 20


def test_worker_crash_after_commit_is_claimed_and_applied_once_in_effect(clean_documents, trie_pipeline, stream_cfg,
                                                                         redis_client):
    graph = clean_documents
    edits = [make_edit("job" if i % 2 else "profile", f"{DOC_PREFIX}c{i}", TEXTS[i % len(TEXTS)], version=10 + i)
             for i in range(30)]
    ids = enqueue(redis_client, stream_cfg, edits)
    # A worker in its own process commits its first batch of 10 to Neo4j, then dies before XACK.
    crasher_cfg = stream_cfg.model_copy(update={"batch_size": 10})
    crashed = subprocess.run([sys.executable, "-m", "tests.nearline.crashing_worker", crasher_cfg.model_dump_json(),
                              "crasher"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert crashed.returncode == CRASH_CODE, crashed.stderr[-3000:]
    # Its extraction process goes with it rather than waiting forever for work.
    children = [int(p) for line in crashed.stdout.splitlines() if line.startswith("extraction pids")
                for p in line.split()[2:]]
    assert children
    wait_gone(children)
    pending = redis_client.xpending_range(stream_cfg.stream, stream_cfg.group, "-", "+", 100)
    # The first batch, plus whatever the loop read and extracted while the writer thread wrote it.
    assert len(pending) in (10, 20, 30) and {p["consumer"].decode() for p in pending} == {"crasher"}
    in_graph_after_crash = stored(graph, edits)
    assert len(in_graph_after_crash) == 10  # written, but not acknowledged

    survivor = Worker(graph, redis_client, InlineExtraction(trie_pipeline), stream_cfg, consumer="survivor",
                      record_commits=True)
    stats = drain(survivor)
    assert stats.claimed == len(pending) and stats.committed == 30 and stats.dead == 0
    final = stored(graph, edits)
    assert len(final) == 30
    # The 10 documents written twice look exactly as after their first write ...
    assert {k: final[k] for k in in_graph_after_crash} == in_graph_after_crash
    # ... and every document holds its own edit's version, time stamp and skills.
    for edit in edits:
        row = final[f"{edit.kind.value}:{edit.id}"]
        assert (row["version"], row["updatedAt"]) == (edit.version, edit.edited_ms)
        assert {e[0] for e in row["edges"] if e[0]} == expected_skills(trie_pipeline, edit)
    assert sorted(k.decode() for k in redis_client.hkeys(stream_cfg.committed)) == sorted(ids)
    assert stream_state(redis_client, stream_cfg) == {"length": 0, "pending": 0, "dead": 0, "errors": 0}


def test_worker_dead_letters_invalid_and_repeatedly_failing_messages(clean_documents, trie_pipeline, stream_cfg,
                                                                     redis_client, monkeypatch):
    real = worker_module.write_documents

    def poisoned(graph, docs, **kw):  # noqa: ANN001, ANN003, ANN202
        if any(d.id.endswith("poison") for d in docs):
            raise ValueError("poison pill")
        return real(graph, docs, **kw)

    monkeypatch.setattr(worker_module, "write_documents", poisoned)
    # A message whose consumers keep dying: delivered 3 times (max 2), never acknowledged.
    ghost = enqueue(redis_client, stream_cfg, [make_edit("job", f"{DOC_PREFIX}ghost", TEXTS[0], version=1)])[0]
    redis_client.xreadgroup(stream_cfg.group, "ghost-1", {stream_cfg.stream: ">"}, count=1)
    for other in ("ghost-2", "ghost-3"):
        redis_client.xclaim(stream_cfg.stream, stream_cfg.group, other, 0, [ghost])
    good = make_edit("profile", f"{DOC_PREFIX}good", TEXTS[3], version=1)
    poison = make_edit("profile", f"{DOC_PREFIX}poison", TEXTS[4], version=1)
    enqueue(redis_client, stream_cfg, [good, poison])
    redis_client.xadd(stream_cfg.stream, {"kind": "profile", "id": f"{DOC_PREFIX}empty", "text": "", "version": "1"})
    redis_client.xadd(stream_cfg.stream, {"kind": "resume", "id": f"{DOC_PREFIX}kind", "text": "x", "version": "1"})

    worker = Worker(clean_documents, redis_client, InlineExtraction(trie_pipeline), stream_cfg, consumer="t-dead")
    stats = drain(worker)
    dead = {f[b"id"].decode(): {k.decode(): v.decode() for k, v in f.items()}
            for _, f in redis_client.xrange(stream_cfg.dead_letter)}
    assert set(dead) == {f"{DOC_PREFIX}poison", f"{DOC_PREFIX}empty", f"{DOC_PREFIX}kind", f"{DOC_PREFIX}ghost"}
    assert dead[f"{DOC_PREFIX}poison"]["error"] == "ValueError: poison pill"
    assert dead[f"{DOC_PREFIX}poison"]["deliveries"] == "2" and dead[f"{DOC_PREFIX}poison"]["text"] == TEXTS[4]
    assert "`text` is empty" in dead[f"{DOC_PREFIX}empty"]["error"]
    assert "unknown kind" in dead[f"{DOC_PREFIX}kind"]["error"]
    assert "not acknowledged after 3 deliveries" in dead[f"{DOC_PREFIX}ghost"]["error"]
    assert list(stored(clean_documents, [good, poison])) == [f"profile:{DOC_PREFIX}good"]
    assert stats.dead == 4 and stats.failed == 2
    assert stream_state(redis_client, stream_cfg) == {"length": 0, "pending": 0, "dead": 4, "errors": 0}


def test_worker_dead_letters_poison_messages_on_first_delivery_and_writes_their_batch(clean_documents, trie_pipeline,
                                                                                     stream_cfg, redis_client):
    """Messages the API would refuse (text not UTF-8, versions out of range, an id too long) arrive in one
    batch with valid edits: each goes to dead letters once, with its own reason, and the worker goes on to
    write the valid ones; nothing is retried or left pending. A producer's make_edit refuses them first."""
    for version in (-5, 2**70):
        with pytest.raises(InvalidInput, match="version"):
            make_edit("job", f"{DOC_PREFIX}refused", TEXTS[0], version=version)
    good = [make_edit("job", f"{DOC_PREFIX}batch{i}", TEXTS[i], version=5) for i in range(3)]
    poison = {
        "utf8": {"kind": "job", "id": f"{DOC_PREFIX}utf8", "text": b"Python \xff\xfe developer", "version": "1"},
        "negative": {"kind": "job", "id": f"{DOC_PREFIX}negative", "text": TEXTS[0], "version": "-5"},
        "long-id": {"kind": "job", "id": f"{DOC_PREFIX}{'x' * 10_000}", "text": TEXTS[0], "version": "1"},
        "exponent": {"kind": "job", "id": f"{DOC_PREFIX}exponent", "text": TEXTS[0], "version": "1e23"},
        "huge": {"kind": "job", "id": f"{DOC_PREFIX}huge", "text": TEXTS[0], "version": str(2**70)},
        "future-ts": {"kind": "job", "id": f"{DOC_PREFIX}ts", "text": TEXTS[0], "version": "1", "ts": str(2**63)},
    }
    reasons = {"utf8": "`text` is not valid UTF-8 (byte 0xff at offset 7)", "negative": "must not be negative",
               "long-id": "limit is 200", "exponent": "is not an integer", "huge": "a day ahead",
               "future-ts": "`ts`"}
    ids = {}
    enqueue(redis_client, stream_cfg, good[:1])
    for name, fields in poison.items():
        ids[redis_client.xadd(stream_cfg.stream, fields).decode()] = name
    enqueue(redis_client, stream_cfg, good[1:])

    worker = Worker(clean_documents, redis_client, InlineExtraction(trie_pipeline), stream_cfg, consumer="t-poison")
    assert worker.step() == 9  # one read: the poison and the valid edits in the same batch
    stats = drain(worker)
    dead = {f[b"source_id"].decode(): f for _, f in redis_client.xrange(stream_cfg.dead_letter)}
    assert sorted(ids[i] for i in dead) == sorted(poison)
    for source_id, fields in dead.items():
        assert fields[b"deliveries"] == b"1" and fields[b"error"].startswith(b"invalid edit: ")
        assert reasons[ids[source_id]] in fields[b"error"].decode(), fields[b"error"]
    assert dead[next(i for i, n in ids.items() if n == "utf8")][b"text"] == b"Python \xff\xfe developer"
    assert set(stored(clean_documents, good)) == {f"job:{e.id}" for e in good}
    assert worker.stats.dead == 6 and worker.stats.failed == 0 and worker.stats.committed == 3
    assert stats.retries == 0
    assert stream_state(redis_client, stream_cfg) == {"length": 0, "pending": 0, "dead": 6, "errors": 0}


def test_worker_writer_thread_keeps_slow_writes_claimed_and_in_order(clean_documents, trie_pipeline, stream_cfg,
                                                                      redis_client, monkeypatch):
    real = worker_module.write_documents
    deliveries: list[int] = []
    extracted_during_write: list[bool] = []
    writing = threading.Event()
    extraction = InlineExtraction(trie_pipeline)
    real_submit = extraction.submit

    def submit(edits):  # noqa: ANN001, ANN202
        extracted_during_write.append(writing.is_set())
        return real_submit(edits)

    def slow(graph, docs, **kw):  # noqa: ANN001, ANN003, ANN202
        writing.set()
        time.sleep(1.0)  # over three times claim_idle_ms (300 ms): only the renewals keep the claim
        pending = redis_client.xpending_range(stream_cfg.stream, stream_cfg.group, "-", "+", 100)
        deliveries.extend(int(p["times_delivered"]) for p in pending)
        writing.clear()
        return real(graph, docs, **kw)

    monkeypatch.setattr(worker_module, "write_documents", slow)
    monkeypatch.setattr(extraction, "submit", submit)
    edits = [make_edit("profile", f"{DOC_PREFIX}slow", TEXTS[i], version=i + 1) for i in range(4)]
    enqueue(redis_client, stream_cfg, edits)
    worker = Worker(clean_documents, redis_client, extraction, stream_cfg.model_copy(update={"batch_size": 1}),
                    consumer="t-slow")
    stats = drain(worker)
    assert any(extracted_during_write), "the loop should extract the next batch while the writer writes"
    assert deliveries and set(deliveries) == {1}, "a message held by the writer must not be delivered again"
    # Batches are written in the order they were read: no version is older than the one stored before it.
    assert (stats.committed, stats.applied, stats.ignored, stats.claimed, stats.dead) == (4, 4, 0, 0, 0)
    assert stored(clean_documents, edits)[f"profile:{DOC_PREFIX}slow"]["version"] == 4
    assert stream_state(redis_client, stream_cfg) == {"length": 0, "pending": 0, "dead": 0, "errors": 0}
