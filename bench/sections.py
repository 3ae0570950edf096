"""Accuracy of the sectioner on the held-out labelled documents.

Prints, per domain and overall, the character-level accuracy of the kind assigned to every
character, and per-kind precision/recall (also character-level), for three configurations:
header rules alone (text they don't cover counts as "other"), the classifier alone (headers
ignored), and both combined (what the pipeline runs).

Run: ``.venv/bin/python bench/sections.py [--split heldout|train|all]``
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from kgservice.document import Domain
from kgservice.pipeline.sectioner import KINDS, Sectioner
from kgservice.offline.sectioner_training import Example, default_data_dir, load_examples

CONFIGS = {
    "headers": Sectioner(use_headers=True, use_classifier=False),
    "classifier": Sectioner(use_headers=False, use_classifier=True),
    "combined": Sectioner(),
}
DOMAINS = (Domain.JOB, Domain.PROFILE, Domain.COURSE)


def predicted_kinds(sectioner: Sectioner, example: Example) -> list[str]:
    out: list[str] = []
    for s in sectioner.predict(example.text, example.domain):
        out.extend([s.kind] * (s.end - s.start))
    assert len(out) == len(example.text), "sections must tile the text"
    return out


def score(pairs: list[tuple[str, str]]) -> tuple[float, dict[str, tuple[float, float, int]]]:
    """Accuracy and per-kind (precision, recall, gold chars) over (gold, predicted) chars."""
    correct = sum(g == p for g, p in pairs)
    gold = Counter(g for g, _ in pairs)
    pred = Counter(p for _, p in pairs)
    hit = Counter(g for g, p in pairs if g == p)
    per_kind = {
        k: (hit[k] / pred[k] if pred[k] else 0.0, hit[k] / gold[k] if gold[k] else 0.0, gold[k])
        for k in sorted(set(gold) | set(pred))
    }
    return correct / max(len(pairs), 1), per_kind


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--split", default="heldout", choices=["heldout", "train", "all"])
    parser.add_argument("--data", type=Path, default=default_data_dir())
    args = parser.parse_args()

    examples = {
        d: [e for e in load_examples(args.data / f"{d}.jsonl", d) if args.split in ("all", e.split)]
        for d in DOMAINS
    }
    print(f"split={args.split}: " + ", ".join(f"{d}={len(examples[d])} docs" for d in DOMAINS))
    overall: dict[str, list[tuple[str, str]]] = {c: [] for c in CONFIGS}
    for domain in DOMAINS:
        results = {}
        for name, sectioner in CONFIGS.items():
            pairs = []
            for ex in examples[domain]:
                pairs.extend(zip(ex.kind_at(), predicted_kinds(sectioner, ex)))
            overall[name].extend(pairs)
            results[name] = score(pairs)
        n_chars = sum(len(e.text) for e in examples[domain])
        print(f"\n== {domain} ({len(examples[domain])} docs, {n_chars} chars)")
        print("accuracy   " + "  ".join(f"{name:>18}" for name in CONFIGS))
        print("           " + "  ".join(f"{results[n][0]:>18.3f}" for n in CONFIGS))
        print(f"{'kind':<16}{'gold':>6}  " + "  ".join(f"{n + ' P/R':>18}" for n in CONFIGS))
        for kind in KINDS[domain]:
            cells = []
            for n in CONFIGS:
                p, r, _ = results[n][1].get(kind, (0.0, 0.0, 0))
                cells.append(f"{p:>8.2f} /{r:>5.2f}   ")
            gold = results["combined"][1].get(kind, (0, 0, 0))[2]
            print(f"{kind:<16}{gold:>6}  " + "  ".join(f"{c:>18}" for c in cells))
    print("\n== overall character accuracy")
    for name in CONFIGS:
        print(f"{name:<12}{score(overall[name])[0]:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
