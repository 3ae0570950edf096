"""The Dockerfile and docker-compose.yml, read statically: no Docker engine runs on the project's machines.
`docker compose config` runs too where the docker client has the compose plugin. docker/entrypoint.sh
runs outside Docker in tests/neo4j/test_docker_entrypoint.py."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
import yaml

from kgservice.settings import PROJECT_ROOT

COMPOSE = PROJECT_ROOT / "docker-compose.yml"
DOCKERFILE = PROJECT_ROOT / "Dockerfile"
ENV_EXAMPLE = PROJECT_ROOT / ".env.example"
DOCS = PROJECT_ROOT / "docs" / "docker.md"
KGSERVICE = ("init", "api", "worker")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def interpolated(text: str) -> set[str]:
    """Variables compose substitutes (``${NAME}``, ``${NAME:?message}``); ``$$`` escapes one for the container."""
    return set(re.findall(r"(?<!\$)\$\{([A-Z0-9_]+)", text))


def test_compose_services_ports_and_order(compose: dict):
    services = compose["services"]
    assert set(services) == {"neo4j", "redis", *KGSERVICE}
    neo4j = services["neo4j"]
    assert neo4j["image"] == "neo4j:5.26"
    assert {p.rsplit(":", 1)[-1] for p in neo4j["ports"]} == {"7474", "7687"}  # Browser and Bolt
    assert neo4j["environment"]["NEO4J_AUTH"].startswith("neo4j/${NEO4J_PASSWORD")
    assert "cypher-shell" in " ".join(neo4j["healthcheck"]["test"])

    redis = services["redis"]
    assert "requirepass" in " ".join(redis["command"]) and "$$REDIS_PASSWORD" in " ".join(redis["command"])
    assert "--requirepass" not in " ".join(redis["command"]), "the password must stay off the command line"

    for name in KGSERVICE:
        service = services[name]
        assert service["build"] == "." and service["image"].startswith("kgservice:")
        assert "kg-home:/var/lib/kgservice" in service["volumes"], name
        env = service["environment"]
        assert env["NEO4J_URI"] == "bolt://neo4j:7687" and env["NEO4J_PASSWORD"].startswith("${NEO4J_PASSWORD")
        assert env["REDIS_URL"].startswith("redis://:${REDIS_PASSWORD") and env["REDIS_URL"].endswith("@redis:6379/0")
    assert services["init"]["command"] == ["init"]
    assert services["init"]["depends_on"]["neo4j"]["condition"] == "service_healthy"
    assert services["init"]["healthcheck"] == {"disable": True}

    api = services["api"]
    assert api["command"] == ["serve"] and "8000:8000" in api["ports"]
    assert api["environment"]["KG_API__KEYS"].startswith("${KG_API__KEYS:?")  # serve refuses 0.0.0.0 without keys
    assert api["depends_on"]["init"]["condition"] == "service_completed_successfully"
    assert "healthcheck" not in api  # the image's own, on /health

    worker = services["worker"]
    assert worker["command"] == ["worker"]
    assert worker["depends_on"]["api"]["condition"] == "service_healthy"
    assert worker["depends_on"]["redis"]["condition"] == "service_healthy"
    assert set(compose["volumes"]) == {"neo4j-data", "redis-data", "kg-home"}


def test_every_variable_is_in_the_env_example_and_the_docs(compose: dict):
    needed = interpolated(COMPOSE.read_text())
    assert needed == {"NEO4J_PASSWORD", "REDIS_PASSWORD", "KG_API__KEYS"}
    example = dict(line.split("=", 1) for line in ENV_EXAMPLE.read_text().splitlines()
                   if line and not line.startswith("#"))
    assert set(example) == needed
    docs = DOCS.read_text()
    for word in (*needed, *compose["services"], "7474", "7687", "8000", ".env", "docker compose up",
                 "docker/entrypoint.sh", "KG_INIT_FORCE"):
        assert word in docs, word


def test_dockerfile_serves_without_torch_as_a_non_root_user():
    text = DOCKERFILE.read_text()
    assert re.search(r"^FROM python:3\.11-slim$", text, re.M)
    install = re.search(r"pip install ([^\n&]+)", text).group(1)
    assert "[" not in install, "the serving image installs no extras (train: torch; spark)"
    assert re.search(r"^COPY kgservice \./kgservice$", text, re.M) and "--editable" not in text, (
        "a plain install: Cypher, schema and models are package data")
    assert re.search(r"^USER kgservice$", text, re.M) and "useradd" in text
    assert re.search(r"^HEALTHCHECK .*\n.*/health", text, re.M)
    assert 'ENTRYPOINT ["kgservice-entrypoint"]' in text and "docker/entrypoint.sh" in text
    ignored = (PROJECT_ROOT / ".dockerignore").read_text().split()
    for path in ("var", ".venv*", "web/graphiql/node_modules", ".env", ".git"):
        assert path in ignored, path


def test_the_docker_build_context_holds_what_the_image_copies():
    for line in re.findall(r"^COPY (?:--\S+ )*(.+) \S+$", DOCKERFILE.read_text(), re.M):
        for source in line.split():
            assert (PROJECT_ROOT / source).exists(), source


def compose_plugin() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0


@pytest.mark.skipif(not compose_plugin(), reason="the docker client here has no compose plugin (`docker compose`)")
def test_docker_compose_config_accepts_the_file(tmp_path):
    done = subprocess.run(["docker", "compose", "--env-file", str(ENV_EXAMPLE), "-f", str(COMPOSE), "config", "--quiet"],
                          capture_output=True, text=True, cwd=PROJECT_ROOT)
    assert done.returncode == 0, done.stderr
