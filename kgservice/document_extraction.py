"""The one extraction step every writer shares: checked input -> Document -> pipeline -> DocumentWrite.

The API's ``upsertDocument``, the nearline worker (in process or in its extraction children) and the
Spark job all turn documents into graph writes the same way, so they write the same edges for the same
input. Input is checked once, where it arrives (:meth:`CheckedInput.check`, the stream's
``Edit.from_fields``); this step trusts it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from kgservice.document import Document, Domain
from kgservice.graph.document_writer import DocumentWrite
from kgservice.input_validation import check_document

if TYPE_CHECKING:
    from kgservice.pipeline.build import Pipeline


class DocumentInput(Protocol):
    """What a writer knows about one document: a checked :class:`CheckedInput`, or a stream ``Edit``."""

    @property
    def kind(self) -> Domain: ...

    @property
    def id(self) -> str: ...

    @property
    def text(self) -> str: ...

    @property
    def title(self) -> str | None: ...

    @property
    def version(self) -> int: ...

    @property
    def updated_at(self) -> int | None: ...


@dataclass(frozen=True, slots=True)
class CheckedInput:
    """One document to extract and write, its fields checked (:func:`kgservice.input_validation.check_document`)."""

    kind: Domain
    id: str
    text: str
    title: str | None
    version: int
    updated_at: int | None = None

    @classmethod
    def check(cls, kind: object, doc_id: object, text: object, title: object, version: object, *, max_chars: int,
              updated_at: object = None) -> CheckedInput:
        """Raises:
            InvalidInput: A field a write can never accept, with the reason a client can act on.
        """
        check_document(kind, doc_id, text, title, version, max_chars=max_chars, updated_at=updated_at)
        return cls(Domain(kind), str(doc_id), str(text), None if title is None else str(title), int(version),  # type: ignore[arg-type]
                   None if updated_at is None else int(updated_at))  # type: ignore[arg-type]


def extract_writes(pipeline: Pipeline, inputs: Sequence[DocumentInput], *, with_expansion: bool = False,
                   batch_size: int = 32) -> list[DocumentWrite]:
    """Run ``pipeline`` over ``inputs`` (in batches of ``batch_size``) and return their writes, in order."""
    docs = [Document(text=i.text, domain=i.kind, title=i.title, id=i.id, model_version=pipeline.model_version)
            for i in inputs]
    return [DocumentWrite.from_document(doc, i.version, with_expansion=with_expansion, updated_at=i.updated_at)
            for doc, i in zip(pipeline.pipe(docs, batch_size=batch_size), inputs, strict=True)]
