"""extractSkills: the pipeline on a text, without writing anything."""

from __future__ import annotations

import strawberry

from kgservice.api.context import Context
from kgservice.api.types.documents import Extraction
from kgservice.api.types.enums import DocumentKind
from kgservice.pipeline.build import make_document


@strawberry.type
class ExtractionQuery:
    @strawberry.field(description="Sections, skills with spans, scores, relations and methods, and the model version.")
    async def extract_skills(self, info: strawberry.Info[Context], text: str,
                             domain: DocumentKind = DocumentKind.JOB, title: str | None = None) -> Extraction:
        ctx = info.context
        state = await ctx.services.pipeline()
        pipeline = state.pipeline
        doc = make_document(text, domain.value, title, None, ctx.settings.pipeline.max_chars, pipeline.model_version)
        doc = await ctx.run(pipeline, doc)
        return Extraction.from_document(doc, [state.semantic_note] if state.semantic_note else [])
