"""suggestSkills, similarSkills, recommendCourses, flagJobSkill and the paged lists, over HTTP against the
real server and the real Neo4j with the full taxonomy."""

from __future__ import annotations

import pytest

from kgservice.document import Domain
from kgservice.graph.document_writer import DocumentWrite, SkillWrite, write_documents
from tests.api.conftest import TEST_PREFIX

pytestmark = pytest.mark.neo4j

PYTHON = "esco:ccd0a1d9-afda-43d9-b901-96344886e14d"  # Python (computer programming)
PYTHON_LIGHTCAST = "lightcast:KS125LS6N7WP4S6SFTCK"  # Python (Programming Language), its twin
JAVA = "esco:19a8293b-8e95-4de3-983f-77484079c389"  # Java (computer programming)
KUBERNETES = "lightcast:KSJF3PBD3995K6E0OF1Z"
SQL = "esco:598de5b0-5b58-4ea7-8058-a4bc4d18c742"  # SQL
SUGGEST = """query($p: String!, $first: Int! = 5) { suggestSkills(prefix: $p, first: $first) {
  skill { id name taxonomy } matched match alsoIn } }"""
SIMILAR = """query($id: ID!, $first: Int! = 10) { similarSkills(id: $id, first: $first) {
  skill { id name } similarity alsoIn } }"""
COURSES = """query($p: ID!, $j: ID!, $first: Int! = 10, $after: String) {
  recommendCourses(profileId: $p, jobId: $j, first: $first, after: $after) {
    jobId profileId gapSkills items { id title coverage covers { id } } pageInfo { endCursor hasNextPage } } }"""
FLAG = """mutation($p: ID!, $j: ID!, $s: ID!) { flagJobSkill(profileId: $p, jobId: $j, skillId: $s) {
  profileId jobId skill { id } } }"""


def codes(body: dict) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in body.get("errors", [])]


def data(api, query: str, variables: dict) -> dict:
    body = api.gql(query, variables)
    assert "errors" not in body, body
    return body["data"]


def skill_id(graph, name: str, taxonomy: str = "esco") -> str:
    rows = graph.read("MATCH (s:Skill {name: $name, taxonomy: $t}) RETURN s.id AS id", name=name, t=taxonomy)
    assert len(rows) == 1, (name, rows)
    return rows[0]["id"]


# -- suggestSkills ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("prefix", "expected"), [
    ("pyth", PYTHON), ("Pyth", PYTHON), ("kube", KUBERNETES), ("sql", SQL)])
def test_api_suggest_skills_first_hit(api, prefix, expected):
    hits = data(api, SUGGEST, {"p": prefix})["suggestSkills"]
    assert hits[0]["skill"]["id"] == expected, hits
    ids = [h["skill"]["id"] for h in hits]
    assert len(ids) == len(set(ids)) == 5


def test_api_suggest_skills_one_per_concept(api):
    hits = data(api, SUGGEST, {"p": "python", "first": 20})["suggestSkills"]
    ids = [h["skill"]["id"] for h in hits]
    # The Lightcast twin is not a suggestion of its own: the ESCO skill names the concept and lists it.
    assert PYTHON_LIGHTCAST not in ids
    python = hits[ids.index(PYTHON)]
    assert python["alsoIn"] == [PYTHON_LIGHTCAST] and python["match"] == "label"
    # Exact label or alias matches come first, then label prefixes, then alias and later-word prefixes.
    order = {"exact": 0, "label": 1, "alias": 2, "word": 3}
    kinds = [order[h["match"]] for h in hits]
    assert kinds == sorted(kinds)
    assert all(h["matched"].lower().startswith("python") or h["match"] == "word" for h in hits)


def test_api_suggest_skills_exact_first(api):
    hits = data(api, SUGGEST, {"p": "SQL"})["suggestSkills"]
    assert hits[0]["match"] == "exact" and hits[0]["skill"]["id"] == SQL


@pytest.mark.parametrize(("variables", "message"), [
    ({"p": "  "}, "`prefix` is empty"),
    ({"p": "x" * 101}, "the limit is 100"),
    ({"p": "py", "first": 0}, "`first` must be between 1 and 100"),
    ({"p": "py", "first": 101}, "`first` must be between 1 and 100"),
])
def test_api_suggest_skills_bad_input(api, variables, message):
    body = api.gql(SUGGEST, variables)
    assert codes(body) == ["BAD_USER_INPUT"] and message in body["errors"][0]["message"]


# -- similarSkills -----------------------------------------------------------------------------------
def test_api_similar_skills_neighbours_by_meaning(api):
    hits = data(api, SIMILAR, {"id": PYTHON})["similarSkills"]
    ids = [h["skill"]["id"] for h in hits]
    assert len(ids) == 10 and len(set(ids)) == 10
    assert PYTHON not in ids and PYTHON_LIGHTCAST not in ids
    assert JAVA in ids, [h["skill"]["name"] for h in hits]
    sims = [h["similarity"] for h in hits]
    assert sims == sorted(sims, reverse=True) and 0 < sims[-1] <= sims[0] < 1.0
    # A Lightcast twin's neighbours are its ESCO concept's.
    twin = data(api, SIMILAR, {"id": PYTHON_LIGHTCAST})["similarSkills"]
    assert [h["skill"]["id"] for h in twin] == ids


