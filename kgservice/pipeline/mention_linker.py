"""Links each detected mention to the skills it means, by embedding the mention alone.

Requires: ``mentions``. Assigns: ``spans.mention_linker``.

The semantic tagger embeds whole sentences (and their token windows); a sentence that names
several skills pools them. A mention ("REST APIs", "managing budgets", "changed dressings") is one
skill's words, so its vector lands near that skill. The linker reuses the semantic tagger's towers,
index and cache (:meth:`EmbeddingTagger.predict`): a mention costs one static-tower look-up and one
index query, and a mention seen before costs neither. Every match at or above ``threshold`` becomes a
``SkillSpan`` on the mention's exact offsets.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from kgservice.document import Document, Method, SkillSpan
from kgservice.pipeline.base import StageBase, batches
from kgservice.pipeline.embedding_tagger import EmbeddingTagger


class MentionLinker(StageBase):
    """Requires: mentions. Assigns: spans.mention_linker.

    Args:
        tagger: The semantic tagger whose encoder, index and cache the linker shares.
        threshold: Minimum cosine of a kept match; defaults to the tagger's.
        top_k: Matches kept per mention.
    """

    name = "mention_linker"
    requires = frozenset({"mentions"})
    assigns = frozenset({"spans.mention_linker"})

    def __init__(self, tagger: EmbeddingTagger, threshold: float | None = None, top_k: int | None = None) -> None:
        self.tagger = tagger
        self.threshold = tagger.threshold if threshold is None else threshold
        self.top_k = tagger.top_k if top_k is None else top_k

    def __call__(self, doc: Document) -> Document:
        return next(self.pipe([doc]))

    def pipe(self, docs: Iterable[Document], batch_size: int = 32) -> Iterator[Document]:
        tagger = self.tagger
        for group in batches(docs, batch_size):
            # A non-English document's mentions go to the tagger's multilingual encoder, as its sentences do.
            foreign = [tagger.foreign(doc) for doc in group]
            english = iter(tagger.predict([m.text for doc, f in zip(group, foreign) if not f for m in doc.mentions]))
            other = iter(tagger.predict_foreign([m.text for doc, f in zip(group, foreign) if f for m in doc.mentions]))
            for doc, f in zip(group, foreign, strict=True):
                matches, cut = (other, tagger.foreign_threshold) if f else (english, self.threshold)
                spans = tuple(SkillSpan(m.start, m.end, m.text, sid, Method.SEMANTIC, score, m.section)
                              for m in doc.mentions for sid, score in next(matches)[: self.top_k]
                              if score >= cut)
                yield doc.with_spans(self.name, spans)
