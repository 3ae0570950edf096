"""Loading the taxonomy and counting the graph: ``kgservice load taxonomy``, ``kgservice counts``."""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console

from kgservice.cli.output import input_dir, print_table
from kgservice.errors import KgServiceError
from kgservice.settings import Settings


def print_counts(graph: Any, console: Console) -> None:
    from kgservice.graph.cypher import Query

    labels = graph.read(Query.COUNT_BY_LABEL)
    rels = graph.read(Query.COUNT_BY_RELATIONSHIP)
    print_table(console, ["label", "nodes"], [(r["label"], r["count"]) for r in labels], title="Nodes")
    print_table(console, ["type", "relationships"], [(r["type"], r["count"]) for r in rels], title="Relationships")


def print_skill_graph(graph: Any, console: Console) -> dict[str, int]:
    """The Skills Graph's coverage (kgservice/cypher/count_skill_graph.cypher) as a table; returns the counts."""
    from kgservice.graph.cypher import Query

    [counts] = graph.read(Query.COUNT_SKILL_GRAPH)
    skills = max(int(counts["skills"]), 1)
    print_table(console, ["measure", "value"], [
        ("skills in no group", counts["ungrouped"]),
        ("skill-level BROADER edges", counts["broader"]),
        ("skills with a skill-level BROADER edge", f"{counts['touched']} ({counts['touched'] / skills:.1%})"),
        ("occupations", counts["occupations"]),
        ("skills with a description", counts["described"]),
    ], title="Skills Graph")
    return counts


def _load(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    from kgservice.graph.driver import Graph
    from kgservice.loaders.default_sources import read_default_sources
    from kgservice.loaders.esco_bundle import read_bundle
    from kgservice.loaders.skill_graph import SkillGraphDerivation
    from kgservice.loaders.taxonomy_writer import load

    batches = []
    if not args.no_wheel:
        batches.extend(read_default_sources(settings.cache))
    if args.esco_bundle:
        batches.append(read_bundle(args.esco_bundle, taxonomy=args.taxonomy, version=args.version))
    if not batches:
        raise KgServiceError("nothing to load: drop --no-wheel or give --esco-bundle DIR")
    with Graph.connect(settings) as graph:
        report = load(graph, batches, settings.taxonomy.batch_size, console,
                      derive=SkillGraphDerivation.from_settings(settings, console))
        for problem in report.problems[:50]:
            console.print(f"[yellow]skipped[/] {problem}")
        if len(report.problems) > 50:
            console.print(f"... and {len(report.problems) - 50} more skipped rows")
        print_counts(graph, console)
        print_skill_graph(graph, console)
    derived = report.derived
    console.print(f"loaded {sum(len(b.skills) for b in batches)} skills, "
                  f"{sum(len(b.occupations) for b in batches)} occupations, {report.same_as} SAME_AS pairs, "
                  f"{report.aliases} skills with derived aliases, "
                  f"{len(report.problems)} rows skipped, in {report.seconds:.1f}s; derived "
                  f"{sum(derived.placed.values())} group placements ({derived.placed}) and "
                  f"{sum(derived.broader.values())} skill-level BROADER edges ({derived.broader}) "
                  f"in {derived.seconds:.1f}s")
    return 0


def _counts(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    from kgservice.graph.driver import Graph

    with Graph.connect(settings) as graph:
        print_counts(graph, console)
    return 0


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("load", help="load the skills taxonomy into Neo4j (idempotent)")
    p.add_argument("what", choices=["taxonomy"], help="what to load")
    p.add_argument("--esco-bundle", type=input_dir, help="folder of an official ESCO CSV bundle to load as well")
    p.add_argument("--taxonomy", default="esco", help="taxonomy id for --esco-bundle")
    p.add_argument("--version", default="bundle", help="version recorded for --esco-bundle")
    p.add_argument("--no-wheel", action="store_true", help="skip the default ESCO+Lightcast source")
    p.set_defaults(handler=_load)

    p = sub.add_parser("counts", help="node and relationship counts")
    p.set_defaults(handler=_counts)
