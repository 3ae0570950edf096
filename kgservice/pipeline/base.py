"""The interface every pipeline stage implements."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Protocol, runtime_checkable

from kgservice.document import Document


@runtime_checkable
class Stage(Protocol):
    """A pipeline step: reads what ``requires`` names on a document, adds what ``assigns`` names.

    ``requires``/``assigns`` are strings such as ``"sections"`` or ``"spans.trie_tagger"``; the
    pipeline refuses to assemble when a stage's requirement is not assigned by an earlier stage.
    """

    name: str
    requires: frozenset[str]
    assigns: frozenset[str]

    def __call__(self, doc: Document) -> Document: ...

    def pipe(self, docs: Iterable[Document], batch_size: int = 32) -> Iterator[Document]: ...


class StageBase:
    """Default ``pipe`` for stages with no batching advantage."""

    name: str = "stage"
    requires: frozenset[str] = frozenset()
    assigns: frozenset[str] = frozenset()

    def __call__(self, doc: Document) -> Document:  # pragma: no cover - abstract
        raise NotImplementedError

    def pipe(self, docs: Iterable[Document], batch_size: int = 32) -> Iterator[Document]:
        for doc in docs:
            yield self(doc)


def batches(docs: Iterable[Document], size: int) -> Iterator[list[Document]]:
    """``docs`` in lists of ``size`` (at least 1), the last one shorter: how batching stages pull their input."""
    it = iter(docs)
    while batch := list(islice(it, max(1, size))):
        yield batch
