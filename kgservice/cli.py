"""``kgservice`` command line. Builds the one Settings object and hands it to each command."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from kgservice.errors import KgServiceError
from kgservice.settings import Settings

Handler = Callable[[argparse.Namespace, Settings, Console], int]


def _table(console: Console, columns: Sequence[str], rows: Sequence[Sequence[Any]], title: str | None = None) -> None:
    """A rich table on a terminal; plain aligned columns when the output is a pipe or a file, where rich
    would fold every column to fit 80 characters."""
    cells = [["" if v is None else json.dumps(v) if isinstance(v, (list, dict)) else str(v) for v in row]
             for row in rows]
    if not console.is_terminal:
        print(plain_table(columns, cells, title))
        return
    table = Table(title=title, show_lines=False)
    for column in columns:
        table.add_column(str(column), overflow="fold")
    for row in cells:
        table.add_row(*row)
    console.print(table)


def plain_table(columns: Sequence[str], rows: Sequence[Sequence[str]], title: str | None = None,
                widest: int = 48) -> str:
    """Columns padded to their widest cell (cut at ``widest`` characters), two spaces apart."""
    cut = [[cell if len(cell) <= widest else cell[: widest - 1] + "…" for cell in row] for row in rows]
    widths = [max([len(str(c))] + [len(row[i]) for row in cut]) for i, c in enumerate(columns)]
    lines = [title] if title else []
    lines.append("  ".join(str(c).ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
    lines += ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in cut]
    return "\n".join(lines)


# -- neo4j -----------------------------------------------------------------------------------------
def _neo4j(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    from neo4j.exceptions import Neo4jError

    from kgservice.graph.server import Neo4jServer

    server = Neo4jServer(settings)
    if args.action == "fetch":
        console.print(f"Neo4j {settings.neo4j.version} jars in {server.fetch()}")
        return 0
    if args.action == "warm":
        cfg = settings.neo4j
        commit_s = args.commit_seconds if args.commit_seconds is not None else 0.0 if cfg.external else cfg.warm_commit_s
        return _warm_neo4j(settings, console, args.seconds if args.seconds is not None else cfg.warm_s, commit_s)
    if settings.neo4j.external and args.action in ("start", "stop"):
        console.print(f"NEO4J_URI is set ({settings.neo4j.uri}): using that server, nothing to {args.action}")
    before = server.status()
    status = {"start": server.start, "stop": server.stop, "status": server.status}[args.action]()
    console.print(f"neo4j: {'running' if status.running else 'stopped'} uri={status.uri} pid={status.pid} "
                  f"({status.detail})")
    # A new process (started, or restarted to turn auth on) has a cold JIT.
    if args.action == "start" and status.running and status.pid != before.pid and not settings.neo4j.external:
        try:
            _warm_neo4j(settings, console, settings.neo4j.warm_s, settings.neo4j.warm_commit_s)
        except (KgServiceError, Neo4jError) as exc:  # the server is up; a cold JIT only costs latency
            console.print(f"[yellow]neo4j warm failed, the server runs cold: {exc}[/yellow]")
    return 0 if status.running or args.action == "stop" else 1


def _warm_neo4j(settings: Settings, console: Console, seconds: float, commit_s: float) -> int:
    from kgservice.graph.driver import Graph
    from kgservice.graph.write_warmup import warm_write_path

    if seconds <= 0:
        return 0
    with Graph.connect(settings) as graph:
        report = warm_write_path(graph, seconds, console, commit_s=commit_s)
    if not report.transactions and not report.committed:
        console.print("neo4j warm: no skills in the graph yet, nothing to warm (load the taxonomy first)")
    else:
        scratch = (f", then {report.committed} committed writes of scratch documents, deleted"
                   if report.committed else " (nothing committed)")
        console.print(f"neo4j warm: {report.transactions} rolled-back write transactions{scratch}, "
                      f"{report.seconds:.1f}s over {report.skills} skills")
    return 0


# -- load ------------------------------------------------------------------------------------------
def print_counts(graph: Any, console: Console) -> None:
    from kgservice.graph.cypher import Query

    labels = graph.read(Query.COUNT_BY_LABEL)
    rels = graph.read(Query.COUNT_BY_RELATIONSHIP)
    _table(console, ["label", "nodes"], [(r["label"], r["count"]) for r in labels], title="Nodes")
    _table(console, ["type", "relationships"], [(r["type"], r["count"]) for r in rels], title="Relationships")


def print_skill_graph(graph: Any, console: Console) -> dict[str, int]:
    """The Skills Graph's coverage (cypher/count_skill_graph.cypher) as a table; returns the counts."""
    from kgservice.graph.cypher import Query

    [counts] = graph.read(Query.COUNT_SKILL_GRAPH)
    skills = max(int(counts["skills"]), 1)
    _table(console, ["measure", "value"], [
        ("skills in no group", counts["ungrouped"]),
        ("skill-level BROADER edges", counts["broader"]),
        ("skills with a skill-level BROADER edge", f"{counts['touched']} ({counts['touched'] / skills:.1%})"),
        ("occupations", counts["occupations"]),
        ("skills with a description", counts["described"]),
    ], title="Skills Graph")
    return counts


