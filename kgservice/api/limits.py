"""Input limits of the GraphQL API and the errors that name them.

Errors carry ``extensions.code``: ``BAD_USER_INPUT`` (a limit or a malformed value), ``NOT_FOUND``
(an unknown id: the field is null and the error says which id), ``GRAPH_UNAVAILABLE`` (Neo4j does
not answer), ``NOT_READY`` (the pipeline could not be built).
"""

from __future__ import annotations

from collections.abc import Sequence

from graphql import GraphQLError

# The document checks the API shares with the stream and the batch job (they raise InvalidInput, which
# the schema's ErrorPolicy answers as BAD_USER_INPUT with the same message).
from kgservice.input_validation import MAX_ID_CHARS, MAX_TITLE_CHARS, check_id, check_text, check_title  # noqa: F401

MAX_FIRST = 100
MAX_DEPTH = 3
MAX_IDS = 100
MAX_SEARCH_CHARS = 200
# GraphQL document limits (schema extensions).
MAX_QUERY_DEPTH = 8
MAX_TOKENS = 2000
MAX_ALIASES = 20
# HTTP body limit: the pipeline's text limit plus room for the query and JSON escaping.
BODY_OVERHEAD_BYTES = 64 * 1024


def error(message: str, code: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": code})


def bad_input(message: str) -> GraphQLError:
    return error(message, "BAD_USER_INPUT")


def not_found(message: str) -> GraphQLError:
    return error(message, "NOT_FOUND")


def check_first(first: int, name: str = "first", maximum: int = MAX_FIRST) -> int:
    if first < 1 or first > maximum:
        raise bad_input(f"`{name}` must be between 1 and {maximum}, got {first}")
    return first


def check_depth(depth: int) -> int:
    if depth < 1 or depth > MAX_DEPTH:
        raise bad_input(f"`depth` must be between 1 and {MAX_DEPTH}, got {depth}")
    return depth


def check_ids(ids: Sequence[str], name: str = "ids") -> list[str]:
    if not ids:
        raise bad_input(f"`{name}` is empty")
    if len(ids) > MAX_IDS:
        raise bad_input(f"`{name}` has {len(ids)} ids; the limit is {MAX_IDS}")
    for i in ids:
        check_id(i, name)
    return list(dict.fromkeys(ids))
