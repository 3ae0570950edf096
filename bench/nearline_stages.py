"""CPU per edit of each pipeline stage on the nearline workload, in one process (no Redis, no writes).

Run: ``.venv/bin/python bench/nearline_stages.py [--edits 3000] [--batch 4]``. Replays
``bench/nearline.py``'s workload (its warm-up of every pool document, then ``--edits`` revisions and
rewrites) through the pipeline in batches of ``--batch`` edits (what the worker reads together at
~200 edits/s), and prints each stage's process CPU per edit, measured after the warm-up. Two
pipelines in the same run: as the nearline worker builds it (``expanded=False``: it writes only the
extracted skills) and as the API builds it (expanded skills ranked too), the baseline of the ratio
column. Pin it to a core (``taskset -c 1``) for steadier figures; ONNX Runtime runs one thread.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("KG_PIPELINE__THREADS", "1")

from nearline import POOL, Workload  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from kgservice.graph.driver import Graph  # noqa: E402
from kgservice.nearline.edit_stream import Edit  # noqa: E402
from kgservice.pipeline.build import SERVING, WRITES, build_pipeline, make_document  # noqa: E402
from kgservice.settings import Settings  # noqa: E402


def replay(pipeline, edits: list[Edit], batch: int, measure: Counter | None) -> None:  # noqa: ANN001
    for i in range(0, len(edits), batch):
        chunk = edits[i:i + batch]
        docs = [make_document(e.text, e.kind, e.title, e.id, 100_000, pipeline.model_version) for e in chunk]
        for stage in pipeline.stages:
            started = time.process_time()
            docs = list(stage.pipe(docs, batch_size=len(docs)))
            if measure is not None:
                measure[stage.name] += time.process_time() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--edits", type=int, default=3000)
    parser.add_argument("--batch", type=int, default=4)
    args = parser.parse_args()
    settings = Settings()
    workload = Workload()
    warm = [Edit.from_fields(workload.edit(i, f"bench-nl-{i}").fields()) for i in range(POOL)]
    edits = [Edit.from_fields(workload.edit(i).fields()) for i in range(args.edits)]
    rows: dict[str, Counter] = {}
    with Graph.connect(settings) as graph:
        for name, expanded in (("worker (expanded=False)", False), ("API (expanded skills too)", True)):
            pipeline = build_pipeline(settings, graph, SERVING if expanded else WRITES)
            gc.collect()
            gc.freeze()
            replay(pipeline, warm, args.batch, None)  # fills the caches as the worker's warm-up does
            rows[name] = Counter()
            replay(pipeline, edits, args.batch, rows[name])
            gc.unfreeze()
    stages = list(next(iter(rows.values())))
    table = Table(title=f"CPU per edit (ms), {args.edits} edits after a warm-up of {POOL}, batches of {args.batch}")
    table.add_column("stage")
    for name in rows:
        table.add_column(name, justify="right")
    table.add_column("worker / API", justify="right")
    (worker, api) = rows.values()
    for stage in [*stages, "total"]:
        w = sum(worker.values()) if stage == "total" else worker[stage]
        a = sum(api.values()) if stage == "total" else api[stage]
        table.add_row(stage, f"{w / args.edits * 1000:.3f}", f"{a / args.edits * 1000:.3f}", f"{w / a:.2f}")
    Console(width=120).print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
