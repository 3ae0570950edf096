"""Unit tests of the sectioner stage: header rules, classifier fallback, offsets, edge cases."""

from __future__ import annotations

import json
import time

import pytest

from kgservice.document import Document, Domain, Section
from kgservice.pipeline.base import Stage
from kgservice.settings import PROJECT_ROOT, VENDORED_DATA
from kgservice.pipeline.section_classifier import load_model
from kgservice.pipeline.sectioner import KINDS, SECTION_WEIGHTS, Sectioner, section_weight
from kgservice.offline.sectioner_training import Example, train_counts

SECTIONER = Sectioner()


def sections_of(text: str, domain: Domain = Domain.JOB, sectioner: Sectioner = SECTIONER) -> tuple[Section, ...]:
    doc = sectioner(Document(text=text, domain=domain))
    assert_tiles(doc.text, doc.sections, domain)
    return doc.sections


def assert_tiles(text: str, sections: tuple[Section, ...], domain: Domain) -> None:
    """Sections start at 0, end at len(text), touch each other, and use the domain's kinds."""
    if not text:
        assert sections == ()
        return
    assert sections[0].start == 0
    assert sections[-1].end == len(text)
    for prev, nxt in zip(sections, sections[1:]):
        assert prev.end == nxt.start
    for s in sections:
        assert s.start < s.end
        assert s.kind in KINDS[domain]
        assert s.source in {"header", "classifier", "whole"}
        if s.header is not None:
            h0, h1 = s.header
            assert s.start <= h0 < h1 <= s.end
            assert text[h0:h1].strip() == text[h0:h1]


def section_containing(text: str, sections: tuple[Section, ...], needle: str) -> Section:
    offset = text.index(needle)
    found = [s for s in sections if s.start <= offset < s.end]
    assert len(found) == 1
    return found[0]


JOB_TEMPLATE = "Acme Corp builds tractors.\n\n{header}\n- 5 years of Python\n- Strong SQL\n\nApply today.\n"


@pytest.mark.parametrize(
    ("header", "header_text"),
    [
        ("## Requirements", "## Requirements"),
        ("# Requirements #", "# Requirements #"),
        ("**Requirements**", "**Requirements**"),
        ("**Requirements:**", "**Requirements:**"),
        ("__Requirements__", "__Requirements__"),
        ("REQUIREMENTS", "REQUIREMENTS"),
        ("Requirements:", "Requirements:"),
        ("Requirements", "Requirements"),
        ("   Requirements:   ", "Requirements:"),
        ("What we're looking for:", "What we're looking for:"),
        ("What We’re Looking For", "What We’re Looking For"),
        ("MUST HAVE", "MUST HAVE"),
        ("Who you are", "Who you are"),
        ("Qualifications & Experience", "Qualifications & Experience"),
    ],
)
def test_sectioner_header_styles(header: str, header_text: str) -> None:
    text = JOB_TEMPLATE.format(header=header)
    sections = sections_of(text)
    section = section_containing(text, sections, "5 years of Python")
    assert section.kind == "qualifications"
    assert section.source == "header"
    assert section.header is not None
    assert text[section.header[0] : section.header[1]] == header_text
    # The header's section starts at its line, so the header belongs to the section it opens.
    assert section.start == text.index(header)


@pytest.mark.parametrize(
    ("line", "label", "kind"),
    [
        ("Requirements: 5+ years of welding experience and a forklift licence.", "Requirements:", "qualifications"),
        ("Benefits: dental plan, pension and 25 days of holiday.", "Benefits:", "benefits"),
        ("**Nice to have:** experience with Kafka.", "**Nice to have:**", "nice_to_have"),
        ("Key responsibilities: run the night shift and train staff.", "Key responsibilities:", "responsibilities"),
    ],
)
def test_sectioner_inline_header(line: str, label: str, kind: str) -> None:
    text = f"Store Assistant\n\n{line}\n"
    sections = sections_of(text)
    section = section_containing(text, sections, line)
    assert (section.kind, section.source) == (kind, "header")
    assert section.header is not None
    assert text[section.header[0] : section.header[1]] == label


