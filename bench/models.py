"""Teacher vs distilled student: size, speed and linking quality, one run, one table.

Run: ``.venv/bin/python bench/models.py`` after ``kgservice models distill`` (which fine-tunes the
teacher first). The raw and fine-tuned teachers are exported to ONNX (fp32) on first use, so every
row is timed in the same runtime (ONNX Runtime, CPU, all cores of this machine). Rows:
all-MiniLM-L6-v2 (the baseline of ``../shared/data/README.md``, measured in the same run), the raw
teacher all-mpnet-base-v2, the fine-tuned teacher, the student in fp32 and int8, and any other
student distilled on this machine (``kgservice models distill --layers 0,5`` -> ``...-student-L2``),
marked "not served", and the served static sentence tower (``KG_PIPELINE__SENTENCE_MODEL``), whose
labels are embedded by its skill tower (the int8 student), as the skill index holds them.

Columns: parameters (counted in the ONNX initializers), file size, sentences per second (512
SkillSkape dev sentences, batches of 64), p50/p99 latency for one sentence and for one ~400-word
posting (split into sentences/clauses as the semantic tagger does, one encoder call), and the
semantic tagger's ranking quality on the evaluation split (skill-extraction-dev TECH and HOUSE):
the model ranks all ESCO preferred labels by cosine for each sentence; R-Precision@5 and MRR as in
``bench/quality.py``. A second table ranks the way the tagger does for models whose ONNX graph
outputs token states: the sentence vector's top ``KG_PIPELINE__SEMANTIC_CANDIDATES`` labels,
re-ranked by the best cosine of the sentence or any of its ``KG_PIPELINE__SEMANTIC_WINDOW_TOKENS``-token
windows: :class:`~kgservice.pipeline.embedding_tagger.EmbeddingTagger` itself, over an exhaustive
index of the labels instead of HNSW. Ratios are to the fine-tuned teacher (speed, size, quality) and to the
baseline (RP@5 difference), both measured here.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from postings import posting_pieces, postings  # noqa: E402

from kgservice.evaluation import label_resolver, load_annotations, score  # noqa: E402
from kgservice.graph.cypher import Query  # noqa: E402
from kgservice.graph.driver import Graph  # noqa: E402
from kgservice.inference import artifacts  # noqa: E402
from kgservice.inference.hnsw_index import SKILL_ROWS_PER_RUN, best_cosines  # noqa: E402
from kgservice.inference.onnx_encoder import OnnxEncoder  # noqa: E402
from kgservice.pipeline.embedding_tagger import EmbeddingTagger  # noqa: E402
from kgservice.settings import Settings  # noqa: E402

SPLITS = {"TECH": "tech_validation_annotations.csv", "HOUSE": "house_validation_annotations.csv"}


@dataclass
class Row:
    name: str
    params: int
    mb: float
    sents_per_s: float
    one_p50: float
    one_p99: float
    post_p50: float
    post_p99: float
    rp5: dict[str, float]
    mrr: dict[str, float]
    # The semantic tagger's ranking: the sentence's candidates re-ranked by its token windows (None:
    # the model has no token output).
    rp5_windows: dict[str, float] | None
    mrr_windows: dict[str, float] | None


class ExactIndex:
    """The tagger's index interface over every label vector, searched exhaustively (no HNSW error)."""

    def __init__(self, ids: list[str], vectors: np.ndarray) -> None:
        self.ids, self.vectors = ids, vectors
        self.row = {sid: i for i, sid in enumerate(ids)}

    def query(self, vectors: np.ndarray, k: int = 5) -> tuple[list[list[str]], np.ndarray]:
        sims = vectors @ self.vectors.T
        top = np.argsort(-sims, axis=1)[:, :k]
        return [[self.ids[j] for j in row] for row in top], np.take_along_axis(sims, top, axis=1)

    def rescore(self, candidates: Sequence[Sequence[str]], vectors: Sequence[np.ndarray]) -> np.ndarray:
        rows = np.asarray([[self.row[sid] for sid in ids] for ids in candidates], dtype=np.int64)
        return best_cosines(self.vectors, rows, vectors)


def onnx_parameters(path: Path) -> int:
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(path), load_external_data=True)
    return int(sum(numpy_helper.to_array(t).size for t in model.graph.initializer))


