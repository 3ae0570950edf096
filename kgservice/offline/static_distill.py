"""Distil the student into a static sentence tower: ``kgservice models distill-static``.

**Why.** The student is a 3-layer transformer: ~5M multiply-adds per word piece. On a CPU with
int8 dot-product instructions (AVX-512 VNNI) ONNX Runtime runs that fast enough for 50 postings a
second per core; on one without (AVX2 only, as on the 2-core AMD machines this project now runs
on) the same int8 graph is ~4x slower and the encoder alone takes most of a posting's budget
(``bench/speed.py`` prints both sentence towers side by side). A static tower costs a table look-up
per word piece.

**What.** One vector per word piece of the student's vocabulary. A text's vector is the
L2-normalized *sum* of its pieces' vectors (the special tokens' rows are zero), so the rows' norms
are learned weights: frequent, uninformative pieces shrink. The tower lives in the student's own
space: it is trained so that this sum points where the student's vector of the same text points.
So the skill tower stays the student, and the HNSW index of the student's skill vectors serves
this tower unchanged (an asymmetric two-tower model: the expensive tower runs offline, once per
skill; the cheap one online, once per sentence). The token states it outputs are the rows
themselves, so the tagger's window re-ranking works as with the student (windows of word pieces
without context).

**Initialization.** Each row starts as the student's token state for that piece alone
(``[CLS] piece [SEP]``): the model2vec recipe, without its PCA, since the space must stay the
student's.

**Data.** :func:`kgservice.offline.distill.distill_texts`, the texts the student itself was distilled
on (ESCO preferred labels and one alias per skill, Lightcast names, SkillSkape *train* sentences
and their clauses, the hand-written postings' sentences). Never the evaluation split. Adding short
n-grams of the train sentences (for the windows) did not help when tried. The targets are the
skill tower's own vectors (the file the index is built with), cached by the texts' and the
file's hash.

**Objective.** Mean ``1 - cosine`` to the targets, Adam, ``EPOCHS`` epochs of ``BATCH_SIZE``;
a checkpoint after every epoch, so a rerun resumes. A contrastive term on (sentence, gold label)
pairs, as the student's task tuning has, lowered ranking quality on both development splits when
tried (it fits SkillSkape's label habits), so the tower learns from the student alone.

**Export.** An ONNX graph (``Gather`` -> mask -> ``ReduceSum`` -> ``LpNormalization``) with the
inputs and outputs of the transformer exports (``sentence_embedding``, ``token_embeddings``), so
:class:`~kgservice.inference.onnx_encoder.OnnxEncoder` serves it as it serves the student: fp32
(47 MB, a local artifact) and int8 rows with one scale per row (12 MB, what ``models ship-static``
copies into ``kgservice/models/``). The manifest's ``skill_tower`` names the file whose space the tower
was fitted to; serving refuses an index built by another (see
:func:`kgservice.pipeline.embedding_tagger.load_embedding_tagger`).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console

from kgservice.errors import ArtifactMissing
from kgservice.graph.driver import Graph
from kgservice.inference import artifacts
from kgservice.inference.hnsw_index import SKILL_ROWS_PER_RUN
from kgservice.inference.onnx_encoder import OnnxEncoder
from kgservice.settings import Settings
from kgservice.offline.progress import training_progress, work_progress

STATIC_ID = "kgservice-skills-static"
SEED = 23
EPOCHS = 4
BATCH_SIZE = 256
LR = 0.01
OPSET = 17
# Padded tokens per ONNX Runtime call. A look-up costs nothing per padded token, so large calls
# amortize the per-call overhead (the transformer's 128 keeps its padding small).
BATCH_TOKENS = 4096
FP32_FILE, INT8_FILE = "model.onnx", "model.int8.onnx"
INT8_MIN_COSINE = 0.995
REFERENCE_MIN_COSINE = 0.9999


def special_ids(tokenizer: Any) -> list[int]:
    """Ids of the tokenizer's special tokens ([PAD], [UNK], [CLS], [SEP], [MASK]): zero rows."""
    vocab = tokenizer.get_vocab(with_added_tokens=True)
    return sorted(vocab[t] for t in ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]") if t in vocab)


