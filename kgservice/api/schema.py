"""The GraphQL schema: Query and Mutation merged from the resolver modules, plus request limits.

``strawberry export-schema kgservice.api.schema:schema`` writes the SDL checked in as
``kgservice/schema/kgservice.graphql``; ``tests/api`` fails when the two differ.
"""

from __future__ import annotations

from collections.abc import Iterator

import strawberry
from graphql import GraphQLError
from strawberry.extensions import MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter, SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from kgservice.api.limits import MAX_ALIASES, MAX_QUERY_DEPTH, MAX_TOKENS
from kgservice.api.resolvers.entities import EntityMutation, EntityQuery
from kgservice.api.resolvers.extraction import ExtractionQuery
from kgservice.api.resolvers.matching import MatchQuery
from kgservice.api.resolvers.occupations import OccupationQuery
from kgservice.api.resolvers.recommendations import FlagMutation, RecommendationQuery
from kgservice.api.resolvers.skills import SkillQuery
from kgservice.api.types.enums import SCALARS
from kgservice.errors import ArtifactMissing, GraphUnavailable, InvalidInput, KgServiceError

# Errors raised on purpose: the code, and what the client reads (None: the error's own message, which is
# about the client's input). The others' messages name URIs, files and driver errors: the log has them.
_CODES: tuple[tuple[type[Exception], str, str | None], ...] = (
    (InvalidInput, "BAD_USER_INPUT", None),
    (GraphUnavailable, "GRAPH_UNAVAILABLE", "the graph database does not answer; try again later"),
    (ArtifactMissing, "NOT_READY", "the extraction pipeline is not ready; the server log says why"),
    (KgServiceError, "SERVICE_ERROR", "the service failed; the server log has the details"))


class ErrorPolicy(SchemaExtension):
    """Gives every error an ``extensions.code`` and masks unexpected ones (no stack traces to clients).

    Errors of the request itself are the client's: a document that does not parse gets
    ``GRAPHQL_PARSE_FAILED``, one that breaks the schema's rules (unknown fields, depth, tokens)
    ``GRAPHQL_VALIDATION_FAILED``, a variable or argument the schema cannot coerce (a missing or mistyped
    variable, NaN, a Long out of range) ``BAD_USER_INPUT``, each with its message. In resolvers, errors
    raised on purpose get their code (``_CODES``); the client reads the message of input errors and a
    fixed sentence for the others, whose messages (URIs, files, driver errors) go to the log; anything
    else becomes "Internal error" with ``INTERNAL_SERVER_ERROR`` and is logged in full.
    """

    def on_operation(self) -> Iterator[None]:
        yield
        ec = self.execution_context
        result = ec.result
        errors = list(getattr(result, "errors", None) or [])
        if errors:
            parsed = ec.graphql_document is not None
            result.errors = [self._classify(e, parsed) for e in errors]  # type: ignore[union-attr]
        request = getattr(ec.context, "request", None)
        if request is not None:  # for the access log and /metrics
            try:
                op_type = ec.operation_type.value
            except Exception:  # the document did not parse
                op_type = "invalid"
            request.state.graphql = {"operation": ec.operation_name, "type": op_type, "errors": len(errors)}

    @staticmethod
    def _classify(error: GraphQLError, parsed: bool = True) -> GraphQLError:
        import logging

        original = error.original_error
        message = error.message
        if isinstance(original, GraphQLError) and original.extensions and "code" in original.extensions:
            code = original.extensions["code"]
        elif not parsed:
            code = "GRAPHQL_PARSE_FAILED"
        elif error.path is None:  # before execution: validation, or coercing the variables and arguments
            code = (error.extensions or {}).get("code") or (
                "GRAPHQL_VALIDATION_FAILED" if original is None else "BAD_USER_INPUT")
        elif isinstance(original, GraphQLError):
            code = "BAD_USER_INPUT"
        else:
            log = logging.getLogger("kgservice.api")
            code, shown = next(((c, m) for t, c, m in _CODES if isinstance(original, t)), (None, None))
            if code is None:
                log.error("unexpected error in %s", error.path, exc_info=original)
                code, message = "INTERNAL_SERVER_ERROR", "Internal error; the server log has the details"
            elif shown is not None:
                log.warning("%s in %s: %s", code, error.path, message)
                message = shown
        return GraphQLError(message, nodes=error.nodes, source=error.source, positions=error.positions,
                            path=error.path, original_error=None, extensions={**(error.extensions or {}), "code": code})


Query = merge_types("Query", (SkillQuery, ExtractionQuery, EntityQuery, MatchQuery, OccupationQuery,
                              RecommendationQuery))
Mutation = merge_types("Mutation", (EntityMutation, FlagMutation))


class KgSchema(strawberry.Schema):
    """Logs expected errors (bad input, unknown ids) as one line each; ErrorPolicy logs unexpected ones in full."""

    def process_errors(self, errors: list[GraphQLError], execution_context: object = None) -> None:
        import logging

        log = logging.getLogger("kgservice.api")
        for e in errors:
            log.info("graphql error: %s", e.message, extra={"fields": {
                "event": "graphql_error", "path": e.path, "code": (e.extensions or {}).get("code")}})


def build_schema() -> strawberry.Schema:
    return KgSchema(query=Query, mutation=Mutation, config=StrawberryConfig(scalar_map=SCALARS), extensions=[
        lambda: QueryDepthLimiter(max_depth=MAX_QUERY_DEPTH), lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES), ErrorPolicy])


schema = build_schema()


if __name__ == "__main__":  # python -m kgservice.api.schema > kgservice/schema/kgservice.graphql
    print(schema.as_str())
