"""Decides each document's language, so the stages after it treat non-English text as such.

Requires: nothing. Assigns: ``language``.

The model is py3langid's (langid.py's naive Bayes over byte n-grams, 4.6 MB, shipped in its PyPI
wheel, numpy only), restricted to :data:`LANGUAGES`. A document is English unless the model gives
another language at least :data:`MIN_PROBABILITY`: on the 178 English development sentences the five
it misreads ("java spring java-ee", "Financial Services") all score under 0.5, and the 300 translated
sentences of ``skillskape/dev_translated.jsonl`` all score 0.99 or more. So short or mixed text (a
list of tool names) stays on the English path, which is unchanged. About 0.6 ms a sentence.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterable, Iterator

from kgservice.document import Document
from kgservice.pipeline.base import StageBase

ENGLISH = "en"
LANGUAGES = (ENGLISH, "de", "fr", "es", "nl", "pt")
MIN_PROBABILITY = 0.9
# The model reads bytes; past this many characters a posting's language is settled.
MAX_CHARS = 1_000

_lock = threading.Lock()
_identifier = None


def _model():  # noqa: ANN202 - py3langid's LanguageIdentifier, imported lazily
    global _identifier
    with _lock:
        if _identifier is None:
            try:
                from py3langid.langid import _load_identifier
            except ImportError as exc:  # pragma: no cover - a core dependency
                raise ImportError("language detection needs py3langid: pip install py3langid") from exc
            _identifier = _load_identifier(norm_probs=True, langs=list(LANGUAGES))
        return _identifier


def detect_language(text: str) -> tuple[str, float]:
    """``(code, probability)`` of ``text`` among :data:`LANGUAGES`, English when unsure
    (probability below :data:`MIN_PROBABILITY`) or when the text has no letters."""
    if not any(c.isalpha() for c in text):
        return ENGLISH, 0.0
    code, prob = _model().classify(text[:MAX_CHARS])
    if code != ENGLISH and prob < MIN_PROBABILITY:
        return ENGLISH, float(prob)
    return str(code), float(prob)


class LanguageDetector(StageBase):
    """Sets ``Document.language`` (ISO 639-1) from the text.

    Requires: nothing. Assigns: ``language``.
    """

    name = "language_detector"
    requires: frozenset[str] = frozenset()
    assigns: frozenset[str] = frozenset({"language"})

    def __call__(self, doc: Document) -> Document:
        return dataclasses.replace(doc, language=detect_language(doc.text)[0])

    def pipe(self, docs: Iterable[Document], batch_size: int = 32) -> Iterator[Document]:
        return (self(d) for d in docs)