def test_api_similar_skills_outside_the_index(api):
    # Kubernetes has no ESCO twin, so the ESCO-only index lacks it: it is embedded with its category.
    hits = data(api, SIMILAR, {"id": KUBERNETES})["similarSkills"]
    names = [h["skill"]["name"] for h in hits]
    assert KUBERNETES not in [h["skill"]["id"] for h in hits]
    assert {"cloud technologies", "automation technology"} & set(names), names


def test_api_similar_skills_unknown_and_bad_input(api):
    body = api.gql(SIMILAR, {"id": "esco:no-such-skill"})
    assert body["data"]["similarSkills"] is None and codes(body) == ["NOT_FOUND"]
    assert "esco:no-such-skill" in body["errors"][0]["message"]
    body = api.gql(SIMILAR, {"id": PYTHON, "first": 0})
    assert codes(body) == ["BAD_USER_INPUT"]


# -- recommendCourses and flagJobSkill ------------------------------------------------------------------
@pytest.fixture()
def course_graph(api, graph):
    """A job wanting Python, SQL, Java and Kubernetes; a profile with Python; three courses."""
    p = f"{TEST_PREFIX}rc-"
    ids = {"job": f"{p}job", "profile": f"{p}profile", "full": f"{p}course-full", "sql": f"{p}course-sql",
           "cooking": f"{p}course-cooking"}
    cooking = skill_id(graph, "food safety principles")

    def document(kind: Domain, doc_id: str, skills: list[str]) -> DocumentWrite:
        return DocumentWrite(kind, doc_id, 1, "test", tuple(SkillWrite(s, 1.0, "required", "trie") for s in skills),
                             title=doc_id)

    write_documents(graph, [
        document(Domain.JOB, ids["job"], [PYTHON, SQL, JAVA, KUBERNETES]),
        document(Domain.PROFILE, ids["profile"], [PYTHON]),
        # The Lightcast twin of Python on a course does not make Python part of the gap.
        document(Domain.COURSE, ids["full"], [SQL, JAVA, KUBERNETES, PYTHON_LIGHTCAST]),
        document(Domain.COURSE, ids["sql"], [SQL]),
        document(Domain.COURSE, ids["cooking"], [cooking]),
    ])
    yield ids
    graph.write("MATCH (d:Document) WHERE d.id STARTS WITH $p DETACH DELETE d", p=p)


def test_api_recommend_courses_most_coverage_first(api, graph, course_graph):
    ids = course_graph
    found = data(api, COURSES, {"p": ids["profile"], "j": ids["job"]})["recommendCourses"]
    assert found["gapSkills"] == 3
    courses = [(c["id"], c["coverage"], {s["id"] for s in c["covers"]}) for c in found["items"]]
    assert courses == [(ids["full"], 1.0, {SQL, JAVA, KUBERNETES}), (ids["sql"], pytest.approx(1 / 3, abs=1e-3), {SQL})]
    assert found["pageInfo"]["hasNextPage"] is False
    # Paged one at a time, the same courses in the same order.
    first = data(api, COURSES, {"p": ids["profile"], "j": ids["job"], "first": 1})["recommendCourses"]
    assert [c["id"] for c in first["items"]] == [ids["full"]] and first["pageInfo"]["hasNextPage"] is True
    second = data(api, COURSES, {"p": ids["profile"], "j": ids["job"], "first": 1,
                                 "after": first["pageInfo"]["endCursor"]})["recommendCourses"]
    assert [c["id"] for c in second["items"]] == [ids["sql"]] and second["pageInfo"]["hasNextPage"] is False


def test_api_flag_job_skill_leaves_the_gap(api, graph, course_graph):
    ids = course_graph
    variables = {"p": ids["profile"], "j": ids["job"], "s": SQL}
    for _ in range(2):  # idempotent
        flagged = data(api, FLAG, variables)["flagJobSkill"]
        assert flagged == {"profileId": ids["profile"], "jobId": ids["job"], "skill": {"id": SQL}}
    edges = graph.read("MATCH (:Profile {id: $p})-[f:FLAGGED_SKILL]->(s:Skill) RETURN f.jobKey AS job, s.id AS skill",
                       p=ids["profile"])
    assert edges == [{"job": f"job:{ids['job']}", "skill": SQL}]
    found = data(api, COURSES, {"p": ids["profile"], "j": ids["job"]})["recommendCourses"]
    assert found["gapSkills"] == 2
    assert [(c["id"], c["coverage"]) for c in found["items"]] == [(ids["full"], 1.0)]
    # The job keeps the skill: the flag is about this person.
    job = api.gql('query($j: ID!) { entity(kind: JOB, id: $j) { skills { skill { id } } } }', {"j": ids["job"]})
    assert SQL in {s["skill"]["id"] for s in job["data"]["entity"]["skills"]}


