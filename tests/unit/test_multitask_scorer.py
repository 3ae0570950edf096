"""The multitask scorer on real parts: the exported encoder, a tiny skill index and trie, a few SkillSkape
train sentences, torch training for a few steps, the ONNX export and the serving stage. No Neo4j."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from kgservice.document import Document, Domain, Method, Section, SkillSpan
from kgservice.errors import ArtifactMissing
from kgservice.evaluation import Example, load_skillskape
from kgservice.inference.hnsw_index import build_skill_index
from kgservice.inference.onnx_encoder import OnnxEncoder
from kgservice.pipeline.build import Pipeline
from kgservice.pipeline.embedding_tagger import EmbeddingTagger
from kgservice.pipeline.multitask_scorer import (
    DOMAINS, FORMAT_VERSION, MANUAL_FEATURES, ONNX_OUTPUTS, RELATIONS, MultitaskModel, MultitaskScorer, SentenceVectorCache,
    describe,
)
from kgservice.pipeline.scorer import FeatureScorer
from kgservice.pipeline.sectioner import Sectioner
from kgservice.pipeline.skill_catalog import SkillCatalog
from kgservice.offline.trie_builder import SkillText, build_trie
from kgservice.pipeline.trie_tagger import TrieTagger
from kgservice.settings import Settings

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.onnx

N_SENTENCES = 8
DISTRACTORS = ("Python (computer programming)", "SQL", "bake bread", "drive vehicles", "mentor individuals")
POSTING = ("Data Engineer\n\nRequirements\n- Must have 3+ years of Python and SQL\n- Experience in risk management\n\n"
           "Responsibilities\n- Present reports to stakeholders\n- Mentor individuals in the team\n")


@dataclasses.dataclass
class Parts:
    pipeline: Pipeline
    scorer: FeatureScorer
    catalog: SkillCatalog
    cache: SentenceVectorCache
    train: list[Example]
    dev: list[Example]


class CountingEncoder:
    """The real encoder, counting the texts it is asked to embed."""

    def __init__(self, inner: OnnxEncoder) -> None:
        self.inner, self.texts = inner, 0
        self.model_id, self.dimension = inner.model_id, inner.dimension

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        self.texts += len(texts)
        return self.inner.encode(texts, batch_size=batch_size)


@pytest.fixture(scope="session")
def encoder() -> OnnxEncoder:
    from kgservice.offline.onnx_export import ensure_encoder

    return OnnxEncoder.load(ensure_encoder(Settings()), threads=2)


@pytest.fixture(scope="session")
def parts(encoder: OnnxEncoder) -> Parts:
    """A pipeline over a tiny taxonomy: the gold skills of the first SkillSkape train sentences plus distractors."""
    import ast
    import csv

    path = Settings().training_data / "skillskape" / "train.csv"
    with open(path, encoding="utf-8", newline="") as fh:
        rows = [r for _, r in zip(range(N_SENTENCES), csv.DictReader(fh))]
    names = sorted({x for r in rows for x in ast.literal_eval(r["skills"]) if x != "UNK"} | set(DISTRACTORS))
    skills = {f"esco:tiny{i}": name for i, name in enumerate(names)}
    resolve = {name.casefold(): sid for sid, name in skills.items()}
    examples = load_skillskape(path, resolve)[:N_SENTENCES]
    catalog = SkillCatalog.build((sid, name, "esco") for sid, name in skills.items())
    trie = build_trie(SkillText(sid, name, (), "esco") for sid, name in skills.items())
    cache = SentenceVectorCache(CountingEncoder(encoder), max_entries=None)
    index = build_skill_index(encoder, list(skills.items()), taxonomy_version="tiny", progress=False)
    tagger = EmbeddingTagger(cache, index, threshold=0.3, top_k=3)
    pipeline = Pipeline([Sectioner(), TrieTagger(trie), tagger], model_version="tiny")
    scorer = FeatureScorer(catalog, min_score=0.0, semantic_threshold=0.3)
    return Parts(pipeline, scorer, catalog, cache, examples[:6], examples[6:])


@pytest.fixture(scope="session")
def examples(parts: Parts):
    from kgservice.offline.multitask_examples import collect, skillskape_docs

    return collect(parts.pipeline, parts.scorer, parts.catalog, parts.cache, skillskape_docs(parts.train))


@pytest.fixture(scope="session")
def artifact(parts: Parts, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Trained end to end for a few steps and exported, as ``kgservice models train-scorer`` does."""
    from kgservice.offline.multitask_scorer import train_and_export

    return train_and_export(parts.pipeline, parts.scorer, parts.catalog, parts.cache, _labelled(parts),
                            parts.dev, tmp_path_factory.mktemp("multitask") / "multitask_scorer", epochs=10, steps=4,
                            taxonomy_version="tiny")


