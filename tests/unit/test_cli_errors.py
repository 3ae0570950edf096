"""User errors of the ``kgservice`` command: one line on stderr, a non-zero exit, and the inputs checked
before anything connects. Neo4j is pointed at a closed port, so a command that reached for it first
would fail with a connection error instead of the message asserted here."""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from kgservice.cli import build_parser, main
from kgservice.graph import cypher


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kgservice(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NEO4J_LISTEN_ADDRESS": f"127.0.0.1:{closed_port()}", "NEO4J_URI": "",
           "REDIS_URL": f"redis://127.0.0.1:{closed_port()}/0"}
    env.pop("NEO4J_URI")
    return subprocess.run([sys.executable, "-m", "kgservice.cli", *args], capture_output=True, text=True,
                          input=stdin, env=env, timeout=120)


def test_cli_cypher_list_without_named_queries_fails_loudly(monkeypatch, tmp_path: Path, capsys):
    monkeypatch.setattr(cypher, "TAXONOMIST_DIR", tmp_path)
    cypher.taxonomist_queries.cache_clear()  # read once per process: an earlier test may have read them
    try:
        assert main(["cypher", "--list"]) != 0
        assert "no named queries" in capsys.readouterr().err
    finally:
        monkeypatch.undo()
        cypher.taxonomist_queries.cache_clear()


def test_cli_version_prints_the_distribution_version():
    done = kgservice("--version")
    assert done.returncode == 0 and done.stdout.startswith("kgservice ") and done.stdout.strip() != "kgservice"


@pytest.mark.parametrize("args, message", [
    (["extract", "no/such/posting.txt"], "no/such/posting.txt"),
    (["extract", "--jsonl", "no/such/in.jsonl", "--out", "o.jsonl"], "no/such/in.jsonl"),
    (["extract", "--jsonl", "README.md"], "--out"),
    (["extract"], "FILE"),
    (["enqueue", "no/such/edit.txt", "--id", "p1"], "no/such/edit.txt"),
    (["enqueue", "README.md"], "--id"),
    (["load", "taxonomy", "--no-wheel", "--esco-bundle", "no/such/bundle"], "no/such/bundle"),
    (["batch", "no/such/docs.jsonl"], "no/such/docs.jsonl"),
    (["cypher", "no_such_query"], "no_such_query"),
])
def test_cli_user_errors_are_one_line_and_checked_before_connecting(args: list[str], message: str):
    done = kgservice(*args)
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert message in lines[-1], done.stderr
    assert "Traceback" not in done.stderr and "Neo4j" not in done.stderr and "Redis" not in done.stderr


def test_cli_missing_data_is_one_line(tmp_path: Path):
    # A home with no built artifacts: extraction needs them (and Neo4j, closed here); whichever the
    # command meets first, the user reads one line that names what to do.
    env_home = {"KG_HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-m", "kgservice.cli", "extract", "README.md"], capture_output=True,
                          text=True, timeout=120, env={**os.environ, **env_home,
                                                       "NEO4J_LISTEN_ADDRESS": f"127.0.0.1:{closed_port()}"})
    assert done.returncode != 0
    assert len(done.stderr.strip().splitlines()) == 1 and done.stderr.startswith("error: "), done.stderr


def test_cli_every_argument_has_help():
    parser = build_parser()
    [sub] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    for name, command in sub.choices.items():
        for action in command._actions:
            if not isinstance(action, argparse._HelpAction):
                assert action.help, f"kgservice {name} {'/'.join(action.option_strings) or action.dest}: no help"


def test_cli_help_shows_defaults():
    text = kgservice("serve", "--help").stdout
    assert "(default: 8000)" in text and "(default: 127.0.0.1)" in text
    assert "(default: 32)" in kgservice("extract", "--help").stdout


def test_cli_output_in_a_pipe_is_plain():
    done = kgservice("cypher", "--list")
    assert done.returncode == 0
    assert "\x1b[" not in done.stdout and "━" not in done.stdout and "│" not in done.stdout
    assert all(len(line) < 300 for line in done.stdout.splitlines())
