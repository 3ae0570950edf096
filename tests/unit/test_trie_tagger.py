"""The trie tagger on a small in-memory taxonomy: longest match, offsets, ambiguous short labels."""

from __future__ import annotations

import pytest

from kgservice.document import Document, Domain, Section
from kgservice.pipeline.trie_tagger import SkillText, SkillTrie, TrieTagger

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
    SkillTrie.build(SKILLS).save(directory)
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


def test_trie_tagger_load_rejects_tampered_file(tmp_path):
    SkillTrie.build(SKILLS).save(tmp_path)
    (tmp_path / "trie.pkl").write_bytes(b"tampered")
    from kgservice.errors import ArtifactMissing

    with pytest.raises(ArtifactMissing, match="does not match"):
        SkillTrie.load(tmp_path)


def test_trie_tagger_generic_word_said_only_by_an_alias_needs_a_skills_list(tmp_path):
    skills = [SkillText("g:pack", "packaging engineering", ("engineering",), "g"),
              SkillText("g:soft", "software engineering", (), "g"),
              SkillText("g:civ", "civil engineering", (), "g"),
              SkillText("g:py", "Python", (), "g")]
    trie = SkillTrie.build(skills, generic_df=3)
    assert "engineer" in trie.generic
    tagger = TrieTagger(trie)
    assert tag(tagger, "Senior Engineer, Python team") == [("Python", "g:py")]
    assert tag(tagger, "Engineering", "skills") == [("Engineering", "g:pack")]
