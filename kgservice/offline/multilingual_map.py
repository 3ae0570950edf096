"""Fits the linear map from a multilingual encoder into the skill tower's sentence space.

Run: ``python -m kgservice.offline.multilingual_map [--source use|e5|use+e5] [--ship]``.

English text is embedded by both the sentence tower (the student, what the skill index is queried
with) and the multilingual encoder: the skill index's own texts (ESCO preferred labels) and the
SkillSkape train sentences vendored in ``kgservice/resources/data``. A ridge least-squares fit maps the
second onto the first; 5% of the texts are held out and the mean cosine between mapped and target
vectors on them is recorded in the manifest. Embeddings are cached in chunks under
``<cache>/multilingual-fit/`` so an interrupted run resumes. ``--ship`` writes into ``models/`` (the
committed map) instead of ``<home>/models``.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from rich.progress import track

from kgservice.inference import artifacts
from kgservice.package_data import data_path
from kgservice.inference.multilingual_encoder import (MAP_FILE, MAP_MODEL_ID, SourceEncoder, apply_map, fit_map,
                                                     parse_sources)
from kgservice.settings import Settings

CHUNK = 1024
HELD_OUT = 0.05


def fit_texts(settings: Settings, taxonomy_version: str) -> list[str]:
    """The skill index's texts, then the SkillSkape train sentences, deduplicated in that order."""
    texts = json.loads((artifacts.vector_index_dir(settings, taxonomy_version) / "texts.json").read_text())
    with open(settings.training_data / "skillskape" / "train.csv", encoding="utf-8", newline="") as fh:
        texts += [row["sentence"] for row in csv.DictReader(fh)]
    return list(dict.fromkeys(t.strip() for t in texts if t.strip()))


def cached_embeddings(cache: Path, name: str, texts: Sequence[str], encode: Callable[[list[str]], np.ndarray]) -> np.ndarray:
    """``encode`` over ``texts`` in chunks saved under ``cache/multilingual-fit/<name>-<texts hash>/``."""
    digest = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:12]
    folder = cache / "multilingual-fit" / f"{name}-{digest}"
    folder.mkdir(parents=True, exist_ok=True)
    parts = []
    for start in track(range(0, len(texts), CHUNK), description=f"embedding with {name}"):
        path = folder / f"{start:07d}.npy"
        if not path.exists():
            tmp = path.with_suffix(".tmp.npy")
            np.save(tmp, encode(list(texts[start:start + CHUNK])).astype(np.float32))
            tmp.rename(path)
        parts.append(np.load(path))
    return np.vstack(parts)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", default="use+e5",
                        help="the encoder wheels the map reads: use, e5, or both side by side (use+e5, the default)")
    parser.add_argument("--ridge", type=float, default=1e-2)
    parser.add_argument("--ship", action="store_true", help="write into models/ (the committed map)")
    args = parser.parse_args(argv)
    try:
        sources = parse_sources(args.source)
    except ValueError as exc:
        parser.error(str(exc))
    settings = Settings()
    from kgservice.graph.driver import Graph
    from kgservice.pipeline.embedding_tagger import load_sentence_tower

    version = artifacts.taxonomy_version(Graph.connect(settings))
    texts = fit_texts(settings, version)
    tower = load_sentence_tower(settings)
    target = cached_embeddings(settings.cache, tower.model_id, texts, lambda t: tower.encode(t, batch_size=64))
    parts = []
    for spec in sources:  # each wheel's vectors cached on their own, so use+e5 reuses a use or e5 fit's
        encoder = SourceEncoder(settings.cache, spec, threads=settings.pipeline.threads)
        parts.append(cached_embeddings(settings.cache, spec.name, texts,
                                       lambda t, e=encoder: e.encode(t, batch_size=128)))
    vectors = np.hstack(parts)
    rng = np.random.default_rng(22)
    held = rng.random(len(texts)) < HELD_OUT
    started = time.perf_counter()
    matrix = fit_map(vectors[~held], target[~held], ridge=args.ridge)
    cosine = float(np.mean(np.sum(apply_map(vectors[held], matrix) * target[held], axis=1)))
    matrix = fit_map(vectors, target, ridge=args.ridge)  # the shipped map uses every text
    tower_id, tower_sha = tower.skill_tower
    out = (data_path("models") if args.ship else settings.home / "models") / MAP_MODEL_ID
    out.mkdir(parents=True, exist_ok=True)
    np.save(out / MAP_FILE, matrix)
    source = "+".join(s.name for s in sources)
    manifest = {
        "model_id": MAP_MODEL_ID, "source": source, "source_wheels": [s.filename for s in sources],
        "source_sha256": [s.sha256 for s in sources], "input_dimension": int(matrix.shape[0]), "dimension": int(matrix.shape[1]),
        "skill_tower": {"model_id": tower_id, "sha256": tower_sha},
        "sentence_tower": tower.model_id, "taxonomy_version": version,
        "fit": {"texts": len(texts), "held_out": int(held.sum()), "ridge": args.ridge,
                "held_out_mean_cosine": round(cosine, 4), "seconds": round(time.perf_counter() - started, 1)},
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"map {source} -> {tower.model_id}: {len(texts)} texts, held-out mean cosine {cosine:.4f}; wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