def _load(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    from kgservice.graph.driver import Graph
    from loaders.default_sources import read_default_sources
    from loaders.esco_bundle import read_bundle
    from loaders.skill_graph import SkillGraphDerivation
    from loaders.taxonomy_writer import load

    batches = []
    if not args.no_wheel:
        batches.extend(read_default_sources(settings.cache))
    if args.esco_bundle:
        batches.append(read_bundle(args.esco_bundle, taxonomy=args.taxonomy, version=args.version))
    if not batches:
        console.print("nothing to load: drop --no-wheel or give --esco-bundle DIR")
        return 2
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


# -- cypher ----------------------------------------------------------------------------------------
def _param(text: str) -> tuple[str, Any]:
    key, sep, raw = text.partition("=")
    if not sep or not key:
        raise KgServiceError(f"parameters are key=value, got {text!r}")
    try:
        return key, json.loads(raw)
    except json.JSONDecodeError:
        return key, raw


def _cypher(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    from kgservice.graph.cypher import header, params_of, taxonomist_queries
    from kgservice.graph.driver import Graph

    queries = taxonomist_queries()
    if args.list or (args.name is None and args.query is None):
        _table(console, ["name", "parameters", "purpose"],
               [(n, ", ".join(params_of(t)), header(t).split("\n")[0]) for n, t in queries.items()])
        return 0
    if args.query is not None:
        text = args.query
    elif args.name in queries:
        text = queries[args.name]
    else:
        raise KgServiceError(f"no query named {args.name!r}; `kgservice cypher --list` shows them")
    params = dict(_param(p) for p in args.params)
    missing = [p for p in params_of(text) if p not in params]
    if missing:
        raise KgServiceError(f"missing parameters: {', '.join(f'{m}=...' for m in missing)}")
    with Graph.connect(settings) as graph:
        keys, rows = graph.read_only(text, params)
    if args.json:
        console.print_json(json.dumps([dict(zip(keys, r)) for r in rows], default=str))
    else:
        _table(console, keys, rows)
    return 0


# -- index ----------------------------------------------------------------------------------------
def _index(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    from kgservice.inference.index_builder import build_indexes

    from kgservice.graph.driver import Graph

    with Graph.connect(settings) as graph:
        built = build_indexes(settings, graph, semantic=not args.no_semantic, console=console)
    for what, path in built.items():
        console.print(f"{what}: {path}")
    return 0


# -- graph (derived edges and snapshots) ------------------------------------------------------------
def _graph(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    from kgservice.graph.driver import Graph

    with Graph.connect(settings) as graph:
        if args.action == "related":
            from kgservice.related.build import build_related, refresh_neighbours

            sources = [s for s in ("corpus", "documents") if not getattr(args, f"no_{s}")]
            build_related(settings, graph, console, sources=sources, limit=args.limit)
            refresh_neighbours(settings, graph, console)
    return 0


# -- models -----------------------------------------------------------------------------------------
def _models(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    try:
        if args.action == "export":
            from kgservice.train.onnx_export import export_encoder

            console.print(f"encoder exported to {export_encoder(settings)}")
            return 0
        if args.action in ("ship-student", "ship-static"):
            from kgservice.train.distill import STUDENT_ID, ship
            from kgservice.train.static_distill import STATIC_ID

            model_id = STUDENT_ID if args.action == "ship-student" else STATIC_ID
            console.print(f"int8 {model_id} copied to {ship(settings.home / 'models' / model_id)}")
            return 0
        if args.action == "ship-mentions":
            from kgservice.train.mention_training import ship as ship_mentions

            console.print(f"mention detector copied to {ship_mentions(settings)}")
            return 0
        if args.action == "fetch-teacher":
            from kgservice.train.teacher import fetch_teacher

            console.print(f"teacher unpacked at {fetch_teacher(settings.cache)}")
            return 0
    except ImportError as exc:
        raise KgServiceError(f"{exc}; the export needs the train extra: pip install -e '.[train]'") from exc
    from kgservice.graph.driver import Graph

    with Graph.connect(settings) as graph:
        if args.action == "fit-scorer":
            from kgservice.train.scorer_fit import fit

            cfg = settings.pipeline
            for tower in cfg.sentence_models:  # as `index build` calibrates them
                fitted = fit(settings.model_copy(update={"pipeline": cfg.model_copy(update={"sentence_model": tower})}),
                             graph, console, ship=args.ship)
                console.print(f"scorer weights written to {fitted}")
        elif args.action == "train-mentions":
            from kgservice.inference.artifacts import taxonomy_version
            from kgservice.train.mention_training import EPOCHS, train_mentions

            train_mentions(settings, console, taxonomy_version(graph), epochs=int(_or(args.epochs, EPOCHS)),
                           out_dir=args.out, limit=args.limit)
        elif args.action == "finetune-teacher":
            from kgservice.train.skill_linker import finetune_teacher

            finetune_teacher(settings, graph, console, steps=args.steps, limit=args.limit)
        elif args.action == "distill":
            from kgservice.train.distill import STUDENT_LAYERS, TASK_STEPS, distill

            distill(settings, graph, console, teacher_steps=args.steps, epochs=_or(args.epochs, 3.0), limit=args.limit,
                    out=args.out, task_steps=TASK_STEPS if args.task_steps is None else args.task_steps,
                    layers=args.layers or STUDENT_LAYERS)
        elif args.action == "distill-static":
            from kgservice.train.static_distill import EPOCHS, distill_static

            try:
                distill_static(settings, graph, console, epochs=int(_or(args.epochs, EPOCHS)), limit=args.limit,
                               out=args.out)
            except ImportError as exc:
                raise KgServiceError(f"{exc}; training needs the train extra: pip install -e '.[train]'") from exc
        elif args.action == "train-scorer":
            from kgservice.train.multitask_scorer import train_scorer

            try:
                train_scorer(settings, graph, console, epochs=_or(args.epochs, 3.0), steps=args.steps, limit=args.limit,
                             feedback_texts=args.feedback_texts)
            except ImportError as exc:
                raise KgServiceError(f"{exc}; training needs the train extra: pip install -e '.[train]'") from exc
    return 0


def _or(value: float | None, default: float) -> float:
    return default if value is None else value


# -- extract --------------------------------------------------------------------------------------
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


def _read_text(source: str) -> str:
    from kgservice.errors import InvalidInput

    raw = sys.stdin.buffer.read() if source == "-" else open(source, "rb").read()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{source} is not UTF-8 text (byte {exc.start}: {raw[exc.start:exc.start + 1]!r}); "
                           "convert it, e.g. `iconv -f latin1 -t utf-8`") from None


def _extract(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    from kgservice.graph.driver import Graph
    from kgservice.pipeline.build import build_pipeline, make_document

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
        if args.file is None:
            raise KgServiceError("give a FILE (or - for stdin), or --jsonl IN --out OUT")
        doc = pipeline(make_document(_read_text(args.file), args.domain, args.title, None,
                                     settings.pipeline.max_chars, pipeline.model_version))
    if args.json:
        print(json.dumps(document_json(doc), ensure_ascii=False, indent=2))
        return 0
    _table(console, ["skill", "taxonomy", "score", "relation", "method", "section", "text"],
           [(s.name, s.taxonomy, f"{s.score:.2f}", s.relation.value, s.method.value, s.section,
             " | ".join(dict.fromkeys(doc.text[a:b] for a, b in s.spans))[:60]) for s in doc.skills],
           title=f"{len(doc.skills)} skills ({pipeline.model_version})")
    if doc.expanded:
        _table(console, ["expanded skill", "taxonomy", "score", "via"],
               [(s.name, s.taxonomy, f"{s.score:.2f}", s.via) for s in doc.expanded[:15]], title="Expansion")
    return 0


# -- serve ----------------------------------------------------------------------------------------
def _serve(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    import uvicorn

    from kgservice.api.access import KeyTable, is_loopback
    from kgservice.api.app import NO_KEYS_WARNING, create_app

    if not KeyTable.from_settings(settings).configured:
        if not is_loopback(args.host):
            raise KgServiceError(f"refusing to serve on {args.host} without API keys: set KG_API__KEYS "
                                 "(NAME:ROLE:KEY entries, docs/security.md), or serve on 127.0.0.1")
        console.print(f"[bold red]{NO_KEYS_WARNING}[/bold red]")
    app = create_app(settings)
    console.print(f"kgservice GraphQL on http://{args.host}:{args.port}/graphql (page: /, health: /health)")
    uvicorn.run(app, host=args.host, port=args.port, workers=1, log_level=args.log_level, access_log=False)
    return 0


# -- nearline: redis, worker, enqueue ----------------------------------------------------------------
def _nearline_settings(args: argparse.Namespace, settings: Settings) -> Any:
    cfg = settings.nearline
    updates = {k: getattr(args, k) for k in ("stream", "group", "batch_size", "block_ms", "claim_idle_ms",
                                             "max_deliveries", "extractors") if getattr(args, k, None) is not None}
    if getattr(args, "with_expansion", False):
        updates["with_expansion"] = True
    return cfg.model_copy(update=updates) if updates else cfg


def _redis(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    from kgservice.nearline.redis_server import RedisServer

    cfg = _nearline_settings(args, settings)
    server = RedisServer(settings, cfg)
    if cfg.external and args.action in ("start", "stop"):
        console.print(f"REDIS_URL is set ({cfg.url}): using that server, nothing to {args.action}")
    status = {"start": server.start, "stop": server.stop, "status": server.status}[args.action]()
    console.print(f"redis: {'running' if status.running else 'stopped'} url={status.url} pid={status.pid} "
                  f"({status.detail})")
    return 0 if status.running or args.action == "stop" else 1


def _worker(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    import logging
    import signal
    import threading

    from kgservice.graph.driver import Graph
    from kgservice.nearline.edit_stream import connect
    from kgservice.nearline.extraction import ExtractionProcess, InlineExtraction
    from kgservice.nearline.worker import Worker
    from kgservice.pipeline.build import build_pipeline

    cfg = _nearline_settings(args, settings)
    level = getattr(logging, args.log_level.upper())
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # The driver's DEBUG records every Bolt message (10 MB in 15 s at 100 edits/s), which slows the
    # worker enough to distort the per-batch timings that --log-level debug is for.
    logging.getLogger("neo4j").setLevel(max(level, logging.INFO))
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    semantic = False if args.no_semantic else None
    expansion = False if args.no_expansion else None
    client = connect(cfg)
    try:
        with Graph.connect(settings) as graph:
            if args.in_process:
                pipeline = build_pipeline(settings, graph, semantic=semantic, expansion=expansion,
                                          expanded=cfg.with_expansion)
                extraction = InlineExtraction(pipeline, with_expansion=cfg.with_expansion,
                                              max_chars=settings.pipeline.max_chars)
            else:
                extraction = ExtractionProcess(settings, semantic=semantic, expansion=expansion,
                                               with_expansion=cfg.with_expansion, processes=cfg.extractors)
            try:
                worker = Worker(graph, client, extraction, cfg, consumer=args.consumer,
                                record_commits=args.record_commits)
                console.print(f"worker {worker.consumer}: {cfg.url} stream={cfg.stream} group={cfg.group} "
                              f"batch={cfg.batch_size} model={extraction.model_version} "
                              f"extraction={'in process' if args.in_process else f'{cfg.extractors} child process(es)'}")

                def progress(s: Any) -> None:
                    hits = ", ".join(f"{name} {rate:.2f}" for name, rate in extraction.cache_hit_rates().items())
                    console.print(f"committed {s.committed} (applied {s.applied}, older ignored {s.ignored}) in "
                                  f"{s.batches} batches; claimed {s.claimed}, failed {s.failed}, dead {s.dead}, "
                                  f"retries {s.retries}; cache hit rates: {hits or 'no caches'}")

                stats = worker.run(stop, idle_exit_s=args.idle_exit, on_progress=progress)
                progress(stats)
            finally:
                extraction.close()
    finally:
        client.close()
    return 0


def _enqueue(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    from kgservice.nearline.edit_stream import connect, enqueue, make_edit

    cfg = _nearline_settings(args, settings)
    if args.jsonl:
        edits = []
        with open(args.jsonl, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    r = json.loads(line)
                    edits.append(make_edit(r.get("kind") or r.get("domain") or args.kind, str(r["id"]), r["text"],
                                           title=r.get("title"), version=r.get("version")))
                except (json.JSONDecodeError, KeyError, TypeError, KgServiceError) as exc:
                    raise KgServiceError(f"{args.jsonl}:{lineno}: {type(exc).__name__}: {exc}") from None
    else:
        if args.id is None or args.file is None:
            raise KgServiceError("give --id ID and a FILE (or - for stdin), or --jsonl FILE")
        edits = [make_edit(args.kind, args.id, _read_text(args.file), title=args.title, version=args.version)]
    client = connect(cfg)
    try:
        ids = enqueue(client, cfg, edits)
    finally:
        client.close()
    console.print(f"enqueued {len(ids)} edits on {cfg.stream}" + (f" (last id {ids[-1]})" if ids else ""))
    return 0


# -- batch ----------------------------------------------------------------------------------------
def _batch(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    from kgservice.batch.spark_job import run_batch, spark_session

    spark = spark_session(args.master)
    try:
        report = run_batch(spark, settings, args.input, fmt=args.format, out=args.out, partitions=args.partitions,
                           semantic=False if args.no_semantic else None,
                           expansion=False if args.no_expansion else None, with_expansion=args.with_expansion,
                           write_batch=args.write_batch, console=console, related=not args.no_related)
    finally:
        spark.stop()
    for error in report.errors:
        console.print(f"[yellow]skipped[/] {error}")
    target = f"Parquet {args.out}" if args.out else "Neo4j"
    console.print(f"{report.documents} documents -> {target}: {report.applied} applied, {report.ignored} older than "
                  f"stored (left alone), {report.failed} failed, {report.edges} skill edges; "
                  f"model {', '.join(sorted(report.model_versions))}; {report.seconds:.1f}s "
                  f"({report.docs_per_s:.1f} docs/s)")
    if report.related is not None:
        console.print(f"related skills, {report.related.line()}")
    return 0 if report.failed == 0 else 1


def _minilm_layers(value: str) -> tuple[int, ...]:
    """``--layers 0,5``: distinct layer numbers of all-MiniLM-L6-v2 (0-5), kept in ascending order."""
    try:
        layers = tuple(sorted({int(v) for v in value.split(",")}))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated layer numbers such as 0,5, got {value!r}") from None
    if not layers or layers[0] < 0 or layers[-1] > 5:
        raise argparse.ArgumentTypeError(f"all-MiniLM-L6-v2 has layers 0-5, got {value!r}")
    return layers


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kgservice", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("neo4j", help="fetch, start, stop or inspect the project's own Neo4j server")
    p.add_argument("action", choices=["fetch", "start", "stop", "status", "warm"],
                   help="warm: rehearse document writes (rolled back) so a restarted server's JIT is ready for "
                        "traffic; start does it too, for NEO4J_WARM_S seconds")
    p.add_argument("--seconds", type=float, help="how long warm runs (default NEO4J_WARM_S)")
    p.add_argument("--commit-seconds", type=float, help="the last seconds of it commit scratch documents "
                   "(kgservice-warmup-*, deleted after) to warm the commit too (default NEO4J_WARM_COMMIT_S on the "
                   "project-started server, 0 on an external one)")
    p.set_defaults(handler=_neo4j)

    p = sub.add_parser("load", help="load the skills taxonomy into Neo4j (idempotent)")
    p.add_argument("what", choices=["taxonomy"])
    p.add_argument("--esco-bundle", type=str, help="folder of an official ESCO CSV bundle to load as well")
    p.add_argument("--taxonomy", default="esco", help="taxonomy id for --esco-bundle (default esco)")
    p.add_argument("--version", default="bundle", help="version recorded for --esco-bundle")
    p.add_argument("--no-wheel", action="store_true", help="skip the default ESCO+Lightcast source")
    p.set_defaults(handler=_load)

    p = sub.add_parser("counts", help="node and relationship counts")
    p.set_defaults(handler=_counts)

    p = sub.add_parser("cypher", help="run a named taxonomist query, or ad-hoc read-only Cypher")
    p.add_argument("name", nargs="?", help="query name from cypher/taxonomist/")
    p.add_argument("params", nargs="*", help="key=value parameters (values parsed as JSON when they parse)")
    p.add_argument("--query", help="ad-hoc Cypher, run in a read-only transaction (no LOAD CSV; only schema and "
                   "index procedures: kgservice/graph/adhoc_cypher.py)")
    p.add_argument("--list", action="store_true", help="list the named queries")
    p.add_argument("--json", action="store_true", help="print rows as JSON")
    p.set_defaults(handler=_cypher)

    p = sub.add_parser("index", help="build the skill trie, catalog and vector index from the graph")
    p.add_argument("action", choices=["build"])
    p.add_argument("--no-semantic", action="store_true", help="skip the vector index")
    p.set_defaults(handler=_index)

    p = sub.add_parser("graph", help="derive RELATED_TO edges (co-occurrence) from text and the graph's documents")
    p.add_argument("action", choices=["related"],
                   help="related: run the pipeline over the vendored SkillSpan/SkillSkape text (resumable) and read "
                        "the graph's documents, then replace the RELATED_TO edges of sources corpus and documents")
    p.add_argument("--no-corpus", action="store_true", help="related: leave the corpus edges as they are")
    p.add_argument("--no-documents", action="store_true", help="related: leave the documents edges as they are")
    p.add_argument("--limit", type=int, default=None, help="related: only the first N corpus documents (smoke runs)")
    p.set_defaults(handler=_graph)

    p = sub.add_parser("models", help="produce model artifacts: export the encoder to ONNX, fit the scorer")
    p.add_argument("action", choices=["export", "fit-scorer", "fetch-teacher", "finetune-teacher", "distill",
                                      "distill-static", "train-scorer", "ship-student", "ship-static", "train-mentions",
                                      "ship-mentions"])
    p.add_argument("--steps", type=int, default=300, help="training steps: of the teacher (finetune-teacher, distill) or at most of the scorer (train-scorer)")
    p.add_argument("--epochs", type=float, default=None,
                   help="epochs: of the student (distill, default 3), the static tower (distill-static, default 4), "
                        "the scorer (train-scorer, default 3) or the mention detector (train-mentions, default 24)")
    p.add_argument("--limit", type=int, default=None, help="use only the first N training pairs/texts (smoke runs)")
    p.add_argument("--ship", action="store_true",
                   help="fit-scorer: also write the weights into the package (needs the development sentences)")
    p.add_argument("--out", type=Path, default=None, help="distill, distill-static, train-mentions: output folder of the model")
    p.add_argument("--task-steps", type=int, default=None,
                   help="distill: contrastive task-tuning steps of the distilled student (default: TASK_STEPS)")
    p.add_argument("--layers", type=_minilm_layers, default=None,
                   help="distill: layers of all-MiniLM-L6-v2 the student starts from, e.g. 0,5 (default: 0,2,5)")
    p.add_argument("--feedback-texts", type=Path, default=None,
                   help='train-scorer: JSON Lines {"id", "kind", "text", "title"} of the graph documents with feedback')
    p.set_defaults(handler=_models)

    p = sub.add_parser("extract", help="extract skills from one document, or a JSON Lines file of them")
    p.add_argument("file", nargs="?", help="text file, or - for stdin")
    p.add_argument("--domain", default="job", choices=["job", "profile", "course", "post"])
    p.add_argument("--title")
    p.add_argument("--json", action="store_true", help="print the result as JSON")
    p.add_argument("--jsonl", help='input lines {"id", "text", "domain"}')
    p.add_argument("--out", help="output JSON Lines (resumes after the lines already written)")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--no-semantic", action="store_true")
    p.add_argument("--no-expansion", action="store_true")
    p.set_defaults(handler=_extract)

    p = sub.add_parser("serve", help="serve the GraphQL API, the extraction page, /health, /ready and /metrics")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    p.set_defaults(handler=_serve)

    p = sub.add_parser("redis", help="start, stop or inspect the project's own Redis (the nearline edit stream)")
    p.add_argument("action", choices=["start", "stop", "status"])
    p.set_defaults(handler=_redis)

    p = sub.add_parser("worker", help="apply profile/job edits from the Redis stream to the graph")
    p.add_argument("--consumer", help="consumer name in the group (default host-pid)")
    p.add_argument("--stream")
    p.add_argument("--group")
    p.add_argument("--batch-size", type=int, help="messages per read and per Neo4j transaction (default 64)")
    p.add_argument("--block-ms", type=int)
    p.add_argument("--claim-idle-ms", type=int, help="claim other consumers' messages pending this long")
    p.add_argument("--max-deliveries", type=int, help="deliveries before a failing message is dead-lettered")
    p.add_argument("--with-expansion", action="store_true", help="write expanded skills too")
    p.add_argument("--no-semantic", action="store_true")
    p.add_argument("--no-expansion", action="store_true")
    p.add_argument("--record-commits", action="store_true", help="record commit times in <stream>:committed")
    p.add_argument("--extractors", type=int, help="extraction processes (default 1, KG_NEARLINE__EXTRACTORS); "
                   "each loads the pipeline and keeps one core busy while it extracts")
    p.add_argument("--in-process", action="store_true", help="run the pipeline in the worker's own process "
                   "instead of a child (for profiling; its I/O then waits behind the encoder)")
    p.add_argument("--idle-exit", type=float, help="exit after this many idle seconds with nothing pending")
    p.add_argument("--log-level", default="warning", choices=["debug", "info", "warning", "error"])
    p.set_defaults(handler=_worker)

    p = sub.add_parser("enqueue", help="put a document edit (or a JSON Lines file of them) on the edit stream")
    p.add_argument("file", nargs="?", help="text file, or - for stdin")
    p.add_argument("--kind", default="profile", choices=["job", "profile", "course", "post"])
    p.add_argument("--id")
    p.add_argument("--title")
    p.add_argument("--version", type=int, help="monotonic per document (default: now in ms)")
    p.add_argument("--jsonl", help='lines {"kind", "id", "text", "title", "version"}')
    p.add_argument("--stream")
    p.set_defaults(handler=_enqueue)

    p = sub.add_parser("batch", help="reprocess documents (JSON Lines or Parquet) with Spark into the graph")
    p.add_argument("input", help="JSON Lines file or Parquet file/folder: id, kind, title, text, version")
    p.add_argument("--format", choices=["jsonl", "parquet"], help="default: from the path")
    p.add_argument("--master", default="local[*]", help="Spark master (default local[*])")
    p.add_argument("--partitions", type=int, help="default 4 per core")
    p.add_argument("--out", help="write the writer's rows as Parquet here instead of to Neo4j")
    p.add_argument("--write-batch", type=int, default=500, help="documents per Neo4j transaction")
    p.add_argument("--with-expansion", action="store_true", help="write expanded skills too")
    p.add_argument("--no-semantic", action="store_true")
    p.add_argument("--no-expansion", action="store_true")
    p.add_argument("--no-related", action="store_true", help="do not recount the documents' co-occurrence "
                   "(RELATED_TO source documents) after the run")
    p.set_defaults(handler=_batch)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    console = Console(stderr=False)
    try:
        return int(args.handler(args, Settings(), console))
    except KgServiceError as exc:
        Console(stderr=True).print(f"[red]error:[/] {exc}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