@pytest.mark.parametrize(
    ("domain", "header", "kind"),
    [
        (Domain.JOB, "About us", "company"),
        (Domain.JOB, "Who We Are", "company"),
        (Domain.JOB, "Your role", "responsibilities"),
        (Domain.JOB, "What you'll do", "responsibilities"),
        (Domain.JOB, "Key Responsibilities", "responsibilities"),
        (Domain.JOB, "Must have", "qualifications"),
        (Domain.JOB, "Experience", "qualifications"),
        (Domain.JOB, "Preferred Qualifications", "nice_to_have"),
        (Domain.JOB, "Bonus points", "nice_to_have"),
        (Domain.JOB, "Nice-to-have skills", "nice_to_have"),
        (Domain.JOB, "Perks", "benefits"),
        (Domain.JOB, "What we offer", "benefits"),
        (Domain.JOB, "Compensation & Benefits", "benefits"),
        (Domain.JOB, "How to apply", "other"),
        (Domain.PROFILE, "Professional Summary", "summary"),
        (Domain.PROFILE, "Technical Skills", "skills"),
        (Domain.PROFILE, "Core competencies", "skills"),
        (Domain.PROFILE, "Work history", "experience"),
        (Domain.PROFILE, "Experience", "experience"),
        (Domain.PROFILE, "Education", "education"),
        (Domain.PROFILE, "Licenses & Certifications", "certifications"),
        (Domain.PROFILE, "Hobbies", "other"),
        (Domain.COURSE, "Course Description", "description"),
        (Domain.COURSE, "What you will learn", "objectives"),
        (Domain.COURSE, "Learning Outcomes", "objectives"),
        (Domain.COURSE, "Requirements", "prerequisites"),
        (Domain.COURSE, "Prerequisites", "prerequisites"),
        (Domain.COURSE, "About the instructor", "other"),
    ],
)
def test_sectioner_domain_synonyms(domain: Domain, header: str, kind: str) -> None:
    text = f"Intro line here.\n\n{header}:\nSome body text under the header.\n"
    sections = sections_of(text, domain)
    section = section_containing(text, sections, "Some body text")
    assert (section.kind, section.source) == (kind, "header")


@pytest.mark.parametrize(
    "line",
    [
        "Benefits administration",  # a duty of an HR job, not the perks header
        "- Experience with SQL:",  # bullets are content
        "Experience with SQL and Tableau",
        "We offer our customers the best prices in town.",
        "Strong communication skills",
    ],
)
def test_sectioner_content_lines_are_not_headers(line: str) -> None:
    text = f"Responsibilities\nHandle payroll.\n{line}\nFile reports.\n"
    sections = sections_of(text)
    assert len(sections) == 1
    assert sections[0].kind == "responsibilities"
    assert sections[0].header is not None
    assert text[sections[0].header[0] : sections[0].header[1]] == "Responsibilities"


def test_sectioner_domain_decides_kinds() -> None:
    text = "Requirements\nBasic algebra and some Python.\n"
    job = sections_of(text, Domain.JOB)
    course = sections_of(text, Domain.COURSE)
    assert [s.kind for s in job] == ["qualifications"]
    assert [s.kind for s in course] == ["prerequisites"]


HEADERLESS_JOB = (
    "Assistant Store Manager\n\n"
    "Greenway Markets is a family-owned grocery chain with 35 stores and a commitment to our communities.\n\n"
    "You will supervise a team of cashiers and stock associates, open and close the store, manage "
    "inventory and ordering, and handle customer complaints.\n\n"
    "You need at least 2 years of retail supervisory experience and a high school diploma; a degree in "
    "business is a plus.\n\n"
    "We offer competitive pay, health insurance, paid vacation and a 15% employee discount.\n"
)


def test_sectioner_fallback_on_headerless_text() -> None:
    sections = sections_of(HEADERLESS_JOB)
    assert all(s.source == "classifier" and s.header is None for s in sections)
    expected = {
        "family-owned grocery chain": "company",
        "You will supervise": "responsibilities",
        "2 years of retail supervisory experience": "qualifications",
        "health insurance, paid vacation": "benefits",
    }
    for needle, kind in expected.items():
        assert section_containing(HEADERLESS_JOB, sections, needle).kind == kind, needle
    # Adjacent blocks of one kind merge, so no two neighbours share a kind.
    assert all(a.kind != b.kind for a, b in zip(sections, sections[1:]))


