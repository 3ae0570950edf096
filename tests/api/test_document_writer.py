"""The shared write path (API, nearline worker, batch job) against the real Neo4j."""

from __future__ import annotations

import pytest

from kgservice.document import Domain
from kgservice.errors import InvalidInput
from kgservice.graph.cypher import Query
from kgservice.graph.document_writer import DocumentWrite, SkillWrite, document_key, write_documents
from kgservice.graph.skill_queries import document_skills, record_feedback
from kgservice.input_validation import MAX_VERSION_AHEAD_MS, now_ms
from tests.api.conftest import TEST_PREFIX, wipe_test_documents

pytestmark = pytest.mark.neo4j


@pytest.fixture()
def skill_ids(graph, full_taxonomy):
    wipe_test_documents(graph)
    yield [r["id"] for r in graph.read("MATCH (s:Skill {taxonomy: 'esco'}) RETURN s.id AS id ORDER BY s.id LIMIT 4")]
    wipe_test_documents(graph)


def doc(kind: Domain, name: str, version: int, skills: list[str], score: float = 0.9) -> DocumentWrite:
    return DocumentWrite(kind, f"{TEST_PREFIX}{name}", version, "test-model",
                         tuple(SkillWrite(s, score, "required", "trie", "qualifications") for s in skills),
                         title=name, updated_at=1)


def counters(graph, docs: list[DocumentWrite]):
    from kgservice.graph.document_writer import document_row

    with graph.driver.session(database=graph.database) as session:
        text = graph._queries[Query.WRITE_DOCUMENTS]
        return session.run(text, rows=[document_row(d, 1) for d in docs]).consume().counters


def test_document_writer_writes_many_in_one_call(graph, skill_ids):
    docs = [doc(Domain.JOB, "w-job", 1, skill_ids[:2]), doc(Domain.PROFILE, "w-profile", 1, skill_ids[1:4]),
            doc(Domain.COURSE, "w-course", 1, []), doc(Domain.POST, "w-post", 1, skill_ids[:1])]
    report = write_documents(graph, docs)
    assert sorted(report.applied) == sorted(document_key(d.kind, d.id) for d in docs)
    assert {r.key: r.written for r in report.results}[f"job:{TEST_PREFIX}w-job"] == 2
    labels = graph.read("MATCH (d:Document) WHERE d.id STARTS WITH $p RETURN d.id AS id, labels(d) AS labels",
                        p=TEST_PREFIX)
    assert {r["id"]: sorted(r["labels"]) for r in labels}[f"{TEST_PREFIX}w-profile"] == ["Document", "Profile"]
    rows = document_skills(graph, [f"profile:{TEST_PREFIX}w-profile", "job:missing"])
    assert len(rows[0]) == 3 and rows[1] == []


def test_document_writer_is_idempotent_and_ignores_older_versions(graph, skill_ids):
    first = [doc(Domain.JOB, "w-idem", 5, skill_ids[:3])]
    created = counters(graph, first)
    assert created.nodes_created == 1 and created.relationships_created == 3
    again = counters(graph, first)
    assert (again.nodes_created, again.relationships_created, again.relationships_deleted) == (0, 0, 0)
    older = write_documents(graph, [doc(Domain.JOB, "w-idem", 4, skill_ids[3:])])
    assert older.ignored == [f"job:{TEST_PREFIX}w-idem"] and older.results[0].stored_version == 5
    assert len(document_skills(graph, [f"job:{TEST_PREFIX}w-idem"])[0]) == 3
    # Two versions of one document in one call: the newest wins.
    report = write_documents(graph, [doc(Domain.JOB, "w-idem", 7, skill_ids[:1]), doc(Domain.JOB, "w-idem", 6, [])])
    assert report.applied == [f"job:{TEST_PREFIX}w-idem"] and report.results[0].stored_version == 7
    assert [r["skillId"] for r in document_skills(graph, [f"job:{TEST_PREFIX}w-idem"])[0]] == skill_ids[:1]


def test_document_writer_never_touches_feedback_edges(graph, skill_ids):
    key = f"job:{TEST_PREFIX}w-fb"
    write_documents(graph, [doc(Domain.JOB, "w-fb", 1, skill_ids[:2])])
    assert record_feedback(graph, key, skill_ids[3], "add", "recruiter") is not None
    assert record_feedback(graph, key, skill_ids[0], "accept", "recruiter") is not None
    write_documents(graph, [doc(Domain.JOB, "w-fb", 2, [])])  # extraction now finds nothing
    rows = graph.read("MATCH (:Document {key: $k})-[h:HAS_SKILL]->(s) RETURN h.source AS source, s.id AS id", k=key)
    assert sorted((r["source"], r["id"]) for r in rows) == sorted([("feedback", skill_ids[3]),
                                                                   ("feedback", skill_ids[0])])


