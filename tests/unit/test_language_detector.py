"""Language detection: the translated check set, English kept for short or mixed text."""

from __future__ import annotations

import json

import pytest

from kgservice.document import Document, Domain
from kgservice.evaluation import TRANSLATED_CHECK_SET
from kgservice.pipeline.language_detector import LANGUAGES, LanguageDetector, detect_language

ROWS = [json.loads(line) for line in TRANSLATED_CHECK_SET.read_text(encoding="utf-8").splitlines()]


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
