"""A worker that dies the hard way right after its first Neo4j commit, before acknowledging anything.

That is the worst moment for a crash: the batch is in the graph but still pending in Redis, so
another worker claims and writes it again. Run by test_worker.py as a separate process:
``python -m tests.nearline.crashing_worker NEARLINE_SETTINGS_JSON CONSUMER`` (the test's own stream and
throwaway Redis, whose password file the JSON names).
"""

from __future__ import annotations

import os
import sys

from kgservice.graph.driver import Graph
from kgservice.nearline import worker as worker_module
from kgservice.nearline.edit_stream import NearlineSettings, connect
from kgservice.nearline.extraction import ExtractionProcess
from kgservice.settings import Settings

CRASH_CODE = 17


def main() -> None:
    cfg_json, consumer = sys.argv[1:3]
    cfg = NearlineSettings.model_validate_json(cfg_json)
    settings = Settings()
    real_write = worker_module.write_documents

    def write_then_die(graph, docs, **kw):  # noqa: ANN001, ANN003, ANN202
        report = real_write(graph, docs, **kw)
        os._exit(CRASH_CODE)
        return report  # pragma: no cover

    worker_module.write_documents = write_then_die
    # As `kgservice worker` runs: the pipeline in a child process, which must not outlive this one.
    extraction = ExtractionProcess(settings, semantic=False)
    print(f"extraction pids {' '.join(str(p) for p in extraction.pids())}", flush=True)
    with Graph.connect(settings) as graph:
        worker_module.Worker(graph, connect(cfg), extraction, cfg, consumer=consumer).run()


if __name__ == "__main__":
    main()
