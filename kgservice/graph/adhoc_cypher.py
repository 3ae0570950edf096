"""What ad-hoc Cypher (``kgservice cypher``) may do besides reading the graph: nothing.

A read-only transaction stops writes, not reads of the world outside the graph: ``LOAD CSV`` reads
files on the database server and fetches URLs, and procedures or functions (APOC's, on an external
server) do the same. The project-started server refuses LOAD CSV from files and to any address in
its own settings (``kgservice/neo4j_launcher/Launcher.java``); an external server may not, so every ad-hoc query and
named taxonomist query is checked here first, by its tokens (strings, comments and quoted names are
skipped, so a skill called "LOAD CSV" is fine):

- ``LOAD CSV`` is refused;
- ``CALL name`` runs only the procedures in :data:`PROCEDURES` (``CALL (x) { ... }`` subqueries are fine);
- a namespaced function ``ns.fn(...)`` must belong to one of Cypher's built-in namespaces
  (:data:`FUNCTION_NAMESPACES`); user-defined functions are always namespaced, built-ins mostly not.
"""

from __future__ import annotations

import re

from kgservice.errors import InvalidInput

# Schema and index look-ups the taxonomist's queries and a person exploring the graph need.
PROCEDURES = frozenset({
    "db.labels", "db.relationshipTypes", "db.propertyKeys",
    "db.index.fulltext.queryNodes", "db.index.fulltext.queryRelationships", "db.index.vector.queryNodes",
    "db.schema.visualization", "db.schema.nodeTypeProperties", "db.schema.relTypeProperties",
    "dbms.components",
})
FUNCTION_NAMESPACES = frozenset({
    "date", "datetime", "localdatetime", "localtime", "time", "duration", "point", "vector", "db",
})

_TOKEN = re.compile(r"""
    (?P<skip> \s+ | //[^\n]* | /\*.*?\*/ | '(?:[^'\\]|\\.)*' | "(?:[^"\\]|\\.)*" )
  | (?P<name> [A-Za-z_][A-Za-z0-9_$]* | `(?:[^`]|``)*` )
  | (?P<other> . )
""", re.VERBOSE | re.DOTALL)


def _tokens(text: str) -> list[tuple[str, str]]:
    """(kind, value): kind "word" (an unquoted name or keyword), "quoted" (a `backticked` name) or the
    punctuation itself; strings and comments left out."""
    out: list[tuple[str, str]] = []
    for m in _TOKEN.finditer(text):
        if m.lastgroup == "name":
            value = m.group("name")
            out.append(("quoted", value[1:-1].replace("``", "`")) if value.startswith("`") else ("word", value))
        elif m.lastgroup == "other":
            out.append((m.group("other"), m.group("other")))
    return out


def _dotted_name(tokens: list[tuple[str, str]], i: int) -> tuple[str, int]:
    """The name ``a.b.c`` starting at ``tokens[i]``, and the index after it."""
    parts = []
    while i < len(tokens) and tokens[i][0] in ("word", "quoted"):
        parts.append(tokens[i][1])
        if i + 1 < len(tokens) and tokens[i + 1][0] == "." and i + 2 < len(tokens):
            i += 2
        else:
            i += 1
            break
    return ".".join(parts), i


def check_adhoc_cypher(text: str) -> None:
    """Raise :class:`InvalidInput` naming the first construct that could read outside the graph."""
    tokens = _tokens(text)
    i = 0
    while i < len(tokens):
        kind, value = tokens[i]
        upper = value.upper() if kind == "word" else ""
        following = tokens[i + 1] if i + 1 < len(tokens) else ("", "")
        if upper == "LOAD" and following[0] == "word" and following[1].upper() == "CSV":
            raise InvalidInput("LOAD CSV is not allowed in ad-hoc Cypher: it reads files of the database server and "
                               "fetches URLs. Load data with `kgservice load`.")
        if upper == "CALL" and following[0] in ("word", "quoted"):
            name, _ = _dotted_name(tokens, i + 1)
            if name not in PROCEDURES:
                raise InvalidInput(f"procedure {name} is not allowed in ad-hoc Cypher; allowed: "
                                   f"{', '.join(sorted(PROCEDURES))}")
        if kind in ("word", "quoted") and following[0] == "." and (i == 0 or tokens[i - 1][0] != "."):
            name, after = _dotted_name(tokens, i)
            if after < len(tokens) and tokens[after][0] == "(" and (i == 0 or tokens[i - 1][1].upper() != "CALL"):
                namespace = name.rsplit(".", 1)[0]
                if namespace.split(".")[0] not in FUNCTION_NAMESPACES:
                    raise InvalidInput(f"function {name} is not allowed in ad-hoc Cypher: only Cypher's built-in "
                                       f"functions are")
            i = after
            continue
        i += 1
