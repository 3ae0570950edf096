"""Deterministic ~400-word job postings for the speed, nearline, batch and API benchmarks.

Each posting takes its layout from one of the hand-written postings in
``kgservice/resources/data/sections/job.jsonl``: its title line, its company blurb and benefits block (boilerplate,
which repeats across real postings too), and the header lines of its responsibilities,
qualifications and nice-to-have sections. The bullets under those headers are sentences of the
SkillSkape job-posting corpus (``../shared/data/skillskape``, train and dev, 7,669 sentences) drawn
at random, so postings do not share their skill-bearing text: a batch of 32 postings repeats
about 2% of its sentences, where reusing the 28 hand-written postings repeated most of them and let
the embedding tagger's per-batch deduplication hide the encoder's cost.

Drawn with replacement (the default), 200 postings repeat about a quarter of their sentences: a
pool of 7,669 is small. ``distinct=True`` deals the pool out like a deck instead, so no sentence
repeats until all have been used (~700 postings): what a benchmark of a cross-posting cache needs,
where only the boilerplate should repeat.
"""

from __future__ import annotations

import csv
import functools
import json
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Share of the skill-bearing words each section gets, in posting order.
BODY = (("responsibilities", 0.45), ("qualifications", 0.4), ("nice_to_have", 0.15))


@functools.lru_cache(maxsize=1)
def sentence_pool() -> tuple[str, ...]:
    from kgservice.settings import Settings

    folder = Settings().training_data / "skillskape"
    out: list[str] = []
    for name in ("train.csv", "dev.csv"):
        with (folder / name).open(newline="", encoding="utf-8") as fh:
            out.extend(" ".join(row["sentence"].split()) for row in csv.DictReader(fh))
    return tuple(s for s in out if s)


@functools.lru_cache(maxsize=1)
def _layouts() -> tuple[dict[str, str], ...]:
    lines = (ROOT / "kgservice/resources/data/sections/job.jsonl").read_text().splitlines()
    layouts = []
    for line in lines:
        blocks = {b["kind"]: b["text"] for b in json.loads(line)["blocks"]}
        if all(kind in blocks for kind, _ in BODY[:2]):
            layouts.append(blocks)
    return tuple(layouts)


def postings(n: int, words: int = 400, seed: int = 7, distinct: bool = False) -> list[str]:
    rng = random.Random(seed)
    sentences, layouts = sentence_pool(), _layouts()
    deck: list[str] = []

    def draw() -> str:
        if not distinct:
            return rng.choice(sentences)
        if not deck:
            deck.extend(sentences)
            rng.shuffle(deck)
        return deck.pop()

    out = []
    for i in range(n):
        blocks = layouts[i % len(layouts)]
        parts = [blocks.get("other", ""), blocks.get("company", "")]
        budget = words - sum(len(p.split()) for p in parts) - len(blocks.get("benefits", "").split())
        for kind, share in BODY:
            header = (blocks.get(kind) or blocks["qualifications"]).split("\n", 1)[0]
            body, target = [], max(12, int(budget * share))
            # Stop once within 30 words of the target (a sentence averages ~35), so postings average ~400 words.
            while sum(len(s.split()) for s in body) < target - 30:
                body.append(draw())
            parts.append(header + "\n" + "".join(f"- {s}\n" for s in body) + "\n")
        parts.append(blocks.get("benefits", ""))
        out.append("".join(parts))
    return out


def posting_pieces(texts: list[str]) -> list[list[str]]:
    """Per posting, the sentences/clauses the semantic tagger would embed (default splitting, every
    section): what the encoder benchmarks time. Only the splitting runs; no model or index is loaded."""
    from kgservice.document import Domain
    from kgservice.pipeline.build import make_document
    from kgservice.pipeline.embedding_tagger import EmbeddingTagger
    from kgservice.pipeline.sectioner import Sectioner

    sectioner, splitter = Sectioner(), EmbeddingTagger(encoder=None, index=None, threshold=1.0)  # type: ignore[arg-type]
    return [[p.text for p in splitter.split(sectioner(make_document(t, Domain.JOB)))[0]] for t in texts]
