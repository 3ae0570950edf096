"""Extraction from a file, stdin or a JSON Lines file: ``kgservice extract``."""

from __future__ import annotations

import argparse
import json
from typing import Any

from rich.console import Console

from kgservice.cli.output import input_file, print_table, read_text_input
from kgservice.errors import KgServiceError
from kgservice.settings import Settings


def skill_json(skill: Any) -> dict[str, Any]:
    from kgservice.pipeline.jsonl_extractor import skill_json as contract_json

    out = contract_json(skill)
    if skill.section:
        out["section"] = skill.section
    if skill.via:
        out["via"] = skill.via
    return out


def document_json(doc: Any, expanded: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {"id": doc.id, "domain": doc.domain.value, "modelVersion": doc.model_version,
                           "sections": [{"kind": s.kind, "start": s.start, "end": s.end} for s in doc.sections],
                           "skills": [skill_json(s) for s in doc.skills]}
    if expanded:
        out["expanded"] = [skill_json(s) for s in doc.expanded]
    return out


def _extract(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    from kgservice.graph.driver import Graph
    from kgservice.pipeline.build import build_pipeline, make_document

    # Everything the user gave is checked before the graph and the models are loaded.
    if args.jsonl and not args.out:
        raise KgServiceError("--jsonl needs --out OUT (the JSON Lines file the results go to)")
    if args.jsonl and args.file is not None:
        raise KgServiceError("give a FILE or --jsonl IN --out OUT, not both")
    if not args.jsonl and args.file is None:
        raise KgServiceError("give a FILE (or - for stdin), or --jsonl IN --out OUT")
    text = None if args.jsonl else read_text_input(args.file)
    with Graph.connect(settings) as graph:
        pipeline = build_pipeline(settings, graph, semantic=False if args.no_semantic else None,
                                  expansion=False if args.no_expansion else None)
        if args.jsonl:
            from kgservice.pipeline.jsonl_extractor import extract_jsonl

            done = extract_jsonl(pipeline, args.jsonl, args.out, settings, Console(stderr=True),
                                 batch_size=args.batch_size)
            Console(stderr=True).print(f"wrote {done.written} documents to {args.out} "
                                       f"({done.skipped} already there, {done.failed} failed)")
            return 0 if done.failed == 0 else 1
        doc = pipeline(make_document(text, args.domain, args.title, None,
                                     settings.pipeline.max_chars, pipeline.model_version))
    if args.json:
        print(json.dumps(document_json(doc), ensure_ascii=False, indent=2))
        return 0
    print_table(console, ["skill", "taxonomy", "score", "relation", "method", "section", "text"],
                [(s.name, s.taxonomy, f"{s.score:.2f}", s.relation.value, s.method.value, s.section,
                  " | ".join(dict.fromkeys(doc.text[a:b] for a, b in s.spans))[:60]) for s in doc.skills],
                title=f"{len(doc.skills)} skills ({pipeline.model_version})")
    if doc.expanded:
        print_table(console, ["expanded skill", "taxonomy", "score", "via"],
                    [(s.name, s.taxonomy, f"{s.score:.2f}", s.via) for s in doc.expanded[:15]], title="Expansion")
    return 0


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("extract", help="extract skills from one document, or a JSON Lines file of them")
    p.add_argument("file", nargs="?", type=input_file, help="text file, or - for stdin")
    p.add_argument("--domain", default="job", choices=["job", "profile", "course", "post"],
                   help="what the text is; it picks the scorer's weights and the section kinds")
    p.add_argument("--title", help="the document's title (a job title, a course name)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--jsonl", type=input_file, help='input lines {"id", "text", "domain"}; needs --out')
    p.add_argument("--out", help="output JSON Lines (resumes after the lines already written)")
    p.add_argument("--batch-size", type=int, default=32, help="--jsonl: documents per pipeline batch")
    p.add_argument("--no-semantic", action="store_true", help="skip the semantic (vector index) tagger")
    p.add_argument("--no-expansion", action="store_true", help="skip graph expansion")
    p.set_defaults(handler=_extract)