def test_api_flag_job_skill_and_courses_errors(api, course_graph):
    ids = course_graph
    lacking = api.gql(FLAG, {"p": ids["profile"], "j": ids["job"], "s": "esco:5d2e82cc-5943-4218-a459-a1956fad2b63"})
    assert codes(lacking) == ["BAD_USER_INPUT"] and "has no skill" in lacking["errors"][0]["message"]
    unknown = api.gql(FLAG, {"p": f"{TEST_PREFIX}nobody", "j": ids["job"], "s": SQL})
    assert codes(unknown) == ["NOT_FOUND"] and unknown["data"]["flagJobSkill"] is None
    body = api.gql(COURSES, {"p": ids["profile"], "j": f"{TEST_PREFIX}no-job"})
    assert body["data"]["recommendCourses"] is None and codes(body) == ["NOT_FOUND"]
    body = api.gql(COURSES, {"p": ids["profile"], "j": ids["job"], "after": "not-a-cursor"})
    assert codes(body) == ["BAD_USER_INPUT"]


# -- pagination -----------------------------------------------------------------------------------
SEARCH = """query($t: String!, $first: Int!, $after: String) { searchSkills(text: $t, first: $first, after: $after) {
  hits { skill { id } } pageInfo { endCursor hasNextPage } } }"""


def test_api_search_skills_pages(api):
    whole = data(api, SEARCH, {"t": "python", "first": 10})["searchSkills"]
    assert whole["pageInfo"]["hasNextPage"] is True
    one = data(api, SEARCH, {"t": "python", "first": 5})["searchSkills"]
    two = data(api, SEARCH, {"t": "python", "first": 5, "after": one["pageInfo"]["endCursor"]})["searchSkills"]
    assert [h["skill"]["id"] for h in one["hits"] + two["hits"]] == [h["skill"]["id"] for h in whole["hits"]]


def test_api_group_skills_pages_past_100(api, graph):
    (group,) = graph.read("MATCH (g:SkillGroup)<-[:IN_GROUP]-(s:Skill) WITH g, count(s) AS n WHERE n > 150 "
                          "RETURN g.id AS id, n ORDER BY n, g.id LIMIT 1")
    query = """query($g: ID!, $after: String) { groupSkills(groupId: $g, first: 100, after: $after) {
      total skills { id name } pageInfo { endCursor hasNextPage } } }"""
    seen: list[str] = []
    after = None
    while True:
        page = data(api, query, {"g": group["id"], "after": after})["groupSkills"]
        assert page["total"] == group["n"]
        seen += [s["id"] for s in page["skills"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == group["n"]
    body = api.gql(query, {"g": "esco:no-such-group"})
    assert body["data"]["groupSkills"] is None and codes(body) == ["NOT_FOUND"]


def test_api_top_candidates_page(api, graph):
    p = f"{TEST_PREFIX}page-"
    job = f"{p}job"
    docs = [DocumentWrite(Domain.JOB, job, 1, "test", tuple(SkillWrite(s, 1.0, "required", "trie")
                                                            for s in (PYTHON, SQL, JAVA)), title="job")]
    for i, skills in enumerate([(PYTHON, SQL, JAVA), (PYTHON, SQL), (PYTHON,)]):
        docs.append(DocumentWrite(Domain.PROFILE, f"{p}profile-{i}", 1, "test",
                                  tuple(SkillWrite(s, 1.0, "required", "trie") for s in skills), title=str(i)))
    write_documents(graph, docs)
    try:
        query = """query($j: ID!, $after: String) { topCandidatesPage(jobId: $j, first: 2, after: $after) {
          items { id score } pageInfo { endCursor hasNextPage } } }"""
        pages = [data(api, query, {"j": job})["topCandidatesPage"]]
        assert pages[0]["pageInfo"]["hasNextPage"] is True
        while pages[-1]["pageInfo"]["hasNextPage"] and len(pages) < 20:
            after = pages[-1]["pageInfo"]["endCursor"]
            pages.append(data(api, query, {"j": job, "after": after})["topCandidatesPage"])
        ids = [c["id"] for page in pages for c in page["items"]]
        assert all(len(page["items"]) <= 2 for page in pages) and len(ids) == len(set(ids))
        # Other tests' profiles may share a skill (or a related one) with the job: ours keep their order.
        assert [i for i in ids if i.startswith(p)] == [f"{p}profile-0", f"{p}profile-1", f"{p}profile-2"]
        assert ids[0] == f"{p}profile-0"
        jobs = data(api, """query($q: ID!) { topJobsPage(profileId: $q, first: 1) { items { id }
          pageInfo { hasNextPage } } }""", {"q": f"{p}profile-0"})["topJobsPage"]
        assert jobs["items"][0]["id"] == job
    finally:
        graph.write("MATCH (d:Document) WHERE d.id STARTS WITH $p DETACH DELETE d", p=p)