HEADERLESS_CV = (
    "Anna Lindqvist\nanna.lindqvist@example.se | +46 70 123 45 67\n\n"
    "2018 - present  Logistics Planner, Volvo Cars, Gothenburg. Planned inbound transport for two plants.\n"
    "2014 - 2018  Warehouse Team Leader, DHL, Malmo. Led a team of 12.\n\n"
    "Bachelor of Science in Supply Chain Management, Lund University, 2014\n"
)


def test_sectioner_fallback_on_headerless_profile() -> None:
    sections = sections_of(HEADERLESS_CV, Domain.PROFILE)
    assert section_containing(HEADERLESS_CV, sections, "Logistics Planner").kind == "experience"
    assert section_containing(HEADERLESS_CV, sections, "Lund University").kind == "education"


def test_sectioner_classifies_text_before_first_header() -> None:
    text = "Bright Foods is a family-owned bakery founded in 1952 in Leeds.\n\nWhat you'll do\n- Bake bread\n"
    sections = sections_of(text)
    assert (sections[0].kind, sections[0].source, sections[0].header) == ("company", "classifier", None)
    assert (sections[-1].kind, sections[-1].source) == ("responsibilities", "header")


def test_sectioner_unknown_header_goes_to_classifier() -> None:
    text = (
        "## The nitty gritty\n"
        "We offer a generous pension, private health insurance and 30 days of paid holiday.\n"
        "## What you'll do\n- Drive forklifts\n"
    )
    sections = sections_of(text)
    first = sections[0]
    assert first.source == "classifier"
    assert first.kind == "benefits"
    assert first.header is not None
    assert text[first.header[0] : first.header[1]] == "## The nitty gritty"
    assert sections[-1].kind == "responsibilities"


def test_sectioner_headers_only_mode_labels_the_rest_other() -> None:
    sectioner = Sectioner(use_classifier=False)
    sections = sections_of(HEADERLESS_JOB, sectioner=sectioner)
    assert [s.kind for s in sections] == ["other"]


def test_sectioner_post_gives_one_section() -> None:
    text = "Just finished a course on Kubernetes!\n\nRequirements: none, just curiosity.\n"
    sections = sections_of(text, Domain.POST)
    assert sections == (Section("post", 0, len(text), None, "whole"),)


@pytest.mark.parametrize("domain", list(Domain))
def test_sectioner_empty_text_has_no_sections(domain: Domain) -> None:
    assert sections_of("", domain) == ()


@pytest.mark.parametrize("text", [" ", "\n\n\n", "\r\n \t\r\n"])
def test_sectioner_whitespace_only_text_is_one_section(text: str) -> None:
    sections = sections_of(text)
    assert len(sections) == 1


def test_sectioner_crlf_line_endings() -> None:
    lf = "Acme builds tractors.\n\nResponsibilities:\n- Weld frames\n\nBenefits\n- Pension\n"
    crlf = lf.replace("\n", "\r\n")
    sections = sections_of(crlf)
    kinds = [s.kind for s in sections]
    assert kinds[-2:] == ["responsibilities", "benefits"]
    assert [s.kind for s in sections_of(lf)] == kinds
    for s in sections[-2:]:
        assert s.header is not None
        assert "\r" not in crlf[s.header[0] : s.header[1]]
    assert crlf[sections[-1].start :].startswith("Benefits\r\n")


def test_sectioner_lone_cr_line_endings() -> None:
    text = "Intro.\rRequirements:\r- Python\r"
    sections = sections_of(text)
    assert sections[-1].kind == "qualifications"
    assert text[sections[-1].start :] == "Requirements:\r- Python\r"


@pytest.mark.parametrize(
    ("domain", "text", "needle", "kind"),
    [
        (Domain.PROFILE, "🚀 Élodie Durand — Ingénieure\n\nCompétences\n• Python • SQL\n", "• Python", "skills"),
        (Domain.JOB, "Über uns: 𝔸cme GmbH 🏭\n\nIhre Aufgaben\n▪ Schweißen\n", "▪ Schweißen", "responsibilities"),
        (Domain.JOB, "会社概要テキスト。\n\n### Qualifications\n✓ 日本語 N2\n", "✓ 日本語", "qualifications"),
    ],
)
def test_sectioner_unicode(domain: Domain, text: str, needle: str, kind: str) -> None:
    sections = sections_of(text, domain)
    section = section_containing(text, sections, needle)
    assert section.kind == kind
    # Offsets count code points, so text after astral characters is still addressed exactly.
    assert text[section.start : section.end].endswith(needle + text[text.index(needle) + len(needle) :])


