"""Nearline throughput and end-to-end latency: enqueue -> extraction -> committed HAS_SKILL edges.

Run: ``.venv/bin/python bench/nearline.py [--rates 100,200,300] [--duration 20] [--sustain 200 --sustain-s 60]``.
Needs the shared Neo4j (taxonomy and trie built) and Redis (``kgservice redis start``; started and
stopped here if it does not answer). Starts ``--workers`` ``kgservice worker`` processes with
``--record-commits``; the producer paces edits open-loop at each rate (an edit is sent at its scheduled
time whatever the backlog), stamping each with its enqueue time; the workers record the Neo4j commit
time per message id in ``<stream>:committed``; latency is commit - enqueue, same clock. Each run also
prints the CPU per committed edit of the workers, their extraction children, Neo4j, Redis and the
producer (``bench/process_cpu.py``) and the steal time; ``--compete 0.5`` keeps half a core busy in
another process throughout (a noisy neighbour), to compare code under the same contention.

The edits model entities that change over time. Each of the ``POOL`` (2,000) document ids
``bench-nl-<n>`` (a profile or a job, fixed per id) is a profile/job section of 1-3 sentences (30-80 words; 90% of ids) or an
11-sentence (~310-word) job posting under two headers (10%), built from SkillSkape job-posting sentences dealt like a deck
(``bench/postings.py``'s pool), so no two documents share a sentence. The warm-up writes every id
once. After that an edit picks an id at random and either revises it (80%: one sentence replaced or
added, the rest unchanged, as when a member edits a line of a profile) or rewrites it (20%: all new
sentences). When the deck runs out it is dealt again with a connective ("Also, ...") in front of
each sentence, so a sentence never reaches the worker twice as the same text: what repeats across
edits is only what the entity kept. The run prints the share of sentences new to the stream; with
``--no-piece-cache`` the workers run with ``KG_PIPELINE__SEMANTIC_CACHE_SIZE=0`` (the same-run
baseline for the semantic tagger's cache). Everything written (documents ``bench-*``, the stream's
keys) is removed at the end.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from postings import postings  # noqa: E402
from process_cpu import cpu_seconds, machine_ticks, steal_share  # noqa: E402

from kgservice.errors import KgServiceError  # noqa: E402
from kgservice.graph.cypher import Query  # noqa: E402
from kgservice.graph.driver import Graph  # noqa: E402
from kgservice.graph.server import Neo4jServer  # noqa: E402
from kgservice.nearline.edit_stream import NearlineSettings, connect, ensure_group, make_edit  # noqa: E402
from kgservice.nearline.redis_server import RedisServer  # noqa: E402
from kgservice.settings import Settings  # noqa: E402

POOL = 2000
LONG_SHARE = 0.1
REVISE_SHARE = 0.8
# Put in front of every sentence once the deck has been dealt once, twice, ...: new text each time.
CONNECTIVES = ("", "Also,", "In addition,", "Plus,", "Moreover,", "Besides that,", "On top of that,",
               "Furthermore,", "Additionally,", "Likewise,", "Equally,", "As well,")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


class Workload:
    """Documents as lists of sentences; edits revise or rewrite them (see the module docstring)."""

    def __init__(self, seed: int = 11) -> None:
        from postings import sentence_pool

        self.rng = random.Random(seed)
        self._pool = list(sentence_pool())
        self._deck: list[str] = []
        self._deals = 0
        self.docs: dict[str, list[str]] = {}
        self.sentences_sent = 0
        self.sentences_new = 0

    def _deal(self) -> str:
        if not self._deck:
            self._deck = self._pool[:]
            self.rng.shuffle(self._deck)
            self._deals += 1
        connective = CONNECTIVES[(self._deals - 1) % len(CONNECTIVES)]
        if self._deals > len(CONNECTIVES):
            connective = f"{connective} round {self._deals}:".lstrip()
        sentence = self._deck.pop()
        return f"{connective} {sentence}" if connective else sentence

    @staticmethod
    def _is_long(doc_id: str) -> bool:
        return random.Random(doc_id).random() < LONG_SHARE

    @classmethod
    def _kind(cls, doc_id: str) -> str:
        """Fixed per entity: an edit revises the same profile or job (its graph key is kind and id)."""
        return "job" if cls._is_long(doc_id) or random.Random(f"{doc_id}:kind").random() < 0.5 else "profile"

    def _fresh(self, long: bool) -> list[str]:
        if long:
            return [self._deal() for _ in range(11)]
        out = [self._deal()]
        while len(out) < 3 and sum(len(x.split()) for x in out) < 30:
            out.append(self._deal())
        return out

    def _revise(self, sentences: list[str], long: bool) -> list[str]:
        out = list(sentences)
        words = sum(len(x.split()) for x in out)
        if not long and len(out) < 3 and words < 80 and self.rng.random() < 0.5:
            out.insert(self.rng.randrange(len(out) + 1), self._deal())
        else:
            out[self.rng.randrange(len(out))] = self._deal()
        return out

    @staticmethod
    def _text(sentences: list[str], long: bool) -> str:
        if not long:
            return " ".join(sentences)
        half = len(sentences) // 2
        return ("Responsibilities\n" + "".join(f"- {x}\n" for x in sentences[:half]) +
                "\nRequirements\n" + "".join(f"- {x}\n" for x in sentences[half:]))

    def edit(self, n: int, doc_id: str | None = None):  # noqa: ANN201
        doc_id = doc_id or f"bench-nl-{self.rng.randrange(POOL)}"
        long = self._is_long(doc_id)
        before = self.docs.get(doc_id)
        if before is None or self.rng.random() >= REVISE_SHARE:
            after = self._fresh(long)
            self.sentences_new += len(after)
        else:
            after = self._revise(before, long)
            self.sentences_new += 1
        self.docs[doc_id] = after
        self.sentences_sent += len(after)
        return make_edit(self._kind(doc_id), doc_id, self._text(after, long))

    def new_share(self) -> float:
        return self.sentences_new / max(1, self.sentences_sent)


def start_workers(n: int, stream: str, args: argparse.Namespace) -> list[subprocess.Popen]:
    env = dict(os.environ)
    if not args.semantic:
        env["KG_PIPELINE__SEMANTIC"] = "false"
    if args.no_piece_cache:
        env["KG_PIPELINE__SEMANTIC_CACHE_SIZE"] = "0"
    if args.onnx_threads != "all":
        env["KG_PIPELINE__THREADS"] = args.onnx_threads
    cmd = [str(ROOT / ".venv/bin/kgservice"), "worker", "--stream", stream, "--record-commits",
           "--batch-size", str(args.batch_size), "--block-ms", str(args.block_ms), "--log-level", args.log_level]
    if args.no_expansion:
        cmd.append("--no-expansion")
    if args.in_process:
        cmd.append("--in-process")
    else:
        cmd += ["--extractors", str(args.extractors)]
    return [subprocess.Popen(cmd + ["--consumer", f"bench-worker-{i}"], env=env, stdout=subprocess.DEVNULL,
                             stderr=open(f"/tmp/kg-bench-worker-{i}.log", "w") if args.log_level == "debug" else None,
                             start_new_session=True) for i in range(n)]


COMPETE_PERIOD_S = 0.01
TIMELINE_S = 5


def compete(share: float) -> None:
    """Busy ``share`` of every 10 ms period, sleep the rest: another tenant's load on a shared core."""
    while True:
        until = time.perf_counter() + share * COMPETE_PERIOD_S
        while time.perf_counter() < until:
            pass
        time.sleep((1.0 - share) * COMPETE_PERIOD_S)


