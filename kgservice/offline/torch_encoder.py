"""The sentence encoder as one PyTorch module, shared by fine-tuning, distillation and ONNX export.

Transformer -> attention-masked mean pooling -> optional linear projection -> L2 normalize: what
sentence-transformers' Transformer/Pooling(mean)/[Dense]/Normalize modules compute, without the
sentence-transformers dependency. The same module is traced to ONNX, so training, export and the
serving graph cannot disagree about pooling. Training only (PyTorch): serving reads the ONNX file.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np


def _torch() -> Any:
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("training needs the train extra: pip install -e '.[train]'") from exc
    return torch


def seed_everything(seed: int) -> None:
    torch = _torch()
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


torch = _torch()


class PooledEncoder(torch.nn.Module):
    """``forward(input_ids, attention_mask[, token_type_ids]) -> [batch, dim]`` unit vectors."""

    def __init__(self, inner: Any, projection: Any | None = None) -> None:
        super().__init__()
        self.inner = inner
        self.projection = projection
        # MPNet has no token types; passing them would be an error, not a no-op.
        self.uses_token_types = getattr(inner.config, "type_vocab_size", 0) > 0 and inner.config.model_type != "mpnet"

    @property
    def dimension(self) -> int:
        return int(self.projection.out_features if self.projection is not None else self.inner.config.hidden_size)

    def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any = None) -> Any:
        return self.pooled_and_tokens(input_ids, attention_mask, token_type_ids)[0]

    def pooled_and_tokens(self, input_ids: Any, attention_mask: Any, token_type_ids: Any = None) -> tuple[Any, Any]:
        """``([batch, dim]`` unit vectors, ``[batch, sequence, dim]`` token states in the same space).

        The token states are the last hidden states (projected when the encoder has a projection,
        which is linear, so a mean of projected states is the projection of their mean): the
        serving tagger mean-pools short windows of them (see ``OnnxEncoder.encode_windows``).
        """
        kwargs = {"input_ids": input_ids, "attention_mask": attention_mask}
        if self.uses_token_types and token_type_ids is not None:
            kwargs["token_type_ids"] = token_type_ids
        hidden = self.inner(**kwargs).last_hidden_state
        if self.projection is not None:
            hidden = self.projection(hidden)
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled, p=2.0, dim=1), hidden

    def save(self, directory: Path, tokenizer: Any, extra: dict[str, Any] | None = None) -> Path:
        """Hugging Face folder (``save_pretrained``) + ``projection.pt`` + ``encoder.json``."""
        directory.mkdir(parents=True, exist_ok=True)
        self.inner.save_pretrained(str(directory))
        tokenizer.save_pretrained(str(directory))
        if self.projection is not None:
            torch.save(self.projection.state_dict(), directory / "projection.pt")
        meta = {"dimension": self.dimension, "projection": self.projection is not None,
                "hidden_size": int(self.inner.config.hidden_size), **(extra or {})}
        (directory / "encoder.json").write_text(json.dumps(meta, indent=2) + "\n")
        return directory

    @classmethod
    def load(cls, directory: Path) -> tuple[PooledEncoder, Any]:
        """Inverse of :meth:`save`; also opens a plain sentence-transformers folder (no projection)."""
        from transformers import AutoModel, AutoTokenizer

        inner = AutoModel.from_pretrained(str(directory), attn_implementation="eager")
        tokenizer = AutoTokenizer.from_pretrained(str(directory))
        projection = None
        meta_path = directory / "encoder.json"
        if meta_path.exists() and json.loads(meta_path.read_text()).get("projection"):
            state = torch.load(directory / "projection.pt", map_location="cpu")
            out_features, in_features = state["weight"].shape
            projection = torch.nn.Linear(in_features, out_features)
            projection.load_state_dict(state)
        return cls(inner, projection), tokenizer


def tokenize(tokenizer: Any, texts: Sequence[str], max_length: int) -> dict[str, Any]:
    return dict(tokenizer(list(texts), padding=True, truncation=True, max_length=max_length, return_tensors="pt"))


def embed(model: PooledEncoder, tokenizer: Any, texts: Sequence[str], max_length: int = 128,
          batch_size: int = 64, progress: Any = None) -> np.ndarray:
    """Inference in length-sorted batches; float32 ``[len(texts), dim]`` in input order."""
    model.eval()
    out = np.zeros((len(texts), model.dimension), dtype=np.float32)
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    with torch.no_grad():
        for lo in range(0, len(order), batch_size):
            idx = order[lo:lo + batch_size]
            out[idx] = model(**tokenize(tokenizer, [texts[i] for i in idx], max_length)).numpy()
            if progress is not None:
                progress(len(idx))
    return out


def parameter_count(model: Any) -> int:
    return int(sum(p.numel() for p in model.parameters()))