def _labelled(parts: Parts):
    from kgservice.offline.multitask_examples import skillskape_docs

    return skillskape_docs(parts.train)


@pytest.fixture(scope="session")
def model(artifact: Path, parts: Parts) -> MultitaskModel:
    return MultitaskModel.load(artifact, expected_model_id=parts.cache.model_id, expected_dim=parts.cache.dimension)


def _scorer(parts: Parts, model: MultitaskModel) -> MultitaskScorer:
    return MultitaskScorer(parts.catalog, model, parts.cache, min_score=0.0, semantic_threshold=0.3)


def test_multitask_scorer_training_writes_loadable_artifact(artifact: Path, model: MultitaskModel,
                                                            parts: Parts) -> None:
    manifest = json.loads((artifact / "manifest.json").read_text())
    assert manifest["encoder"] == {"model_id": parts.cache.model_id, "dimension": parts.cache.dimension,
                                   "quantized": False}
    assert manifest["training"]["steps"] == 4
    assert manifest["manual_features"] == list(MANUAL_FEATURES)
    sources = manifest["training"]["label_sources"]
    assert sources["skillskape"] > 0 and any(k.startswith("skillskape-framed:") for k in sources)
    assert manifest["verification"]["max_abs_diff"] <= 1e-4
    dev = manifest["metrics"]["skillskape_dev"]
    assert dev["sentences"] == len(parts.dev) and 0.0 <= dev["multitask"]["f1"] <= 1.0
    assert 0.0 < model.min_score < 1.0


@pytest.mark.parametrize("blocks", [("text", "title"), ("text", "title", "skill", "product"), ()],
                         ids=["default", "all", "none"])
def test_multitask_scorer_onnx_matches_torch(examples, parts: Parts, tmp_path: Path, blocks) -> None:
    from kgservice.offline.multitask_export import export_onnx
    from kgservice.offline.multitask_scorer import predict_torch, train

    net, report = train(examples, steps=3, blocks=blocks)
    assert report.steps == 3
    manifest = {"format": FORMAT_VERSION, "encoder": {"model_id": parts.cache.model_id,
                                                       "dimension": parts.cache.dimension},
                "domains": [d.value for d in DOMAINS], "relations": [r.value for r in RELATIONS],
                "manual_features": list(MANUAL_FEATURES)}
    loaded = MultitaskModel.load(export_onnx(net, examples, tmp_path, manifest))
    rows = np.arange(len(examples))
    text, title, skill, manual, _ = examples.rows(rows)
    domain = rows % len(DOMAINS)  # every head, whatever the row's own domain
    got = loaded.run(text, title, skill, manual, domain)
    want = predict_torch(net, dataclasses.replace(examples, domain=domain.astype(np.int64)))
    for name in ONNX_OUTPUTS:
        np.testing.assert_allclose(got[name], want[name], atol=1e-4)


def test_multitask_scorer_heads_selected_by_domain(examples, model: MultitaskModel) -> None:
    rows = np.arange(min(len(examples), 64))
    text, title, skill, manual, _ = examples.rows(rows)
    outputs = [model.run(text, title, skill, manual, np.full(len(rows), k)) for k in range(len(DOMAINS))]
    for k, out in enumerate(outputs):
        np.testing.assert_allclose(out["relevance"], out["head_relevance"][:, k], atol=1e-6)
        np.testing.assert_allclose(out["relation"], out["head_relation"][:, k], atol=1e-6)
        np.testing.assert_allclose(out["head_relevance"], outputs[0]["head_relevance"], atol=1e-6)
    relevance = np.stack([out["relevance"] for out in outputs])
    assert np.abs(relevance - relevance[0]).max() > 1e-4, "the heads should not all agree"
    mixed = np.arange(len(rows)) % len(DOMAINS)
    out = model.run(text, title, skill, manual, mixed)
    np.testing.assert_allclose(out["relevance"], outputs[0]["head_relevance"][rows, mixed], atol=1e-6)


