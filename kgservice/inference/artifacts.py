"""Where built artifacts live, and the taxonomy version they were built from.

Everything derived from the graph (trie, catalog, vector index) sits under a directory named
after the taxonomy version recorded in the graph's ``Taxonomy`` nodes, so loading the service
against a graph with another taxonomy version fails loudly instead of returning stale ids.
"""

from __future__ import annotations

from pathlib import Path

from kgservice.graph.cypher import Query
from kgservice.graph.driver import Graph
from kgservice.package_data import data_path
from kgservice.settings import Settings


def taxonomy_version(graph: Graph) -> str:
    rows = graph.read(Query.GET_TAXONOMY_VERSIONS)
    if not rows:
        return "empty"
    return "+".join(f"{r['id']}-{r['version']}" for r in rows)


def built_versions(settings: Settings) -> list[str]:
    """Taxonomy versions whose trie and catalog are built under ``<home>/artifacts``, the most recently
    built first: what a pipeline can be assembled from when the graph cannot say its version."""
    root = settings.home / "artifacts"
    built = [d for d in root.iterdir() if (d / "catalog.json").is_file() and (d / "trie" / "manifest.json").is_file()] \
        if root.is_dir() else []
    return [d.name for d in sorted(built, key=lambda d: (d / "catalog.json").stat().st_mtime, reverse=True)]


def taxonomy_dir(settings: Settings, version: str) -> Path:
    return settings.home / "artifacts" / version


def trie_dir(settings: Settings, version: str) -> Path:
    return taxonomy_dir(settings, version) / "trie"


def catalog_path(settings: Settings, version: str) -> Path:
    return taxonomy_dir(settings, version) / "catalog.json"


def neighbours_path(settings: Settings, version: str) -> Path:
    return taxonomy_dir(settings, version) / "neighbours.npz"


def scorer_weights_path(settings: Settings, version: str) -> Path:
    """The first scorer's fitted weights. Per sentence tower as well as per taxonomy: the semantic
    feature is the cosine above the tower's calibrated threshold, and both the threshold and the
    spread of cosines differ between encoders, so switching ``sentence_model`` or ``encoder_model``
    must not pick up another encoder's fit (without a fit of its own, the hand-set defaults apply).
    A sentence-only tower is tied to one skill tower (its manifest's ``skill_tower``), so its id
    names the fit alone."""
    return taxonomy_dir(settings, version) / f"scorer_weights.{settings.pipeline.sentence_tower}.json"


def model_dir(settings: Settings, model_id: str | None = None) -> Path:
    """The exported encoder: one produced on this machine (``<home>/models``) wins over one shipped
    with the package (``kgservice/models/``, the committed int8 student), so a local ``kgservice models
    distill`` takes effect without touching the checkout."""
    model_id = model_id or settings.pipeline.encoder_model
    local = settings.home / "models" / model_id
    shipped = data_path("models", model_id)
    if not (local / "manifest.json").exists() and (shipped / "manifest.json").exists():
        return shipped
    return local


def vector_index_dir(settings: Settings, version: str, model_id: str | None = None) -> Path:
    return settings.home / "indexes" / (model_id or settings.pipeline.encoder_model) / version


def occupation_index_dir(settings: Settings, version: str, model_id: str | None = None) -> Path:
    """The occupation title index, beside the skill index it shares an encoder with."""
    return vector_index_dir(settings, version, model_id) / "occupations"
