"""expandSkills' order and reasons, and matching's partial credit over the skill hierarchy and RELATED_TO,
over HTTP against the real uvicorn server and the real Neo4j (the full taxonomy, its derived BROADER
edges and the corpus RELATED_TO edges)."""

from __future__ import annotations

import pytest

from kgservice.document import Domain
from kgservice.graph.cypher import Query
from kgservice.graph.document_writer import DocumentWrite, SkillWrite, write_documents
from kgservice.graph.expansion_scoring import RELATION_PRIORS
from kgservice.graph.skill_queries import NEIGHBOUR_POOL
from kgservice.inference import artifacts
from kgservice.pipeline.build import skill_vectors_or_none
from tests.api.conftest import TEST_PREFIX

pytestmark = pytest.mark.neo4j

PYTHON = "esco:ccd0a1d9-afda-43d9-b901-96344886e14d"  # Python (computer programming)
EXPAND = """query($ids: [ID!]!, $rels: [GraphRelation!], $depth: Int!) {
  expandSkills(ids: $ids, relations: $rels, depth: $depth, first: 100) {
    skill { id name } seed via relation depth score relationPrior edgeWeight similarity pathWeight } }"""


def expand(api, ids: list[str], rels: list[str] | None = None, depth: int = 1) -> list[dict]:
    body = api.gql(EXPAND, {"ids": ids, "rels": rels, "depth": depth})
    assert "errors" not in body, body
    return body["data"]["expandSkills"]


def test_expand_skills_best_fit_first_with_the_parts_of_its_score(api, graph, settings):
    hits = expand(api, [PYTHON])
    relations = {h["relation"] for h in hits}
    assert relations >= {"PARENT", "SIBLING", "RELATED", "SAME_GROUP", "SAME_AS"}, relations
    assert [(h["score"], h["skill"]["id"]) for h in hits] == sorted(
        ((h["score"], h["skill"]["id"]) for h in hits), key=lambda p: (-p[0], p[1]))
    for h in hits:
        assert h["seed"] == h["via"] == PYTHON and h["depth"] == 1 and h["pathWeight"] == 1.0
        assert h["relationPrior"] == RELATION_PRIORS[h["relation"].lower()]
        expected = h["relationPrior"] * h["edgeWeight"] * max(0.0, h["similarity"]) * h["pathWeight"]
        assert h["score"] == pytest.approx(expected, abs=1e-4)

    # The edge weights are the graph's: BROADER confidence, RELATED_TO weight.
    by_id = {h["skill"]["id"]: h for h in hits}
    [parent] = graph.read("MATCH (:Skill {id: $id})-[r:BROADER]->(p:Skill) RETURN p.id AS id, r.confidence AS c",
                          id=PYTHON)
    assert by_id[parent["id"]]["relation"] == "PARENT"
    assert by_id[parent["id"]]["edgeWeight"] == pytest.approx(parent["c"] if parent["c"] is not None else 1.0, abs=1e-4)
    related = {r["id"]: r["w"] for r in graph.read(
        "MATCH (:Skill {id: $id})-[r:RELATED_TO]-(n:Skill) RETURN n.id AS id, max(r.weight) AS w", id=PYTHON)}
    for h in hits:
        if h["relation"] == "RELATED":
            assert h["edgeWeight"] == pytest.approx(related[h["skill"]["id"]], abs=1e-4)

    # Similarity is the cosine to the input skills' vector, from the vectors `kgservice index build` wrote.
    vectors = skill_vectors_or_none(settings, artifacts.taxonomy_version(graph))
    assert vectors is not None
    cosines = vectors.cosines(list(by_id), vectors.profile({PYTHON: 1.0}))
    for sid, h in by_id.items():
        assert h["similarity"] == pytest.approx(cosines[sid], abs=2e-3)

    # Python's flat group holds hundreds of skills: the members kept are the nearest in meaning, not the
    # first by name (the query used to hand every programming language ABAP, AJAX, ...).
    [pool] = graph.read(Query.EXPAND_NEIGHBOURS, ids=[PYTHON], limit=10, pool=NEIGHBOUR_POOL)
    members = {i: name for i, name, rel in zip(pool["ids"], pool["names"], pool["relations"], strict=True)
               if rel == "same_group"}
    assert len(members) > 100
    member_cos = vectors.cosines(list(members), vectors.vector(PYTHON))
    nearest = set(sorted(member_cos, key=lambda i: (-member_cos[i], i))[:10])
    grouped = {h["skill"]["id"] for h in hits if h["relation"] == "SAME_GROUP"}
    assert grouped and grouped <= nearest
    first_by_name = {i for i, _ in sorted(members.items(), key=lambda kv: kv[1])[:10]} - nearest
    assert not first_by_name & set(by_id)


