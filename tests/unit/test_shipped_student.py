"""The int8 student committed under kgservice/models/: intact, small, and the encoder serving uses by default."""

from __future__ import annotations

import numpy as np

from kgservice.inference.onnx_encoder import OnnxEncoder
from kgservice.package_data import data_path
from kgservice.settings import Settings
from kgservice.offline.distill import STUDENT_ID
from tests.shipped_models import checked_manifest

SHIPPED = data_path("models") / STUDENT_ID


def test_shipped_student_matches_its_manifest_and_size_budget() -> None:
    manifest = checked_manifest(SHIPPED, STUDENT_ID)
    assert manifest["training"]["smaller_than_teacher"] >= 0.80
    assert manifest["verification"]["int8_vs_torch_mean_cosine"] >= 0.99
    assert Settings().pipeline.encoder_model == STUDENT_ID


def test_shipped_student_links_text_to_skill_labels() -> None:
    encoder = OnnxEncoder.load(SHIPPED, quantized=True, threads=2)
    labels = ["develop mobile applications", "bake bread", "drive heavy goods vehicles"]
    texts = ["designed and shipped iPhone apps", "prepared sourdough loaves every morning",
             "HGV class 1 licence, long-haul routes"]
    sims = encoder.encode(texts) @ encoder.encode(labels).T
    assert sims.shape == (3, 3)
    assert list(np.argmax(sims, axis=1)) == [0, 1, 2]


def test_shipped_student_outputs_token_states_for_the_taggers_windows() -> None:
    encoder = OnnxEncoder.load(SHIPPED, quantized=True, threads=2)
    assert encoder.has_token_states
    texts = ["Bake bread at dawn, mentor the junior bakers and keep the JIRA board current", "SQL"]
    vectors, windows = encoder.encode_windows(texts, 3)
    np.testing.assert_allclose(vectors, encoder.encode(texts), atol=1e-5)
    tokens = len(encoder._tokenizer.encode(texts[0]).ids)
    assert windows[0].shape == (tokens - 1 - 3, encoder.dimension)
    assert windows[1].shape == (0, encoder.dimension), "one word piece: the sentence vector is its only window"
    np.testing.assert_allclose(np.linalg.norm(windows[0], axis=1), 1.0, atol=1e-5)


def test_shipped_student_vector_depends_on_its_text_only() -> None:
    """The nearline worker embeds one posting, the batch job many: the same sentence must get the same
    vector either way, or the two write different edges for one posting (dynamic int8 scales each
    call's activations by their range over the whole call)."""
    encoder = OnnxEncoder.load(SHIPPED, quantized=True, threads=1)
    assert encoder.one_text_per_call
    sentence = "Experience with PostgreSQL query tuning and Kubernetes deployments"
    others = ["Bake bread at dawn", "Lead a team of twelve welders on offshore platforms, TIG and MIG",
              "SQL", "Fluent German and English; CRM experience is a plus"] * 8
    alone = encoder.encode([sentence])
    batched = encoder.encode([*others, sentence], batch_size=64, max_batch_tokens=4096)[-1:]
    np.testing.assert_array_equal(alone, batched)
    vectors, windows = encoder.encode_windows([*others, sentence], 3)
    _, alone_windows = encoder.encode_windows([sentence], 3)
    np.testing.assert_array_equal(vectors[-1:], alone)
    np.testing.assert_array_equal(windows[-1], alone_windows[0])