def start_competitors(shares: list[float]) -> list[subprocess.Popen]:
    code = f"import sys; sys.path.insert(0, {str(ROOT / 'bench')!r}); from nearline import compete; compete({{}})"
    return [subprocess.Popen([sys.executable, "-c", code.format(share)], start_new_session=True) for share in shares]


def wait_committed(client, cfg: NearlineSettings, ids: list[str], timeout_s: float) -> dict[str, int]:  # noqa: ANN001
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if client.hlen(cfg.committed) >= len(ids):
            break
        time.sleep(0.2)
    values = client.hmget(cfg.committed, ids)
    return {i: int(v) for i, v in zip(ids, values) if v is not None}


class CpuMeter:
    """CPU seconds per part of the system under test, between two calls of :meth:`sample`."""

    def __init__(self, workers: list[subprocess.Popen], servers: dict[str, int | None]) -> None:
        self.workers = [p.pid for p in workers]
        self.servers = servers

    def sample(self) -> dict[str, float]:
        own = cpu_seconds(self.workers, descendants=False)
        out = {"worker": own, "extraction": cpu_seconds(self.workers) - own}
        out.update({name: cpu_seconds([pid]) for name, pid in self.servers.items()})
        out["producer"] = cpu_seconds([os.getpid()], descendants=False)
        return out