def test_expand_skills_second_hop_carries_the_first(api):
    hits = expand(api, [PYTHON], ["PARENT", "CHILD"], depth=2)
    first = {h["skill"]["id"]: h for h in hits if h["depth"] == 1}
    second = [h for h in hits if h["depth"] == 2]
    assert first and second
    for h in second:
        via = first[h["via"]]
        assert h["seed"] == PYTHON
        assert h["pathWeight"] == pytest.approx(via["relationPrior"] * via["edgeWeight"], abs=1e-4)
        assert h["score"] <= via["relationPrior"] * via["edgeWeight"] * h["relationPrior"] * h["edgeWeight"] + 1e-4
    scores = [h["score"] for h in hits]
    assert scores == sorted(scores, reverse=True)


def pick(graph, query: str, **params) -> dict:
    rows = graph.read(query, **params)
    assert rows, query
    return rows[0]


def test_matching_gives_partial_credit_over_the_hierarchy_and_strong_related_skills(api, graph):
    # A derived BROADER edge and a strong RELATED_TO edge between skills tied no other way, so the credit
    # each earns is that relation's.
    broader = pick(graph, """MATCH (c:Skill {taxonomy: 'esco'})-[r:BROADER]->(p:Skill {taxonomy: 'esco'})
        WHERE r.source = 'label_head' AND r.confidence < 0.95 AND NOT EXISTS { (c)-[:IN_GROUP]->()<-[:IN_GROUP]-(p) }
          AND NOT EXISTS { (c)-[:RELATED_TO]-(p) } AND NOT EXISTS { (c)-[:BROADER]->()<-[:BROADER]-(p) }
        RETURN c.id AS child, p.id AS parent, r.confidence AS confidence ORDER BY c.id LIMIT 1""")
    related = pick(graph, """MATCH (a:Skill {taxonomy: 'esco'})-[r:RELATED_TO]->(b:Skill {taxonomy: 'esco'})
        WHERE r.weight >= 0.4 AND NOT EXISTS { (a)-[:BROADER]-(b) } AND NOT EXISTS { (a)-[:BROADER]->()<-[:BROADER]-(b) }
          AND NOT EXISTS { (a)-[:IN_GROUP]->()<-[:IN_GROUP]-(b) } AND NOT EXISTS { (a)-[:SAME_AS]-(b) }
          AND NOT a.id IN $ids AND NOT b.id IN $ids
        WITH a, b, max(r.weight) AS w RETURN a.id AS wanted, b.id AS held, w ORDER BY w DESC, a.id LIMIT 1""",
                   ids=[broader["child"], broader["parent"]])
    w = max(r["w"] for r in graph.read("MATCH (:Skill {id: $a})-[r:RELATED_TO]-(:Skill {id: $b}) RETURN r.weight AS w",
                                        a=related["wanted"], b=related["held"]))
    job, profile = f"{TEST_PREFIX}job-hierarchy", f"{TEST_PREFIX}profile-hierarchy"

    def document(kind: Domain, doc_id: str, skills: list[str]) -> DocumentWrite:
        return DocumentWrite(kind, doc_id, 1, "test", tuple(SkillWrite(s, 0.9, "required", "trie") for s in skills),
                             doc_id)

    write_documents(graph, [document(Domain.JOB, job, [broader["parent"], related["wanted"]]),
                            document(Domain.PROFILE, profile, [broader["child"], related["held"]])])
    body = api.gql("""query($j: ID!, $p: ID!) {
        matchJobToProfile(jobId: $j, profileId: $p) { score partial { skill { id } held { id } match credit } }
        skillGap(profileId: $p, jobId: $j) { missing { skill { id } match credit } }
        topCandidates(jobId: $j, first: 100) { id score }
        topJobs(profileId: $p, first: 100) { id score } }""", {"j": job, "p": profile})
    assert "errors" not in body, body
    data = body["data"]
    partial = {p["skill"]["id"]: p for p in data["matchJobToProfile"]["partial"]}
    child_credit, related_credit = round(0.7 * broader["confidence"], 4), round(0.5 * w, 4)
    assert partial[broader["parent"]]["held"]["id"] == broader["child"]
    assert partial[broader["parent"]]["match"] == "CHILD"
    assert partial[broader["parent"]]["credit"] == pytest.approx(child_credit, abs=1e-4)
    assert partial[related["wanted"]]["held"]["id"] == related["held"]
    assert partial[related["wanted"]]["match"] == "RELATED"
    assert partial[related["wanted"]]["credit"] == pytest.approx(related_credit, abs=1e-4)
    score = data["matchJobToProfile"]["score"]
    assert score == pytest.approx((child_credit + related_credit) / 2, abs=1e-4)
    # The ranking queries give the same score as the pairwise match: one set of numbers.
    assert {c["id"]: c["score"] for c in data["topCandidates"]}[profile] == pytest.approx(score, abs=1e-4)
    assert {j["id"]: j["score"] for j in data["topJobs"]}[job] == pytest.approx(score, abs=1e-4)
    # Both are gaps (neither held exactly); equal weight, so the less covered comes first.
    gaps = data["skillGap"]["missing"]
    expected = sorted([(related["wanted"], related_credit), (broader["parent"], child_credit)], key=lambda g: g[1])
    assert [(g["skill"]["id"], g["credit"]) for g in gaps] == [(i, pytest.approx(c, abs=1e-4)) for i, c in expected]