@pytest.mark.parametrize("domain", list(DOMAINS), ids=[d.value for d in DOMAINS])
def test_multitask_scorer_stage_uses_the_documents_domain_head(parts: Parts, model: MultitaskModel,
                                                                domain: Domain) -> None:
    scorer = _scorer(parts, model)
    text = "Must present reports and apply risk management. Python and SQL daily."
    doc = parts.pipeline(Document(text, domain, title="Risk analyst"))
    cands = describe(scorer, parts.catalog, doc)
    assert len(cands) >= 2
    vectors = scorer.vectors([doc], [cands])
    heads = model.run(*vectors, cands.manual, np.zeros(len(cands), dtype=np.int64))["head_relevance"]
    expected = 1.0 / (1.0 + np.exp(-heads[:, DOMAINS.index(domain)].astype(np.float64)))
    scored = scorer(doc)
    by_id = {s.skill_id: s for s in scored.skills}
    assert set(by_id) == set(cands.skill_ids)
    for sid, p in zip(cands.skill_ids, expected, strict=True):
        assert by_id[sid].score == pytest.approx(round(float(p), 4), abs=1e-4)
        assert by_id[sid].relation in RELATIONS and by_id[sid].method in (Method.TRIE, Method.SEMANTIC)
        assert all(text[a:b] for a, b in by_id[sid].spans)
    assert [s.score for s in scored.skills] == sorted((s.score for s in scored.skills), reverse=True)


def test_multitask_scorer_pipe_mixes_domains_in_one_batch(parts: Parts, model: MultitaskModel) -> None:
    scorer = _scorer(parts, model)
    texts = ["Must present reports and apply risk management.", POSTING, "Python and SQL daily.", "Bake bread."]
    docs = list(parts.pipeline.pipe(Document(t, d, title="Risk analyst" if i % 2 else None)
                                    for i, (t, d) in enumerate(zip(texts, DOMAINS, strict=True))))
    batched = list(scorer.pipe(docs, batch_size=8))
    for doc, together in zip(docs, batched, strict=True):
        alone = {s.skill_id: s for s in scorer(doc).skills}
        assert {s.skill_id for s in together.skills} == set(alone)
        for s in together.skills:
            assert s.score == pytest.approx(alone[s.skill_id].score, abs=2e-4)


def test_multitask_scorer_reads_piece_vectors_the_tagger_computed(parts: Parts, model: MultitaskModel) -> None:
    doc = parts.pipeline(Document(POSTING, Domain.JOB, sections=()))
    assert any(s.method is Method.TRIE for s in doc.all_spans())
    counting = parts.cache.inner
    before = counting.texts
    _scorer(parts, model)(doc)
    labels = len({s.skill_id for s in doc.all_spans()})
    assert counting.texts - before == labels, "the scorer encoded document pieces again"


def test_multitask_scorer_trie_span_context_is_its_sentence(parts: Parts) -> None:
    text = "Requirements\nStrong SQL skills. We value teamwork."
    doc = Document(text, Domain.JOB, sections=(Section("qualifications", 0, len(text), (0, 12)),))
    doc = doc.with_spans("trie_tagger", (SkillSpan(20, 23, "SQL", "esco:tiny0", Method.TRIE, 1.0, "qualifications"),))
    cands = describe(parts.scorer, parts.catalog, doc)
    assert cands.contexts == ("Strong SQL skills",)
    row = dict(zip(MANUAL_FEATURES, cands.manual[0], strict=True))
    assert row["section=qualifications"] == 1.0 and row["rule_required"] == 1.0 and row["has_title"] == 0.0


def test_multitask_scorer_inputs_unseen_in_training_have_no_effect(parts: Parts, model: MultitaskModel) -> None:
    scorer = _scorer(parts, model)  # no training document had a title
    text = "Must present reports and apply risk management."
    plain, titled = (parts.pipeline(Document(text, Domain.JOB, title=t)) for t in (None, "Present reports"))
    a, b = (scorer(d) for d in (plain, titled))
    assert [(s.skill_id, s.score) for s in a.skills] == [(s.skill_id, s.score) for s in b.skills]


def test_multitask_scorer_refuses_another_encoder(artifact: Path, parts: Parts) -> None:
    with pytest.raises(ArtifactMissing, match="train-scorer"):
        MultitaskModel.load(artifact, expected_model_id=parts.cache.model_id, expected_dim=parts.cache.dimension * 2)
    with pytest.raises(ArtifactMissing, match="student"):
        MultitaskModel.load(artifact, expected_model_id="student", expected_dim=parts.cache.dimension)
    with pytest.raises(ArtifactMissing, match="train-scorer"):
        MultitaskModel.load(artifact.parent / "nothing-here")


def test_sentence_vector_cache_is_bounded_and_exact(encoder: OnnxEncoder) -> None:
    counting = CountingEncoder(encoder)
    cache = SentenceVectorCache(counting, max_entries=2)
    texts = ["Python", "SQL", "Python", "baking"]
    got = cache.encode(texts)
    np.testing.assert_allclose(got, encoder.encode(texts), atol=1e-5)
    assert counting.texts == 3 and len(cache) == 2
    cache.encode(["baking"])
    assert counting.texts == 3
    cache.encode(["Python"])  # evicted: encoded again
    assert counting.texts == 4
