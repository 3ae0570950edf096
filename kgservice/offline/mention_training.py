"""Train, measure and export the mention detector (:mod:`kgservice.pipeline.mention_detector`).

``kgservice models train-mentions`` reads the vendored SkillSpan postings (MIT; skill and knowledge
spans together), cuts them into sentences exactly as serving does (sectioner, then the semantic
tagger's sentence splitter), labels each word piece B/I/O from the annotated character spans, and
trains a small network on the train split: the static sentence tower's word-piece rows (frozen)
projected to ``dim``, a learned word-shape embedding, one convolution and ``len(dilations)`` residual
dilated convolutions, and a 3-way output. Each epoch is measured on the dev split by span F1 (lenient
overlap, :func:`kgservice.evaluation.span_scores`); the best epoch is kept and the threshold on
"outside" that gives the best dev span F1 is written to the manifest. Training resumes from the last
finished epoch (``work/epoch.pt``).

Export folds the frozen rows and the projection into one table, stored as int8 rows with a float
scale each (the static tower's scheme), and checks ONNX Runtime against PyTorch on the dev sentences.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console

from kgservice.document import Document, Domain
from kgservice.evaluation import SpanPosting, load_skillspan, span_scores
from kgservice.pipeline.mention_detector import (MODEL_FILE, MODEL_ID, PAD_SHAPE, SHAPES, TRIE_FLAGS, Pieces,
                                                 decode, document_sentences, load_tokenizer, pieces, trie_flags)
from kgservice.inference.onnx_encoder import sha256_file
from kgservice.pipeline.trie_tagger import SkillTrie, TrieTagger
from kgservice.pipeline.sectioner import Sectioner
from kgservice.package_data import data_path
from kgservice.settings import Settings
from kgservice.offline.model_folder import file_entries, publishing, tool_versions, write_json
from kgservice.offline.progress import training_progress

SOURCE_MODEL = "kgservice-skills-static"
SEED = 7
EPOCHS = 24
THRESHOLDS = tuple(round(x, 2) for x in np.arange(0.30, 0.86, 0.05))


@dataclass(slots=True)
class Sentence:
    """One training sentence: its pieces, their trie flags and a B/I/O label per piece (0/1/2)."""

    pieces: Pieces
    labels: np.ndarray
    flags: np.ndarray


def static_rows(model_dir: Path) -> np.ndarray:
    """The static tower's word-piece rows, dequantized from its int8 ONNX file."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(model_dir / "model.int8.onnx"))
    found = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    return found["rows_int8"].astype(np.float32) * found["row_scale"].astype(np.float32).reshape(-1, 1)


def piece_labels(p: Pieces, spans: Sequence[tuple[int, int]]) -> np.ndarray:
    """B (1) on the first word piece of an annotated span, I (2) on the rest of it, O (0) elsewhere."""
    labels = np.zeros(len(p.ids), np.int64)
    ordered = sorted(spans)
    for k, (a, b) in enumerate(p.offsets):
        if b <= a:
            continue
        for s, e in ordered:
            if a < e and s < b:
                first = not any(s < q_b and q_a < e and q_b > q_a for q_a, q_b in p.offsets[:k])
                labels[k] = 1 if first and p.word_start[k] else 2
                break
    return labels


def sentences_of(postings: Sequence[SpanPosting], tokenizer: Any, trie: TrieTagger) -> list[Sentence]:
    """Every posting cut, trie-tagged and tokenized as serving does, labelled from its spans."""
    sectioner = Sectioner()
    out = []
    for posting in postings:
        doc = trie(sectioner(Document(posting.text, Domain.JOB)))
        matches = sorted(doc.spans["trie_tagger"], key=lambda s: s.start)
        located = document_sentences(doc)
        encodings = tokenizer.encode_batch([posting.text[a:b] for a, b, _ in located])
        for enc, (a, b, _) in zip(encodings, located, strict=True):
            p = pieces(enc, posting.text[a:b], a)
            inside = [(s, e) for s, e in posting.spans if s < b and a < e]
            out.append(Sentence(p, piece_labels(p, inside), trie_flags(p, matches)))
    return out