def percentile(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def ensure_teacher_onnx(settings: Settings, fine_tuned: bool, console: Console) -> Path:
    from kgservice.offline.onnx_export import export_pooled
    from kgservice.offline.skill_linker import training_dir
    from kgservice.offline.teacher import TEACHER_ID, fetch_teacher
    from kgservice.offline.torch_encoder import PooledEncoder

    model_id = f"{TEACHER_ID}-skills" if fine_tuned else TEACHER_ID
    out = settings.home / "models" / model_id
    if (out / "manifest.json").exists() and (out / "model.onnx").exists():
        return out
    src = training_dir(settings, model_id) / "model" if fine_tuned else fetch_teacher(settings.cache)
    with console.status(f"exporting {model_id} to ONNX"):
        model, tokenizer = PooledEncoder.load(src)
        export_pooled(model, tokenizer, src / "tokenizer.json", out, model_id=model_id, quantize=False,
                      verify_texts=["Python programming", "design and ship iPhone apps", "forklift licence"],
                      source={"from": str(src)}, max_seq_length=384)
    return out


def measure(name: str, encoder: OnnxEncoder, labels: list[str], ids: list[str], splits: dict, sentences: list[str],
            pieces: list[list[str]], console: Console, window: int, candidates: int,
            skill_tower: OnnxEncoder | None = None) -> Row:
    """``skill_tower``: the encoder of the label vectors when it is not ``encoder`` (a sentence-only tower)."""
    for _ in range(3):
        encoder.encode(sentences[:64])
    started = time.perf_counter()
    encoder.encode(sentences, batch_size=64)
    rate = len(sentences) / (time.perf_counter() - started)
    one = []
    for s in sentences[:100]:
        t = time.perf_counter()
        encoder.encode([s])
        one.append((time.perf_counter() - t) * 1000)
    post = []
    for p in pieces:
        t = time.perf_counter()
        encoder.encode(p, batch_size=64)
        post.append((time.perf_counter() - t) * 1000)
    tower = skill_tower or encoder
    with console.status(f"{name}: encoding {len(labels)} ESCO labels"):
        # As the skill index is built: an int8 graph one label per run (SKILL_ROWS_PER_RUN).
        label_vecs = tower.encode(labels, batch_size=SKILL_ROWS_PER_RUN if tower.quantized else 128)
    rp5, mrr, rp5_w, mrr_w = {}, {}, {}, {}
    for split, examples in splits.items():
        texts = [e.sentence for e in examples]
        sims = encoder.encode(texts) @ label_vecs.T
        top = np.argsort(-sims, axis=1)[:, :10]
        s = score([[ids[j] for j in row] for row in top], examples)
        rp5[split], mrr[split] = s.rp5, s.mrr
        if encoder.has_token_states and window:
            tagger = EmbeddingTagger(encoder, ExactIndex(ids, label_vecs), threshold=-1.0, top_k=10,
                                     window_tokens=window, candidates=candidates, cache_size=0)
            s = score([[sid for sid, _ in found] for found in tagger.predict(texts)], examples)
            rp5_w[split], mrr_w[split] = s.rp5, s.mrr
    model_file = encoder.model_path
    return Row(name, onnx_parameters(model_file), model_file.stat().st_size / 1e6, rate,
               statistics.median(one), percentile(one, 0.99), statistics.median(post), percentile(post, 0.99), rp5,
               mrr, rp5_w or None, mrr_w or None)


def main(argv: Sequence[str] | None = None) -> int:
    from kgservice.offline.distill import STUDENT_ID
    from kgservice.offline.onnx_export import MODEL_ID as MINILM

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postings", type=int, default=20)
    parser.add_argument("--skip-teachers", action="store_true", help="only the baseline and the student")
    args = parser.parse_args(argv)
    console = Console(width=200)
    settings = Settings()
    graph = Graph.connect(settings)
    esco = graph.read(Query.GET_SKILLS_FOR_INDEX, taxonomies=["esco"])
    graph.close()
    ids, labels = [str(s["id"]) for s in esco], [str(s["name"]) for s in esco]
    resolve = label_resolver(esco)
    data = settings.shared_data / "skill-extraction-dev"
    splits = {k: load_annotations(data / v, resolve) for k, v in SPLITS.items()}
    import csv

    with open(settings.training_data / "skillskape" / "dev.csv", encoding="utf-8", newline="") as fh:
        sentences = [row["sentence"] for _, row in zip(range(512), csv.DictReader(fh))]
    pieces = posting_pieces(postings(args.postings))
    console.print(f"{len(sentences)} sentences; {args.postings} postings, "
                  f"{statistics.mean(len(p) for p in pieces):.0f} pieces each on average")

    student_dir = artifacts.model_dir(settings, STUDENT_ID)
    # (row, model folder, int8, the skill tower's folder when the labels are embedded by another model)
    models: list[tuple[str, Path, bool, Path | None]] = [
        (f"baseline {MINILM}", artifacts.model_dir(settings, MINILM), False, None)]
    if not args.skip_teachers:
        models += [("teacher all-mpnet-base-v2 (raw)", ensure_teacher_onnx(settings, False, console), False, None),
                   ("teacher fine-tuned", ensure_teacher_onnx(settings, True, console), False, None)]
    if (student_dir / "model.onnx").exists():
        models.append(("student fp32", student_dir, False, None))
    models.append(("student int8", student_dir, True, None))
    # Other students distilled here (`kgservice models distill --layers ...`), measured beside the one that serves.
    for other in sorted((settings.home / "models").glob("kgservice-skills-student-L*")):
        if other.name != STUDENT_ID and (other / "model.int8.onnx").exists():
            models.append((f"{other.name.removeprefix('kgservice-skills-')} int8 (not served)", other, True, None))
    cfg = settings.pipeline
    if cfg.sentence_tower != cfg.encoder_model:  # the served sentence tower, against the student's label vectors
        models.append((f"{cfg.sentence_tower.removeprefix('kgservice-skills-')} sentence tower int8 (served)",
                       artifacts.model_dir(settings, cfg.sentence_tower), True, artifacts.model_dir(settings)))
    window, candidates = cfg.semantic_window_tokens, cfg.semantic_candidates
    rows = []
    for name, directory, quantized, skill_dir in models:
        encoder = OnnxEncoder.load(directory, quantized=quantized, threads=settings.pipeline.threads)
        tower = None if skill_dir is None else OnnxEncoder.load(skill_dir, quantized=cfg.quantized,
                                                                threads=settings.pipeline.threads)
        rows.append(measure(name, encoder, labels, ids, splits, sentences, pieces, console, window, candidates,
                            skill_tower=tower))
        r = rows[-1]
        console.print(f"{name}: {r.sents_per_s:.0f} sentences/s, RP@5 {r.rp5}, with token windows {r.rp5_windows}")

    ref = next((r for r in rows if r.name == "teacher fine-tuned"), None)
    base = rows[0]
    table = Table(title="Encoders on the semantic tagger's job (ONNX Runtime, CPU)")
    for col in ("model", "params", "MB", "sent/s", "1 sent p50/p99 ms", "posting p50/p99 ms", "TECH RP@5",
                "HOUSE RP@5", "TECH MRR", "HOUSE MRR", "RP@5 - base (T/H)", "size / ft teacher",
                "speed x ft teacher", "RP@5 / ft teacher (T/H)"):
        table.add_column(col, justify="left" if col == "model" else "right")
    for r in rows:
        vs = ("-", "-", "-") if ref is None else (
            f"{r.params / ref.params:.2f}", f"{r.sents_per_s / ref.sents_per_s:.1f}",
            f"{r.rp5['TECH'] / ref.rp5['TECH']:.2f}/{r.rp5['HOUSE'] / ref.rp5['HOUSE']:.2f}")
        table.add_row(r.name, f"{r.params / 1e6:.1f}M", f"{r.mb:.0f}", f"{r.sents_per_s:.0f}",
                      f"{r.one_p50:.1f}/{r.one_p99:.1f}", f"{r.post_p50:.0f}/{r.post_p99:.0f}",
                      f"{r.rp5['TECH']:.3f}", f"{r.rp5['HOUSE']:.3f}", f"{r.mrr['TECH']:.3f}", f"{r.mrr['HOUSE']:.3f}",
                      f"{r.rp5['TECH'] - base.rp5['TECH']:+.3f}/{r.rp5['HOUSE'] - base.rp5['HOUSE']:+.3f}", *vs)
    console.print(table)

    # The semantic tagger's own ranking (embedding_tagger.py, "Windows"): top candidates by the
    # sentence vector, re-ranked by the best of sentence and token-window cosines.
    table = Table(title=f"The tagger's ranking: top {candidates} by sentence vector, re-ranked with "
                        f"{window}-token windows (same run)")
    for col in ("model", "TECH RP@5", "HOUSE RP@5", "TECH MRR", "HOUSE MRR", "RP@5 - base (T/H)",
                "RP@5 / ft teacher (T/H)"):
        table.add_column(col, justify="left" if col == "model" else "right")
    ref_w = ref.rp5_windows if ref is not None else None
    for r in rows:
        if r.rp5_windows is None or r.mrr_windows is None:
            table.add_row(r.name, *["-"] * 6)
            continue
        w = r.rp5_windows
        table.add_row(r.name, f"{w['TECH']:.3f}", f"{w['HOUSE']:.3f}", f"{r.mrr_windows['TECH']:.3f}",
                      f"{r.mrr_windows['HOUSE']:.3f}",
                      f"{w['TECH'] - base.rp5['TECH']:+.3f}/{w['HOUSE'] - base.rp5['HOUSE']:+.3f}",
                      "-" if ref_w is None else f"{w['TECH'] / ref_w['TECH']:.2f}/{w['HOUSE'] / ref_w['HOUSE']:.2f}")
    console.print(table)
    console.print("RP@5 - base: against the plain all-MiniLM-L6-v2 sentence ranking of the first table (whole "
                  "sentences, no windows), measured in this run; ../shared/data/README.md gives 0.53 / 0.41 for it")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
