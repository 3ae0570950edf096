"""The trie tagger on a small in-memory taxonomy: longest match, offsets, ambiguous short labels."""

from __future__ import annotations

import pytest

import json

from kgservice.document import Document, Domain, Section
from kgservice.errors import ArtifactMissing
from kgservice.offline.trie_builder import SkillText, build_trie, key_trie
from kgservice.pipeline.trie_tagger import FORMAT_VERSION, TRIE_FILE, SkillTrie, TrieTagger
from kgservice.text_normalizer import tokenize

SKILLS = [
    SkillText("t:py", "Python (computer programming)", ("Python 3",), "t"),
    SkillText("t:ml", "machine learning", ("ML",), "t"),
    SkillText("t:mle", "machine learning engineering", (), "t"),
    SkillText("t:go", "Go (Programming Language)", ("Golang",), "t"),
    SkillText("t:r", "R", (), "t"),
    SkillText("t:c", "C (programming language)", (), "t"),
    SkillText("t:excel", "Excel", ("Microsoft Excel",), "t"),
    SkillText("t:spark", "Apache Spark", ("Spark",), "t"),
    SkillText("t:word", "Microsoft Word", ("Word",), "t"),
    SkillText("t:cpp", "C++", (), "t"),
    SkillText("t:cs", "C#", (), "t"),
    SkillText("t:net", ".NET", (), "t"),
    SkillText("t:node", "Node.js", (), "t"),
    SkillText("t:db", "manage databases", (), "t"),
    SkillText("t:think", "think creatively", ("design",), "t"),
    SkillText("t:sql", "SQL", (), "t"),
    SkillText("t:dbms", "database management systems", ("SQL",), "t"),
]


@pytest.fixture(scope="module")
def tagger(tmp_path_factory) -> TrieTagger:
    directory = tmp_path_factory.mktemp("trie")
    build_trie(SKILLS).save(directory)
    return TrieTagger(SkillTrie.load(directory))


def tag(tagger: TrieTagger, text: str, section: str = "other") -> list[tuple[str, str]]:
    doc = Document(text, Domain.JOB, sections=(Section(section, 0, len(text)),))
    spans = tagger(doc).spans["trie_tagger"]
    for span in spans:
        assert text[span.start : span.end] == span.text
    return [(s.text, s.skill_id) for s in spans]


def test_trie_tagger_longest_match_wins(tagger):
    assert tag(tagger, "We do machine learning engineering and machine learning.") == [
        ("machine learning engineering", "t:mle"), ("machine learning", "t:ml")]


def test_trie_tagger_keeps_symbols_intact(tagger):
    found = tag(tagger, "Stack: C++, C#, .NET and Node.js.")
    assert found == [("C++", "t:cpp"), ("C#", "t:cs"), (".NET", "t:net"), ("Node.js", "t:node")]


def test_trie_tagger_matches_inflections(tagger):
    assert tag(tagger, "You will be managing databases.") == [("managing databases", "t:db")]


def test_trie_tagger_qualifier_and_alias(tagger):
    assert tag(tagger, "Python and Golang") == [("Python", "t:py"), ("Golang", "t:go")]


@pytest.mark.parametrize(
    ("text", "section", "expected"),
    [
        ("Experience with Go and Python required.", "other", [("Go", "t:go"), ("Python", "t:py")]),
        ("You will go to the office every day.", "other", []),
        ("Proficient in R and SQL.", "other", [("R", "t:r"), ("SQL", "t:sql")]),
        ("Our team is r and d focused.", "other", []),
        ("Programming in C is a must.", "other", [("C", "t:c")]),
        ("Plan A, B and C are ready.", "other", []),
        ("Advanced Excel skills.", "other", [("Excel", "t:excel")]),
        ("You excel at talking to people.", "other", []),
        ("Spark, Python and SQL experience.", "other", [("Spark", "t:spark"), ("Python", "t:py"), ("SQL", "t:sql")]),
        ("The meeting will spark ideas.", "other", []),
        ("Word", "qualifications", [("Word", "t:word")]),
        ("Not a single word of it.", "other", []),
        ("We design our offices ourselves.", "other", []),
    ],
)
def test_trie_tagger_ambiguous_short_labels_need_support(tagger, text, section, expected):
    assert tag(tagger, text, section) == expected


def test_trie_tagger_name_beats_another_skills_alias(tagger):
    assert tag(tagger, "SQL databases") == [("SQL", "t:sql")]


def test_trie_tagger_records_section(tagger):
    text = "About us. We love Python."
    doc = Document(text, Domain.JOB, sections=(Section("company", 0, 9), Section("qualifications", 9, len(text))))
    [span] = tagger(doc).spans["trie_tagger"]
    assert (span.section, span.score) == ("qualifications", 0.9)


@pytest.mark.parametrize(
    ("text", "section"),
    [
        ("Stack: C++, C#, .NET and Node.js; machine learning engineering in Python 3.", "other"),
        ("Experience with Go, R, C and Excel; Spark and Word.", "other"),
        ("You will go to the office and excel at it; a word to spark ideas.", "other"),
        ("Word, Excel, SQL databases, Golang", "qualifications"),
        ("managing databases and database management systems, design", "other"),
    ],
)
def test_trie_tagger_saved_trie_matches_built_trie(tmp_path, text, section):
    built = build_trie(SKILLS)
    built.save(tmp_path)
    saved, fresh = TrieTagger(SkillTrie.load(tmp_path)), TrieTagger(built)
    tokens = tokenize(text)
    assert saved.predict(tokens) == fresh.predict(tokens) != []  # before the ambiguity filter too
    doc = Document(text, Domain.JOB, sections=(Section(section, 0, len(text)),))
    assert saved(doc).spans["trie_tagger"] == fresh(doc).spans["trie_tagger"]


