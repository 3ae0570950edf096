from __future__ import annotations

import pytest

from kgservice.text_normalizer import label_key, label_keys, normalize_token, tokenize


@pytest.mark.parametrize(
    ("label", "key"),
    [
        ("C++", ("c++",)),
        ("C#", ("c#",)),
        (".NET", (".net",)),
        ("Node.js", ("node.js",)),
        ("ASP.NET developers", ("asp.net", "developer")),
        ("problem-solving", ("problem", "solv")),
        ("Problem solving", ("problem", "solv")),
        ("managing databases", ("manag", "databas")),
        ("manage database", ("manag", "databas")),
        ("Programming", ("program",)),
        ("program", ("program",)),
        ("technologies", ("technology",)),
        ("AWS", ("aws",)),
        ("Kubernetes", ("kubernetes",)),
        ("Analysis", ("analysis",)),
        ("Café management", ("cafe", "management")),
    ],
)
def test_text_normalizer_keys(label: str, key: tuple[str, ...]) -> None:
    assert label_key(label) == key


def test_text_normalizer_offsets_point_into_the_original_text() -> None:
    text = "We use C++, C# and .NET; Node.js is a plus. Équipe!"
    for token in tokenize(text):
        assert text[token.start : token.end] == token.raw
    assert [t.raw for t in tokenize(text)][:5] == ["We", "use", "C++", "C#", "and"]
    assert ".NET" in [t.raw for t in tokenize(text)]


def test_text_normalizer_sentence_final_dot_is_not_part_of_a_token() -> None:
    assert [t.raw for t in tokenize("We need Python.")] == ["We", "need", "Python"]


def test_text_normalizer_label_keys_drop_qualifier() -> None:
    assert label_keys("Python (computer programming)") == {("python", "computer", "program"), ("python",)}
    assert label_keys("Haskell") == {("haskell",)}


def test_text_normalizer_short_tokens_are_not_stemmed() -> None:
    assert normalize_token("Go") == "go"
    assert normalize_token("R") == "r"
    assert normalize_token("ios") == "ios"
