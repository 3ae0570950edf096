"""Expansion relevance: how many of a posting's top-5 expanded skills a person judged relevant to it, the
old ordering against the shipped one, measured in the same run.

Run: ``.venv/bin/python bench/expansion.py [--show] [--unjudged]`` (Neo4j up, ``kgservice index build``
done, RELATED_TO edges from ``kgservice graph related``).

Data: ``bench/data/expansion_postings.jsonl``, 30 short postings written for this benchmark across 22
fields, and ``bench/data/expansion_judgements.tsv`` (posting id, skill id, skill name, verdict ``y``/``n``),
hand verdicts on every skill either system put in a posting's top 5: is the skill one the posting asks
for or plainly implies? The pairs were judged from a list sorted by skill id, with no system named
(``--unjudged`` prints the pairs a run needs and the file lacks, in that form).

Both systems see the same documents: the shipped pipeline up to the expander (sections, trie, mention
detector, semantic tagger), then their own links, then the shipped scorer, whose ``expanded`` list (seed
score x relation prior x link weight, best first) is what is scored:

1. **before** (the expander before this change): each seed's parents and SAME_AS twins, its first
   ``expansion_per_relation`` children by name, siblings and same-group skills by shared parents or groups
   then name, no related skills, every link weight 1. Rebuilt here from the candidates the shipped
   query returns with a pool large enough to hold every child, sibling and group member (checked).
2. **after**: the shipped expander: neighbours nearest the seed by meaning, the strongest related skills,
   each link weighed by its edge's confidence or co-occurrence weight and by its fit to the document.

Reported per system: judged relevant among the top-5 slots filled (micro precision), the mean of
per-posting precision, and the after/before ratio.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import sys
from collections.abc import Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kgservice.document import Document, GraphLink  # noqa: E402
from kgservice.graph.cypher import Query  # noqa: E402
from kgservice.graph.driver import Graph  # noqa: E402
from kgservice.graph.skill_queries import NEIGHBOUR_POOL, RANKED_RELATIONS  # noqa: E402
from kgservice.pipeline.build import Pipeline, build_pipeline, make_document  # noqa: E402
from kgservice.pipeline.graph_expander import GraphExpander  # noqa: E402
from kgservice.settings import Settings  # noqa: E402

POSTINGS = ROOT / "bench" / "data" / "expansion_postings.jsonl"
JUDGEMENTS = ROOT / "bench" / "data" / "expansion_judgements.tsv"
TOP = 5
BEFORE, AFTER = "before: by name, no weights", "after: by fit and edge weight"
# The relations and their order in the expander before this change (no related skills).
LEGACY_ORDER = ("parent", "child", "same_as", "sibling", "same_group")
# The old query cut nothing before sorting by name: a pool larger than any seed's group members (a skill
# in two big groups has over NEIGHBOUR_POOL of them), checked below.
LEGACY_POOL = 5 * NEIGHBOUR_POOL


def legacy_links(graph: Graph, seeds: list[str], per_relation: int) -> tuple[GraphLink, ...]:
    """The links the expander made before this change (module docstring, system 1)."""
    rows = {r["seed"]: r for r in graph.read(Query.EXPAND_NEIGHBOURS, ids=seeds, limit=per_relation,
                                             pool=LEGACY_POOL)}
    links: list[GraphLink] = []
    for seed in seeds:
        r = rows.get(seed)
        if r is None:
            continue
        pool = list(zip(r["ids"], r["names"], r["taxonomies"], r["relations"], r["supports"], strict=True))
        for relation in LEGACY_ORDER:
            items = [n for n in pool if n[3] == relation]
            assert len(items) < LEGACY_POOL, f"{seed}: the {relation} pool was cut; raise LEGACY_POOL"
            if relation == "child":
                items = sorted(items, key=lambda n: n[1])[:per_relation]
            elif relation in RANKED_RELATIONS:
                items = sorted(items, key=lambda n: (-n[4], n[1]))[:per_relation]
            links.extend(GraphLink(seed, i, name, taxonomy, rel, int(support)) for i, name, taxonomy, rel, support in items)
    return tuple(links)


def read_judgements(path: Path) -> dict[tuple[str, str], bool]:
    out: dict[tuple[str, str], bool] = {}
    if not path.exists():
        return out
    with path.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            verdict = row["verdict"].strip().lower()
            assert verdict in ("y", "n"), f"{path}: verdict {verdict!r} for {row['posting']} / {row['skill_id']}"
            out[(row["posting"], row["skill_id"])] = verdict == "y"
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--show", action="store_true", help="print every posting's top 5 per system")
    parser.add_argument("--unjudged", action="store_true",
                        help="print the (posting, skill) pairs the judgement file lacks, sorted by skill id, and stop")
    args = parser.parse_args(argv)
    console = Console(width=200)
    settings = Settings()
    per_relation = settings.pipeline.expansion_per_relation
    postings = [json.loads(line) for line in POSTINGS.read_text(encoding="utf-8").splitlines() if line.strip()]
    verdicts = read_judgements(JUDGEMENTS)
    with Graph.connect(settings) as graph:
        pipeline = build_pipeline(settings, graph)
        names = {s.name: i for i, s in enumerate(pipeline.stages)}
        expander = pipeline.stages[names["graph_expander"]]
        scorer = pipeline.stages[-1]
        assert isinstance(expander, GraphExpander) and expander.vectors is not None, "run `kgservice index build`"
        head = Pipeline(pipeline.stages[:names["graph_expander"]], pipeline.model_version)
        systems: dict[str, Callable[[Document], tuple[GraphLink, ...]]] = {
            BEFORE: lambda d: legacy_links(graph, expander.seeds(d), per_relation),
            AFTER: lambda d: expander(d).links,
        }
        docs = list(head.pipe([make_document(p["text"], p["domain"], doc_id=p["id"]) for p in postings]))
        tops: dict[str, list[list[tuple[str, str, str]]]] = {name: [] for name in systems}
        for doc in docs:
            for name, links in systems.items():
                scored = scorer(dataclasses.replace(doc, links=links(doc)))
                tops[name].append([(s.skill_id, s.name, s.via or "") for s in scored.expanded[:TOP]])

    needed = {(p["id"], sid): skill for name in systems for p, top in zip(postings, tops[name], strict=True)
              for sid, skill, _ in top}
    missing = sorted((k for k in needed if k not in verdicts), key=lambda k: (k[1], k[0]))
    if args.unjudged or missing:
        texts = {p["id"]: p["text"].replace("\n", " | ") for p in postings}
        for posting, sid in missing:
            print(f"{posting}\t{sid}\t{needed[(posting, sid)]}\t\t# {texts[posting][:110]}")  # tabs kept: TSV rows
        if missing:
            console.print(f"[red]{len(missing)} (posting, skill) pairs have no verdict in {JUDGEMENTS.name}[/red]")
            return 1
        return 0

    table = Table(title=f"Top-{TOP} expanded skills judged relevant, {len(postings)} postings "
                        f"(bench/data/expansion_postings.jsonl, expansion_judgements.tsv), same run")
    for column in ("system", f"P@{TOP} (micro)", "mean per posting", "relevant / slots", "ratio to before"):
        table.add_column(column, justify="left" if column == "system" else "right")
    base = None
    for name, per_posting in tops.items():
        judged = [[verdicts[(p["id"], sid)] for sid, _, _ in top] for p, top in zip(postings, per_posting, strict=True)]
        hits, slots = sum(sum(j) for j in judged), sum(len(j) for j in judged)
        micro = hits / slots if slots else 0.0
        mean = sum(sum(j) / len(j) for j in judged if j) / len(judged)
        base = micro if base is None else base
        table.add_row(name, f"{micro:.3f}", f"{mean:.3f}", f"{hits} / {slots}", f"{micro / base:.2f}" if base else "-")
    console.print(table)
    if args.show:
        for i, p in enumerate(postings):
            console.print(f"\n[bold]{p['id']}[/bold]")
            for name in systems:
                shown = "; ".join(f"{'+' if verdicts[(p['id'], sid)] else '-'}{skill} ({via})"
                                  for sid, skill, via in tops[name][i])
                console.print(f"  {name}: {shown}", soft_wrap=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