@pytest.mark.parametrize(
    "text",
    [
        (JOB_TEMPLATE.format(header="## Requirements") + HEADERLESS_JOB) * 4_600,
        HEADERLESS_JOB * 4_000,  # all classifier: ~20k blocks through naive Bayes + Viterbi
        "lorem ipsum dolor " * 116_000,  # ~2 MB with no line breaks or sentence ends
        "x" * 2_000_000,
    ],
    ids=["repeated-postings", "headerless", "one-long-line", "one-long-token"],
)
def test_sectioner_very_long_text(text: str) -> None:
    assert len(text) >= 1_900_000
    started = time.perf_counter()
    sections = sections_of(text)
    assert time.perf_counter() - started < 30
    assert sections


def test_sectioner_returns_new_document() -> None:
    doc = Document(text=HEADERLESS_JOB, domain=Domain.JOB, title="t", id="42")
    out = SECTIONER(doc)
    assert doc.sections == ()
    assert out is not doc
    assert (out.text, out.domain, out.title, out.id) == (doc.text, doc.domain, doc.title, doc.id)
    assert list(SECTIONER.pipe([doc, doc])) == [out, out]


def test_sectioner_stage_contract() -> None:
    assert isinstance(SECTIONER, Stage)
    assert SECTIONER.name == "sectioner"
    assert SECTIONER.requires == frozenset()
    assert SECTIONER.assigns == frozenset({"sections"})


def test_sectioner_model_is_loaded_once() -> None:
    assert load_model() is load_model()
    assert set(load_model()) == {Domain.JOB, Domain.PROFILE, Domain.COURSE}


def test_sectioner_section_weight() -> None:
    for kinds in KINDS.values():
        for kind in kinds:
            assert 0.0 <= section_weight(kind) <= 1.0
            assert kind in SECTION_WEIGHTS
    assert section_weight("qualifications") > section_weight("nice_to_have") > section_weight("company")
    assert section_weight("skills") > section_weight("benefits")
    assert section_weight("prerequisites") > section_weight("other")
    assert section_weight(None) == section_weight("no-such-kind") == section_weight("other")


def test_sectioner_train_counts_learns_and_is_deterministic(tmp_path) -> None:
    def example(i: int) -> Example:
        a = f"We are a bakery founded in {1950 + i}.\n"
        b = f"You will bake bread and cakes, shift {i}.\n"
        return Example(f"e{i}", Domain.COURSE, "train", a + b,
                       (("description", 0, len(a)), ("objectives", len(a), len(a) + len(b))))

    kinds = ("description", "objectives", "prerequisites", "other")
    counts = train_counts([example(i) for i in range(6)], kinds)
    assert json.dumps(counts, sort_keys=True) == json.dumps(train_counts([example(i) for i in range(6)], kinds),
                                                           sort_keys=True)
    path = tmp_path / "model.json"
    path.write_text(json.dumps({"version": 1, "domains": {"course": counts}}))
    sectioner = Sectioner(use_headers=False, model_path=str(path))
    text = "We are a bakery with two shops.\nYou will bake cakes.\n"
    assert [s.kind for s in sectioner.predict(text, Domain.COURSE)] == ["description", "objectives"]


