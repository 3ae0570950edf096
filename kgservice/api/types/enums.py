"""GraphQL enums: the pipeline's own (document kinds, relations, methods) and the graph's string values."""

from __future__ import annotations

from enum import Enum
from typing import NewType

import strawberry

from kgservice.document import Domain, Method, Relation


# The pipeline's own enums, exposed as they are: one definition of each value set.
DocumentKind = strawberry.enum(Domain, name="DocumentKind", description="Kind of document skills are extracted from.")
SkillRelation = strawberry.enum(Relation, name="SkillRelation", description="How a skill relates to a document.")
ExtractionMethod = strawberry.enum(Method, name="ExtractionMethod", description="Which stage found an extracted skill.")


@strawberry.enum(description="Taxonomy relation used to expand skills.")
class GraphRelation(Enum):
    PARENT = "parent"
    CHILD = "child"
    SIBLING = "sibling"
    SAME_GROUP = "same_group"
    SAME_AS = "same_as"
    RELATED = "related"


@strawberry.enum(description="How a search hit matched.")
class SearchMethod(Enum):
    FULLTEXT = "fulltext"
    SEMANTIC = "semantic"
    BOTH = "both"


@strawberry.enum(description="A person's feedback on a document's skill.")
class FeedbackAction(Enum):
    ACCEPT = "accept"
    REMOVE = "remove"
    ADD = "add"
    NOT_RELEVANT = "not_relevant"


@strawberry.enum(description="How a held skill covers a wanted one.")
class MatchRelation(Enum):
    EXACT = "exact"
    SAME_AS = "same_as"
    PARENT = "parent"
    CHILD = "child"
    SIBLING = "sibling"
    RELATED = "related"
    SAME_GROUP = "same_group"


# A 64-bit integer (epoch milliseconds, versions), which GraphQL's 32-bit Int cannot hold; mapped to the
# "Long" scalar by ``SCALARS`` in the schema config.
Long = NewType("Long", int)
LONG_MIN, LONG_MAX = -(2**63), 2**63 - 1


def parse_long(value: object) -> int:
    """An integer in 64 bits, or a string of one (JavaScript clients send big numbers as strings). The
    ValueError reaches the client as a BAD_USER_INPUT error on the variable or argument."""
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"a Long is an integer, got {value!r}")
    if not LONG_MIN <= value <= LONG_MAX:
        raise ValueError(f"{value} does not fit in a 64-bit Long")
    return value


SCALARS = {Long: strawberry.scalar(name="Long", serialize=int, parse_value=parse_long,
                                   description="A 64-bit integer, e.g. epoch milliseconds.")}
