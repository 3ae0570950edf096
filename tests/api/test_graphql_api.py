"""Every query and mutation over HTTP against the real uvicorn server and the real Neo4j."""

from __future__ import annotations

import json
import logging
import re
import socket
import threading
import time

import httpx
import pytest

from kgservice.api.limits import MAX_ALIASES, MAX_DEPTH, MAX_FIRST, MAX_IDS
from kgservice.document import Domain
from kgservice.graph.document_writer import DocumentWrite, SkillWrite, write_documents
from kgservice.input_validation import now_ms
from kgservice.loaders.esco_bundle import read_bundle
from kgservice.loaders.taxonomy_writer import load
from tests.api.conftest import TEST_PREFIX

from tests.conftest import DATA, POSTING

pytestmark = pytest.mark.neo4j

PYTHON = "esco:ccd0a1d9-afda-43d9-b901-96344886e14d"  # Python (computer programming)
PROFILE_STRONG = "Skills\nPython, SQL, PostgreSQL, REST APIs.\n\nExperience\nBackend developer building APIs in Python.\n"
PROFILE_WEAK = "Skills\nCooking, baking and food safety.\n\nExperience\nChef in a busy restaurant.\n"

UPSERT = """mutation Up($kind: DocumentKind!, $id: ID!, $text: String!, $title: String, $version: Long) {
  upsertDocument(kind: $kind, id: $id, text: $text, title: $title, version: $version) {
    applied skillsWritten modelVersion
    entity { kind id title version skills { skill { id name } score relation method sources verified } }
  }
}"""


def codes(body: dict) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in body.get("errors", [])]


def upsert(api, kind: str, doc_id: str, text: str, version: int | None = None, title: str | None = None) -> dict:
    body = api.gql(UPSERT, {"kind": kind, "id": doc_id, "text": text, "version": version, "title": title})
    assert "errors" not in body, body
    return body["data"]["upsertDocument"]


def edge_counts(graph, doc_id: str) -> dict[str, int]:
    rows = graph.read("MATCH (d:Document {id: $id})-[r]->() RETURN type(r) + ':' + coalesce(r.source, '') AS edge, "
                      "count(*) AS n", id=doc_id)
    return {r["edge"]: r["n"] for r in rows}


# -- skills -----------------------------------------------------------------------------------------
def test_api_skill_with_neighbours(api):
    body = api.gql("""query($id: ID!) { skill(id: $id) { id name taxonomy aliases type
        parents { id } children { id } siblings(first: 5) { id } related { id }
        sameAs { id name taxonomy } group { code name level } groups { code } groupPath { code } } }""",
                   {"id": PYTHON})
    skill = body["data"]["skill"]
    assert skill["name"] == "Python (computer programming)" and skill["taxonomy"] == "esco"
    assert "Python3" in skill["aliases"]
    assert any(s["taxonomy"] == "lightcast" for s in skill["sameAs"])
    assert skill["group"]["code"] == skill["groupPath"][-1]["code"] and skill["groupPath"][0]["code"] == "K"


def test_api_unknown_skill_is_null_with_error(api):
    body = api.gql('{ skill(id: "esco:no-such-skill") { id } searchSkills(text: "sql", first: 1) { hits { skill { id } } } }')
    assert body["data"]["skill"] is None
    assert body["data"]["searchSkills"]["hits"]  # the rest of the query still answers
    assert codes(body) == ["NOT_FOUND"] and "esco:no-such-skill" in body["errors"][0]["message"]


def test_api_dataloaders_bound_round_trips(api, monkeypatch):
    graph = api.app.state.services.graph
    calls: list[str] = []
    real = graph._run

    def counting(query, params, routing):
        calls.append(str(query))
        return real(query, params, routing)

    monkeypatch.setattr(graph, "_run", counting)
    body = api.gql("""{ searchSkills(text: "management", first: 50) { hits { skill {
        id aliases parents { id name } children { id } siblings { id } sameAs { id } group { code } } } } }""")
    hits = body["data"]["searchSkills"]["hits"]
    assert len(hits) == 50
    # search + neighbours (parents, children, siblings, sameAs at once) + groups; aliases come primed.
    assert len(calls) <= 4, calls