CUE_TEXTS = (
    "5+ years of experience", "2018 - present", "Jan 2020", "1999", "BSc in Physics", "B.A. in English", "M.Sc.",
    "Ph.D. candidate", "an MBA", "University of Leeds", "WE OFFER 25 days holiday", "you'll get a bonus",
    "We provide lunch", "$60k per year", "£30 per hour", "salary: competitive", "Our team and us", "YOU WILL lead",
    "youll", "You have a degree", "experience with SQL", "I built my own", "me@example.com", "+44 20 7946 0958",
    "linkedin.com/in/x", "GITHUB.COM/x", "certified nurse", "driving licence", "Python is a plus", "nice to have",
    "Preferred: Go", "desirable", "ideally remote", "students will learn", "be able to UNDERSTAND", "a | b", "a; b",
    "nothing to see", "", "   ",
    # Non-ASCII text runs every pattern: the Kelvin sign folds onto k, the long s onto s.
    "€40\u212a salary", "Ba\u017fic \u017falary", "café · tea", "Erfahrung über 5 Jahre", "Zürich 2019–2021",
)


def test_sectioner_guarded_cues_match_every_pattern() -> None:
    """The cue guards only skip patterns that cannot match: same features as running them all."""
    from kgservice.pipeline.section_classifier import _CUES, _cues

    texts = list(CUE_TEXTS)
    for path in (VENDORED_DATA / "sections").glob("*.jsonl"):
        for record in map(json.loads, path.read_text().splitlines()):
            texts.extend(block["text"] for block in record["blocks"])
            texts.extend(line for block in record["blocks"] for line in block["text"].splitlines())
    for text in texts:
        for variant in (text, text.upper(), text.lower(), text.title()):
            assert _cues(variant) == [name for name, pattern, _ in _CUES if pattern.search(variant)], variant


@pytest.mark.parametrize(
    ("domain", "header", "kind"),
    [
        (Domain.JOB, "Über uns", "company"),
        (Domain.JOB, "Ihre Aufgaben", "responsibilities"),
        (Domain.JOB, "Das bringen Sie mit", "qualifications"),
        (Domain.JOB, "Was wir bieten", "benefits"),
        (Domain.JOB, "Qui sommes-nous ?", "company"),
        (Domain.JOB, "Vos missions", "responsibilities"),
        (Domain.JOB, "Profil recherché", "qualifications"),
        (Domain.JOB, "Ce que nous offrons", "benefits"),
        (Domain.JOB, "Sobre la empresa", "company"),
        (Domain.JOB, "Tus funciones", "responsibilities"),
        (Domain.JOB, "Requisitos", "qualifications"),
        (Domain.JOB, "Qué ofrecemos", "benefits"),
        (Domain.JOB, "Over ons", "company"),
        (Domain.JOB, "Jouw taken", "responsibilities"),
        (Domain.JOB, "Wat vragen wij", "qualifications"),
        (Domain.JOB, "Wat wij bieden", "benefits"),
        (Domain.JOB, "Sobre nós", "company"),
        (Domain.JOB, "As suas funções", "responsibilities"),
        (Domain.JOB, "O que procuramos", "qualifications"),
        (Domain.JOB, "O que oferecemos", "benefits"),
        (Domain.PROFILE, "Berufserfahrung", "experience"),
        (Domain.PROFILE, "Formation", "education"),
        (Domain.PROFILE, "Werkervaring", "experience"),
        (Domain.COURSE, "Lernziele", "objectives"),
        (Domain.COURSE, "Prérequis", "prerequisites"),
    ],
)
def test_sectioner_headers_in_five_languages(domain: Domain, header: str, kind: str) -> None:
    text = f"Einleitung hier.\n\n{header}:\nEin Text unter der Überschrift.\n"
    section = section_containing(text, sections_of(text, domain), "Ein Text unter")
    assert (section.kind, section.source) == (kind, "header")


def test_sectioner_english_phrases_keep_their_kind_over_other_languages() -> None:
    from kgservice.pipeline.section_headers import _COURSE_SYNONYMS, _JOB_SYNONYMS, _PROFILE_SYNONYMS, HEADER_PHRASES
    from kgservice.pipeline.section_headers import _header_tokens

    for domain, synonyms in ((Domain.JOB, _JOB_SYNONYMS), (Domain.PROFILE, _PROFILE_SYNONYMS),
                             (Domain.COURSE, _COURSE_SYNONYMS)):
        english = {}
        for kind, phrases in synonyms.items():
            for phrase in phrases:
                english.setdefault(_header_tokens(phrase), kind)
        table = HEADER_PHRASES[domain].by_first
        found = {toks: kind for entries in table.values() for toks, kind in entries}
        assert {toks: found[toks] for toks in english} == english
