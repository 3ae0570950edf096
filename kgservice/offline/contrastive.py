"""Contrastive fine-tuning of a sentence encoder as a two-tower skill linker.

Both towers share the weights (a siamese bi-encoder): the text tower embeds the anchor, the skill
tower the skill's preferred label, so one ONNX model serves both at inference. Loss: softmax over
cosine similarities x ``scale`` (multiple-negatives ranking): each anchor must pick its own label
among every label of the batch (in-batch negatives) plus every pair's hard negative. A label that
is gold for two anchors of the same batch is masked out of the other's negatives, so duplicates
never teach the model to push a correct label away.

Resumable: a checkpoint (weights, optimizer, scheduler, step, data order) is written every
``checkpoint_every`` steps under ``work``; a rerun with the same arguments continues from it.
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any


from kgservice.offline.progress import training_progress
from kgservice.offline.skill_pairs import Pair
from kgservice.offline.torch_encoder import PooledEncoder, seed_everything, tokenize, torch


@dataclass(frozen=True, slots=True)
class FinetuneConfig:
    steps: int = 300
    batch_size: int = 32
    lr: float = 2e-5
    warmup: float = 0.1
    scale: float = 20.0
    max_length: int = 64
    seed: int = 13
    checkpoint_every: int = 50
    # Embeddings and the lowest layers stay frozen: with ~30k short pairs they gain little, and on a
    # 2-core CPU skipping their backward pass is what makes a few hundred steps affordable.
    freeze_embeddings: bool = True
    freeze_layers: int = 4


def _batches(pairs: Sequence[Pair], cfg: FinetuneConfig) -> list[list[int]]:
    """Deterministic epoch-shuffled batches, enough for ``cfg.steps``."""
    if not pairs:
        raise ValueError("no training pairs")
    rng = random.Random(cfg.seed)
    size = min(cfg.batch_size, len(pairs))
    out: list[list[int]] = []
    while len(out) < cfg.steps:
        order = list(range(len(pairs)))
        rng.shuffle(order)
        out.extend(order[i:i + size] for i in range(0, len(order) - size + 1, size))
    return out[: cfg.steps]


# Extra term on a batch: (its texts, their embeddings: anchors then targets) -> a loss tensor.
Regularizer = Callable[[Sequence[str], Any], Any]


def contrastive_loss(model: PooledEncoder, tokenizer: Any, batch: Sequence[Pair], cfg: FinetuneConfig,
                     regularizer: Regularizer | None = None) -> Any:
    anchors = model(**tokenize(tokenizer, [p.anchor for p in batch], cfg.max_length))
    labels = [p.positive for p in batch] + [p.negative for p in batch if p.negative]
    targets = model(**tokenize(tokenizer, labels, cfg.max_length))
    logits = anchors @ targets.T * cfg.scale
    # Mask columns that are another copy of this anchor's own gold label.
    mask = torch.zeros_like(logits, dtype=torch.bool)
    gold = [{q.positive.casefold() for q in batch if q.anchor == p.anchor} for p in batch]
    for i in range(len(batch)):
        for j, label in enumerate(labels):
            if j != i and label.casefold() in gold[i]:
                mask[i, j] = True
    logits = logits.masked_fill(mask, float("-inf"))
    loss = torch.nn.functional.cross_entropy(logits, torch.arange(len(batch)))
    if regularizer is not None:
        loss = loss + regularizer([p.anchor for p in batch] + labels, torch.cat([anchors, targets]))
    return loss


def finetune(model: PooledEncoder, tokenizer: Any, pairs: Sequence[Pair], cfg: FinetuneConfig, work: Path,
             console: Any = None, regularizer: Regularizer | None = None) -> dict[str, Any]:
    """Train in place; returns the training record (losses, seconds, config)."""
    seed_everything(cfg.seed)
    work.mkdir(parents=True, exist_ok=True)
    frozen = [model.inner.embeddings] if cfg.freeze_embeddings else []
    frozen += list(model.inner.encoder.layer[: cfg.freeze_layers])
    for module in frozen:
        for p in module.parameters():
            p.requires_grad = False
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=0.01)
    warmup = max(1, int(cfg.steps * cfg.warmup))

    def schedule(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, cfg.steps - warmup))))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, schedule)
    batches = _batches(pairs, cfg)
    ckpt = work / "checkpoint.pt"
    start, losses = 0, []
    if ckpt.exists():
        state = torch.load(ckpt, map_location="cpu", weights_only=False)
        if state["config"] == asdict(cfg) and state["pairs"] == len(pairs):
            model.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            scheduler.load_state_dict(state["scheduler"])
            start, losses = state["step"], state["losses"]
    started = time.perf_counter()
    model.train()
    with training_progress(console) as progress:
        task = progress.add_task("fine-tune", total=cfg.steps, completed=start, loss=losses[-1] if losses else 0.0)
        for step in range(start, cfg.steps):
            loss = contrastive_loss(model, tokenizer, [pairs[i] for i in batches[step]], cfg, regularizer)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            losses.append(round(float(loss.detach()), 4))
            progress.update(task, advance=1, loss=sum(losses[-20:]) / len(losses[-20:]))
            if (step + 1) % cfg.checkpoint_every == 0 and step + 1 < cfg.steps:
                torch.save({"config": asdict(cfg), "pairs": len(pairs), "step": step + 1, "losses": losses,
                            "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                            "scheduler": scheduler.state_dict()}, ckpt)
    model.eval()
    ckpt.unlink(missing_ok=True)
    record = {"config": asdict(cfg), "pairs": len(pairs), "steps_run": cfg.steps - start, "resumed_at": start,
              "seconds": round(time.perf_counter() - started, 1), "loss_first_20": _mean(losses[:20]),
              "loss_last_20": _mean(losses[-20:])}
    (work / "finetune.json").write_text(json.dumps(record, indent=2) + "\n")
    return record


def _mean(xs: Sequence[float]) -> float:
    return round(sum(xs) / len(xs), 4) if xs else float("nan")