def test_trie_tagger_flat_trie_holds_every_key_of_the_built_trie(tmp_path):
    keys, _, _ = key_trie(SKILLS)
    build_trie(SKILLS).save(tmp_path)
    loaded = SkillTrie.load(tmp_path)
    assert {key: loaded.get(key) for key in keys} == dict(keys.items())
    assert loaded.get(("machine",)) == ()  # a node on the way to "machine learning", not a key
    assert loaded.get(("unknown", "words")) == ()


def _flip_byte(directory):
    data = bytearray((directory / TRIE_FILE).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (directory / TRIE_FILE).write_bytes(bytes(data))


def _truncate(directory):
    (directory / TRIE_FILE).write_bytes((directory / TRIE_FILE).read_bytes()[:100])


@pytest.mark.parametrize(
    ("corrupt", "message"),
    [
        (_flip_byte, "does not match its manifest"),
        (_truncate, "does not match its manifest"),
        (lambda d: (d / TRIE_FILE).unlink(), "is missing"),
        (lambda d: (d / "manifest.json").write_text("{not json"), "unreadable"),
        (lambda d: (d / "manifest.json").unlink(), "no skill trie"),
    ],
    ids=["flipped-byte", "truncated", "no-data", "bad-manifest", "no-manifest"],
)
def test_trie_tagger_load_rejects_corrupted_artifact(tmp_path, corrupt, message):
    build_trie(SKILLS).save(tmp_path)
    corrupt(tmp_path)
    with pytest.raises(ArtifactMissing, match=message):
        SkillTrie.load(tmp_path)


def test_trie_tagger_load_rejects_manifest_that_misdescribes_the_file(tmp_path):
    build_trie(SKILLS).save(tmp_path)
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    manifest["layout"]["first"][1] -= 4
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ArtifactMissing, match="does not describe"):
        SkillTrie.load(tmp_path)


def test_trie_tagger_load_rejects_old_format(tmp_path):
    # What format 1 left on disk: a pickled pygtrie and a manifest without a layout.
    (tmp_path / "trie.pkl").write_bytes(b"pickled pygtrie")
    (tmp_path / "manifest.json").write_text(json.dumps({"format": 1, "sha256": "0" * 64}))
    with pytest.raises(ArtifactMissing, match=f"format 1, expected {FORMAT_VERSION}.*kgservice index build"):
        SkillTrie.load(tmp_path)


def test_trie_tagger_save_replaces_old_format(tmp_path):
    (tmp_path / "trie.pkl").write_bytes(b"pickled pygtrie")
    build_trie(SKILLS).save(tmp_path)
    assert not (tmp_path / "trie.pkl").exists()
    assert SkillTrie.load(tmp_path).manifest["format"] == FORMAT_VERSION


def test_trie_tagger_generic_word_said_only_by_an_alias_needs_a_skills_list(tmp_path):
    skills = [SkillText("g:pack", "packaging engineering", ("engineering",), "g"),
              SkillText("g:soft", "software engineering", (), "g"),
              SkillText("g:civ", "civil engineering", (), "g"),
              SkillText("g:py", "Python", (), "g")]
    trie = build_trie(skills, generic_df=3)
    assert "engineer" in trie.generic
    tagger = TrieTagger(trie)
    assert tag(tagger, "Senior Engineer, Python team") == [("Python", "g:py")]
    assert tag(tagger, "Engineering", "skills") == [("Engineering", "g:pack")]


NAMED = [
    SkillText("esco:python", "Python (computer programming)", (), "esco"),
    SkillText("esco:sap", "SAP R3", ("SAP",), "esco"),
    SkillText("esco:css", "CSS", (), "esco"),
    SkillText("esco:marketing", "marketing", (), "esco"),
    SkillText("esco:art", "art history", ("art",), "esco"),
    SkillText("lc:js", "JavaScript", (), "lightcast"),
    SkillText("lc:cpp", "C++", (), "lightcast"),
    SkillText("lc:planning", "Planning", (), "lightcast"),
    SkillText("lc:marketing", "Marketing", (), "lightcast"),
]


@pytest.mark.parametrize(("language", "expected"), [
    # English text: every label, as before.
    ("en", {"esco:python", "esco:sap", "esco:css", "lc:js", "lc:cpp", "esco:marketing", "lc:marketing", "lc:planning"}),
    (None, {"esco:python", "esco:sap", "esco:css", "lc:js", "lc:cpp", "esco:marketing", "lc:marketing", "lc:planning"}),
    # Other languages: only names ("Marketing" is a German word too, but the label is English text).
    ("de", {"esco:python", "esco:sap", "esco:css", "lc:js", "lc:cpp"}),
])
def test_trie_tagger_other_languages_keep_only_names(tmp_path, language, expected):
    build_trie(NAMED).save(tmp_path)
    tagger = TrieTagger(SkillTrie.load(tmp_path))
    text = "Python, SAP, CSS, JavaScript und C++; Marketing und Planning."
    doc = Document(text, Domain.JOB, sections=(Section("qualifications", 0, len(text)),), language=language)
    assert {s.skill_id for s in tagger(doc).spans["trie_tagger"]} == expected
