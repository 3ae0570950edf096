"""One ONNX Runtime thread means the tokenizer runs in the calling thread too, with the same vectors."""

from __future__ import annotations

import os

import numpy as np
import pytest

from kgservice.inference.onnx_encoder import OnnxEncoder
from kgservice.package_data import data_path
from kgservice.offline.distill import STUDENT_ID

STUDENT = data_path("models") / STUDENT_ID
TEXTS = ["designed and shipped iPhone apps", "SQL", "", "prepared sourdough loaves every morning " * 20]


def test_one_thread_turns_tokenizer_parallelism_off_and_encodes_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TOKENIZERS_PARALLELISM", raising=False)
    parallel = OnnxEncoder.load(STUDENT, quantized=True, threads=2)
    assert "TOKENIZERS_PARALLELISM" not in os.environ
    reference = parallel.encode(TEXTS)
    single = OnnxEncoder.load(STUDENT, quantized=True, threads=1)
    assert os.environ["TOKENIZERS_PARALLELISM"] == "false"
    np.testing.assert_allclose(single.encode(TEXTS), reference, atol=1e-6)


def test_a_users_tokenizer_setting_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOKENIZERS_PARALLELISM", "true")
    OnnxEncoder.load(STUDENT, quantized=True, threads=1)
    assert os.environ["TOKENIZERS_PARALLELISM"] == "true"
