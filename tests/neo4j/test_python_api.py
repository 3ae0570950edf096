"""The Python API (``kgservice.load``) against the real Neo4j, and without one: Neo4j's address pointed at
a closed port, so the pipeline is built from the artifacts alone."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest

import kgservice
from kgservice.document import Domain
from kgservice.errors import ArtifactMissing, GraphUnavailable, InvalidInput
from kgservice.inference import artifacts
from kgservice.pipeline.build import make_document
from kgservice.settings import Settings
from tests.conftest import POSTING

PROFILE = "Skills\nPython, SQL, Docker and Linux.\n\nExperience\nBackend developer building web services in Python.\n"


def closed_port() -> int:
    with socket.socket() as s:  # bound, then closed: nothing listens there
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture()
def no_neo4j(monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The environment's settings with the project-started Neo4j's address moved to a closed port."""
    monkeypatch.delenv("NEO4J_URI", raising=False)
    monkeypatch.setenv("NEO4J_LISTEN_ADDRESS", f"127.0.0.1:{closed_port()}")
    return Settings()


def without_prior(settings: Settings) -> Settings:
    """People's feedback moves scores through a prior read from the graph (kgservice/pipeline/feedback_prior.py),
    which other tests' feedback changes between two reads; offline there is none. Compared without it."""
    return settings.model_copy(update={"pipeline": settings.pipeline.model_copy(update={"feedback_prior": False})})


@pytest.fixture(scope="module")
def service_pipeline(graph, settings: Settings, built_indexes):  # noqa: ANN001
    from kgservice.pipeline.build import FULL, build_pipeline

    return build_pipeline(without_prior(settings), graph, FULL)


def outcome(doc) -> list[tuple]:  # noqa: ANN001
    return [(s.skill_id, round(s.score, 6), s.relation, s.method, s.spans, s.section, s.via, s.also_in)
            for s in (*doc.skills, *doc.expanded)]


def test_load_against_neo4j_extracts_as_the_service_does(settings: Settings, service_pipeline):
    full_pipeline = service_pipeline
    with kgservice.load(without_prior(settings)) as nlp:
        assert not nlp.offline and nlp.graph is not None and nlp.notes == ()
        assert nlp.model_version == full_pipeline.model_version
        doc = nlp(POSTING, domain="job")
        names = {s.name for s in doc.skills}
        assert {"Python (computer programming)", "SQL", "PostgreSQL"} <= names, names
        assert doc.expanded and doc.sections and doc.model_version == nlp.model_version
        service = full_pipeline(make_document(POSTING, Domain.JOB, model_version=full_pipeline.model_version))
        assert outcome(doc) == outcome(service)

        # pipe: input order, each document as a single call gives it; Documents keep their own domain.
        texts = [POSTING, PROFILE, "Requirements\n- Kubernetes and Terraform\n"]
        piped = list(nlp.pipe(texts, batch_size=2))
        assert [d.text for d in piped] == texts
        assert [outcome(d) for d in piped] == [outcome(nlp(t)) for t in texts]
        profile = next(nlp.pipe([nlp.make_doc(PROFILE, "profile", id="p-1", title="Backend developer")]))
        assert (profile.domain, profile.id, profile.title) == (Domain.PROFILE, "p-1", "Backend developer")
        assert nlp.require_graph() is nlp.graph

        with pytest.raises(InvalidInput, match="empty"):
            nlp("   ")
        with pytest.raises(InvalidInput, match="unknown kind"):
            nlp(POSTING, domain="resume")


def test_load_without_neo4j_builds_from_the_artifacts(no_neo4j: Settings, service_pipeline, settings: Settings):
    full_pipeline = service_pipeline
    with pytest.raises(GraphUnavailable):  # required: the closed port says no
        kgservice.load(no_neo4j, offline=False)

    nlp = kgservice.load(no_neo4j)
    assert nlp.offline and nlp.graph is None
    assert nlp.taxonomy_version == artifacts.built_versions(settings)[0]
    assert nlp.model_version == full_pipeline.model_version
    assert any("no Neo4j" in n and "neighbour snapshot" in n for n in nlp.notes), nlp.notes
    assert "graph_expander" in nlp.pipeline.names and "embedding_tagger" in nlp.pipeline.names
    # The snapshot covers every skill, so nothing the extraction returns is lost, expansion included.
    doc = nlp(POSTING)
    service = full_pipeline(make_document(POSTING, Domain.JOB, model_version=full_pipeline.model_version))
    assert doc.expanded and outcome(doc) == outcome(service)
    assert [outcome(d) for d in nlp.pipe([POSTING, PROFILE])] == [outcome(doc), outcome(nlp(PROFILE))]
    with pytest.raises(GraphUnavailable, match="artifacts alone"):
        nlp.require_graph()
    nlp.close()


def test_offline_true_never_connects(settings: Settings, built_indexes):
    nlp = kgservice.load(settings, offline=True, semantic=False)
    assert nlp.offline and "embedding_tagger" not in nlp.pipeline.names
    assert {s.name for s in nlp(POSTING).skills} >= {"SQL", "PostgreSQL"}


def test_without_neo4j_or_a_snapshot_expansion_is_off_and_said(no_neo4j: Settings, built_indexes, tmp_path: Path):
    version = artifacts.built_versions(no_neo4j)[0]
    home = tmp_path / "home"
    shutil.copytree(artifacts.taxonomy_dir(no_neo4j, version), home / "artifacts" / version,
                    ignore=shutil.ignore_patterns("neighbours.npz"))
    bare = no_neo4j.model_copy(update={"home": home})
    nlp = kgservice.load(bare, semantic=False)
    assert "graph_expander" not in nlp.pipeline.names
    assert any("expansion is off" in n for n in nlp.notes), nlp.notes
    doc = nlp(POSTING)
    assert doc.skills and not doc.expanded


def test_without_neo4j_or_artifacts_the_error_says_what_to_run(no_neo4j: Settings, tmp_path: Path):
    with pytest.raises(ArtifactMissing, match="kgservice index build"):
        kgservice.load(no_neo4j.model_copy(update={"home": tmp_path}))