def skill_tower_vectors(encoder: OnnxEncoder, texts: Sequence[str], work: Path, console: Console | None,
                        chunk: int = 1024) -> np.ndarray:
    """The skill tower's vectors of ``texts`` (the targets), cached by the texts' and the model file's hash.

    One text per ONNX Runtime run, as the skill index is built (:data:`SKILL_ROWS_PER_RUN`): the
    targets are then the very vectors the tower will be compared with.
    """
    source = "\n".join(texts) + f"\n{encoder.file_sha256}/{SKILL_ROWS_PER_RUN}"
    key = hashlib.sha256(source.encode()).hexdigest()[:16]
    path = work / f"targets-{key}.npy"
    if path.exists():
        return np.load(path)
    out = np.zeros((len(texts), encoder.dimension), dtype=np.float32)
    with work_progress(console) as progress:
        task = progress.add_task("skill tower vectors", total=len(texts))
        for lo in range(0, len(texts), chunk):
            out[lo:lo + chunk] = encoder.encode(texts[lo:lo + chunk], batch_size=SKILL_ROWS_PER_RUN)
            progress.advance(task, min(chunk, len(texts) - lo))
    work.mkdir(parents=True, exist_ok=True)
    np.save(path, out)
    return out


def initial_table(encoder: OnnxEncoder, console: Console | None, chunk: int = 1024) -> np.ndarray:
    """Row per word piece: the skill tower's token state for the piece alone (``[CLS] piece [SEP]``)."""
    if not encoder.has_token_states:
        raise ArtifactMissing(f"{encoder.model_path} has no token output, which the static tower starts from: "
                              "re-export it (`kgservice models distill`)")
    tokenizer = encoder.tokenizer
    vocab = tokenizer.get_vocab_size(with_added_tokens=True)
    cls_id, sep_id = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    table = np.zeros((vocab, encoder.dimension), dtype=np.float32)
    with work_progress(console) as progress:
        task = progress.add_task("initial rows", total=vocab)
        for lo in range(0, vocab, chunk):
            ids = np.arange(lo, min(vocab, lo + chunk), dtype=np.int64)
            batch = np.stack([np.full_like(ids, cls_id), ids, np.full_like(ids, sep_id)], axis=1)
            table[lo:lo + len(ids)] = encoder.token_states(batch)[:, 1]
            progress.advance(task, len(ids))
    table[special_ids(tokenizer)] = 0.0
    return table


