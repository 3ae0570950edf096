"""GraphiQL, the extraction page and a skill page in headless Chromium (Debian's, driven by Playwright)
against the real server: what a person sees, including that nothing is fetched from another origin.

Skipped only where Chromium is not installed (`apt-get install chromium`; .ci/run installs it).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from pydantic import SecretStr

from kgservice.settings import Settings
from tests.api.conftest import Server, serve

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [pytest.mark.neo4j,
              pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")]

# The machine has no network but the package registries: without these Chromium tries to reach Google's
# services at start-up and keeps retrying (/work/.library/env/machines/polyglot.md).
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync"]
DOCS_BUTTON = 'button[aria-label="Show Documentation Explorer"]'
TIMEOUT_MS = 60_000


class Browser:
    """One Chromium with a fresh profile; every request it makes and every script error are recorded."""

    def __init__(self, context) -> None:  # noqa: ANN001 - playwright's BrowserContext
        self.context = context
        self.requests: list[str] = []
        self.errors: list[str] = []
        context.on("request", lambda r: self.requests.append(r.url))

    def page(self):  # noqa: ANN201
        page = self.context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        return page

    def foreign_requests(self, origin: str) -> list[str]:
        return [u for u in self.requests
                if urlsplit(u).scheme in ("http", "https", "ws", "wss") and not u.startswith(origin)]


@pytest.fixture()
def browser(tmp_path: Path) -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=CHROMIUM, headless=True, args=FLAGS,
            viewport={"width": 1400, "height": 900})
        try:
            yield Browser(context)
        finally:
            context.close()


# Monaco draws only the lines in view, with no-break spaces: what a person sees of an editor.
SHOWN = "(s) => (document.querySelector(s)?.innerText ?? '').replace(/\\u00a0/g, ' ')"


def editor_text(page, selector: str) -> str:  # noqa: ANN001
    return page.evaluate(SHOWN, selector)


def wait_until_shown(page, selector: str, text: str) -> None:  # noqa: ANN001
    page.wait_for_function(f"([s, t]) => ({SHOWN})(s).includes(t)", arg=[selector, text])


def test_graphiql_renders_runs_an_example_and_explains_the_schema(api: Server, browser: Browser, tmp_path: Path):
    page = browser.page()
    page.goto(f"{api.url}/graphql")
    page.wait_for_selector(DOCS_BUTTON)
    page.wait_for_selector(".graphiql-query-editor .monaco-editor")
    # The examples panel is open, with the API-key field; every example is a tab on a first visit.
    assert page.locator("#kg-api-key").is_visible()
    assert page.locator(".kg-example").count() >= 5
    assert page.locator(".graphiql-tab").count() >= 5
    assert "extractSkills" in editor_text(page, ".graphiql-query-editor")
    assert '"domain": "JOB"' in editor_text(page, ".graphiql-editor-tool .monaco-editor")

    page.locator(".graphiql-execute-button").click()
    wait_until_shown(page, ".graphiql-response", '"name": "PostgreSQL"')
    response = editor_text(page, ".graphiql-response")
    assert "modelVersion" in response and '"errors"' not in response
    page.screenshot(path=str(tmp_path / "graphiql.png"))

    # The skill-with-neighbours example, loaded from the panel into the current tab, runs with its variables.
    page.locator(".kg-example", has_text="neighbours").click()
    wait_until_shown(page, ".graphiql-query-editor", "query SkillNeighbours($id: ID!)")
    with page.expect_response(lambda r: r.url.endswith("/graphql") and "SkillNeighbours" in (r.request.post_data or "")) as sent:
        page.locator(".graphiql-execute-button").click()
    answer = sent.value.json()
    assert "errors" not in answer and "Python (Programming Language)" in {s["name"] for s in answer["data"]["skill"]["sameAs"]}
    wait_until_shown(page, ".graphiql-response", '"name": "Python (computer programming)"')  # the answer's top

    # Autocomplete from the introspected schema (the GraphQL worker): a new field offers the schema's fields.
    page.locator(".graphiql-query-editor .monaco-editor .view-lines").click()
    page.keyboard.press("Control+End")
    page.keyboard.type("\n{ sear")
    page.keyboard.press("Control+Space")
    page.wait_for_selector(".suggest-widget .monaco-list-row", state="visible")
    assert "searchSkills" in page.locator(".suggest-widget").inner_text()
    page.keyboard.press("Escape")

    page.locator(DOCS_BUTTON).click()
    page.wait_for_selector(".graphiql-doc-explorer")
    page.locator(".graphiql-doc-explorer a", has_text="Query").first.click()
    page.wait_for_selector(".graphiql-doc-explorer-title:has-text('Query')")
    assert "extractSkills" in page.locator(".graphiql-doc-explorer").inner_text()

    assert not browser.errors, browser.errors
    assert not browser.foreign_requests(api.url), browser.foreign_requests(api.url)


def test_extraction_page_highlights_spans_and_links_skill_pages(api: Server, browser: Browser, tmp_path: Path):
    page = browser.page()
    page.goto(f"{api.url}/")
    text = page.locator("#posting").input_value()
    page.locator("#run").click()
    page.wait_for_selector("#skills tbody tr")
    assert "skills" in page.locator("#status").inner_text()

    sections = page.locator("#sections").inner_text()
    assert "qualifications" in sections and "responsibilities" in sections
    # Each highlight is the posting's own text, marked with the skills it evidences and the best score.
    marks = page.evaluate("""() => [...document.querySelectorAll('#document mark')].map(m => ({
        text: m.firstChild.textContent, skills: m.dataset.skills, score: m.querySelector('sup').textContent}))""")
    assert len(marks) >= 3
    assert all(m["text"] in text and m["skills"] and 0 < float(m["score"]) <= 1 for m in marks), marks
    assert any("Python" in m["text"] for m in marks) and any("PostgreSQL" in m["text"] for m in marks)
    rows = page.locator("#skills tbody tr").all_inner_texts()
    assert any("PostgreSQL" in r and "required" in r and "trie" in r and "qualifications" in r for r in rows), rows
    assert page.locator("#skills tbody a[href*='lightcast']").count() >= 1  # alsoIn cross-references
    assert page.locator("#expanded tbody tr").count() >= 1
    page.screenshot(path=str(tmp_path / "extraction.png"), full_page=True)

    page.locator("#skills tbody a.skill", has_text="PostgreSQL").first.click()
    page.wait_for_selector("#skill:not([hidden])")
    assert page.url.startswith(f"{api.url}/skill/esco")
    assert "PostgreSQL" in page.locator("#name").inner_text()
    assert "lightcast" in page.locator(".same-as").inner_text()
    assert page.locator(".same-group li").count() >= 1
    page.screenshot(path=str(tmp_path / "skill.png"), full_page=True)

    unknown = browser.page()
    unknown.goto(f"{api.url}/skill/esco%3Ano-such-skill")
    unknown.wait_for_function("() => document.getElementById('status').className.includes('error')")
    assert "NOT_FOUND" in unknown.locator("#status").inner_text()

    assert not browser.errors, browser.errors
    assert not browser.foreign_requests(api.url), browser.foreign_requests(api.url)


@pytest.fixture(scope="module")
def keyed_server(graph, built_indexes) -> Iterator[tuple[Server, str]]:
    key = "browser-test-key-0123456789abcdef"
    base = Settings()
    yield from ((s, key) for s in serve(base.model_copy(
        update={"api": base.api.model_copy(update={"keys": SecretStr(f"browser:read:{key}")})})))


def test_the_api_key_field_authenticates_both_pages(keyed_server: tuple[Server, str], browser: Browser):
    api, key = keyed_server
    page = browser.page()
    page.goto(f"{api.url}/")
    page.locator("#run").click()
    page.wait_for_function("() => document.getElementById('status').className.includes('error')")
    assert "UNAUTHENTICATED" in page.locator("#status").inner_text()
    page.locator("#key").fill(key)
    page.locator("#run").click()
    page.wait_for_selector("#skills tbody tr")

    # The key typed on the extraction page is the one GraphiQL sends (same tab storage).
    page.goto(f"{api.url}/graphql")
    page.wait_for_selector(DOCS_BUTTON)
    assert page.locator("#kg-api-key").input_value() == key
    page.locator(".graphiql-execute-button").click()
    wait_until_shown(page, ".graphiql-response", '"modelVersion"')
    assert not browser.errors, browser.errors