def _net(table: np.ndarray, dim: int, hidden: int, dilations: Sequence[int], dropout: float) -> Any:
    import torch
    from torch import nn

    class DetectorNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.rows = nn.Embedding.from_pretrained(torch.from_numpy(table), freeze=True)
            self.proj = nn.Linear(table.shape[1], dim, bias=False)
            self.shape = nn.Embedding(SHAPES, 16)
            self.trie = nn.Embedding(TRIE_FLAGS, 8)
            self.inp = nn.Conv1d(dim + 16 + 8, hidden, 3, padding=1)
            self.blocks = nn.ModuleList(nn.Conv1d(hidden, hidden, 3, dilation=d, padding=d) for d in dilations)
            self.drop = nn.Dropout(dropout)
            self.out = nn.Linear(hidden, 3)

        def embed(self, ids: Any) -> Any:
            return self.proj(self.rows(ids))

        def head(self, x: Any, shape_ids: Any, trie_ids: Any) -> Any:
            mask = (shape_ids != PAD_SHAPE).unsqueeze(1).to(x.dtype)  # [B, 1, T]
            x = torch.cat([x, self.shape(shape_ids), self.trie(trie_ids)], dim=-1).transpose(1, 2) * mask
            h = torch.nn.functional.gelu(self.inp(self.drop(x))) * mask
            for conv in self.blocks:
                h = h + torch.nn.functional.gelu(conv(self.drop(h))) * mask
            return self.out(self.drop(h.transpose(1, 2)))

        def forward(self, ids: Any, shape_ids: Any, trie_ids: Any) -> Any:
            return self.head(self.embed(ids), shape_ids, trie_ids)

    return DetectorNet()


def _batch(sentences: Sequence[Sentence]) -> tuple[Any, Any, Any, Any]:
    """Padded ``(ids, shapes, trie flags, labels)`` tensors; padding labels are ignored by the loss."""
    import torch

    width = max(len(s.labels) for s in sentences)
    ids = np.zeros((len(sentences), width), np.int64)
    shapes = np.full((len(sentences), width), PAD_SHAPE, np.int64)
    flags = np.zeros((len(sentences), width), np.int64)
    labels = np.full((len(sentences), width), -100, np.int64)
    for r, s in enumerate(sentences):
        n = len(s.labels)
        ids[r, :n], shapes[r, :n], flags[r, :n], labels[r, :n] = s.pieces.ids, s.pieces.shapes, s.flags, s.labels
    return torch.from_numpy(ids), torch.from_numpy(shapes), torch.from_numpy(flags), torch.from_numpy(labels)


