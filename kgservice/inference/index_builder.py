"""Builds every artifact derived from the graph's skills: trie, catalog and vector index.

Run after each taxonomy load (``kgservice index build``). Artifacts land under the taxonomy version
recorded in the graph, so a pipeline never pairs ids from one taxonomy load with another.
"""

from __future__ import annotations

import time
from pathlib import Path

from rich.console import Console

from kgservice.graph.cypher import Query
from kgservice.graph.driver import Graph
from kgservice.inference import artifacts
from kgservice.pipeline.skill_catalog import SkillCatalog
from kgservice.pipeline.trie_tagger import SkillText, SkillTrie
from kgservice.settings import Settings


def build_indexes(settings: Settings, graph: Graph, semantic: bool = True, console: Console | None = None) -> dict[str, Path]:
    console = console or Console(stderr=True)
    version = artifacts.taxonomy_version(graph)
    rows = graph.read(Query.GET_SKILLS_FOR_INDEX, taxonomies=None)
    if not rows:
        raise RuntimeError("the graph holds no skills; run `kgservice load taxonomy` first")
    started = time.perf_counter()
    out: dict[str, Path] = {}
    versions = {r["id"]: r["version"] for r in graph.read(Query.GET_TAXONOMY_VERSIONS)}
    trie = SkillTrie.build((SkillText(r["id"], r["name"], tuple(r["aliases"]), r["taxonomy"]) for r in rows), versions)
    out["trie"] = trie.save(artifacts.trie_dir(settings, version))
    catalog_path = artifacts.catalog_path(settings, version)
    SkillCatalog.build((r["id"], r["name"], r["taxonomy"]) for r in rows).save(catalog_path)
    out["catalog"] = catalog_path
    console.print(f"trie: {trie.manifest['keys']} keys over {len(rows)} skills in {time.perf_counter() - started:.1f}s")
    if semantic:
        from kgservice.inference.vector_index_builder import build_vector_index

        out["vectors"] = build_vector_index(settings, version, rows, console)
    return out
