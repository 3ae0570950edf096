"""The pages over HTTP (no browser): GraphiQL and its bundle served from the package, its example operations
run against the real server, the skill page route. tests/api/test_browser_pages.py drives them in Chromium."""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest

from tests.api.conftest import TEST_PREFIX, Server
from tests.api.test_graphql_api import PYTHON

pytestmark = pytest.mark.neo4j

STATIC = resources.files("kgservice.api").joinpath("static")
# The bundle web/graphiql/build.mjs writes; graphiql.js loads the workers by these names.
BUNDLE = ("graphiql.js", "graphiql.css", "editor.worker.js", "json.worker.js", "graphql.worker.js")


def examples() -> list[dict]:
    return json.loads(STATIC.joinpath("graphiql-examples.json").read_text(encoding="utf-8"))


def local_assets(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="(/[^"]*)"', html)


def test_graphiql_page_and_bundle_are_served_from_the_package(api: Server):
    page = api.client.get("/graphql", headers={"accept": "text/html"})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="/static/graphiql/graphiql.js">' in page.text
    assert not re.search(r'(src|href)="(https?:)?//', page.text), "the page must load nothing from outside"
    assert "/static/graphiql/graphiql.css" in local_assets(page.text)
    for name in BUNDLE:
        asset = api.client.get(f"/static/graphiql/{name}")
        assert asset.status_code == 200 and len(asset.content) > 10_000, name
        assert asset.content == STATIC.joinpath("graphiql", name).read_bytes()
    # The workers are loaded relative to the bundle, under the names the build gives them.
    bundle = STATIC.joinpath("graphiql", "graphiql.js").read_text(encoding="utf-8")
    assert "./${" in bundle and ".worker.js" in bundle
    # The fonts the stylesheet names are there too.
    css = STATIC.joinpath("graphiql", "graphiql.css").read_text(encoding="utf-8")
    for font in set(re.findall(r"url\(\./([^)]+\.ttf)\)", css)):
        assert api.client.get(f"/static/graphiql/{font}").status_code == 200, font
    # A client asking for JSON still gets GraphQL's answer, not the page.
    assert api.client.get("/graphql", headers={"accept": "application/json"}).status_code == 400


def test_graphiql_examples_run_as_written(api: Server, graph):
    """Every example, in its order, with its own variables (only document ids moved under the test prefix)."""
    served = api.client.get("/static/graphiql-examples.json")
    assert served.status_code == 200 and served.json() == examples()
    titles = [e["title"] for e in examples()]
    assert len(titles) == len(set(titles)) >= 5
    operations = " ".join(" ".join(e["query"]) for e in examples())
    for field in ("extractSkills", "skill(id:", "upsertDocument", "matchJobToProfile", "skillGap", "searchSkills"):
        assert field in operations, field
    results = {}
    for example in examples():
        variables = {k: f"{TEST_PREFIX}{v}" if k.endswith("Id") else v for k, v in example["variables"].items()}
        body = api.gql("\n".join(example["query"]), variables)
        assert "errors" not in body, (example["title"], body)
        results[example["title"]] = body["data"]
    extraction = next(d for d in results.values() if "extractSkills" in d)["extractSkills"]
    assert {"Python (computer programming)", "SQL"} <= {s["skill"]["name"] for s in extraction["skills"]}
    assert extraction["sections"] and all(s["spans"] for s in extraction["skills"])
    skill = next(d for d in results.values() if "skill" in d)
    assert skill["skill"]["id"] == PYTHON and skill["skill"]["sameAs"] and skill["expandSkills"]
    match = next(d for d in results.values() if "matchJobToProfile" in d)
    assert match["matchJobToProfile"]["score"] > 0 and match["matchJobToProfile"]["overlap"]
    assert "missing" in match["skillGap"]
    stored = graph.read("MATCH (d:Document) WHERE d.id STARTS WITH $p RETURN count(d) AS n", p=f"{TEST_PREFIX}example-")
    assert stored[0]["n"] == 2


def test_pages_and_their_files(api: Server):
    page = api.client.get("/")
    assert page.status_code == 200 and "extractSkills" in page.text and "alsoIn" in page.text
    skill = api.client.get("/skill/" + PYTHON.replace(":", "%3A"))
    assert skill.status_code == 200 and "skill(id: $id)" in skill.text
    for html in (page.text, skill.text):
        assert not re.search(r'(src|href)="(https?:)?//', html), "pages must not load anything from outside"
        for asset in local_assets(html):
            if asset.startswith("/static/"):
                assert api.client.get(asset).status_code == 200, asset
    assert api.client.get("/static/no-such-file.js").status_code == 404
