"""Feedback that travels: recruiters' removals of a skill on many jobs lower it on a new posting, over HTTP
against the real server and the real Neo4j."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api.conftest import TEST_PREFIX, Server, serve, settings_without_keys

pytestmark = pytest.mark.neo4j

PREFIX = f"{TEST_PREFIX}prior-"
FORKLIFT = "esco:28cb374e-6261-4133-8371-f9a5470145da"  # operate forklift
COMMUNICATION = "esco:15d76317-c71a-4fa2-aadc-2ecc34e627b7"  # communication
POSTING = """Warehouse Team Lead

Requirements
- Experience with forklift operation and inventory management
- Good communication and teamwork

Responsibilities
- Supervise the night shift
"""
EXTRACT = """query($t: String!) { extractSkills(text: $t) { skills { skill { id } score section } } }"""
UPSERT = """mutation($id: ID!, $t: String!) { upsertDocument(kind: JOB, id: $id, text: $t) {
  entity { skills { skill { id } section } } } }"""
FEEDBACK = """mutation($id: ID!, $s: ID!, $a: FeedbackAction!) { recordFeedback(kind: JOB, id: $id, skillId: $s,
  action: $a) { action } }"""


@pytest.fixture()
def fresh_prior_api(graph, built_indexes) -> Iterator[Server]:
    """A server whose scorer reloads the feedback prior for every document (refresh 0 s), so the test does
    not wait on the clock; its documents are removed afterwards."""
    base = settings_without_keys()
    settings = base.model_copy(update={"pipeline": base.pipeline.model_copy(update={"feedback_prior_refresh_s": 0.0})})
    graph.write("MATCH (d:Document) WHERE d.id STARTS WITH $p DETACH DELETE d", p=PREFIX)
    yield from serve(settings)
    graph.write("MATCH (d:Document) WHERE d.id STARTS WITH $p DETACH DELETE d", p=PREFIX)


def scores(api: Server, text: str) -> dict[str, float]:
    body = api.gql(EXTRACT, {"t": text})
    assert "errors" not in body, body
    return {s["skill"]["id"]: s["score"] for s in body["data"]["extractSkills"]["skills"]}


def test_api_feedback_prior_removed_skill_drops_on_new_posting(fresh_prior_api, graph):
    api = fresh_prior_api
    before = scores(api, POSTING)
    assert FORKLIFT in before and COMMUNICATION in before, before
    # Twelve postings have it; their recruiters remove it.
    jobs = [f"{PREFIX}job-{i}" for i in range(12)]
    for job in jobs:
        body = api.gql(UPSERT, {"id": job, "t": POSTING})
        assert FORKLIFT in {s["skill"]["id"] for s in body["data"]["upsertDocument"]["entity"]["skills"]}, body
    for job in jobs:
        assert "errors" not in api.gql(FEEDBACK, {"id": job, "s": FORKLIFT, "a": "REMOVE"})
    after = scores(api, POSTING + "\nNew posting, never edited.\n")
    # The prior (logit -3 at most) takes the removed skill out; a skill nobody edited keeps its score.
    assert FORKLIFT not in after, after
    assert after[COMMUNICATION] == pytest.approx(before[COMMUNICATION], abs=0.02)
    # The recruiters change their minds and add it back (an ADD replaces the removal): now it rises.
    for job in jobs:
        assert "errors" not in api.gql(FEEDBACK, {"id": job, "s": FORKLIFT, "a": "ADD"})
    restored = scores(api, POSTING)
    assert restored[FORKLIFT] > before[FORKLIFT] + 0.1, (before[FORKLIFT], restored[FORKLIFT])


def test_api_feedback_prior_one_removal_stays_local(fresh_prior_api):
    api = fresh_prior_api
    before = scores(api, POSTING)
    job = f"{PREFIX}single"
    api.gql(UPSERT, {"id": job, "t": POSTING})
    assert "errors" not in api.gql(FEEDBACK, {"id": job, "s": FORKLIFT, "a": "REMOVE"})
    # Fewer than feedback_prior_min_count events: other documents score as before.
    assert scores(api, POSTING)[FORKLIFT] == pytest.approx(before[FORKLIFT], abs=0.02)
