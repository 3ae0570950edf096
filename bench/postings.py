"""Deterministic ~400-word job postings for the speed benchmarks.

Built from the hand-written postings in ``tests/data/sections/job.jsonl``: each generated posting
is one real posting, padded with sections of others (in order of kind) up to the word target, so
the text has realistic headers, bullets and skill density.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ORDER = ("other", "company", "responsibilities", "qualifications", "nice_to_have", "benefits")


def postings(n: int, words: int = 400, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    docs = [json.loads(line)["blocks"] for line in (ROOT / "tests/data/sections/job.jsonl").read_text().splitlines()]
    by_kind: dict[str, list[str]] = {}
    for blocks in docs:
        for block in blocks:
            by_kind.setdefault(block["kind"], []).append(block["text"])
    out = []
    for i in range(n):
        blocks = list(docs[i % len(docs)])
        while sum(len(b["text"].split()) for b in blocks) < words:
            kind = rng.choice(ORDER[1:5])
            blocks.append({"kind": kind, "text": rng.choice(by_kind[kind])})
        blocks.sort(key=lambda b: ORDER.index(b["kind"]) if b["kind"] in ORDER else len(ORDER))
        text = "".join(b["text"] for b in blocks)
        out.append(" ".join(text.split(" ")[: words + text.count("\n")]) if len(text.split()) > words * 1.2 else text)
    return out
