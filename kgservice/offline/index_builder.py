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
from kgservice.offline.trie_builder import SkillText, build_trie
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
    trie = build_trie((SkillText(r["id"], r["name"], tuple(r["aliases"]), r["taxonomy"]) for r in rows), versions)
    out["trie"] = trie.save(artifacts.trie_dir(settings, version))
    catalog_path = artifacts.catalog_path(settings, version)
    SkillCatalog.build((r["id"], r["name"], r["taxonomy"], r.get("canonical")) for r in rows).save(catalog_path)
    out["catalog"] = catalog_path
    console.print(f"trie: {trie.manifest['keys']} keys over {len(rows)} skills in {time.perf_counter() - started:.1f}s")
    if semantic:
        from kgservice.offline.vector_index_builder import build_all_skill_vectors, build_vector_index

        out["vectors"] = build_vector_index(settings, version, rows, console)
        out["skill_vectors"] = build_all_skill_vectors(settings, version, rows, console)
        from kgservice.offline.occupation_index_builder import build_occupation_index

        occupations = build_occupation_index(settings, graph, version, console)
        if occupations is not None:
            out["occupations"] = occupations
    # After the skill vectors: the snapshot ranks each seed's neighbours by them.
    out["neighbours"] = build_neighbours(settings, graph, console, [r["id"] for r in rows])
    return out


def build_neighbours(settings: Settings, graph: Graph, console: Console, ids: list[str] | None = None) -> Path:
    """The neighbour snapshot of every skill (``ids``: the graph's, when not given), ranked by the skill
    vectors when they exist (kgservice/pipeline/neighbour_snapshot.py)."""
    from rich.progress import Progress

    from kgservice.pipeline.build import skill_vectors_or_none
    from kgservice.pipeline.neighbour_snapshot import NeighbourSnapshot

    started = time.perf_counter()
    version = artifacts.taxonomy_version(graph)
    if ids is None:
        ids = [r["id"] for r in graph.read(Query.GET_SKILLS_FOR_INDEX, taxonomies=None)]
    vectors = skill_vectors_or_none(settings, version)
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("graph neighbours", total=len(ids))
        snapshot = NeighbourSnapshot.build(graph, ids, settings.pipeline.expansion_per_relation, vectors,
                                           progress=lambda n: bar.advance(task, n))
    path = snapshot.save(artifacts.neighbours_path(settings, version))
    ranked = "by meaning" if vectors is not None else "by shared groups (no skill vectors)"
    console.print(f"neighbours: {len(snapshot)} skills, ranked {ranked}, in {time.perf_counter() - started:.1f}s")
    return path