def test_api_search_skills_reports_method(api):
    body = api.gql('{ searchSkills(text: "postgres sql", first: 5) { method semanticAvailable hits { score method skill { name } } } }')
    result = body["data"]["searchSkills"]
    assert result["hits"] and all(h["method"] in ("FULLTEXT", "SEMANTIC", "BOTH") for h in result["hits"])
    if result["semanticAvailable"]:
        assert result["method"] == "fulltext+semantic"
    else:
        assert result["method"].startswith("fulltext only: ")
    weird = api.gql('{ searchSkills(text: "c++ (\\"unbalanced: [*", first: 3) { hits { skill { name } } } }')
    assert "errors" not in weird


def test_api_expand_skills(api):
    body = api.gql("""query($ids: [ID!]!) { expandSkills(ids: $ids, relations: [SAME_AS, SAME_GROUP], depth: 2) {
        skill { id name } seed via relation depth } }""", {"ids": [PYTHON]})
    hits = body["data"]["expandSkills"]
    assert {h["relation"] for h in hits} <= {"SAME_AS", "SAME_GROUP"}
    assert any(h["relation"] == "SAME_AS" and h["depth"] == 1 for h in hits)
    assert {h["depth"] for h in hits} <= {1, 2} and all(h["seed"] == PYTHON for h in hits)


# -- extraction -------------------------------------------------------------------------------------
def test_api_extract_skills(api):
    body = api.gql("""query($text: String!) { extractSkills(text: $text, domain: JOB, title: "Backend Engineer") {
        modelVersion notes sections { kind start end }
        skills { skill { id name taxonomy } score relation method section spans { start end text } } } }""",
                   {"text": POSTING})
    result = body["data"]["extractSkills"]
    assert result["modelVersion"].startswith("trie@")
    assert "qualifications" in {s["kind"] for s in result["sections"]}
    python = next(s for s in result["skills"] if s["skill"]["id"] == PYTHON)
    assert python["relation"] == "REQUIRED" and python["method"] in ("TRIE", "SEMANTIC")
    for s in result["skills"]:
        assert all(POSTING[sp["start"]:sp["end"]] == sp["text"] for sp in s["spans"])
        assert 0 <= s["score"] <= 1