def _length_batches(sentences: Sequence[Sentence], batch_size: int, seed: int) -> list[list[Sentence]]:
    """Shuffled batches of sentences of similar length: a batch pads to its longest sentence, and one
    256-piece sentence in a random batch made every other row pay for 256 pieces."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(sentences))
    pool = batch_size * 50
    out = []
    for i in range(0, len(order), pool):
        chunk = sorted(order[i:i + pool], key=lambda k: len(sentences[k].labels))
        out += [[sentences[k] for k in chunk[j:j + batch_size]] for j in range(0, len(chunk), batch_size)]
    return [out[k] for k in rng.permutation(len(out))]


def _probs(net: Any, sentences: Sequence[Sentence], batch: int = 64) -> list[np.ndarray]:
    import torch

    net.eval()
    out: list[np.ndarray] = []
    with torch.no_grad():
        for i in range(0, len(sentences), batch):
            chunk = sentences[i:i + batch]
            ids, shapes, flags, _ = _batch(chunk)
            probs = torch.softmax(net(ids, shapes, flags), dim=-1).numpy()
            out.extend(probs[r, :len(s.labels)] for r, s in enumerate(chunk))
    return out


def measure(probs: Sequence[np.ndarray], sentences: Sequence[Sentence], owners: Sequence[int],
            postings: Sequence[SpanPosting], threshold: float) -> Any:
    """Span scores of the decoded mentions on whole postings (``owners[i]``: sentence i's posting)."""
    found: list[list[tuple[int, int]]] = [[] for _ in postings]
    for pr, s, owner in zip(probs, sentences, owners, strict=True):
        found[owner].extend((a, b) for a, b, _ in decode(pr, s.pieces, threshold))
    return span_scores(found, postings)


def train_mentions(settings: Settings, console: Console, taxonomy_version: str, *, epochs: int = EPOCHS,
                   dim: int = 128, hidden: int = 192,
                   dilations: Sequence[int] = (1, 2, 4, 1), dropout: float = 0.25, lr: float = 2e-3,
                   batch_size: int = 32, out_dir: Path | None = None, limit: int | None = None) -> Path:
    """Train on SkillSpan train, keep the best epoch on dev, export to ``<home>/models/kgservice-mentions``.

    ``taxonomy_version``: the trie whose matches the detector reads (``kgservice index build``'s).
    ``limit``: train on the first ``limit`` postings and select on a third as many (smoke runs).
    """
    import torch

    from kgservice.inference import artifacts

    torch.manual_seed(SEED)
    source = artifacts.model_dir(settings, SOURCE_MODEL)
    tokenizer = load_tokenizer(source / "tokenizer.json")
    trie = TrieTagger(SkillTrie.load(artifacts.trie_dir(settings, taxonomy_version)))
    data = settings.training_data / "skillspan"
    train_postings, dev_postings = load_skillspan(data / "train.json"), load_skillspan(data / "dev.json")
    if limit is not None:
        train_postings, dev_postings = train_postings[:limit], dev_postings[: max(1, limit // 3)]
    train = sentences_of(train_postings, tokenizer, trie)
    dev, owners = [], []
    for i, posting in enumerate(dev_postings):
        part = sentences_of([posting], tokenizer, trie)
        dev += part
        owners += [i] * len(part)
    console.print(f"mention detector: {len(train)} train sentences ({len(train_postings)} postings), {len(dev)} dev "
                  f"({len(dev_postings)} postings)")
    table = static_rows(source)
    net = _net(table, dim, hidden, dilations, dropout)
    optimizer = torch.optim.AdamW([p for p in net.parameters() if p.requires_grad], lr=lr, weight_decay=0.01)
    out_dir = out_dir or settings.home / "models" / MODEL_ID
    work = settings.home / "work" / (MODEL_ID if limit is None else f"{MODEL_ID}-limit{limit}")
    work.mkdir(parents=True, exist_ok=True)
    checkpoint = work / "epoch.pt"
    start, best, history = 0, (-1.0, 0, 0.5), []
    if checkpoint.exists():
        state = torch.load(checkpoint, weights_only=False)
        net.load_state_dict(state["net"])
        optimizer.load_state_dict(state["optimizer"])
        start, best, history = state["epoch"], tuple(state["best"]), state["history"]
        console.print(f"resuming after epoch {start}")
    # Class weights: outside pieces outnumber mention pieces about 5 to 1.
    loss_fn = torch.nn.CrossEntropyLoss(weight=torch.tensor([1.0, 2.0, 1.5]), ignore_index=-100)
    steps = (len(train) + batch_size - 1) // batch_size
    started = time.perf_counter()
    with training_progress(console) as progress:
        task = progress.add_task("mention detector", total=epochs * steps, completed=start * steps, loss=0.0)
        for epoch in range(start, epochs):
            net.train()
            running = 0.0
            for step, chunk in enumerate(_length_batches(train, batch_size, SEED + epoch)):
                ids, shapes, flags, labels = _batch(chunk)
                loss = loss_fn(net(ids, shapes, flags).reshape(-1, 3), labels.reshape(-1))
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                running = 0.9 * running + 0.1 * loss.item() if step else loss.item()
                progress.update(task, advance=1, loss=running)
            probs = _probs(net, dev)
            scored = [(measure(probs, dev, owners, dev_postings, t).f1, t) for t in THRESHOLDS]
            f1, threshold = max(scored)
            history.append({"epoch": epoch + 1, "loss": round(running, 4), "dev_span_f1": round(f1, 4),
                            "threshold": threshold})
            progress.console.print(f"epoch {epoch + 1}: loss {running:.4f}, dev span F1 {f1:.3f} at {threshold}")
            if f1 > best[0]:
                best = (f1, epoch + 1, threshold)
                torch.save(net.state_dict(), work / "best.pt")
            torch.save({"net": net.state_dict(), "optimizer": optimizer.state_dict(), "epoch": epoch + 1,
                        "best": list(best), "history": history}, checkpoint)
    net.load_state_dict(torch.load(work / "best.pt", weights_only=False))
    probs = _probs(net, dev)
    dev_scores = measure(probs, dev, owners, dev_postings, best[2])
    record = {"epochs": epochs, "best_epoch": best[1], "dim": dim, "hidden": hidden, "dilations": list(dilations),
              "dropout": dropout, "lr": lr, "batch_size": batch_size, "seed": SEED,
              "train": {"postings": len(train_postings), "sentences": len(train)},
              "dev": {"postings": len(dev_postings), "sentences": len(dev), "span_precision": round(dev_scores.precision, 4),
                      "span_recall": round(dev_scores.recall, 4), "span_f1": round(dev_scores.f1, 4),
                      "char_precision": round(dev_scores.char_precision, 4),
                      "char_recall": round(dev_scores.char_recall, 4)},
              "history": history, "seconds": round(time.perf_counter() - started, 1)}
    export(net, source, out_dir, threshold=best[2], record=record, verify=dev[:300])
    console.print(f"mention detector: best epoch {best[1]}, dev span P {dev_scores.precision:.3f} "
                  f"R {dev_scores.recall:.3f} F1 {dev_scores.f1:.3f} (threshold {best[2]}) -> {out_dir}")
    return out_dir


def export(net: Any, source: Path, out_dir: Path, *, threshold: float, record: dict[str, Any],
           verify: Sequence[Sentence]) -> None:
    """ONNX with the folded int8 table; verified against PyTorch on ``verify``; manifest and model card."""
    import torch

    from kgservice.offline.static_distill import quantize_rows

    net.eval()
    with torch.no_grad():
        folded = net.embed(torch.arange(net.rows.num_embeddings)).numpy()
    q, scale = quantize_rows(folded)

    class Exported(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.register_buffer("rows_int8", torch.from_numpy(q))
            self.register_buffer("row_scale", torch.from_numpy(scale).unsqueeze(1))
            self.net = net

        def forward(self, input_ids: Any, shape_ids: Any, trie_ids: Any) -> Any:
            x = self.rows_int8[input_ids].to(torch.float32) * self.row_scale[input_ids]
            return torch.softmax(self.net.head(x, shape_ids, trie_ids), dim=-1)

    with publishing(out_dir) as work:
        model = Exported().eval()
        ids, shapes, flags, _ = _batch(verify[:4])
        axes = {0: "batch", 1: "pieces"}
        torch.onnx.export(model, (ids, shapes, flags), str(work / MODEL_FILE),
                          input_names=["input_ids", "shape_ids", "trie_ids"], output_names=["probs"],
                          dynamic_axes={"input_ids": axes, "shape_ids": axes, "trie_ids": axes, "probs": axes},
                          opset_version=17, dynamo=False)
        shutil.copy(source / "tokenizer.json", work / "tokenizer.json")
        worst = _verify(model, net, work / MODEL_FILE, verify, record)
        manifest = {"model_id": MODEL_ID, "labels": ["O", "B", "I"], "inputs": ["input_ids", "shape_ids", "trie_ids"],
                    "output": "probs", "threshold": threshold, "shapes": SHAPES, "source_rows": SOURCE_MODEL,
                    "source_sha256": sha256_file(source / "model.int8.onnx"),
                    "data": "SkillSpan train (MIT), dev for selection", "training": record,
                    "onnx_vs_torch_max_abs": worst, "exporter": tool_versions(),
                    "created_at": datetime.now(UTC).isoformat(timespec="seconds"), "files": file_entries(work)}
        write_json(work / "manifest.json", manifest)
        (work / "MODEL_CARD.md").write_text(model_card(manifest))


def _verify(model: Any, net: Any, path: Path, verify: Sequence[Sentence], record: dict[str, Any]) -> float:
    """ONNX Runtime against PyTorch on ``verify`` (the int8 table both use), and the int8 table against
    the fp32 rows (recorded); raises when the export differs."""
    import onnxruntime as ort
    import torch

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    worst = folding = 0.0
    with torch.no_grad():
        for i in range(0, len(verify), 32):
            ids, shapes, flags, _ = _batch(verify[i:i + 32])
            want = model(ids, shapes, flags).numpy()
            got = session.run(["probs"], {"input_ids": ids.numpy(), "shape_ids": shapes.numpy(),
                                          "trie_ids": flags.numpy()})[0]
            worst = max(worst, float(np.abs(want - got).max()))
            folding = max(folding, float(np.abs(torch.softmax(net(ids, shapes, flags), dim=-1).numpy() - want).max()))
    record["int8_vs_fp32_max_abs"] = round(folding, 4)
    if worst > 1e-4:
        raise RuntimeError(f"the exported mention detector differs from PyTorch by {worst:.2e}")
    return worst


def model_card(manifest: dict[str, Any]) -> str:
    t = manifest["training"]
    dev = t["dev"]
    return f"""# {manifest['model_id']}

A skill/knowledge mention tagger (B/I/O over word pieces) for whole postings, run by ONNX Runtime on
the CPU; `kgservice/pipeline/mention_detector.py` serves it, `kgservice models train-mentions` makes it.

- Input: the word pieces of a sentence (the vocabulary of `{manifest['source_rows']}`), a word shape
  per piece (case, digits, word start, sentence start) and whether the skill trie matched a label or
  an alias over the piece.
- Network: `{manifest['source_rows']}`'s frozen rows projected to {t['dim']} dimensions (folded into one
  int8 table at export), a shape embedding, a convolution and {len(t['dilations'])} residual dilated
  convolutions (dilations {t['dilations']}, {t['hidden']} channels), softmax over O/B/I.
- Data: SkillSpan (Zhang et al., NAACL 2022, MIT): {t['train']['postings']} train postings
  ({t['train']['sentences']} sentences, skill and knowledge spans as one class); the epoch and the
  threshold ({manifest['threshold']}) chosen on the {t['dev']['postings']} dev postings.
- Dev (whole postings, lenient overlap): span precision {dev['span_precision']}, recall
  {dev['span_recall']}, F1 {dev['span_f1']}; characters: precision {dev['char_precision']}, recall
  {dev['char_recall']}. Best epoch {t['best_epoch']} of {t['epochs']}, {t['seconds']} s on the CPU.
- ONNX Runtime vs PyTorch (int8 table): max abs difference {manifest['onnx_vs_torch_max_abs']:.1e}.
- Limits: English job postings only; SkillSpan's annotators marked skills and knowledge as a
  recruiter would, not tools' versions or benefits; everything else is "outside".
"""


def ship(settings: Settings) -> Path:
    """Copy the trained detector into the source tree's ``kgservice/models/`` (what the package ships)."""
    src = settings.home / "models" / MODEL_ID
    if not (src / "manifest.json").exists():
        raise FileNotFoundError(f"no trained mention detector at {src}: run `kgservice models train-mentions`")
    dest = data_path("models") / MODEL_ID
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(src, dest)
    return dest
