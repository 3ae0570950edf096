"""Rebuild the sectioner's classifier from labelled documents.

``python -m kgservice.offline.sectioner_training train [--data DIR] [--out PATH]`` reads the hand-written
labelled documents (``kgservice/resources/data/sections/<domain>.jsonl``) and writes the model of
integer counts the serving classifier loads (:mod:`kgservice.pipeline.section_classifier`).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from kgservice.document import Domain
from kgservice.pipeline.section_classifier import MODEL_VERSION, block_features, default_model_path, load_model, text_blocks
from kgservice.pipeline.section_headers import KINDS
from kgservice.settings import VENDORED_DATA

@dataclass(frozen=True, slots=True)
class Example:
    """One labelled document: its text and gold (kind, start, end) spans tiling it."""

    id: str
    domain: Domain
    split: str
    text: str
    spans: tuple[tuple[str, int, int], ...]

    def kind_at(self) -> list[str]:
        """The gold kind of every character."""
        out: list[str] = []
        for kind, a, b in self.spans:
            out.extend([kind] * (b - a))
        return out


def load_examples(path: Path, domain: Domain) -> list[Example]:
    """Reads a ``<data>/sections/<domain>.jsonl`` file.

    Each line is ``{"id", "split": "train"|"heldout", "blocks": [{"kind", "text"}, ...]}``; the
    document text is the blocks' texts concatenated, so gold offsets cannot drift from the text.
    """
    examples = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        spans, pos = [], 0
        for block in row["blocks"]:
            if block["kind"] not in KINDS[domain]:
                raise ValueError(f"{row['id']}: kind {block['kind']!r} is not a {domain} kind")
            spans.append((block["kind"], pos, pos + len(block["text"])))
            pos += len(block["text"])
        text = "".join(b["text"] for b in row["blocks"])
        examples.append(Example(row["id"], domain, row["split"], text, tuple(spans)))
    return examples


def default_data_dir() -> Path:
    return VENDORED_DATA / "sections"


def _gold_block_kinds(example: Example, blocks: Iterable[tuple[int, int]]) -> list[str]:
    labels = example.kind_at()
    out = []
    for a, b in blocks:
        chunk = example.text[a:b]
        first = a + (len(chunk) - len(chunk.lstrip()))  # the kind where the block's text starts
        out.append(labels[min(first, b - 1)])
    return out


def train_counts(examples: Sequence[Example], kinds: Sequence[str], alpha: float = 0.1,
                 emission_scale: float = 3.0) -> dict[str, object]:
    """Counts features per kind and kind transitions over whole training documents."""
    index = {k: i for i, k in enumerate(kinds)}
    feature_counts: dict[str, Counter[int]] = defaultdict(Counter)
    block_counts = [0] * len(kinds)
    start_counts = [0] * len(kinds)
    trans = [[0] * len(kinds) for _ in kinds]
    for ex in examples:
        spans = text_blocks(ex.text, 0, len(ex.text))
        gold = [index[k] for k in _gold_block_kinds(ex, spans)]
        total = max(len(ex.text), 1)
        for (a, b), y in zip(spans, gold):
            block_counts[y] += 1
            for f in block_features(ex.text[a:b], a / total):
                feature_counts[f][y] += 1
        if gold:
            start_counts[gold[0]] += 1
        for p, q in zip(gold, gold[1:]):
            trans[p][q] += 1
    # Features seen once are mostly noise and would bloat the committed file.
    counts = {
        f: [x for j in sorted(c) for x in (j, c[j])]
        for f, c in sorted(feature_counts.items())
        if sum(c.values()) >= 2 or not f.count("_") and not f.startswith(("#", "^"))
    }
    return {
        "kinds": list(kinds),
        "alpha": alpha,
        "emission_scale": emission_scale,
        "counts": counts,
        "block_counts": block_counts,
        "start_counts": start_counts,
        "transition_counts": trans,
    }


def train(data_dir: Path, out: Path) -> dict[str, int]:
    """Trains one model per domain on the ``split == "train"`` examples and writes ``out``.

    Returns:
        Number of training documents per domain.
    """
    domains: dict[str, object] = {}
    sizes: dict[str, int] = {}
    for domain in (Domain.JOB, Domain.PROFILE, Domain.COURSE):
        examples = [e for e in load_examples(data_dir / f"{domain}.jsonl", domain) if e.split == "train"]
        domains[str(domain)] = train_counts(examples, KINDS[domain])
        sizes[str(domain)] = len(examples)
    payload = {"version": MODEL_VERSION, "domains": domains}
    out.parent.mkdir(parents=True, exist_ok=True)
    # Sorted keys, integer counts and no timestamps keep the file byte-identical across runs.
    out.write_text(json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n",
                   encoding="utf-8")
    load_model.cache_clear()
    return sizes


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: ``python -m kgservice.offline.sectioner_training train [--data DIR] [--out PATH]``."""
    parser = argparse.ArgumentParser(prog="python -m kgservice.offline.sectioner_training")
    sub = parser.add_subparsers(dest="command", required=True)
    p_train = sub.add_parser("train", help="rebuild the classifier model from labelled examples")
    p_train.add_argument("--data", type=Path, default=default_data_dir())
    p_train.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.command == "train":
        out = args.out or default_model_path()
        sizes = train(args.data, out)
        print(f"wrote {out} ({out.stat().st_size} bytes) from train documents {sizes}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
