"""The pipeline with ``KG_PIPELINE__SCORER=multitask`` against the real graph and indexes.

The scorer is trained here for a few steps on a few SkillSkape sentences (through
``kgservice models train-scorer``'s function) into a scratch home that links the session's
encoder, trie, catalog and vector index: this proves the switch, the artifact checks and the stage
contract, not the model's quality (``bench/quality.py --scorer multitask`` measures that).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kgservice.document import Domain, Method, Relation
from kgservice.inference import artifacts
from kgservice.pipeline.build import FULL, build_pipeline, make_document
from tests.conftest import POSTING

pytest.importorskip("torch")


@pytest.fixture(scope="module")
def multitask_settings(settings, graph, built_indexes, quiet, tmp_path_factory):
    from kgservice.offline.multitask_scorer import train_scorer

    version = artifacts.taxonomy_version(graph)
    home = tmp_path_factory.mktemp("multitask-home")
    for name in ("models", "indexes"):
        (home / name).symlink_to(settings.home / name)
    (home / "artifacts" / version).mkdir(parents=True)
    for name in ("trie", "catalog.json", artifacts.scorer_weights_path(settings, version).name):
        source = artifacts.taxonomy_dir(settings, version) / name
        if source.exists():
            (home / "artifacts" / version / name).symlink_to(source)
    scratch = settings.model_copy(update={"home": home, "cache_dir": settings.cache})
    out: Path = train_scorer(scratch, graph, quiet, epochs=10, steps=3, limit=8)
    assert out == artifacts.taxonomy_dir(scratch, version) / "multitask_scorer"
    pipeline_cfg = scratch.pipeline.model_copy(update={"scorer": "multitask", "min_score": 0.0})
    return scratch.model_copy(update={"pipeline": pipeline_cfg})


def test_multitask_scorer_pipeline_extracts_skills_from_a_posting(multitask_settings, graph) -> None:
    from kgservice.pipeline.multitask_scorer import MultitaskScorer

    pipeline = build_pipeline(multitask_settings, graph, FULL)
    scorer = pipeline.stages[-1]
    assert isinstance(scorer, MultitaskScorer) and "+multitask-" in (pipeline.model_version or "")
    doc = pipeline(make_document(POSTING, "job", title="Senior Backend Engineer"))
    by_name = {(s.name, s.taxonomy): s for s in doc.skills}
    for wanted in (("Python (computer programming)", "esco"), ("SQL", "esco"), ("PostgreSQL", "esco")):
        assert wanted in by_name, sorted(by_name)
    python = by_name[("Python (computer programming)", "esco")]
    assert python.method is Method.TRIE and all("Python" in POSTING[a:b] for a, b in python.spans)
    assert all(0.0 <= s.score <= 1.0 and s.relation in tuple(Relation) for s in doc.skills)
    assert [s.score for s in doc.skills] == sorted((s.score for s in doc.skills), reverse=True)
    assert all(s.method is Method.EXPANSION and s.via for s in doc.expanded)
    assert scorer.texts.hits > 0, "the scorer should read the pieces the embedding tagger encoded"

    as_profile = pipeline(make_document(POSTING, Domain.PROFILE))
    assert {s.skill_id for s in as_profile.skills} & {s.skill_id for s in doc.skills}


def test_multitask_scorer_labels_from_feedback_and_occupations(graph, scratch_taxonomy, quiet) -> None:
    from kgservice.graph.document_writer import DocumentWrite, SkillWrite, document_key, write_documents
    from kgservice.graph.skill_queries import record_assessment, record_feedback
    from kgservice.offline.multitask_examples import LabelledDoc, add_occupation_relations, feedback_docs
    from kgservice.loaders.esco_bundle import read_bundle
    from kgservice.loaders.taxonomy_writer import load
    from tests.api.conftest import TEST_PREFIX, wipe_test_documents
    from tests.conftest import DATA

    load(graph, [read_bundle(DATA / "esco_bundle", taxonomy=scratch_taxonomy)], 100, quiet, same_as=())
    software, mobile, _, knowledge = (f"{scratch_taxonomy}:f0000001-0000-4000-8000-00000000000{i}" for i in range(1, 5))
    job, profile = f"{TEST_PREFIX}mt-job", f"{TEST_PREFIX}mt-profile"
    wipe_test_documents(graph)
    try:
        write_documents(graph, [
            DocumentWrite(Domain.JOB, job, 1, "m", (SkillWrite(software, 0.4, "mentioned", "trie"),), "iOS developer"),
            DocumentWrite(Domain.PROFILE, profile, 1, "m", ())])
        job_key, profile_key = document_key(Domain.JOB, job), document_key(Domain.PROFILE, profile)
        record_feedback(graph, job_key, software, "accept", "recruiter", relation="core")
        record_feedback(graph, job_key, knowledge, "remove", "recruiter")
        record_assessment(graph, profile_key, mobile, 85.0)
        texts = {job_key: {"text": "We build iOS apps in Swift.", "title": "iOS developer", "kind": Domain.JOB}}

        docs, counts = feedback_docs(graph, texts)
        (labelled,) = [d for d in docs if d.doc.id == job]
        assert labelled.positives == {software} and labelled.negatives == {knowledge}
        assert labelled.relations == {software: Relation.CORE} and labelled.source == "feedback"
        assert counts["skipped_no_text"] >= 1  # the profile: its assessment is in the graph, its text is not

        weak = LabelledDoc(make_document("Build iOS apps.", Domain.JOB, "iOS Developer"), frozenset({mobile, software}))
        (with_feedback, with_occupation), added = add_occupation_relations(graph, [labelled, weak])
        assert added == 2
        assert with_feedback.relations == {software: Relation.CORE}  # the recruiter's relation stays
        assert with_occupation.relations == {mobile: Relation.REQUIRED, software: Relation.REQUIRED}
    finally:
        wipe_test_documents(graph)