# -- bad input --------------------------------------------------------------------------------------
BAD = [
    ("empty text", '{ extractSkills(text: "   ") { modelVersion } }', "BAD_USER_INPUT", "empty"),
    ("first 0", '{ searchSkills(text: "sql", first: 0) { method } }', "BAD_USER_INPUT", "first"),
    ("first too big", f'{{ searchSkills(text: "sql", first: {MAX_FIRST + 1}) {{ method }} }}', "BAD_USER_INPUT", "first"),
    ("empty search", '{ searchSkills(text: " ") { method } }', "BAD_USER_INPUT", "empty"),
    ("depth too big", f'{{ expandSkills(ids: ["{PYTHON}"], depth: {MAX_DEPTH + 1}) {{ depth }} }}', "BAD_USER_INPUT", "depth"),
    ("depth 0", f'{{ expandSkills(ids: ["{PYTHON}"], depth: 0) {{ depth }} }}', "BAD_USER_INPUT", "depth"),
    ("no ids", "{ expandSkills(ids: []) { depth } }", "BAD_USER_INPUT", "empty"),
    ("too many ids", "{ expandSkills(ids: [%s]) { depth } }" % ",".join(f'"x{i}"' for i in range(MAX_IDS + 1)),
     "BAD_USER_INPUT", "limit"),
    ("unknown expand id", '{ expandSkills(ids: ["esco:nope"]) { depth } }', "NOT_FOUND", "esco:nope"),
    ("neighbour first", f'{{ skill(id: "{PYTHON}") {{ siblings(first: 1000) {{ id }} }} }}', "BAD_USER_INPUT", "first"),
    ("unknown enum", '{ extractSkills(text: "SQL", domain: NOVEL) { modelVersion } }', "GRAPHQL_VALIDATION_FAILED",
     "NOVEL"),
    ("unknown field", "{ nope }", "GRAPHQL_VALIDATION_FAILED", "nope"),
    ("query depth", '{ skill(id: "x") { parents { parents { parents { parents { parents { parents { parents { parents '
                    "{ parents { id } } } } } } } } } } }", "GRAPHQL_VALIDATION_FAILED", "depth"),
    ("aliases", "{ %s }" % " ".join(f'a{i}: skill(id: "x") {{ id }}' for i in range(MAX_ALIASES + 1)),
     "GRAPHQL_VALIDATION_FAILED", "aliases"),
    ("tokens", "{ %s }" % " ".join("__typename" for _ in range(2500)), "GRAPHQL_PARSE_FAILED", "token"),
    ("percentile", 'mutation { recordAssessment(profileId: "p", skillId: "s", percentile: 150) { verified } }',
     "BAD_USER_INPUT", "percentile"),
    ("not relevant on a job", 'mutation { recordFeedback(kind: JOB, id: "j", skillId: "s", action: NOT_RELEVANT) '
                              "{ action } }", "BAD_USER_INPUT", "PROFILE"),
    ("unknown entity", '{ entity(kind: JOB, id: "test-api-none") { id } }', "NOT_FOUND", "test-api-none"),
    ("unknown match", '{ matchJobToProfile(jobId: "test-api-none", profileId: "x") { score } }', "NOT_FOUND",
     "test-api-none"),
    ("top first", '{ topJobs(profileId: "x", first: 0) { id } }', "BAD_USER_INPUT", "first"),
    ("version a week ahead", 'mutation { upsertDocument(kind: JOB, id: "test-api-v", text: "SQL", version: %d) '
                             "{ applied } }" % (now_ms() + 7 * 24 * 3600 * 1000), "BAD_USER_INPUT", "a day ahead"),
    ("version 2^63-1", 'mutation { upsertDocument(kind: JOB, id: "test-api-v", text: "SQL", version: %d) { applied } }'
                       % (2**63 - 1), "BAD_USER_INPUT", "a day ahead"),
    ("version 2^63", 'mutation { upsertDocument(kind: JOB, id: "test-api-v", text: "SQL", version: %d) { applied } }'
                     % 2**63, "BAD_USER_INPUT", "64-bit"),
    ("negative version", 'mutation { upsertDocument(kind: JOB, id: "test-api-v", text: "SQL", version: -1) '
                         "{ applied } }", "BAD_USER_INPUT", "negative"),
    ("syntax", '{ skill(id: "x") { id }', "GRAPHQL_PARSE_FAILED", "Syntax Error"),
    ("long id", '{ entity(kind: JOB, id: "%s") { id } }' % ("x" * 10_000), "BAD_USER_INPUT", "limit is 200"),
]


