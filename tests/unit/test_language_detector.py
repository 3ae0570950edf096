"""Language detection: the translated check set, English kept for short or mixed text."""

from __future__ import annotations

import json

import pytest

from kgservice.document import Document, Domain
from kgservice.evaluation import TRANSLATED_CHECK_SETS
from kgservice.pipeline.language_detector import LANGUAGES, LanguageDetector, detect_language
from kgservice.settings import VENDORED_DATA

# the check sets and the parallel text the multilingual map is fitted on
FILES = (*TRANSLATED_CHECK_SETS, VENDORED_DATA / "skillskape" / "train_translated.jsonl")
ROWS = [json.loads(line) for path in FILES for line in path.read_text(encoding="utf-8").splitlines()]


def test_translated_sets_hold_every_language_for_every_sentence():
    assert len(ROWS) == 60 + 100 + 300
    assert all(str(row[lang]).strip() and row[lang] != row["en"] for row in ROWS for lang in LANGUAGES[1:])
    check = {row["index"] for path in TRANSLATED_CHECK_SETS for row in map(json.loads, path.read_text().splitlines())}
    assert len(check) == 160  # no sentence twice across the check sets


@pytest.mark.parametrize("lang", LANGUAGES)
def test_language_detector_reads_every_translated_sentence(lang):
    wrong = [row[lang] for row in ROWS if detect_language(row[lang])[0] != lang]
    assert not wrong


@pytest.mark.parametrize("text", ["AWS, Docker, Kubernetes", "java spring java-ee", "Financial Services", "12/2024",
                                  "Kubernetes experience", ""])
def test_language_detector_keeps_short_or_mixed_text_english(text):
    assert detect_language(text)[0] == "en"


@pytest.mark.parametrize(("text", "lang"), [
    ("Ihre Aufgaben\n- Entwicklung von Webanwendungen mit Python\n- Betreuung unserer Kunden", "de"),
    ("Vos missions : concevoir des tableaux de bord et analyser les données de vente.", "fr"),
    ("Buscamos un desarrollador con experiencia en bases de datos relacionales.", "es"),
    ("Wij zoeken een ervaren verpleegkundige voor onze afdeling.", "nl"),
    ("Procuramos um analista com experiência em gestão de projetos.", "pt"),
])
def test_language_detector_sets_document_language(text, lang):
    assert LanguageDetector()(Document(text, Domain.JOB)).language == lang
