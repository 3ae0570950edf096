"""After a batch run, recount the graph documents' co-occurrences in Spark and replace RELATED_TO {source: 'documents'}.

The documents a batch run wrote (and every other document: the API's and the nearline worker's) change
which skills are named together, so the ``documents`` edge set is recomputed from the whole graph, not
patched: the driver pages the documents' skill sets out of Neo4j (``get_document_skill_sets.cypher``,
ids only) into Spark a chunk at a time, the executors count pairs and marginals (``reduceByKey``), only
the pairs seen in enough documents come back to the driver, and the edges are weighed and written as
``kgservice graph related`` writes them (the same functions, kgservice/related/).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from operator import add
from typing import Any

from rich.console import Console

from kgservice.graph.driver import Graph
from kgservice.graph.related_skills import document_skill_sets
from kgservice.related.build import RelatedReport, write_edge_set
from kgservice.related.cooccurrence import PairCounts, pair_weights, pairs_of, top_edges
from kgservice.settings import Settings

# Skill sets handed to Spark per parallelize call: the driver holds one chunk at a time.
CHUNK = 50_000


def _chunks(sets: Iterable[list[str]], size: int) -> Iterator[list[list[str]]]:
    chunk: list[list[str]] = []
    for skills in sets:
        chunk.append(skills)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _pairs(skills: list[str]) -> Iterator[tuple[tuple[str, str], tuple[float, int]]]:
    for key, weight in pairs_of(dict.fromkeys(skills, 1.0)):
        yield key, (weight, 1)


def _sum_pairs(x: tuple[float, int], y: tuple[float, int]) -> tuple[float, int]:
    return x[0] + y[0], x[1] + y[1]


def recompute_document_related(spark: Any, settings: Settings, graph: Graph, console: Console) -> RelatedReport:
    """Count the graph documents' skill pairs in Spark and replace the ``documents`` edge set."""
    started = time.perf_counter()
    sc = spark.sparkContext
    cfg = settings.related
    sets = (skills for _, skills in document_skill_sets(graph) if skills)
    parts = [sc.parallelize(chunk, max(1, sc.defaultParallelism * 2)) for chunk in _chunks(sets, CHUNK)]
    counts = PairCounts()
    if parts:
        rdd = sc.union(parts).cache()
        try:
            counts.documents = rdd.count()
            counts.marginals.update(rdd.flatMap(lambda s: ((sid, 1.0) for sid in s)).reduceByKey(add).collectAsMap())
            min_documents = cfg.min_documents
            # Only pairs in enough documents come back to the driver (the report counts those too).
            kept = (rdd.flatMap(_pairs).reduceByKey(_sum_pairs)
                    .filter(lambda kv: kv[1][1] >= min_documents).collect())
        finally:
            rdd.unpersist()
        counts.pairs = {key: [w, n] for key, (w, n) in kept}
    weighted = pair_weights(counts.marginals, ((k, v[0], int(v[1])) for k, v in counts.pairs.items()),
                            counts.documents, min_documents=cfg.min_documents, shrink=cfg.shrink)
    return write_edge_set(graph, settings, "documents", top_edges(weighted, cfg.top_k), counts, console, started)