def train_table(table: np.ndarray, token_ids: Sequence[np.ndarray], targets: np.ndarray, work: Path,
                console: Console | None, *, epochs: int = EPOCHS, lr: float = LR, batch_size: int = BATCH_SIZE,
                frozen_rows: Sequence[int] = ()) -> tuple[np.ndarray, dict[str, Any]]:
    """Fit the rows so each text's normalized sum of rows meets its target vector (mean 1 - cosine).

    Resumable: a checkpoint (rows, optimizer, epoch, losses) after each epoch under ``work``; a rerun
    with the same data and settings continues from it. Returns the trained table and its record.
    """
    from kgservice.offline.torch_encoder import seed_everything, torch

    seed_everything(SEED)
    key = {"texts": len(token_ids), "rows": list(table.shape), "epochs": epochs, "lr": lr, "batch_size": batch_size,
           "targets": hashlib.sha256(targets.tobytes()).hexdigest()[:16]}
    bag = torch.nn.EmbeddingBag(table.shape[0], table.shape[1], mode="sum")
    bag.weight.data = torch.from_numpy(table.copy())
    optimizer = torch.optim.Adam(bag.parameters(), lr=lr)
    ckpt = work / "static-checkpoint.pt"
    start, losses = 0, []
    if ckpt.exists():
        state = torch.load(ckpt, map_location="cpu", weights_only=False)
        if state["key"] == key:
            bag.load_state_dict(state["model"])
            optimizer.load_state_dict(state["optimizer"])
            start, losses = state["epoch"], state["losses"]
    target = torch.from_numpy(targets)
    lengths = np.fromiter((len(t) for t in token_ids), dtype=np.int64, count=len(token_ids))
    keep = np.flatnonzero(lengths > 0)  # a text of special tokens only has nothing to learn from
    frozen = torch.tensor(sorted(frozen_rows), dtype=torch.long)
    rng = np.random.default_rng(SEED)
    orders = [rng.permutation(keep) for _ in range(epochs)]
    steps_per_epoch = max(1, len(keep) // batch_size)
    started = time.perf_counter()
    with training_progress(console) as progress:
        task = progress.add_task("static tower", total=epochs * steps_per_epoch, completed=start * steps_per_epoch,
                                 loss=losses[-1] if losses else 0.0)
        for epoch in range(start, epochs):
            for step in range(steps_per_epoch):
                rows = orders[epoch][step * batch_size:(step + 1) * batch_size]
                flat = torch.from_numpy(np.concatenate([token_ids[r] for r in rows]))
                offsets = torch.from_numpy(np.concatenate([[0], np.cumsum(lengths[rows])[:-1]]))
                out = torch.nn.functional.normalize(bag(flat, offsets), dim=1)
                loss = (1.0 - (out * target[torch.from_numpy(rows)]).sum(dim=1)).mean()
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                if len(frozen):
                    with torch.no_grad():
                        bag.weight[frozen] = 0.0
                losses.append(round(float(loss.detach()), 5))
                progress.update(task, advance=1, loss=sum(losses[-50:]) / len(losses[-50:]))
            if epoch + 1 < epochs:
                work.mkdir(parents=True, exist_ok=True)
                torch.save({"key": key, "epoch": epoch + 1, "losses": losses, "model": bag.state_dict(),
                            "optimizer": optimizer.state_dict()}, ckpt)
    ckpt.unlink(missing_ok=True)
    record = {"epochs": epochs, "resumed_at_epoch": start, "batch_size": batch_size, "lr": lr,
              "steps": epochs * steps_per_epoch, "texts": int(len(keep)),
              "seconds": round(time.perf_counter() - started, 1), "objective": "mean (1 - cosine) to the skill tower",
              "loss_first_50": float(np.mean(losses[:50])) if losses else None,
              "loss_last_50": float(np.mean(losses[-50:])) if losses else None}
    return bag.weight.detach().numpy().copy(), record


# -- export ---------------------------------------------------------------------------------------
def quantize_rows(table: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric int8 per row: ``table ~= q * scale[:, None]`` (a zero row keeps scale 1, stays zero)."""
    peak = np.abs(table).max(axis=1)
    scale = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float32)
    return np.clip(np.round(table / scale[:, None]), -127, 127).astype(np.int8), scale


def static_graph(table: np.ndarray, quantized: bool) -> Any:
    """The ONNX graph: look up the rows of ``input_ids``, zero the padding, sum, L2-normalize."""
    from onnx import TensorProto, helper, numpy_helper

    nodes, initializers = [], []
    if quantized:
        q, scale = quantize_rows(table)
        initializers += [numpy_helper.from_array(q, "rows_int8"), numpy_helper.from_array(scale[:, None], "row_scale")]
        nodes += [helper.make_node("Gather", ["rows_int8", "input_ids"], ["picked_int8"], axis=0),
                  helper.make_node("Gather", ["row_scale", "input_ids"], ["picked_scale"], axis=0),
                  helper.make_node("Cast", ["picked_int8"], ["picked_float"], to=TensorProto.FLOAT),
                  helper.make_node("Mul", ["picked_float", "picked_scale"], ["picked"])]
    else:
        initializers.append(numpy_helper.from_array(table.astype(np.float32), "rows"))
        nodes.append(helper.make_node("Gather", ["rows", "input_ids"], ["picked"], axis=0))
    initializers += [numpy_helper.from_array(np.array([-1], np.int64), "last_axis"),
                     numpy_helper.from_array(np.array([1], np.int64), "sequence_axis")]
    nodes += [helper.make_node("Cast", ["attention_mask"], ["mask"], to=TensorProto.FLOAT),
              helper.make_node("Unsqueeze", ["mask", "last_axis"], ["mask3"]),
              helper.make_node("Mul", ["picked", "mask3"], ["token_embeddings"]),
              helper.make_node("ReduceSum", ["token_embeddings", "sequence_axis"], ["summed"], keepdims=0),
              helper.make_node("LpNormalization", ["summed"], ["sentence_embedding"], axis=1, p=2)]
    dim = int(table.shape[1])
    graph = helper.make_graph(
        nodes, "static_sentence_tower",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"]),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "sequence"])],
        [helper.make_tensor_value_info("sentence_embedding", TensorProto.FLOAT, ["batch", dim]),
         helper.make_tensor_value_info("token_embeddings", TensorProto.FLOAT, ["batch", "sequence", dim])],
        initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="kgservice")
    model.ir_version = 8
    return model


def reference_vectors(table: np.ndarray, tokenizer: Any, texts: Sequence[str]) -> np.ndarray:
    """What the graph computes, in numpy: the normalized sum of the texts' rows."""
    out = np.zeros((len(texts), table.shape[1]), dtype=np.float32)
    for i, enc in enumerate(tokenizer.encode_batch(list(texts))):
        out[i] = table[enc.ids].sum(axis=0)
    return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


def export_static(table: np.ndarray, skill_tower: OnnxEncoder, out_dir: Path, *, verify_texts: Sequence[str],
                  training: dict[str, Any] | None = None) -> Path:
    """Write fp32 + int8 ONNX, tokenizer and manifest, verify them, and publish ``out_dir`` in one rename.

    Raises:
        ExportVerificationError: ONNX fp32 differs from the numpy reference (cosine below 0.9999), or
            int8 rows from fp32 (below 0.995).
    """
    import onnx

    from kgservice.offline.model_folder import file_entries, publishing, tool_versions, write_json
    from kgservice.offline.onnx_export import ExportVerificationError

    started = time.perf_counter()
    with publishing(out_dir) as work:
        for name, quantized in ((FP32_FILE, False), (INT8_FILE, True)):
            model = static_graph(table, quantized)
            onnx.checker.check_model(model)
            onnx.save(model, str(work / name))
        shutil.copy2(skill_tower.model_path.parent / "tokenizer.json", work / "tokenizer.json")
        manifest: dict[str, Any] = {
            "model_id": STATIC_ID,
            "dimension": int(table.shape[1]),
            "max_seq_length": skill_tower.max_seq_length,
            "opset": OPSET,
            "inputs": ["input_ids", "attention_mask"],
            "output": "sentence_embedding",
            "token_output": "token_embeddings",
            "pooling": "sum of static word-piece vectors, L2-normalized",
            "layers": 0,
            "vocabulary": int(table.shape[0]),
            "batch_tokens": BATCH_TOKENS,
            "int8_quantization": {"method": "symmetric int8 per row, float32 scale per row"},
            "normalized": True,
            "skill_tower": {"model_id": skill_tower.model_id, "encoder_file": skill_tower.model_path.name,
                            "sha256": skill_tower.file_sha256},
            "training": training,
            "exporter": tool_versions(),
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        manifest["files"] = file_entries(work)
        write_json(work / "manifest.json", manifest)
        texts = list(verify_texts)
        reference = reference_vectors(table, skill_tower.tokenizer, texts)
        fp32 = OnnxEncoder.load(work, quantized=False).encode(texts)
        int8 = OnnxEncoder.load(work, quantized=True).encode(texts)
        nonzero = np.linalg.norm(reference, axis=1) > 0
        cos = np.sum(fp32 * reference, axis=1)[nonzero]
        cos8 = np.sum(int8 * fp32, axis=1)[nonzero]
        if cos.min() < REFERENCE_MIN_COSINE:
            raise ExportVerificationError(f"static tower ONNX fp32 differs from its rows: min cosine {cos.min():.6f}")
        if cos8.min() < INT8_MIN_COSINE:
            raise ExportVerificationError(f"static tower int8 rows too far from fp32: min cosine {cos8.min():.4f}")
        tower = skill_tower.encode(texts)
        agree = np.sum(int8 * tower, axis=1)[nonzero]
        manifest["verification"] = {"sentences": len(texts), "fp32_min_cosine": round(float(cos.min()), 6),
                                    "int8_vs_fp32_min_cosine": round(float(cos8.min()), 6),
                                    "int8_vs_fp32_mean_cosine": round(float(cos8.mean()), 6),
                                    "int8_vs_skill_tower_mean_cosine": round(float(agree.mean()), 4)}
        manifest["export_seconds"] = round(time.perf_counter() - started, 2)
        write_json(work / "manifest.json", manifest)
    return out_dir


def distill_static(settings: Settings, graph: Graph, console: Console, *, epochs: int = EPOCHS,
                   limit: int | None = None, out: Path | None = None) -> Path:
    """Fit the static tower to the configured skill tower (``pipeline.encoder_model``) and publish it.

    Output: ``out`` or ``<home>/models/kgservice-skills-static`` (which serving prefers over the
    shipped copy in ``kgservice/models/``).
    """
    from kgservice.offline.distill import distill_texts, heldout_sentences
    from kgservice.offline.skill_linker import training_dir

    cfg = settings.pipeline
    tower = OnnxEncoder.load(artifacts.model_dir(settings), quantized=cfg.quantized, threads=cfg.threads)
    work = training_dir(settings, STATIC_ID)
    texts = distill_texts(settings, graph, limit)
    console.print(f"static tower: {len(texts)} texts, skill tower {tower.model_id} ({tower.model_path.name})")
    targets = skill_tower_vectors(tower, texts, work, console)
    table = initial_table(tower, console)
    specials = special_ids(tower.tokenizer)
    skip = set(specials)
    token_ids = [np.asarray([i for i in enc.ids if i not in skip], dtype=np.int64)
                 for enc in tower.tokenizer.encode_batch(texts)]
    trained, record = train_table(table, token_ids, targets, work, console, epochs=epochs, frozen_rows=specials)
    record["seed"] = SEED
    target = out or settings.home / "models" / STATIC_ID
    published = export_static(trained, tower, target, verify_texts=heldout_sentences(settings), training=record)
    manifest = json.loads((published / "manifest.json").read_text())
    write_model_card(published, manifest)
    console.print(f"static tower published at {published}: agreement with the skill tower on held-out "
                  f"SkillSkape dev (mean cosine) {manifest['verification']['int8_vs_skill_tower_mean_cosine']}")
    return published


def write_model_card(directory: Path, manifest: dict[str, Any]) -> None:
    training = manifest.get("training") or {}
    files = "\n".join(f"| {name} | {e['bytes'] / 1e6:.1f} MB | `{e['sha256']}` |" for name, e in manifest["files"].items())
    tower = manifest["skill_tower"]
    card = f"""# {manifest['model_id']}

A static sentence tower for linking text to skills: one {manifest['dimension']}-d vector per word piece of
the {manifest['vocabulary']}-piece vocabulary; a text's vector is the L2-normalized sum of its pieces' vectors.
Distilled from `{tower['model_id']}` ({tower['encoder_file']}, SHA-256 `{tower['sha256']}`) into that model's
own space, so the skill vectors that model puts in the HNSW index serve this tower.
Produced by `kgservice models distill-static --epochs {training.get('epochs')}` (seed {SEED}).

## Training
Rows start as the skill tower's token state of each piece alone. Objective: {training.get('objective')}, over
{training.get('texts')} texts (the student's distillation texts: ESCO labels and aliases, Lightcast names,
SkillSkape train sentences and clauses, the project's hand-written postings), {training.get('epochs')} epochs of {training.get('batch_size')}, Adam lr {training.get('lr')},
{training.get('seconds')} s on CPU; loss {(training.get('loss_first_50') or 0.0):.4f} (first 50 steps) -> {(training.get('loss_last_50') or 0.0):.4f} (last 50).
The evaluation split (skill-extraction-dev) was never used.

## Export
ONNX opset {manifest['opset']}: Gather, mask, ReduceSum, LpNormalization; int8 file: {manifest['int8_quantization']['method']}.
Verification on held-out SkillSkape dev sentences: {json.dumps(manifest['verification'])}.

| file | size | SHA-256 |
|---|---|---|
{files}

Quality and speed against the student: `bench/models.py` and `bench/speed.py` (results in the project README).
"""
    (directory / "MODEL_CARD.md").write_text(card)