CPU_PARTS = ("worker", "extraction", "neo4j", "redis", "producer")


def run_rate(client, cfg: NearlineSettings, workload: Workload, rate: float, seconds: float,  # noqa: ANN001
             ids: list[str] | None = None, meter: CpuMeter | None = None) -> dict:
    client.delete(cfg.committed)
    cpu_before, ticks_before = (meter.sample() if meter else {}), machine_ticks()
    sent: dict[str, int] = {}
    n = int(rate * seconds)
    t0 = time.perf_counter()
    i = 0
    while i < n:
        due = t0 + i / rate
        now = time.perf_counter()
        if due > now:
            time.sleep(due - now)
        # Send everything that is due (catch up after a slow wake-up) in one round trip.
        pipe = client.pipeline(transaction=False)
        batch = []
        while i < n and t0 + i / rate <= time.perf_counter() + 0.0005:
            edit = workload.edit(i, ids[i] if ids else None)
            pipe.xadd(cfg.stream, edit.fields())
            batch.append(edit.edited_ms)
            i += 1
        for mid, ts in zip(pipe.execute(), batch):
            sent[mid.decode()] = ts
    send_s = time.perf_counter() - t0
    committed = wait_committed(client, cfg, list(sent), timeout_s=max(60.0, seconds * 2))
    drained_s = time.perf_counter() - t0
    cpu_after, ticks_after = (meter.sample() if meter else {}), machine_ticks()
    lat = [committed[m] - ts for m, ts in sent.items() if m in committed]
    start_ms = min(sent.values())
    windows: dict[int, list[int]] = {}
    for m, ts in sent.items():
        if m in committed:
            windows.setdefault(int((ts - start_ms) / 1000 // TIMELINE_S), []).append(committed[m] - ts)
    cpu_ms = {k: (cpu_after[k] - cpu_before[k]) * 1000 / max(1, len(committed)) for k in cpu_after}
    return {"cpu_ms": cpu_ms, "steal": steal_share(ticks_before, ticks_after), "rate": rate, "sent": len(sent), "committed": len(committed), "send_s": send_s, "drain_s": drained_s,
            "throughput": len(committed) / drained_s, "p50": percentile(lat, 0.5), "p95": percentile(lat, 0.95),
            "p99": percentile(lat, 0.99), "max": max(lat),
            "timeline": [(k * TIMELINE_S, percentile(v, 0.99), max(v)) for k, v in sorted(windows.items())]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rates", default="100,200,300,400", help="edits/s for the sweep, each --duration s")
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--sustain", type=float, default=200.0, help="rate of the long run (0: skip)")
    parser.add_argument("--sustain-s", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--extractors", type=int, default=1, help="extraction processes per worker")
    parser.add_argument("--in-process", action="store_true", help="workers run the pipeline in their own "
                        "process (the design before extraction processes: the same-run baseline)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--block-ms", type=int, default=5)
    parser.add_argument("--semantic", action="store_true", help="keep the semantic stage (default: trie only)")
    parser.add_argument("--no-expansion", action="store_true")
    parser.add_argument("--onnx-threads", default="1", help="ONNX Runtime threads per worker ('all': every "
                        "core). 1 by default: Neo4j shares this machine's two cores, and with the writer thread "
                        "overlapping Neo4j's commits one thread gave the lower tail")
    parser.add_argument("--no-piece-cache", action="store_true", help="workers run without the semantic "
                        "tagger's piece cache")
    parser.add_argument("--compete", default="", help="comma-separated shares of a core (0-1) that other "
                        "processes keep busy during the run, e.g. 0.5,0.5: a noisy neighbour on the same cores")
    parser.add_argument("--timeline", action="store_true", help=f"also print each run's p99 and max per "
                        f"{TIMELINE_S} s of enqueue time (where in a run its tail comes from)")
    parser.add_argument("--log-level", default="error", help="workers' log level (debug: per-batch timings, "
                        "in /tmp/kg-bench-worker-N.log)")
    args = parser.parse_args()
    console = Console(width=150)
    settings = Settings()
    cfg = settings.nearline.model_copy(update={"stream": f"bench:edits:{os.getpid()}"})
    redis_started = None
    try:
        client = connect(cfg)
    except KgServiceError:
        redis_started = RedisServer(settings, cfg)
        redis_started.start()
        client = connect(cfg)
    ensure_group(client, cfg)
    workload = Workload()
    workers = start_workers(args.workers, cfg.stream, args)
    shares = [float(x) for x in args.compete.split(",") if x]
    competitors = start_competitors(shares)
    meter = CpuMeter(workers, {"neo4j": Neo4jServer(settings).status().pid,
                               "redis": RedisServer(settings, cfg).status().pid})
    rows = []
    try:
        # Warm-up, not measured: every document of the pool written once (edits of existing profiles and
        # jobs, as in production; it also keeps Neo4j's statistics steady instead of replanning the
        # write query every 10 s while the Document count grows from zero), pipeline and Bolt warm.
        warm = run_rate(client, cfg, workload, 1000, POOL / 1000, ids=[f"bench-nl-{i}" for i in range(POOL)])
        console.print(f"warm-up: {warm['committed']}/{warm['sent']} committed (every pool document once)")
        workload.sentences_sent = workload.sentences_new = 0
        for rate in [float(r) for r in args.rates.split(",") if r]:
            rows.append(("sweep", run_rate(client, cfg, workload, rate, args.duration, meter=meter)))
            r = rows[-1][1]
            console.print(f"{rate:.0f}/s for {args.duration:.0f}s: p50 {r['p50']:.0f} p95 {r['p95']:.0f} "
                          f"p99 {r['p99']:.0f} ms, {r['throughput']:.0f}/s committed")
        if args.sustain:
            rows.append(("sustained", run_rate(client, cfg, workload, args.sustain, args.sustain_s, meter=meter)))
    finally:
        for proc in competitors:
            proc.kill()
        for proc in workers:
            proc.send_signal(signal.SIGTERM)
        for proc in workers:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        with Graph.connect(settings) as graph:
            graph.write(Query.DELETE_DOCUMENTS_BY_ID_PREFIX, prefix="bench-nl-")
        client.delete(cfg.stream, cfg.committed, cfg.errors, cfg.dead_letter)
        client.close()
        if redis_started is not None:
            redis_started.stop()
    extraction = "in the worker process" if args.in_process else f"{args.extractors} extraction process(es) each"
    table = Table(title=f"nearline: {args.workers} worker(s), {extraction}, batch {args.batch_size}, block {args.block_ms} ms, "
                        f"{'trie + semantic' if args.semantic else 'trie only'}"
                        f"{', no expansion' if args.no_expansion else ' + expansion'}"
                        f"{', no piece cache' if args.no_piece_cache else ''}; ONNX Runtime threads "
                        f"{args.onnx_threads}; {os.cpu_count()} CPUs"
                        f"{'; competing load ' + '+'.join(f'{x:.0%}' for x in shares) + ' of a core' if shares else ''}")
    for col in ("run", "offered/s", "seconds", "sent", "committed", "committed/s", "p50 ms", "p95 ms", "p99 ms",
                "max ms"):
        table.add_column(col)
    for name, r in rows:
        table.add_row(name, f"{r['rate']:.0f}", f"{r['send_s']:.0f}", str(r["sent"]), str(r["committed"]),
                      f"{r['throughput']:.0f}", f"{r['p50']:.0f}", f"{r['p95']:.0f}", f"{r['p99']:.0f}",
                      f"{r['max']:.0f}")
    console.print(f"load average (1/5/15 min) at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
                  "(other work on this machine competes for the same cores)")
    console.print(table)
    cpu = Table(title="CPU ms per committed edit, by process (extraction: the workers' child processes; "
                      "producer: this benchmark's load generator), and the hypervisor's steal time")
    for col in ("run", "offered/s", *CPU_PARTS, "total", "steal"):
        cpu.add_column(col)
    for name, r in rows:
        parts = [r["cpu_ms"].get(k, float("nan")) for k in CPU_PARTS]
        cpu.add_row(name, f"{r['rate']:.0f}", *(f"{x:.2f}" for x in parts), f"{sum(parts):.2f}", f"{r['steal']:.0%}")
    console.print(cpu)
    if args.timeline:
        for name, r in rows:
            console.print(f"{name} {r['rate']:.0f}/s, p99/max ms per {TIMELINE_S} s from its start: " +
                          "  ".join(f"{t}s {p:.0f}/{m:.0f}" for t, p, m in r["timeline"]))
    console.print(f"sentences new to the stream after the warm-up: {workload.new_share():.0%} of those sent "
                  "(the rest an entity kept from its previous version)")
    holding = [r["rate"] for _, r in rows if r["p99"] < 100 and r["committed"] == r["sent"]]
    console.print(f"highest offered rate with p99 < 100 ms: {max(holding):.0f}/s" if holding
                  else "no rate held p99 < 100 ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
