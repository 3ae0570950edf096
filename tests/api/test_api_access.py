"""API keys and roles against a real uvicorn server with KG_API__KEYS set, and the loopback-only mode
without keys."""

from __future__ import annotations

import secrets
import socket
from collections.abc import Iterator

import httpx
import pytest
from pydantic import SecretStr

from kgservice.api.access import KeyTable
from kgservice.cli import main
from kgservice.errors import KgServiceError
from kgservice.settings import Settings
from tests.api.conftest import TEST_PREFIX, Server, free_port, serve, settings_without_keys
from tests.api.test_graphql_api import PROFILE_STRONG, PYTHON, UPSERT, codes
from tests.conftest import POSTING

pytestmark = pytest.mark.neo4j

ROLES = {"reader": "read", "writer": "write", "admin": "admin"}
ASSESS = """mutation($id: ID!, $skill: ID!) { recordAssessment(profileId: $id, skillId: $skill, percentile: 99) {
    verified } }"""
FEEDBACK = """mutation($id: ID!, $skill: ID!) { recordFeedback(kind: JOB, id: $id, skillId: $skill, action: ADD) {
    action } }"""


@pytest.fixture(scope="module")
def keys() -> dict[str, str]:
    return {name: secrets.token_urlsafe(24) for name in ROLES}


@pytest.fixture(scope="module")
def keyed_api(graph, built_indexes, keys) -> Iterator[Server]:
    base = Settings()
    table = ",".join(f"{name}:{role}:{keys[name]}" for name, role in ROLES.items())
    yield from serve(base.model_copy(update={"api": base.api.model_copy(update={"keys": SecretStr(table)})}))


def post(api: Server, query: str, variables: dict | None = None, key: str | None = None,
         authorization: str | None = None) -> httpx.Response:
    headers = {"authorization": authorization or f"Bearer {key}"} if key or authorization else {}
    return api.client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)


def upsert_as(api: Server, key: str | None, kind: str, doc_id: str, text: str) -> httpx.Response:
    return post(api, UPSERT, {"kind": kind, "id": doc_id, "text": text, "version": 1}, key)


def stored_ids(graph, prefix: str) -> list[str]:
    return [r["id"] for r in graph.read("MATCH (d:Document) WHERE d.id STARTS WITH $p RETURN d.id AS id", p=prefix)]


def test_requests_without_a_valid_key_are_401(keyed_api, graph, keys):
    doc_id = f"{TEST_PREFIX}anon"
    for key, authorization in ((None, None), ("not-a-key-of-this-server", None), (None, f"Basic {keys['admin']}"),
                               (None, "Bearer")):
        response = upsert_as(keyed_api, key, "JOB", doc_id, POSTING) if authorization is None else post(
            keyed_api, UPSERT, {"kind": "JOB", "id": doc_id, "text": POSTING}, authorization=authorization)
        assert response.status_code == 401, response.text
        assert codes(response.json()) == ["UNAUTHENTICATED"] and response.headers["www-authenticate"] == "Bearer"
    assert post(keyed_api, "{ __typename }").status_code == 401
    assert keyed_api.client.get("/graphql", params={"query": "{ __typename }"}).status_code == 401
    assert stored_ids(graph, doc_id) == []


def test_read_key_queries_but_cannot_write(keyed_api, graph, keys):
    doc_id = f"{TEST_PREFIX}by-reader"
    read = post(keyed_api, '{ skill(id: "%s") { name } }' % PYTHON, key=keys["reader"])
    assert read.status_code == 200 and read.json()["data"]["skill"]["name"] == "Python (computer programming)"
    refused = upsert_as(keyed_api, keys["reader"], "JOB", doc_id, POSTING).json()
    assert refused["data"] is None and codes(refused) == ["FORBIDDEN"]
    assert "write role" in refused["errors"][0]["message"]
    assert stored_ids(graph, doc_id) == []


def test_write_key_writes_and_names_the_feedback_but_cannot_assess(keyed_api, graph, keys):
    job, profile = f"{TEST_PREFIX}by-writer-job", f"{TEST_PREFIX}by-writer-profile"
    assert upsert_as(keyed_api, keys["writer"], "JOB", job, POSTING).json()["data"]["upsertDocument"]["applied"]
    assert upsert_as(keyed_api, keys["writer"], "PROFILE", profile, PROFILE_STRONG).json()["data"]["upsertDocument"]
    haskell = graph.read("MATCH (s:Skill {name: 'Haskell', taxonomy: 'esco'}) RETURN s.id AS id")[0]["id"]
    added = post(keyed_api, FEEDBACK, {"id": job, "skill": haskell}, keys["writer"]).json()
    assert added["data"]["recordFeedback"]["action"] == "add"
    # The actor is the key's name, not anything the client says.
    assert graph.read("MATCH (:Document {id: $id})-[h:HAS_SKILL {source: 'feedback'}]->() RETURN h.actor AS actor",
                      id=job) == [{"actor": "writer"}]
    refused = post(keyed_api, ASSESS, {"id": profile, "skill": PYTHON}, keys["writer"]).json()
    assert refused["data"]["recordAssessment"] is None and codes(refused) == ["FORBIDDEN"]
    assert graph.read("MATCH (:Document {id: $id})-[h:HAS_SKILL {source: 'assessment'}]->() RETURN count(h) AS n",
                      id=profile) == [{"n": 0}]


