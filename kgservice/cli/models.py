"""Model artifacts: export, distillation, training, scorer fits, shipping: ``kgservice models``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from rich.console import Console

from kgservice.errors import KgServiceError
from kgservice.settings import Settings


def _models(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    try:
        if args.action == "export":
            from kgservice.offline.onnx_export import export_encoder

            console.print(f"encoder exported to {export_encoder(settings)}")
            return 0
        if args.action in ("ship-student", "ship-static"):
            from kgservice.offline.distill import STUDENT_ID, ship
            from kgservice.offline.static_distill import STATIC_ID

            model_id = STUDENT_ID if args.action == "ship-student" else STATIC_ID
            console.print(f"int8 {model_id} copied to {ship(settings.home / 'models' / model_id)}")
            return 0
        if args.action == "ship-mentions":
            from kgservice.offline.mention_training import ship as ship_mentions

            console.print(f"mention detector copied to {ship_mentions(settings)}")
            return 0
        if args.action == "fetch-teacher":
            from kgservice.offline.teacher import fetch_teacher

            console.print(f"teacher unpacked at {fetch_teacher(settings.cache)}")
            return 0
    except ImportError as exc:
        raise KgServiceError(f"{exc}; the export needs the train extra: pip install -e '.[train]'") from exc
    from kgservice.graph.driver import Graph

    with Graph.connect(settings) as graph:
        if args.action == "fit-scorer":
            from kgservice.offline.scorer_fit import fit

            cfg = settings.pipeline
            for tower in cfg.sentence_models:  # as `index build` calibrates them
                fitted = fit(settings.model_copy(update={"pipeline": cfg.model_copy(update={"sentence_model": tower})}),
                             graph, console, ship=args.ship)
                console.print(f"scorer weights written to {fitted}")
        elif args.action == "train-mentions":
            from kgservice.inference.artifacts import taxonomy_version
            from kgservice.offline.mention_training import EPOCHS, train_mentions

            train_mentions(settings, console, taxonomy_version(graph), epochs=int(_or(args.epochs, EPOCHS)),
                           out_dir=args.out, limit=args.limit)
        elif args.action == "finetune-teacher":
            from kgservice.offline.skill_linker import finetune_teacher

            finetune_teacher(settings, graph, console, steps=args.steps, limit=args.limit)
        elif args.action == "distill":
            from kgservice.offline.distill import STUDENT_LAYERS, TASK_STEPS, distill

            distill(settings, graph, console, teacher_steps=args.steps, epochs=_or(args.epochs, 3.0), limit=args.limit,
                    out=args.out, task_steps=TASK_STEPS if args.task_steps is None else args.task_steps,
                    layers=args.layers or STUDENT_LAYERS)
        elif args.action == "distill-static":
            from kgservice.offline.static_distill import EPOCHS, distill_static

            try:
                distill_static(settings, graph, console, epochs=int(_or(args.epochs, EPOCHS)), limit=args.limit,
                               out=args.out)
            except ImportError as exc:
                raise KgServiceError(f"{exc}; training needs the train extra: pip install -e '.[train]'") from exc
        elif args.action == "train-scorer":
            from kgservice.offline.multitask_scorer import train_scorer

            try:
                train_scorer(settings, graph, console, epochs=_or(args.epochs, 3.0), steps=args.steps, limit=args.limit,
                             feedback_texts=args.feedback_texts)
            except ImportError as exc:
                raise KgServiceError(f"{exc}; training needs the train extra: pip install -e '.[train]'") from exc
    return 0


def _or(value: float | None, default: float) -> float:
    return default if value is None else value

def _minilm_layers(value: str) -> tuple[int, ...]:
    """``--layers 0,5``: distinct layer numbers of all-MiniLM-L6-v2 (0-5), kept in ascending order."""
    try:
        layers = tuple(sorted({int(v) for v in value.split(",")}))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated layer numbers such as 0,5, got {value!r}") from None
    if not layers or layers[0] < 0 or layers[-1] > 5:
        raise argparse.ArgumentTypeError(f"all-MiniLM-L6-v2 has layers 0-5, got {value!r}")
    return layers


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("models", help="produce model artifacts: export the encoder to ONNX, fit the scorer")
    p.add_argument("action", help="what to produce", choices=["export", "fit-scorer", "fetch-teacher", "finetune-teacher", "distill",
                                      "distill-static", "train-scorer", "ship-student", "ship-static", "train-mentions",
                                      "ship-mentions"])
    p.add_argument("--steps", type=int, default=300, help="training steps: of the teacher (finetune-teacher, distill) or at most of the scorer (train-scorer)")
    p.add_argument("--epochs", type=float, default=None,
                   help="epochs: of the student (distill, default 3), the static tower (distill-static, default 4), "
                        "the scorer (train-scorer, default 3) or the mention detector (train-mentions, default 24)")
    p.add_argument("--limit", type=int, default=None, help="use only the first N training pairs/texts (smoke runs)")
    p.add_argument("--ship", action="store_true",
                   help="fit-scorer: also write the weights into the package (needs the development sentences)")
    p.add_argument("--out", type=Path, default=None, help="distill, distill-static, train-mentions: output folder of the model")
    p.add_argument("--task-steps", type=int, default=None,
                   help="distill: contrastive task-tuning steps of the distilled student (default: TASK_STEPS)")
    p.add_argument("--layers", type=_minilm_layers, default=None,
                   help="distill: layers of all-MiniLM-L6-v2 the student starts from, e.g. 0,5 (default: 0,2,5)")
    p.add_argument("--feedback-texts", type=Path, default=None,
                   help='train-scorer: JSON Lines {"id", "kind", "text", "title"} of the graph documents with feedback')
    p.set_defaults(handler=_models)
