"""Graph.write runs each statement as one auto-commit transaction on the real Neo4j."""

from __future__ import annotations

import pytest
from neo4j.exceptions import ClientError

from kgservice.graph.driver import Graph

LABEL = "GraphWriteProbe"


@pytest.fixture()
def clean(graph: Graph):
    graph.write(f"MATCH (n:{LABEL}) DELETE n")
    yield graph
    graph.write(f"MATCH (n:{LABEL}) DELETE n")


def count(graph: Graph) -> int:
    return graph.write(f"MATCH (n:{LABEL}) RETURN count(n) AS n")[0]["n"]


def test_write_is_an_auto_commit_transaction(clean: Graph) -> None:
    # Neo4j accepts CALL { } IN TRANSACTIONS only in an implicit (auto-commit) transaction; inside
    # BEGIN ... COMMIT it is refused.
    rows = clean.write(f"UNWIND range(1, 10) AS i CALL (i) {{ CREATE (:{LABEL} {{i: i}}) }} IN TRANSACTIONS OF 3 ROWS "
                       "RETURN count(*) AS created")
    assert rows == [{"created": 10}]
    assert count(clean) == 10


def test_a_failing_statement_writes_nothing(clean: Graph) -> None:
    with pytest.raises(ClientError):
        clean.write(f"UNWIND [1, 2, 0] AS x CREATE (:{LABEL} {{v: 10 / x}})")
    assert count(clean) == 0
    assert clean.write(f"CREATE (:{LABEL} {{v: 1}}) RETURN 1 AS ok") == [{"ok": 1}]
    assert count(clean) == 1