def test_flag_job_skill_needs_a_write_key_and_names_the_actor(keyed_api, graph, keys):
    job, profile = f"{TEST_PREFIX}flag-job", f"{TEST_PREFIX}flag-profile"
    assert upsert_as(keyed_api, keys["writer"], "JOB", job, POSTING).json()["data"]["upsertDocument"]["applied"]
    assert upsert_as(keyed_api, keys["writer"], "PROFILE", profile, PROFILE_STRONG).json()["data"]["upsertDocument"]
    skill = graph.read("MATCH (:Job {id: $id})-[:HAS_SKILL]->(s:Skill) RETURN s.id AS id LIMIT 1", id=job)[0]["id"]
    flag = """mutation($p: ID!, $j: ID!, $s: ID!) { flagJobSkill(profileId: $p, jobId: $j, skillId: $s) { jobId } }"""
    variables = {"p": profile, "j": job, "s": skill}
    refused = post(keyed_api, flag, variables, keys["reader"]).json()
    assert refused["data"]["flagJobSkill"] is None and codes(refused) == ["FORBIDDEN"]
    assert post(keyed_api, flag, variables, keys["writer"]).json()["data"]["flagJobSkill"] == {"jobId": job}
    assert graph.read("MATCH (:Profile {id: $id})-[f:FLAGGED_SKILL]->() RETURN f.actor AS actor",
                      id=profile) == [{"actor": "writer"}]


def test_admin_key_records_assessments(keyed_api, graph, keys):
    profile = f"{TEST_PREFIX}by-admin-profile"
    assert upsert_as(keyed_api, keys["admin"], "PROFILE", profile, PROFILE_STRONG).json()["data"]["upsertDocument"]
    assessed = post(keyed_api, ASSESS, {"id": profile, "skill": PYTHON}, keys["admin"]).json()
    assert assessed["data"]["recordAssessment"]["verified"] is True


def test_probes_and_pages_need_no_key(keyed_api):
    assert keyed_api.client.get("/health").status_code == 200
    assert keyed_api.client.get("/ready").status_code == 200
    assert keyed_api.client.get("/").status_code == 200
    console = keyed_api.client.get("/graphql", headers={"accept": "text/html"})
    assert console.status_code == 200 and "<html" in console.text.lower()


def non_loopback_address() -> str | None:
    """This machine's address on its default route (no packet is sent), when it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("198.51.100.1", 9))  # TEST-NET-2: only the route is looked up
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def test_without_keys_graphql_answers_on_loopback_only(graph, built_indexes):
    address = non_loopback_address()
    if address is None:
        pytest.skip("this machine has no non-loopback address to connect from")
    for server in serve(settings_without_keys(), host="0.0.0.0"):
        port = int(server.url.rsplit(":", 1)[1])
        remote = httpx.post(f"http://{address}:{port}/graphql", json={"query": "{ __typename }"}, timeout=30)
        assert remote.status_code == 403 and codes(remote.json()) == ["FORBIDDEN"]
        assert "loopback" in remote.json()["errors"][0]["message"]
        assert httpx.get(f"http://{address}:{port}/health", timeout=30).status_code == 200
        assert server.gql("{ __typename }") == {"data": {"__typename": "Query"}}


def test_serve_refuses_a_non_loopback_host_without_keys(monkeypatch, capsys):
    monkeypatch.delenv("KG_API__KEYS", raising=False)
    assert main(["serve", "--host", "0.0.0.0", "--port", str(free_port())]) == 1
    assert "without API keys" in capsys.readouterr().err


@pytest.mark.parametrize(("table", "message"), [
    ("reader:read", "NAME:ROLE:KEY"),
    ("reader:owner:" + "k" * 20, "role 'owner'"),
    ("reader:read:short", "at least 16"),
    ("bad name:read:" + "k" * 20, "name"),
    ("a:read:" + "k" * 20 + ",b:write:" + "k" * 20, "already"),
])
def test_malformed_key_tables_are_refused_without_echoing_keys(table, message):
    with pytest.raises(KgServiceError, match=message) as refused:
        KeyTable.parse(table)
    assert "k" * 16 not in str(refused.value)
