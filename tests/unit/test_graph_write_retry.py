"""Graph.write's retry policy (kgservice/retry.py), with the transaction replaced by a scripted one (no server needed)."""

from __future__ import annotations

import pytest
from neo4j.exceptions import ClientError, ServiceUnavailable, TransientError

from kgservice.errors import GraphUnavailable
from kgservice import retry as retry_module
from kgservice.graph import driver as driver_module
from kgservice.graph.driver import Graph


def scripted(monkeypatch, failures: list[BaseException]) -> tuple[Graph, list[float], list[int]]:
    graph = Graph(driver=None, database="neo4j", uri="bolt://127.0.0.1:1")  # type: ignore[arg-type]
    attempts: list[int] = []
    delays: list[float] = []

    def write_once(text, params):  # noqa: ANN001, ANN202
        attempts.append(1)
        if failures:
            raise failures.pop(0)
        return [{"ok": params["x"]}]

    monkeypatch.setattr(graph, "_write_once", write_once)
    monkeypatch.setattr(retry_module.time, "sleep", delays.append)
    return graph, delays, attempts


def test_write_retries_deadlocks_quickly_with_growing_jittered_delays(monkeypatch):
    graph, delays, attempts = scripted(monkeypatch, [TransientError("deadlock detected")] * 5)
    assert graph.write("RETURN $x AS ok", x=7) == [{"ok": 7}]
    assert len(attempts) == 6 and len(delays) == 5
    bounds = [driver_module.FIRST_RETRY_S * 2 ** i for i in range(5)]
    assert all(0 <= d <= b for d, b in zip(delays, bounds, strict=True)), (delays, bounds)
    assert bounds[0] <= 0.005, "the first retry of a deadlock waits milliseconds, not the driver's second"


def test_write_does_not_retry_client_errors(monkeypatch):
    graph, delays, attempts = scripted(monkeypatch, [ClientError("syntax error")])
    with pytest.raises(ClientError):
        graph.write("RETURN $x AS ok", x=1)
    assert len(attempts) == 1 and delays == []


def test_write_gives_up_after_the_retry_time_with_graph_unavailable(monkeypatch):
    graph, delays, attempts = scripted(monkeypatch, [ServiceUnavailable("connection refused")] * 1000)
    clock = iter(range(10_000))
    monkeypatch.setattr(retry_module.time, "monotonic", lambda: float(next(clock)))  # one second per call
    with pytest.raises(GraphUnavailable, match="does not answer"):
        graph.write("RETURN $x AS ok", x=1)
    assert 1 < len(attempts) <= driver_module.MAX_RETRY_TIME_S + 1
    assert max(delays) <= driver_module.MAX_RETRY_DELAY_S


def test_write_without_retry_makes_one_attempt_and_names_an_unanswering_server(monkeypatch):
    graph, delays, attempts = scripted(monkeypatch, [ServiceUnavailable("connection refused")])
    with pytest.raises(GraphUnavailable, match="does not answer"):
        graph.write("RETURN $x AS ok", retry_=None, x=1)
    assert len(attempts) == 1 and delays == []


def test_retrying_stops_waiting_when_the_stop_event_is_set():
    import threading

    stop = threading.Event()
    stop.set()
    calls: list[int] = []

    def fail() -> None:
        calls.append(1)
        raise TransientError("deadlock detected")

    with pytest.raises(retry_module.Stopped):
        retry_module.retrying(fail, retry_module.Backoff(0.005, 1.0), lambda exc: True, stop=stop)
    assert calls == [1]