@pytest.mark.parametrize(("query", "code", "message"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_api_bad_input_gives_clear_errors(api, query, code, message):
    response = api.client.post("/graphql", json={"query": query})
    assert response.status_code in (200, 400), response.text
    body = response.json()
    assert code in codes(body), body
    assert any(message.lower() in e["message"].lower() for e in body["errors"]), body
    assert "Traceback" not in response.text


ASSESS = 'mutation($p: Float!) { recordAssessment(profileId: "x", skillId: "y", percentile: $p) { verified } }'
EXTRACT = "query($t: String!) { extractSkills(text: $t) { modelVersion } }"
VERSION = 'mutation($v: Long) { upsertDocument(kind: JOB, id: "test-api-v", text: "SQL", version: $v) { applied } }'
BAD_VARIABLES = [
    ("lone surrogate", EXTRACT, {"t": "SQL \ud800 and Python"}, "lone surrogate"),
    ("NaN", ASSESS, {"p": float("nan")}, "Float cannot represent"),
    ("Infinity", ASSESS, {"p": float("inf")}, "Float cannot represent"),
    ("missing variable", EXTRACT, {}, "$t"),
    ("mistyped variable", EXTRACT, {"t": 5}, "String cannot represent"),
    ("version 2^63", VERSION, {"v": 2**63}, "64-bit"),
    ("fractional version", VERSION, {"v": 1.5}, "integer"),
]


@pytest.mark.parametrize(("query", "variables", "message"), [b[1:] for b in BAD_VARIABLES],
                         ids=[b[0] for b in BAD_VARIABLES])
def test_api_bad_variables_are_bad_user_input(api, query, variables, message):
    # json.dumps, unlike httpx's encoder, writes NaN, Infinity and lone surrogates (as \ud800), as some
    # clients do.
    body = json.dumps({"query": query, "variables": variables}).encode()
    response = api.client.post("/graphql", content=body, headers={"content-type": "application/json"})
    assert response.status_code in (200, 400), response.text
    assert codes(response.json()) == ["BAD_USER_INPUT"], response.text
    assert message in response.json()["errors"][0]["message"]


def test_api_text_over_limit(api):
    limit = api.app.state.services.settings.pipeline.max_chars
    body = api.gql("query($t: String!) { extractSkills(text: $t) { modelVersion } }", {"t": "SQL " * (limit // 4 + 1)})
    assert codes(body) == ["BAD_USER_INPUT"] and str(limit) in body["errors"][0]["message"]
    assert body["data"] is None


def test_api_body_over_limit_is_413(api):
    limit = api.app.state.services.settings.pipeline.max_chars
    response = api.client.post("/graphql", content=b"x" * (limit * 4 + 70 * 1024),
                               headers={"content-type": "application/json"})
    assert response.status_code == 413 and "limit" in response.json()["errors"][0]["message"]


def chunked_post(api, total_bytes: int, chunk_bytes: int = 64 * 1024) -> bytes:
    """POST ``total_bytes`` to /graphql with ``Transfer-Encoding: chunked`` (no Content-Length) from a thread of
    its own, which stops when the server stops reading; returns what the server answered."""
    port = int(api.url.rsplit(":", 1)[1])
    sock = socket.create_connection(("127.0.0.1", port), timeout=60)
    chunk = b"%x\r\n" % chunk_bytes + b"x" * chunk_bytes + b"\r\n"

    def send() -> None:
        try:
            sock.sendall(b"POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                         b"Transfer-Encoding: chunked\r\n\r\n")
            for _ in range(total_bytes // chunk_bytes):
                sock.sendall(chunk)
            sock.sendall(b"0\r\n\r\n")
        except OSError:  # the server answered and closed the connection without reading the rest
            pass

    sender = threading.Thread(target=send, daemon=True)
    sender.start()
    answer = b""
    try:
        while b"\r\n\r\n" not in answer:
            data = sock.recv(65536)
            if not data:
                break
            answer += data
    finally:
        sock.close()
        sender.join(timeout=60)
    return answer


def test_api_chunked_body_over_limit_is_413_and_the_server_stays_up(api):
    answer = chunked_post(api, 20 * 1024 * 1024)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert api.client.get("/health").status_code == 200
    # A chunked body under the limit is read as before.
    small = api.client.post("/graphql", content=iter([b'{"query": ', b'"{ __typename }"}']),
                            headers={"content-type": "application/json"})
    assert small.status_code == 200 and small.json() == {"data": {"__typename": "Query"}}


# -- documents --------------------------------------------------------------------------------------
def test_api_upsert_is_idempotent_and_ignores_older_versions(api, graph):
    doc_id = f"{TEST_PREFIX}job-idem"
    first = upsert(api, "JOB", doc_id, POSTING, version=1000, title="Backend")
    assert first["applied"] and first["skillsWritten"] > 0
    assert first["entity"]["version"] == 1000 and first["entity"]["kind"] == "JOB"
    names = {s["skill"]["name"] for s in first["entity"]["skills"]}
    assert "Python (computer programming)" in names
    assert all(s["sources"] == ["extraction"] for s in first["entity"]["skills"])
    counts = edge_counts(graph, doc_id)
    again = upsert(api, "JOB", doc_id, POSTING, version=1000, title="Backend")
    assert again["applied"] and edge_counts(graph, doc_id) == counts
    assert again["entity"]["skills"] == first["entity"]["skills"]
    older = upsert(api, "JOB", doc_id, "Requirements\n- Cooking", version=999)
    assert not older["applied"] and older["entity"]["version"] == 1000
    assert edge_counts(graph, doc_id) == counts
    newer = upsert(api, "JOB", doc_id, "Requirements\n- Strong SQL skills", version=2000)
    assert newer["applied"] and {s["skill"]["name"] for s in newer["entity"]["skills"]} >= {"SQL"}
    assert "Python (computer programming)" not in {s["skill"]["name"] for s in newer["entity"]["skills"]}
    body = api.gql("query($id: ID!) { entity(kind: JOB, id: $id) { id title version skills { skill { name } } } }",
                   {"id": doc_id})
    assert body["data"]["entity"]["version"] == 2000
    assert graph.read("MATCH (d:Document:Job {key: $k}) RETURN count(d) AS n", k=f"job:{doc_id}")[0]["n"] == 1


def test_api_records_the_detected_language_on_the_document_and_its_edges(api, graph):
    doc_id = f"{TEST_PREFIX}job-lang"
    german = ("Ihre Aufgaben\n- Entwicklung von Webanwendungen mit JavaScript und Python\n"
              "- Pflege relationaler Datenbanken mit SQL\n")
    extracted = api.gql("query($t: String!) { extractSkills(text: $t) { language } }", {"t": german})
    assert extracted["data"]["extractSkills"]["language"] == "de"
    body = api.gql("""mutation($id: ID!, $text: String!) { upsertDocument(kind: JOB, id: $id, text: $text, version: 1) {
        entity { language skills { skill { name } language } } } }""", {"id": doc_id, "text": german})
    entity = body["data"]["upsertDocument"]["entity"]
    assert entity["language"] == "de" and entity["skills"]
    assert {s["language"] for s in entity["skills"]} == {"de"}
    stored = graph.read("MATCH (d:Document {key: $k})-[h:HAS_SKILL]->() RETURN d.language AS doc, "
                        "collect(DISTINCT h.language) AS edges", k=f"job:{doc_id}")
    assert stored == [{"doc": "de", "edges": ["de"]}]
    # A new version in English relabels the document and the edges it keeps.
    upsert(api, "JOB", doc_id, "Requirements\n- Web applications in JavaScript and Python, SQL databases\n", version=2)
    stored = graph.read("MATCH (d:Document {key: $k})-[h:HAS_SKILL]->() RETURN d.language AS doc, "
                        "collect(DISTINCT h.language) AS edges", k=f"job:{doc_id}")
    assert stored == [{"doc": "en", "edges": ["en"]}]


def test_api_concurrent_upserts_leave_the_newest_version(api):
    """Versions v and v+1 of one document sent at the same moment over two connections, 40 times: v+1 is
    stored every time with its own skills (queried back through `entity`), and v, when its write came
    second, is answered `applied: false` with the newer version."""
    doc_id = f"{TEST_PREFIX}job-race"
    older_text, newer_text = "Requirements\n- Cooking and baking\n", "Requirements\n- Strong SQL skills\n"
    extracted = api.gql("query($t: String!) { extractSkills(text: $t) { skills { skill { id } } } }", {"t": newer_text})
    newer_skills = sorted(s["skill"]["id"] for s in extracted["data"]["extractSkills"]["skills"])
    assert newer_skills
    barrier = threading.Barrier(2)
    clients = [httpx.Client(base_url=api.url, timeout=60) for _ in range(2)]
    older_second = 0
    try:
        for round_ in range(40):
            v = 1_000_000 + 2 * round_
            answers: dict[int, dict] = {}

            def send(client: httpx.Client, version: int, text: str) -> None:
                barrier.wait(timeout=30)
                answers[version] = client.post("/graphql", json={"query": UPSERT, "variables": {
                    "kind": "JOB", "id": doc_id, "text": text, "version": version}}).json()

            threads = [threading.Thread(target=send, args=(clients[0], v, older_text)),
                       threading.Thread(target=send, args=(clients[1], v + 1, newer_text))]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=120)
            older, newer = answers[v]["data"]["upsertDocument"], answers[v + 1]["data"]["upsertDocument"]
            assert newer["applied"], round_
            if not older["applied"]:
                older_second += 1
                assert older["entity"]["version"] == v + 1
            entity = api.gql("query($id: ID!) { entity(kind: JOB, id: $id) { version skills { skill { id } } } }",
                             {"id": doc_id})["data"]["entity"]
            assert entity["version"] == v + 1, f"round {round_}: {answers}"
            assert sorted(s["skill"]["id"] for s in entity["skills"]) == newer_skills, f"round {round_}"
    finally:
        for client in clients:
            client.close()
    print(f"the older version's write came second in {older_second} of 40 rounds")


def test_api_feedback_survives_reextraction(api, graph):
    doc_id = f"{TEST_PREFIX}job-feedback"
    upsert(api, "JOB", doc_id, POSTING, version=1)
    sql = graph.read("MATCH (s:Skill {name: 'SQL', taxonomy: 'esco'}) RETURN s.id AS id")[0]["id"]
    haskell = graph.read("MATCH (s:Skill {name: 'Haskell', taxonomy: 'esco'}) RETURN s.id AS id")[0]["id"]
    feedback = """mutation($id: ID!, $skill: ID!, $action: FeedbackAction!) {
      recordFeedback(kind: JOB, id: $id, skillId: $skill, action: $action) {
        action skill { name } entity { skills { skill { id } sources } } } }"""
    added = api.gql(feedback, {"id": doc_id, "skill": haskell, "action": "ADD"})["data"]["recordFeedback"]
    assert any(s["skill"]["id"] == haskell and s["sources"] == ["feedback"] for s in added["entity"]["skills"])
    removed = api.gql(feedback, {"id": doc_id, "skill": sql, "action": "REMOVE"})["data"]["recordFeedback"]
    assert sql not in {s["skill"]["id"] for s in removed["entity"]["skills"]}
    accepted = api.gql(feedback, {"id": doc_id, "skill": PYTHON, "action": "ACCEPT"})["data"]["recordFeedback"]
    python = next(s for s in accepted["entity"]["skills"] if s["skill"]["id"] == PYTHON)
    assert sorted(python["sources"]) == ["extraction", "feedback"]
    again = upsert(api, "JOB", doc_id, POSTING, version=2)  # re-extraction keeps every feedback edge
    ids = {s["skill"]["id"] for s in again["entity"]["skills"]}
    assert haskell in ids and sql not in ids
    counts = edge_counts(graph, doc_id)
    assert counts["HAS_SKILL:feedback"] == 2 and counts["REJECTED_SKILL:feedback"] == 1
    # Without API keys the caller is the loopback developer (tests/api/test_api_access.py: a key's name).
    assert {r["actor"] for r in graph.read("MATCH (:Document {id: $id})-[r {source: 'feedback'}]->() "
                                           "RETURN r.actor AS actor", id=doc_id)} == {"local"}
    unknown = api.gql(feedback, {"id": doc_id, "skill": "esco:nope", "action": "ADD"})
    assert unknown["data"]["recordFeedback"] is None and codes(unknown) == ["NOT_FOUND"]


def test_api_not_relevant_and_assessment_on_profile(api):
    doc_id = f"{TEST_PREFIX}profile-assess"
    profile = upsert(api, "PROFILE", doc_id, PROFILE_STRONG, version=1)
    assert profile["entity"]["skills"]
    flagged = profile["entity"]["skills"][-1]["skill"]["id"]
    body = api.gql("""mutation($id: ID!, $skill: ID!) { recordFeedback(kind: PROFILE, id: $id, skillId: $skill,
        action: NOT_RELEVANT) { entity { skills { skill { id } } } } }""", {"id": doc_id, "skill": flagged})
    assert flagged not in {s["skill"]["id"] for s in body["data"]["recordFeedback"]["entity"]["skills"]}
    assess = """mutation($id: ID!, $skill: ID!, $p: Float!) {
      recordAssessment(profileId: $id, skillId: $skill, percentile: $p) { profileId percentile verified skill { id } } }"""
    high = api.gql(assess, {"id": doc_id, "skill": PYTHON, "p": 70.0})["data"]["recordAssessment"]
    assert high["verified"] and high["percentile"] == 70.0
    low = api.gql(assess, {"id": doc_id, "skill": PYTHON, "p": 69.9})["data"]["recordAssessment"]
    assert not low["verified"]
    body = api.gql("query($id: ID!) { entity(kind: PROFILE, id: $id) { skills { skill { id } verified percentile } } }",
                   {"id": doc_id})
    python = next(s for s in body["data"]["entity"]["skills"] if s["skill"]["id"] == PYTHON)
    assert python["percentile"] == 69.9 and not python["verified"]
    missing = api.gql(assess, {"id": f"{TEST_PREFIX}nobody", "skill": PYTHON, "p": 90.0})
    assert missing["data"]["recordAssessment"] is None and codes(missing) == ["NOT_FOUND"]


# -- matching ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def matching_docs(api):
    job, strong, weak = f"{TEST_PREFIX}job-match", f"{TEST_PREFIX}profile-strong", f"{TEST_PREFIX}profile-weak"
    upsert(api, "JOB", job, POSTING, version=1, title="Senior Backend Engineer")
    upsert(api, "PROFILE", strong, PROFILE_STRONG, version=1, title="Backend developer")
    upsert(api, "PROFILE", weak, PROFILE_WEAK, version=1, title="Chef")
    return job, strong, weak


def test_api_match_job_to_profile(api, matching_docs):
    job, strong, weak = matching_docs
    query = """query($j: ID!, $p: ID!) { matchJobToProfile(jobId: $j, profileId: $p) { score embeddingSimilarity
        overlap { skill { name } match credit } partial { skill { name } held { name } match credit }
        missing { skill { name } relation } } }"""
    good = api.gql(query, {"j": job, "p": strong})["data"]["matchJobToProfile"]
    bad = api.gql(query, {"j": job, "p": weak})["data"]["matchJobToProfile"]
    assert 0 <= bad["score"] < good["score"] <= 1
    assert "Python (computer programming)" in {o["skill"]["name"] for o in good["overlap"]}
    assert all(p["held"] and 0 < p["credit"] < 1 for p in good["partial"])
    semantic = api.app.state.services.state.semantic is not None
    assert (good["embeddingSimilarity"] is None) == (not semantic)


def test_api_skill_gap(api, matching_docs):
    job, strong, _ = matching_docs
    body = api.gql("""query($j: ID!, $p: ID!) { skillGap(profileId: $p, jobId: $j) { missing {
        skill { name } relation weight held { name } match credit } } }""", {"j": job, "p": strong})
    missing = body["data"]["skillGap"]["missing"]
    names = [m["skill"]["name"] for m in missing]
    assert "Python (computer programming)" not in names
    assert all(m["relation"] in ("required", "core") for m in missing)
    assert [m["weight"] for m in missing] == sorted((m["weight"] for m in missing), reverse=True)


def test_api_top_candidates_and_jobs(api, graph, scratch_taxonomy, quiet):
    # Documents linked only to skills of a scratch taxonomy, which no other document links to: the
    # rankings are the test's own, whatever else the graph holds.
    load(graph, [read_bundle(DATA / "esco_bundle", taxonomy=scratch_taxonomy)], 100, quiet, same_as=())
    software, mobile, swift, budgets = (f"{scratch_taxonomy}:f0000001-0000-4000-8000-00000000000{i}"
                                        for i in (1, 2, 4, 5))
    job, strong, weak = f"{TEST_PREFIX}job-top", f"{TEST_PREFIX}profile-top-strong", f"{TEST_PREFIX}profile-top-weak"

    def document(kind: Domain, doc_id: str, title: str, skills: list[str]) -> DocumentWrite:
        return DocumentWrite(kind, doc_id, 1, "test", tuple(SkillWrite(s, 0.9, "required", "trie") for s in skills), title)

    write_documents(graph, [document(Domain.JOB, job, "Mobile lead", [software, swift, budgets]),
                            document(Domain.PROFILE, strong, "Backend developer", [software, swift, budgets]),
                            document(Domain.PROFILE, weak, "Junior", [mobile])])
    body = api.gql("""query($j: ID!, $p: ID!) { topCandidates(jobId: $j, first: 10) { id score matched
        entity { title } } topJobs(profileId: $p, first: 5) { id title score } }""", {"j": job, "p": strong})
    candidates = body["data"]["topCandidates"]
    assert [c["id"] for c in candidates] == [strong, weak]
    assert candidates[0]["score"] == 1.0 and candidates[0]["matched"] == 3
    assert candidates[0]["entity"]["title"] == "Backend developer"
    # The weak profile's "develop mobile applications" is a child of the job's "develop software" (0.7 x the
    # ESCO edge's confidence 1.0) and optionally related to its Swift (ESCO's curated relation, weight 0.5:
    # 0.5 x 0.5), each job skill weighing 0.9: (0.63 + 0.225) / 2.7.
    assert candidates[1]["score"] == pytest.approx((0.9 * 0.7 + 0.9 * 0.25) / 2.7, abs=1e-4)
    assert candidates[1]["matched"] == 2
    assert body["data"]["topJobs"] == [{"id": job, "title": "Mobile lead", "score": 1.0}]


# -- HTTP endpoints ---------------------------------------------------------------------------------
def test_api_health_ready_metrics(api):
    health = api.client.get("/health")
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    ready = api.client.get("/ready")
    assert ready.status_code == 200 and ready.json()["ready"] is True and ready.json()["modelVersion"]
    api.gql("{ __typename }")
    metrics = api.client.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    assert re.search(r'kgservice_http_requests_total\{method="POST",path="/graphql",status="200"\} \d+', metrics.text)
    assert 'kgservice_http_request_duration_seconds_bucket{le="+Inf",path="/graphql"}' in metrics.text
    assert re.search(r'kgservice_graphql_operations_total\{[^}]*type="query"', metrics.text)


def test_api_pages_work_offline(api):
    page = api.client.get("/")
    assert page.status_code == 200 and "<textarea" in page.text and "extractSkills" in page.text
    graphiql = api.client.get("/graphql", headers={"accept": "text/html"})
    assert graphiql.status_code == 200 and "/static/graphiql/graphiql.js" in graphiql.text
    for html in (page.text, graphiql.text):
        assert not re.search(r'(src|href)="(https?:)?//', html), "pages must not load anything from outside"


def test_api_access_log_is_json_with_latency(api):
    from kgservice.telemetry.json_logs import JsonFormatter

    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("kgservice.api.access")
    logger.addHandler(handler)

    def ours() -> list[dict]:
        # Other requests (a late log line of an earlier test, a health probe) may be logged meanwhile.
        lines = [json.loads(JsonFormatter().format(r)) for r in list(records)]
        return [x for x in lines if x.get("graphql_operation") == "Named"]

    try:
        api.gql("query Named { __typename }")
        deadline = time.monotonic() + 5
        while not ours() and time.monotonic() < deadline:  # logged once the response has gone out
            time.sleep(0.01)
    finally:
        logger.removeHandler(handler)
    [line] = ours()
    assert line["path"] == "/graphql" and line["status"] == 200 and line["latency_ms"] >= 0
    assert line["graphql_operation"] == "Named" and line["graphql_errors"] == 0


def test_api_neo4j_down_gives_clear_errors(api_down):
    # Liveness is the process's: a database outage must not get healthy servers restarted.
    health = api_down.client.get("/health")
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    ready = api_down.client.get("/ready")
    assert ready.status_code == 503 and ready.json() == {"ready": False, "reason": "the graph database does not answer"}
    body = api_down.gql(f'{{ skill(id: "{PYTHON}") {{ id }} }}')
    assert body["data"]["skill"] is None and codes(body) == ["GRAPH_UNAVAILABLE"]
    assert "does not answer" in body["errors"][0]["message"]
    extract = api_down.client.post("/graphql", json={"query": '{ extractSkills(text: "SQL") { modelVersion } }'})
    assert codes(extract.json()) == ["GRAPH_UNAVAILABLE"]
    # The Bolt URI and the driver's errors stay in the server log.
    for response in (health, ready, extract):
        assert "bolt://" not in response.text and "127.0.0.1:1" not in response.text
    assert "bolt://" not in json.dumps(body)


NOT_GRAPHQL = [
    ("a JSON string", b'"x"', "application/json", "JSON str"),
    ("a JSON number", b"5", "application/json", "JSON int"),
    ("not JSON", b'{"query": ', "application/json", "JSON"),
    ("not UTF-8", b'{"query": "{ extractSkills(text: \\"\xff\xfe\\") { modelVersion } }"}', "application/json",
     "not valid UTF-8"),
    ("query not a string", b'{"query": 5}', "application/json", "`query` must be a string"),
    ("variables not an object", b'{"query": "{ __typename }", "variables": [1]}', "application/json", "`variables`"),
    ("a batch", b'[{"query": "{ __typename }"}]', "application/json", "Batching"),
    ("no query", b"{}", "application/json", "No GraphQL query"),
    ("form data", b"query=x", "text/plain", "content type"),
]


@pytest.mark.parametrize(("body", "content_type", "message"), [b[1:] for b in NOT_GRAPHQL],
                         ids=[b[0] for b in NOT_GRAPHQL])
def test_api_body_that_is_no_graphql_request_is_400(api, body, content_type, message):
    response = api.client.post("/graphql", content=body, headers={"content-type": content_type})
    assert response.status_code == 400, response.text
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT" and message in error["message"], error
