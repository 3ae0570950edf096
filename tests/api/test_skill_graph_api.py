"""The Skills Graph over HTTP against the real server: the derived hierarchy through Skill.parents,
children and siblings, and normalizeTitle over the ESCO occupations."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.neo4j

SWIFT = "esco:be80acfc-b6f2-4411-9b8d-b19d9cd2556a"  # Swift (computer programming)
PROGRAMMING = "esco:21d2f96d-35f7-4e3f-9745-c533d2dd6e97"  # computer programming
NORMALIZE = """query($title: String!, $first: Int! = 5) {
  normalizeTitle(title: $title, first: $first) {
    method title matches { score matchedLabel method occupation { id name taxonomy aliases description uri } }
  }
}"""


def codes(body: dict) -> list[str]:
    return [e.get("extensions", {}).get("code") for e in body.get("errors", [])]


def normalize(api, title: str, first: int = 5) -> dict:
    body = api.gql(NORMALIZE, {"title": title, "first": first})
    assert "errors" not in body, body
    return body["data"]["normalizeTitle"]


def test_api_skill_hierarchy_parents_children_siblings(api):
    body = api.gql("""query($id: ID!) { skill(id: $id) { name parents { name } siblings(first: 50) { name }
        } }""", {"id": SWIFT})
    skill = body["data"]["skill"]
    assert [p["name"] for p in skill["parents"]] == ["computer programming"]
    assert "Java (computer programming)" in [s["name"] for s in skill["siblings"]]
    parent = api.gql("""query($id: ID!) { skill(id: $id) { name children(first: 100) { name } } }""",
                     {"id": PROGRAMMING})["data"]["skill"]
    assert parent["name"] == "computer programming"
    assert "Swift (computer programming)" in [c["name"] for c in parent["children"]]


def test_api_normalize_title_exact_label(api):
    found = normalize(api, "software developer")
    assert found["method"] == "label+vector+fulltext"
    best = found["matches"][0]
    assert best["occupation"]["name"] == "software developer" and best["score"] == 1.0 and best["method"] == "label"
    assert best["occupation"]["taxonomy"] == "esco" and best["occupation"]["description"]
    assert best["occupation"]["uri"].startswith("http://data.europa.eu/esco/occupation/")
    scores = [m["score"] for m in found["matches"]]
    assert scores == sorted(scores, reverse=True) and len(scores) == 5


def test_api_normalize_title_headline_and_meaning(api):
    headline = normalize(api, "Senior Data Scientist | machine learning enthusiast", first=3)
    assert headline["title"] == "Data Scientist"
    assert headline["matches"][0]["occupation"]["name"] == "data scientist"
    # No label says this; the vector match finds the occupation by meaning.
    meaning = normalize(api, "person who writes computer programs", first=10)
    assert any(m["method"] == "vector" for m in meaning["matches"])
    names = [m["occupation"]["name"] for m in meaning["matches"]]
    assert any("developer" in n or "programmer" in n for n in names), names


@pytest.mark.parametrize(("variables", "message"), [
    ({"title": "   "}, "`title` is empty"),
    ({"title": "x" * 201}, "the limit is 200"),
    ({"title": "nurse", "first": 0}, "`first` must be between 1 and 100"),
])
def test_api_normalize_title_bad_input(api, variables, message):
    body = api.gql(NORMALIZE, variables)
    assert codes(body) == ["BAD_USER_INPUT"] and message in body["errors"][0]["message"]
