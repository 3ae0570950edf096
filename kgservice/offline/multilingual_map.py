"""Fits the linear map from a multilingual encoder into the skill tower's sentence space.

Run: ``python -m kgservice.offline.multilingual_map [--source use|e5|use+e5] [--ship]``.

Two kinds of pairs, each a multilingual encoder's vector and the sentence tower's (the student, what the
skill index is queried with):

- English text embedded by both: the skill index's own texts (ESCO preferred labels) and the SkillSkape
  train sentences vendored in ``kgservice/resources/data``;
- translated text: 300 SkillSkape train sentences translated into German, French, Spanish, Dutch and
  Portuguese (``skillskape/train_translated.jsonl``), each translation's multilingual vector paired with the
  student's vector of its English original, weighted ``--parallel-weight`` times an English pair. These
  teach the map where the encoders place a language away from English.

A ridge least-squares fit maps the first onto the second. 5% of the English texts and a fifth of the
translated sentences (all their languages, and their English originals) are held out; the mean cosine
between mapped and target vectors on them, per language, is recorded in the manifest, and the shipped
map is then fitted on everything. Embeddings are cached in chunks under ``<cache>/multilingual-fit/`` so an
interrupted run resumes. ``--ship`` writes into ``models/`` (the committed map) instead of
``<home>/models``.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rich.progress import track

from kgservice.evaluation import read_translated
from kgservice.inference import artifacts
from kgservice.package_data import data_path
from kgservice.inference.multilingual_encoder import (MAP_FILE, MAP_MODEL_ID, SourceEncoder, apply_map, fit_map,
                                                     parse_sources)
from kgservice.settings import Settings

CHUNK = 1024
HELD_OUT = 0.05
TRANSLATED_HELD_OUT = 0.2
TRANSLATED_FILE = "train_translated.jsonl"


def fit_texts(settings: Settings, taxonomy_version: str) -> list[str]:
    """The skill index's texts, then the SkillSkape train sentences, deduplicated in that order."""
    texts = json.loads((artifacts.vector_index_dir(settings, taxonomy_version) / "texts.json").read_text())
    with open(settings.training_data / "skillskape" / "train.csv", encoding="utf-8", newline="") as fh:
        texts += [row["sentence"] for row in csv.DictReader(fh)]
    return list(dict.fromkeys(t.strip() for t in texts if t.strip()))


def translated_pairs(settings: Settings) -> tuple[list[str], dict[str, list[str]], list[list[str]]]:
    """The translated SkillSkape train sentences: the English originals, per language their translations,
    and each sentence's gold ESCO labels (line i of every list is the same sentence)."""
    languages, rows = read_translated(settings.training_data / "skillskape" / TRANSLATED_FILE)
    if "en" not in languages:
        raise ValueError(f"{TRANSLATED_FILE} holds no English originals")
    return ([str(r["en"]).strip() for r in rows],
            {lang: [str(r[lang]).strip() for r in rows] for lang in languages if lang != "en"},
            [list(r["skills"]) for r in rows])


@dataclass
class FitData:
    """Every pair the map is fitted on: English texts (multilingual ``vectors``, student ``target``) and
    translated sentences (``translated[lang]``, each with the student vector of its English original)."""

    texts: list[str]
    vectors: np.ndarray
    target: np.ndarray
    originals: list[str]
    translated: dict[str, np.ndarray]
    original_target: np.ndarray

    def fit(self, english: np.ndarray, sentences: np.ndarray, parallel_weight: float, ridge: float) -> np.ndarray:
        """The map over the English pairs ``english`` and the translated pairs of ``sentences`` (row masks)."""
        x = np.vstack([self.vectors[english], *(v[sentences] for v in self.translated.values())])
        y = np.vstack([self.target[english], *(self.original_target[sentences] for _ in self.translated)])
        w = np.concatenate([np.ones(int(english.sum())),
                            np.full(int(sentences.sum()) * len(self.translated), parallel_weight)])
        return fit_map(x, y, ridge=ridge, weights=w)

    def without(self, held_sentences: np.ndarray) -> np.ndarray:
        """The English rows that are not the original of a held-out translated sentence."""
        held = {o for o, h in zip(self.originals, held_sentences) if h}
        return np.array([t not in held for t in self.texts])


