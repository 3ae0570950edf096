"""docker/entrypoint.sh outside Docker, as the compose services run it: against the real Neo4j reached as an
external server (NEO4J_URI, NEO4J_USER, NEO4J_PASSWORD) and an empty KG_HOME, like the image's volume."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from kgservice.inference import artifacts
from kgservice.secret_files import read_secret
from kgservice.settings import PROJECT_ROOT, Settings
from tests.api.conftest import free_port

ENTRYPOINT = PROJECT_ROOT / "docker" / "entrypoint.sh"


@pytest.fixture(scope="module")
def container_env(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    cfg = settings.neo4j
    password = cfg.password.get_secret_value() if cfg.external else read_secret(cfg.password_file)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KG_", "NEO4J_"))}
    env.update({
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",  # kgservice and python
        "NEO4J_URI": cfg.bolt_uri, "NEO4J_USER": cfg.user, "NEO4J_PASSWORD": password,
        "KG_HOME": str(tmp_path_factory.mktemp("kg-home")),
        "KG_CACHE_DIR": str(settings.cache),  # the image bakes the taxonomy wheel in; here it is cached
    })
    return env


def entrypoint(env: dict[str, str], *args: str, timeout: float = 1200) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["sh", str(ENTRYPOINT), *args], env=env, capture_output=True, text=True, timeout=timeout,
                          cwd=PROJECT_ROOT)


def counts(graph) -> dict[str, int]:  # noqa: ANN001
    return {r["label"]: r["n"] for r in graph.read("MATCH (n) UNWIND labels(n) AS label RETURN label, count(*) AS n")}


@pytest.fixture(scope="module")
def initialised(container_env, graph, full_taxonomy) -> tuple[dict[str, str], dict[str, int], dict[str, int]]:
    """`init` run once into the empty KG_HOME: the env, and the graph's label counts before and after."""
    before = counts(graph)
    done = entrypoint(container_env, "init")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return container_env, before, counts(graph)


def test_init_loads_and_builds_into_an_empty_home_then_has_nothing_to_do(initialised, graph):
    env, before, after = initialised
    assert after == before  # the load is idempotent
    home = Settings(home=Path(env["KG_HOME"]))
    version = artifacts.taxonomy_version(graph)
    assert artifacts.built_versions(home) == [version]
    assert artifacts.neighbours_path(home, version).exists()
    assert (artifacts.vector_index_dir(home, version) / "manifest.json").exists()

    started = time.monotonic()
    again = entrypoint(env, "init")
    assert again.returncode == 0 and "nothing to do" in again.stdout, again.stdout + again.stderr
    assert time.monotonic() - started < 60

    passed_through = entrypoint(env, "counts")
    assert passed_through.returncode == 0 and "Skill" in passed_through.stdout


def test_serve_refuses_all_interfaces_without_keys(container_env):
    done = entrypoint(container_env, "serve", timeout=120)
    assert done.returncode != 0 and "without API keys" in done.stdout + done.stderr


def test_serve_answers_the_image_healthcheck_from_the_init_artifacts(initialised):
    port = free_port()
    key = "docker-test-key-0123456789abcdef"
    env = {**initialised[0], "KG_HOST": "127.0.0.1", "KG_PORT": str(port), "KG_API__KEYS": f"compose:read:{key}"}
    server = subprocess.Popen(["sh", str(ENTRYPOINT), "serve"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, cwd=PROJECT_ROOT)
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 180
        while True:
            assert server.poll() is None, "the server exited"
            try:
                if httpx.get(f"{url}/ready", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "not ready in 180 s"
            time.sleep(1)
        # The Dockerfile's HEALTHCHECK command, as the engine would run it in the container.
        check = re.search(r"CMD (python -c .+)$", (PROJECT_ROOT / "Dockerfile").read_text(), re.M).group(1)
        assert subprocess.run(["sh", "-c", check], env=env, timeout=30).returncode == 0
        python = '{ skill(id: "esco:ccd0a1d9-afda-43d9-b901-96344886e14d") { name } }'
        answer = httpx.post(f"{url}/graphql", json={"query": python}, headers={"authorization": f"Bearer {key}"})
        assert answer.json() == {"data": {"skill": {"name": "Python (computer programming)"}}}
        assert httpx.post(f"{url}/graphql", json={"query": "{ __typename }"}).status_code == 401
    finally:
        server.terminate()
        server.wait(timeout=30)
