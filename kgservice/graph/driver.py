"""The one owner of the process's ``neo4j.Driver``.

Neo4j's manual calls a driver "immutable, thread-safe, and expensive to create": one per process,
created at start-up, closed at shutdown, passed to whoever needs it through :class:`Graph`.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator, Sequence
from typing import Any, Self

import neo4j
from neo4j import GraphDatabase, RoutingControl
from neo4j.auth_management import AuthManager, AuthManagers
from neo4j.exceptions import AuthError, ClientError, Neo4jError, ServiceUnavailable, SessionExpired

from kgservice.errors import GraphUnavailable, InvalidInput, KgServiceError
from kgservice.graph.adhoc_cypher import check_adhoc_cypher
from kgservice.graph.cypher import Query, schema_statements, service_queries
from kgservice.retry import Backoff, retrying
from kgservice.secret_files import read_secret
from kgservice.settings import Neo4jSettings, Settings
from kgservice.telemetry.prometheus_metrics import observe_query

_UNAVAILABLE = (ServiceUnavailable, SessionExpired, OSError)
# Write retries (see Graph.write). The driver's own managed retries start at 1 s: right for a server
# that is restarting, but two workers whose transactions deadlock on a popular skill's relationship
# group lose a second each time, when the loser's retry succeeds a few milliseconds later.
FIRST_RETRY_S = 0.005
MAX_RETRY_DELAY_S = 1.0
MAX_RETRY_TIME_S = 30.0
WRITE_RETRY = Backoff(FIRST_RETRY_S, MAX_RETRY_DELAY_S, MAX_RETRY_TIME_S)
# The project-started server's only user (Community has one admin and no roles).
PROJECT_USER = "neo4j"


def write_retryable(exc: BaseException) -> bool:
    """Neo4j calls the failure transient (a deadlock, a leader switch), or the server does not answer."""
    return isinstance(exc, _UNAVAILABLE) or (isinstance(exc, Neo4jError) and exc.is_retryable())


class CredentialsRefused(GraphUnavailable):
    """Neo4j answers but refuses the credentials."""


def _auth(cfg: Neo4jSettings) -> tuple[str, str] | AuthManager | None:
    """NEO4J_USER / NEO4J_PASSWORD for an external server; the generated password for the project-started one.

    The password file is read when the driver first connects (and again if the server refuses the
    password), not here: a service may start before the server's first start has written it.
    """
    if cfg.external:
        return (cfg.user, cfg.password.get_secret_value()) if cfg.password is not None else None
    path = cfg.password_file
    if path is None:
        raise KgServiceError("Neo4jSettings built outside Settings has no password_file; build Settings()")

    def provide() -> neo4j.Auth:
        try:
            return neo4j.basic_auth(PROJECT_USER, read_secret(path))
        except KgServiceError as exc:
            raise GraphUnavailable(f"{exc} (start it with `kgservice neo4j start`)") from exc

    return AuthManagers.basic(provide)


def accepts_any_credentials(uri: str) -> bool:
    """Whether the server at ``uri`` lets a made-up user in, i.e. runs with auth off."""
    probe = ("kgservice-auth-probe", secrets.token_urlsafe(16))
    with GraphDatabase.driver(uri, auth=probe, connection_timeout=5.0, notifications_min_severity="OFF") as driver:
        try:
            driver.verify_connectivity()
        except AuthError:
            return False
    return True


class Graph:
    """A driver plus the database name and the named queries.

    Every read goes with ``routing_=READ`` so clusters can serve it from followers.
    """

    def __init__(self, driver: neo4j.Driver, database: str, uri: str) -> None:
        self.driver = driver
        self.database = database
        self.uri = uri
        self._queries = service_queries()

    @classmethod
    def connect(cls, settings: Settings, verify: bool = True, fail_fast: bool = False) -> Self:
        """The process's driver; ``verify`` checks that the server answers and takes the credentials.

        ``fail_fast`` (the API): short connection timeouts and retry time, so a request to a down Neo4j
        fails in seconds with a clear error instead of waiting for it.
        """
        cfg = settings.neo4j
        timeouts = {"connection_timeout": 5.0, "max_transaction_retry_time": 1.0} if fail_fast else {}
        # Notifications (e.g. "relationship type does not exist" on an empty graph) are noise in logs
        # of a service; taxonomists see real errors as exceptions.
        driver = GraphDatabase.driver(cfg.bolt_uri, auth=_auth(cfg), max_connection_pool_size=64,
                                      connection_acquisition_timeout=10.0, notifications_min_severity="OFF",
                                      **timeouts)
        graph = cls(driver, cfg.database, cfg.bolt_uri)
        if verify:
            try:
                driver.verify_connectivity()
            except AuthError as exc:
                driver.close()
                source = "NEO4J_USER / NEO4J_PASSWORD" if cfg.external else f"the password in {cfg.password_file}"
                raise CredentialsRefused(f"Neo4j at {cfg.bolt_uri} refused {source}: {exc.message}") from exc
            except GraphUnavailable:
                driver.close()
                raise
            except _UNAVAILABLE as exc:
                driver.close()
                hint = "" if cfg.external else " (start it with `kgservice neo4j start`)"
                raise GraphUnavailable(f"Neo4j at {cfg.bolt_uri} does not answer{hint}: {exc}") from exc
        return graph

    def close(self) -> None:
        self.driver.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- queries ---------------------------------------------------------------------------------
    def read(self, query: Query | str, **params: Any) -> list[dict[str, Any]]:
        return self._run(query, params, RoutingControl.READ)

    def write(self, query: Query | str, retry_: Backoff | None = WRITE_RETRY, **params: Any) -> list[dict[str, Any]]:
        """Run a write in one transaction, retried while Neo4j calls the failure retryable.

        Retries (:mod:`kgservice.retry`) wait 5 ms at first, doubling to at most 1 s, each a random
        fraction of that, for up to 30 s in all; then the last error is raised
        (:class:`GraphUnavailable` when the server does not answer). Deadlocks between concurrent
        writers are the common case: Neo4j detects one when the lock is requested and aborts one of
        the two, whose retry then usually commits at once. ``retry_=None``: one attempt, for a caller
        whose own loop retries (the error is raised as above).
        """
        text = self._text(query)
        started = time.perf_counter()
        try:
            if retry_ is None:
                rows = self._write_once(text, params)
            else:
                rows = retrying(lambda: self._write_once(text, params), retry_, write_retryable)
        except _UNAVAILABLE as exc:
            raise GraphUnavailable(f"Neo4j at {self.uri} does not answer: {exc}") from exc
        observe_query(_query_name(query), "write", started)
        return rows

    def _write_once(self, text: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        # One statement, so an auto-commit transaction: RUN and PULL go out together and the server
        # commits when the results are streamed, one round trip where BEGIN, RUN + PULL and COMMIT
        # took three. Same atomicity; retries are ours either way. bench/graph_write.py: at one
        # document per write 22% less wall time and 27% less Neo4j CPU, at 20 the same (README,
        # Nearline). The bookmark manager of execute_query: a later read through execute_query
        # sees this write (causal consistency on a cluster).
        with self.driver.session(database=self.database,
                                 bookmark_manager=self.driver.execute_query_bookmark_manager) as session:
            return [r.data() for r in session.run(text, params)]

    def _text(self, query: Query | str) -> str:
        return self._queries[query] if isinstance(query, Query) else query

    def _run(self, query: Query | str, params: dict[str, Any], routing: RoutingControl) -> list[dict[str, Any]]:
        started = time.perf_counter()
        try:
            records, _, _ = self.driver.execute_query(self._text(query), params, database_=self.database, routing_=routing)
        except _UNAVAILABLE as exc:
            raise GraphUnavailable(f"Neo4j at {self.uri} does not answer: {exc}") from exc
        finally:
            observe_query(_query_name(query), "read" if routing == RoutingControl.READ else "write", started)
        return [r.data() for r in records]

    def rehearse(self, statements: Sequence[tuple[Query | str, dict[str, Any]]]) -> int:
        """Run write statements in one explicit transaction and roll it back; returns the rows they gave.

        Nothing is committed, on any server: what it is for is the work itself (the server compiles
        and JIT-warms the code paths of these statements; see :mod:`kgservice.graph.write_warmup`).
        """
        rows = 0
        try:
            with self.driver.session(database=self.database) as session:
                tx = session.begin_transaction()
                try:
                    for query, params in statements:
                        rows += len(list(tx.run(self._text(query), params)))
                finally:
                    tx.rollback()
        except _UNAVAILABLE as exc:
            raise GraphUnavailable(f"Neo4j at {self.uri} does not answer: {exc}") from exc
        return rows

    def write_batches(self, query: Query, rows: Sequence[dict[str, Any]], batch_size: int) -> Iterator[int]:
        """Write ``rows`` with ``UNWIND $rows`` in batches, yielding the size of each committed batch."""
        for i in range(0, len(rows), batch_size):
            chunk = list(rows[i : i + batch_size])
            self.write(query, rows=chunk)
            yield len(chunk)

    def read_only(self, text: str, params: dict[str, Any] | None = None) -> tuple[list[str], list[list[Any]]]:
        """Run ad-hoc Cypher in a READ transaction, so a taxonomist's typo cannot change the graph, after
        :func:`~kgservice.graph.adhoc_cypher.check_adhoc_cypher` (no LOAD CSV, no procedures or functions
        that could read files or the network)."""
        check_adhoc_cypher(text)

        def work(tx: neo4j.ManagedTransaction) -> tuple[list[str], list[list[Any]]]:
            result = tx.run(text, params or {})
            keys = list(result.keys())
            return keys, [list(r.values()) for r in result]

        try:
            with self.driver.session(database=self.database, default_access_mode=neo4j.READ_ACCESS) as session:
                return session.execute_read(work)
        except ClientError as exc:
            raise InvalidInput(f"{exc.code}: {exc.message}") from exc
        except _UNAVAILABLE as exc:
            raise GraphUnavailable(f"Neo4j at {self.uri} does not answer: {exc}") from exc

    def apply_schema(self) -> list[str]:
        statements = schema_statements()
        for statement in statements:
            self.write(statement)
        self.write("CALL db.awaitIndexes(300)")
        return statements


def _query_name(query: Query | str) -> str:
    """A metric label: the named query's name; ad-hoc text would make one series per statement."""
    return query.value if isinstance(query, Query) else "adhoc"
