"""Splits a document into typed sections ("qualifications", "benefits", ...).

The scorer weighs a skill by where it appears: "Python" under *Requirements* says far more about a
posting than "Python" in the company blurb. Two mechanisms decide the sections:

1. **Header rules** (:mod:`kgservice.pipeline.section_headers`): a recognized header opens a section
   of its kind (``source="header"``).
2. **Classifier fallback** (:mod:`kgservice.pipeline.section_classifier`): header-less text is labelled
   block by block; runs of one kind become one section (``source="classifier"``).

Sections always tile the text: every character belongs to exactly one section. Empty text gets no
sections (``()``); there is nothing to tile.
"""

from __future__ import annotations

import dataclasses

from kgservice.document import Document, Domain, Section
from kgservice.pipeline.base import StageBase
from kgservice.pipeline.section_classifier import block_features, load_model, text_blocks
from kgservice.pipeline.section_headers import BLANK_LINE, HEADER_PHRASES, KINDS, SECTION_WEIGHTS, find_headers, section_weight

__all__ = ["KINDS", "SECTION_WEIGHTS", "Sectioner", "section_weight"]

# ---------------------------------------------------------------------------------------------
# The stage


class Sectioner(StageBase):
    """Splits ``doc.text`` into kind-labelled sections that tile it.

    Requires: nothing.
    Assigns: ``sections``.

    Args:
        use_headers: Apply the header rules (off only for benchmarking the classifier alone).
        use_classifier: Label header-less text with the classifier; when off such text is "other".
        model_path: A model file other than the committed one.
    """

    name = "sectioner"
    requires: frozenset[str] = frozenset()
    assigns: frozenset[str] = frozenset({"sections"})

    def __init__(self, use_headers: bool = True, use_classifier: bool = True, model_path: str | None = None):
        self.use_headers = use_headers
        self.use_classifier = use_classifier
        self.model_path = model_path

    def __call__(self, doc: Document) -> Document:
        return dataclasses.replace(doc, sections=self.predict(doc.text, doc.domain))

    def predict(self, text: str, domain: Domain) -> tuple[Section, ...]:
        """Computes the sections of ``text`` without touching a document.

        Args:
            text: The document text.
            domain: Decides the kinds and the header synonyms.

        Returns:
            Sections in order, tiling ``text``; ``()`` when ``text`` is empty.
        """
        if not text:
            return ()
        domain = Domain(domain)
        if domain is Domain.POST or domain not in HEADER_PHRASES:
            return (Section(KINDS.get(domain, ("other",))[0], 0, len(text), None, "whole"),)
        headers = find_headers(text, domain) if self.use_headers else ()
        # Regions: (start, end, kind or None for the classifier, header span).
        regions: list[tuple[int, int, str | None, tuple[int, int] | None]] = []
        first = headers[0].line_start if headers else len(text)
        if first > 0:
            regions.append((0, first, None, None))
        for i, h in enumerate(headers):
            end = headers[i + 1].line_start if i + 1 < len(headers) else len(text)
            if h.inline:
                gap = BLANK_LINE.search(text, h.span[1], end)
                if gap and text[gap.end() : end].strip():
                    regions.append((h.line_start, gap.end(), h.kind, h.span))
                    regions.append((gap.end(), end, None, None))
                    continue
            regions.append((h.line_start, end, h.kind if h.recognized else None, h.span))
        sections: list[Section] = []
        for start, end, kind, header in regions:
            if kind is not None:
                sections.append(Section(kind, start, end, header, "header"))
            else:
                sections.extend(self._classify(text, start, end, domain, header))
        return tuple(sections)

    def _classify(
        self, text: str, start: int, end: int, domain: Domain, header: tuple[int, int] | None
    ) -> list[Section]:
        if not self.use_classifier:
            return [Section("other", start, end, header, "header" if header else "whole")]
        model = load_model(self.model_path)[domain]
        spans = text_blocks(text, start, end)
        if header is not None and len(spans) > 1:
            # An unknown header says little on its own; judge it together with what it opens.
            spans[:2] = [(spans[0][0], spans[1][1])]
        total = max(len(text), 1)
        kinds = model.decode([block_features(text[a:b], a / total) for a, b in spans])
        out: list[Section] = []
        for (a, b), kind in zip(spans, kinds):
            if out and out[-1].kind == kind:
                out[-1] = dataclasses.replace(out[-1], end=b)
            else:
                out.append(Section(kind, a, b, None, "classifier"))
        if header is not None and out:
            out[0] = dataclasses.replace(out[0], header=header)
        return out