def cross_validate(data: FitData, gold: Sequence[Sequence[str]], labels: Sequence[str], weights: Sequence[float],
                   ridge: float, folds: int = 5) -> dict[float, dict[str, tuple[float, float]]]:
    """RP@5 of the mapped vectors' nearest ESCO labels for the translated sentences (and their English
    originals, ``en``), each fold's sentences held out in every language, and the mean cosine of the
    mapped vectors to the student's of the English originals: weight -> language -> (RP@5, cosine).

    The map is chosen on this (train sentences), never on the translated dev check sets it is scored on.
    """
    row = {text: i for i, text in enumerate(data.texts)}
    label_rows = [row[x] for x in labels if x in row]
    label_at = {data.texts[r].casefold(): k for k, r in enumerate(label_rows)}
    label_matrix = data.target[label_rows]
    wanted = [{label_at[x.casefold()] for x in g if x.casefold() in label_at} for g in gold]
    english_vectors = data.vectors[[row[o] for o in data.originals]]
    fold = np.random.default_rng(0).permutation(len(data.originals)) % folds
    out: dict[float, dict[str, tuple[float, float]]] = {}
    for weight in weights:
        found: dict[str, list[float]] = {lang: [] for lang in ("en", *data.translated)}
        cosines: dict[str, list[float]] = {lang: [] for lang in found}
        for f in range(folds):
            held = fold == f
            matrix = data.fit(data.without(held), ~held, weight, ridge)
            for lang in found:
                source = english_vectors if lang == "en" else data.translated[lang]
                mapped = apply_map(source[held], matrix)
                cosines[lang].extend(np.sum(mapped * data.original_target[held], axis=1).tolist())
                top = np.argsort(-(mapped @ label_matrix.T), axis=1)[:, :5]
                for ranked, i in zip(top, np.flatnonzero(held)):
                    if wanted[i]:
                        found[lang].append(len(wanted[i] & set(ranked.tolist())) / min(5, len(wanted[i])))
        out[weight] = {lang: (float(np.mean(v)), float(np.mean(cosines[lang]))) for lang, v in found.items()}
    return out


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
    parser.add_argument("--ridge", type=float, default=1e-1)
    parser.add_argument("--parallel-weight", type=float, default=3.0,
                        help="weight of a translated pair against an English one (0: English text only)")
    parser.add_argument("--ship", action="store_true", help="write into models/ (the committed map)")
    parser.add_argument("--cross-validate", type=float, nargs="+", metavar="WEIGHT",
                        help="print each parallel weight's 5-fold RP@5 on the translated train sentences; write nothing")
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
    originals, translations, gold = translated_pairs(settings)
    tower = load_sentence_tower(settings)
    embed_target = lambda t: tower.encode(t, batch_size=64)  # noqa: E731
    encoders = [SourceEncoder(settings.cache, spec, threads=settings.pipeline.threads) for spec in sources]

    def source_vectors(batch: list[str]) -> np.ndarray:
        # each wheel's vectors cached on their own, so use+e5 reuses a use or e5 fit's
        return np.hstack([cached_embeddings(settings.cache, e.name, batch, lambda t, e=e: e.encode(t, batch_size=128))
                          for e in encoders])

    data = FitData(texts, source_vectors(texts), cached_embeddings(settings.cache, tower.model_id, texts, embed_target),
                   originals, {lang: source_vectors(batch) for lang, batch in translations.items()},
                   cached_embeddings(settings.cache, tower.model_id, originals, embed_target))
    if args.cross_validate:
        labels = json.loads((artifacts.vector_index_dir(settings, version) / "texts.json").read_text())
        scores = cross_validate(data, gold, labels, args.cross_validate, args.ridge)
        languages = list(next(iter(scores.values())))
        print(f"5-fold, {len(originals)} translated train sentences, ridge {args.ridge}: RP@5 of the nearest ESCO "
              "labels / mean cosine to the student's vector of the English original")
        print("weight  " + "  ".join(f"{lang:>11}" for lang in languages) + "  non-English RP@5")
        for weight, by_lang in scores.items():
            rest = [v[0] for lang, v in by_lang.items() if lang != "en"]
            print(f"{weight:>6g}  " + "  ".join(f"{by_lang[lang][0]:.3f}/{by_lang[lang][1]:.3f}" for lang in languages)
                  + f"  {sum(rest) / len(rest):.3f}")
        return 0
    rng = np.random.default_rng(22)
    held = rng.random(len(texts)) < HELD_OUT
    held_sentences = rng.random(len(originals)) < TRANSLATED_HELD_OUT
    started = time.perf_counter()
    # held out: the English texts drawn, and the drawn translated sentences with their English originals
    matrix = data.fit(~held & data.without(held_sentences), ~held_sentences, args.parallel_weight, args.ridge)
    cosine = {"en": _mean_cosine(data.vectors[held], data.target[held], matrix)}
    cosine |= {lang: _mean_cosine(v[held_sentences], data.original_target[held_sentences], matrix)
               for lang, v in data.translated.items()}
    everything = np.ones(len(texts), dtype=bool), np.ones(len(originals), dtype=bool)
    matrix = data.fit(*everything, args.parallel_weight, args.ridge)  # the shipped map: every pair
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
        "fit": {"texts": len(texts), "held_out": int(held.sum()), "translated_sentences": len(originals),
                "languages": sorted(translations), "translated_held_out": int(held_sentences.sum()),
                "parallel_weight": args.parallel_weight, "ridge": args.ridge,
                "held_out_mean_cosine": {k: round(v, 4) for k, v in cosine.items()},
                "seconds": round(time.perf_counter() - started, 1)},
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    print(f"map {source} -> {tower.model_id}: {len(texts)} English texts, {len(originals)} sentences in "
          f"{len(translations)} languages; held-out mean cosine "
          + ", ".join(f"{k} {v:.4f}" for k, v in cosine.items()) + f"; wrote {out}")
    return 0


def _mean_cosine(source: np.ndarray, target: np.ndarray, matrix: np.ndarray) -> float:
    return float(np.mean(np.sum(apply_map(source, matrix) * target, axis=1)))


if __name__ == "__main__":
    sys.exit(main())