def test_document_writer_rejects_bad_rows(graph):
    with pytest.raises(InvalidInput, match="version"):
        write_documents(graph, [DocumentWrite(Domain.JOB, "x", "7", "m", ())])  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="id"):
        write_documents(graph, [DocumentWrite(Domain.JOB, "", 1, "m", ())])
    with pytest.raises(InvalidInput, match="limit is 200"):
        write_documents(graph, [DocumentWrite(Domain.JOB, "x" * 10_000, 1, "m", ())])
    with pytest.raises(InvalidInput, match="negative"):
        write_documents(graph, [DocumentWrite(Domain.JOB, "x", -5, "m", ())])
    # A version far ahead would freeze the document: every later edit would look older.
    for version in (now_ms() + MAX_VERSION_AHEAD_MS + 60_000, 2**63 - 1, 10**23):
        with pytest.raises(InvalidInput, match="more than a day ahead"):
            write_documents(graph, [DocumentWrite(Domain.JOB, "x", version, "m", ())])
    with pytest.raises(InvalidInput, match="updatedAt"):
        write_documents(graph, [DocumentWrite(Domain.JOB, "x", 1, "m", (), updated_at=2**63)])
    assert write_documents(graph, []).results == []
    assert graph.read("MATCH (d:Document {key: 'job:x'}) RETURN count(d) AS n") == [{"n": 0}]


def test_concurrent_versions_of_one_document_leave_the_newest(graph, skill_ids):
    """Two writers send versions v and v+1 of one document at the same moment, 40 times: v+1 is stored
    every time with its own skills, and v is answered not applied whenever it came second (without the
    document's lock both read the old version and the older one could commit last)."""
    import threading

    name = "race-writer"
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []
    older_second = 0
    for round_ in range(40):
        v = 1_000 + 2 * round_
        results = {}

        def write(version: int, skills: list[str]) -> None:
            try:
                barrier.wait(timeout=30)
                results[version] = write_documents(graph, [doc(Domain.JOB, name, version, skills)]).results[0]
            except BaseException as exc:  # noqa: BLE001 - reported by the main thread
                errors.append(exc)

        threads = [threading.Thread(target=write, args=(v, skill_ids[:2])),
                   threading.Thread(target=write, args=(v + 1, skill_ids[2:4]))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not errors, errors
        assert results[v + 1].applied
        if not results[v].applied:
            older_second += 1
            assert results[v].stored_version == v + 1
        [stored] = document_skills_and_version(graph, f"{TEST_PREFIX}{name}")
        assert stored == (v + 1, sorted(skill_ids[2:4])), f"round {round_}"
    print(f"the older version came second in {older_second} of 40 rounds")


def document_skills_and_version(graph, doc_id: str) -> list[tuple[int, list[str]]]:
    rows = graph.read("""MATCH (d:Document {id: $id}) OPTIONAL MATCH (d)-[:HAS_SKILL {source: 'extraction'}]->(s:Skill)
                         RETURN d.version AS version, collect(s.id) AS skills""", id=doc_id)
    return [(r["version"], sorted(r["skills"])) for r in rows]


def test_concurrent_writers_on_shared_skills_all_commit(graph, full_taxonomy):
    """Two writers replace the edges of their own documents to the same skills at once, as two nearline
    workers do: edge deletes and creates on a skill's relationship group can deadlock the two
    transactions, and ``Graph.write`` retries the one Neo4j aborts. Every write must commit and each
    document end with its last version's skills."""
    import random
    import threading

    wipe_test_documents(graph)
    shared = [r["id"] for r in graph.read(
        "MATCH (s:Skill {taxonomy: 'esco'}) RETURN s.id AS id ORDER BY s.id LIMIT 12")]
    rounds = 25
    last: dict[str, list[str]] = {}
    errors: list[BaseException] = []

    def writer(name: str, seed: int) -> None:
        rng = random.Random(seed)
        try:
            for version in range(1, rounds + 1):
                batch = [doc(Domain.PROFILE, f"cw-{name}{i}", version, rng.sample(shared, 6)) for i in range(4)]
                write_documents(graph, batch)
                for d in batch:
                    last[d.id] = [s.skill_id for s in d.skills]
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(name, seed)) for name, seed in (("a", 1), ("b", 2))]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
        assert not errors, errors
        rows = graph.read("""
            MATCH (d:Document) WHERE d.id STARTS WITH $p
            OPTIONAL MATCH (d)-[:HAS_SKILL {source: 'extraction'}]->(s:Skill)
            RETURN d.id AS id, d.version AS version, collect(s.id) AS skills""", p=f"{TEST_PREFIX}cw-")
        assert {r["id"]: (r["version"], sorted(r["skills"])) for r in rows} == {
            i: (rounds, sorted(skills)) for i, skills in last.items()}
    finally:
        wipe_test_documents(graph)
