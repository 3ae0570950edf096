"""The multitask scorer's network in torch (the ``train`` extra): a shared trunk, one head per domain.

Served from its ONNX export by :mod:`kgservice.pipeline.multitask_scorer`; why the skill vector
reaches the trunk only through two cosines by default: docs/multitask-scorer.md ("Skill identity").
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from kgservice.pipeline.multitask_scorer import DOMAINS, RELATIONS

SEED = 20240611
HIDDEN = 256
SHARED = 128
DROPOUT = 0.1
ALL_VECTOR_BLOCKS = ("text", "title", "skill", "product")
# The skill vector reaches the trunk only through cos(text, skill) and cos(title, skill) by default:
# with the raw skill vector (and text*skill) the model learns which skills SkillSkape labels, which
# does not transfer (docs/multitask-scorer.md, "Skill identity").
VECTOR_BLOCKS = ("text", "title")


def torch_module() -> Any:
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("training the multitask scorer needs torch: pip install -e '.[train]'") from exc
    return torch


def make_net(dim: int, manual: int, heads: int = len(DOMAINS), hidden: int = HIDDEN, shared: int = SHARED,
             dropout: float = DROPOUT, blocks: Sequence[str] = VECTOR_BLOCKS) -> Any:
    """The shared trunk plus one head per domain, as a ``torch.nn.Module`` (see the serving module).

    ``blocks``: which vector blocks of :data:`ALL_VECTOR_BLOCKS` enter the trunk besides the two
    cosines and the manual features (the graph takes all four inputs either way).
    """
    torch = torch_module()
    nn = torch.nn
    unknown = set(blocks) - set(ALL_VECTOR_BLOCKS)
    if unknown:
        raise ValueError(f"unknown vector blocks {sorted(unknown)}; use {ALL_VECTOR_BLOCKS}")
    blocks = tuple(b for b in ALL_VECTOR_BLOCKS if b in blocks)

    class MultitaskNet(nn.Module):  # type: ignore[misc, name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.dim = dim
            self.blocks = blocks
            self.scale = math.sqrt(dim)  # unit vectors -> entries of about unit variance
            self.trunk = nn.Sequential(nn.Linear(len(blocks) * dim + 2 + manual, hidden), nn.ReLU(),
                                       nn.Dropout(dropout), nn.Linear(hidden, shared), nn.ReLU(), nn.Dropout(dropout))
            # One head per domain: a relevance logit and one logit per relation.
            self.heads = nn.ModuleList([nn.Linear(shared, 1 + len(RELATIONS)) for _ in range(heads)])

        def forward(self, text: Any, title: Any, skill: Any, manual_x: Any, domain: Any) -> tuple[Any, ...]:
            vectors = {"text": text * self.scale, "title": title * self.scale, "skill": skill * self.scale,
                       "product": text * skill * self.dim}
            text_cos = (text * skill).sum(dim=1, keepdim=True)
            title_cos = (title * skill).sum(dim=1, keepdim=True)
            x = torch.cat([vectors[b] for b in self.blocks] + [text_cos, title_cos, manual_x], dim=1)
            z = self.trunk(x)
            out = torch.stack([head(z) for head in self.heads], dim=1)  # [n, heads, 4]
            head_relevance = out[:, :, 0]
            head_relation = out[:, :, 1:]
            relevance = torch.gather(head_relevance, 1, domain.unsqueeze(1)).squeeze(1)
            index = domain.view(-1, 1, 1).expand(-1, 1, len(RELATIONS))
            relation = torch.gather(head_relation, 1, index).squeeze(1)
            return relevance, relation, head_relevance, head_relation

        def silence(self, title: bool, manual_alive: np.ndarray) -> None:
            """Zero the first-layer weights of inputs never seen non-zero in training (no gradient ever
            reaches them, so they would stay random and turn an unseen input at serving time into noise)."""
            d, n = self.dim, len(self.blocks) * self.dim
            dead = [(n + 1, n + 2)]  # cos(title, skill)
            if "title" in self.blocks:
                dead.append((self.blocks.index("title") * d, (self.blocks.index("title") + 1) * d))
            if title:
                dead = []
            dead += [(n + 2 + j, n + 3 + j) for j in np.flatnonzero(~manual_alive)]
            with torch.no_grad():
                for lo, hi in dead:
                    self.trunk[0].weight[:, lo:hi] = 0.0

    return MultitaskNet()
