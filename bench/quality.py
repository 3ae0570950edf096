"""Quality of the extraction pipeline on the labelled development data, stage by stage, with peers.

Run: ``.venv/bin/python bench/quality.py`` (after ``make run``; peers need ``bash bench/peers_setup.sh``).
Prints, for TECH and HOUSE: precision, recall, F1 (micro, per sentence), R-Precision@1/5/10 and MRR,
documents per second, and the ratio of F1 and RP@5 to the baseline measured in the same run: a plain
all-MiniLM-L6-v2 cosine ranking of the ESCO preferred labels (top 10). With a sentence-only tower
(the default static tower), one more row runs the full pipeline with the skill tower embedding the
sentences too (``kgservice models fit-scorer`` fits both).
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
from kgservice.pipeline.build import Pipeline, build_pipeline, make_document  # noqa: E402
from kgservice.settings import Settings  # noqa: E402

SPLITS = {"TECH": "tech_validation_annotations.csv", "HOUSE": "house_validation_annotations.csv"}
Predict = Callable[[Sequence[str]], list[list[str]]]


def pipeline_predictor(pipeline: Pipeline, with_expansion: bool = False) -> Predict:
    """Ranked predictions: every scored candidate, best first; the set is those at or above min_score.

    The scorer runs with ``min_score = 0`` so the ranking metrics see the candidates below the
    cut too; the cut is applied here, exactly where the pipeline would apply it.
    """
    scorer = pipeline.stages[-1]
    min_score = scorer.min_score
    scorer.min_score = 0.0

    def predict(sentences: Sequence[str]) -> list[list[str]]:
        docs = [make_document(s, Domain.JOB) for s in sentences]
        out = []
        for doc in pipeline.pipe(docs, batch_size=64):
            ranked = list(doc.skills) + (list(doc.expanded) if with_expansion else [])
            ranked.sort(key=lambda s: -s.score)
            out.append(Ranked([s.skill_id for s in ranked], {s.skill_id for s in ranked if s.score >= min_score}))
        return out

    return predict


def minilm_baseline(settings: Settings, esco: list[dict]) -> Predict:
    from kgservice.inference.onnx_encoder import OnnxEncoder

    from kgservice.train.onnx_export import MODEL_ID

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


def run(predict: Predict, examples: list[Example]) -> tuple[Scores, float]:
    sentences = [e.sentence for e in examples]
    started = time.perf_counter()
    preds = predict(sentences)
    seconds = getattr(predict, "seconds", None) or (time.perf_counter() - started)
    return score(preds, examples), len(sentences) / seconds


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=None, help="skill-extraction-dev folder")
    parser.add_argument("--peers", default="ssg-sea,skill-extractor,esco-skill-extractor",
                        help="comma-separated peers to run from .venv-bench ('' for none)")
    parser.add_argument("--scorer", choices=["feature", "multitask"], default=None,
                        help="the pipeline's scorer (default: KG_PIPELINE__SCORER, else feature)")
    args = parser.parse_args(argv)
    settings = Settings()
    scorer = {"scorer": args.scorer} if args.scorer else {}
    settings = settings.model_copy(update={"pipeline": settings.pipeline.model_copy(update={"taxonomies": ["esco"],
                                                                                           **scorer})})
    data = args.data or Path(os.environ.get("KG_SHARED_DATA", settings.shared_data)) / "skill-extraction-dev"
    console = Console(width=170)
    graph = Graph.connect(settings)
    esco = graph.read(Query.GET_SKILLS_FOR_INDEX, taxonomies=["esco"])
    resolve = label_resolver(esco)
    splits = {name: load_annotations(data / file, resolve) for name, file in SPLITS.items()}
    for name, examples in splits.items():
        unmapped = sum(len(e.unmapped) for e in examples)
        console.print(f"{name}: {len(examples)} sentences, {sum(1 for e in examples if e.gold)} with gold skills, "
                      f"{sum(len(e.gold) for e in examples)} gold skills ({unmapped} gold labels not in ESCO v1.1.1)")

    systems: dict[str, Predict] = {"baseline: MiniLM ranking of ESCO labels (top 10)": minilm_baseline(settings, esco)}
    systems["trie only"] = pipeline_predictor(build_pipeline(settings, graph, semantic=False, expansion=False))
    systems["semantic only"] = pipeline_predictor(build_pipeline(settings, graph, semantic=True, expansion=False,
                                                                 trie=False))
    systems["trie + semantic"] = pipeline_predictor(build_pipeline(settings, graph, semantic=True, expansion=False))
    full = build_pipeline(settings, graph, semantic=True, expansion=True)
    systems["trie + semantic + graph support"] = pipeline_predictor(full)
    systems["... + expanded skills"] = pipeline_predictor(full, with_expansion=True)
    cfg = settings.pipeline
    if cfg.sentence_tower != cfg.encoder_model:
        # The same pipeline with the skill tower embedding the sentences too: what the sentence tower trades.
        both = settings.model_copy(update={"pipeline": cfg.model_copy(update={"sentence_model": ""})})
        weights = artifacts.scorer_weights_path(both, artifacts.taxonomy_version(graph))
        if weights.exists():
            systems[f"full, {cfg.encoder_model} as sentence tower too"] = pipeline_predictor(
                build_pipeline(both, graph, semantic=True, expansion=True))
        else:
            console.print(f"[yellow]row with {cfg.encoder_model} as sentence tower skipped: no {weights.name}; run "
                          "`.venv/bin/kgservice models fit-scorer`[/]")
    by_label = {str(s["name"]).casefold(): str(s["id"]) for s in esco}
    for peer in filter(None, args.peers.split(",")):
        predictor = peer_predictor(peer, by_label)
        if predictor is None:
            console.print(f"[yellow]peer {peer} skipped: run `bash bench/peers_setup.sh` first[/]")
            continue
        systems[f"peer: {peer}"] = predictor

    results: dict[str, dict[str, tuple[Scores, float]]] = {}
    for system, predict in systems.items():
        for split, examples in splits.items():
            try:
                results.setdefault(system, {})[split] = run(predict, examples)
            except subprocess.CalledProcessError as exc:
                console.print(f"[red]{system} failed on {split}: {exc}[/]")
    graph.close()

    base = results[next(iter(systems))]
    for split in splits:
        table = Table(title=f"{split} ({len(splits[split])} sentences)")
        for col in ("system", "P", "R", "F1", "RP@1", "RP@5", "RP@10", "MRR", "docs/s", "F1 / base", "RP@5 / base"):
            table.add_column(col, justify="left" if col == "system" else "right")
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
