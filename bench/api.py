"""extractSkills over HTTP beside the in-process pipeline, on ~400-word job postings.

Run: ``.venv/bin/python bench/api.py [--requests 200] [--seconds 60]``. Starts ``kgservice serve`` on a
free loopback port in a subprocess (same settings as the environment gives, e.g.
``KG_PIPELINE__SEMANTIC=false``), then measures, in the same run:

- the in-process pipeline, one posting at a time (the floor the API adds to);
- ``extractSkills`` over HTTP at concurrency 1 and 8 (requests/s, p50/p99 latency per request).

Every loop is bounded by a request count and a time limit, and only talks to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from postings import postings  # noqa: E402

from kgservice.api.context import Services  # noqa: E402
from kgservice.graph.driver import Graph  # noqa: E402
from kgservice.pipeline.build import make_document  # noqa: E402
from kgservice.settings import Settings  # noqa: E402

QUERY = """query($text: String!) { extractSkills(text: $text, domain: JOB) {
  modelVersion skills { score relation method skill { id name } spans { start end text } } } }"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def in_process(settings: Settings, texts: list[str], seconds: float) -> tuple[str, list[float], float, str]:
    graph = Graph.connect(settings)
    try:
        state = Services(settings, graph).pipeline_state()
        pipeline = state.pipeline
        for text in texts[:5]:
            pipeline(make_document(text, "job"))
        latencies: list[float] = []
        deadline = time.perf_counter() + seconds
        started = time.perf_counter()
        for text in texts:
            t0 = time.perf_counter()
            pipeline(make_document(text, "job", max_chars=settings.pipeline.max_chars))
            latencies.append(time.perf_counter() - t0)
            if time.perf_counter() > deadline:
                break
        return pipeline.model_version, latencies, time.perf_counter() - started, state.semantic_note
    finally:
        graph.close()


async def over_http(url: str, texts: list[str], concurrency: int, seconds: float) -> tuple[list[float], float, int]:
    latencies: list[float] = []
    errors = 0
    queue = list(texts)
    deadline = time.perf_counter() + seconds

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal errors
        while queue and time.perf_counter() < deadline:
            text = queue.pop()
            t0 = time.perf_counter()
            response = await client.post("/graphql", json={"query": QUERY, "variables": {"text": text}})
            latencies.append(time.perf_counter() - t0)
            if response.status_code != 200 or "errors" in response.json():
                errors += 1

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:
        for text in texts[:5]:  # warm-up
            await client.post("/graphql", json={"query": QUERY, "variables": {"text": text}})
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        return latencies, time.perf_counter() - started, errors


def start_server(port: int) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "kgservice.cli", "serve", "--port", str(port), "--log-level", "warning"]
    env = {**os.environ, "KG_PIPELINE__SEMANTIC_CACHE_SIZE": "0"}  # see main()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"`kgservice serve` exited with {proc.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/ready", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    proc.terminate()
    raise SystemExit("the server did not become ready in 120 s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200, help="postings per measurement")
    parser.add_argument("--seconds", type=float, default=60.0, help="time limit per measurement")
    args = parser.parse_args()
    console = Console(width=120)
    settings = Settings()
    # Every measurement sends the same postings: a piece cache would answer the second one from the
    # first. Off here (server and in-process alike); bench/speed.py measures what it saves.
    settings.pipeline.semantic_cache_size = 0
    texts = postings(args.requests)
    words = statistics.mean(len(t.split()) for t in texts)
    console.print(f"{len(texts)} postings, {words:.0f} words on average; {os.cpu_count()} CPUs")

    model, lat, wall, note = in_process(settings, texts, args.seconds)
    rows = [("in-process pipeline (1 thread)", len(lat) / wall, lat, 0)]
    port = free_port()
    proc = start_server(port)
    try:
        for concurrency in (1, 8):
            lat_h, wall_h, errors = asyncio.run(over_http(f"http://127.0.0.1:{port}", texts, concurrency, args.seconds))
            rows.append((f"HTTP extractSkills, concurrency {concurrency}", len(lat_h) / wall_h, lat_h, errors))
    finally:
        proc.terminate()
        proc.wait(timeout=20)

    table = Table(title=f"extractSkills per ~{words:.0f}-word posting ({model})")
    for col in ("path", "requests", "req/s", "p50 ms", "p99 ms", "errors"):
        table.add_column(col, justify="left" if col == "path" else "right")
    for name, rate, latencies, errors in rows:
        table.add_row(name, str(len(latencies)), f"{rate:.1f}", f"{percentile(latencies, 0.5) * 1e3:.1f}",
                      f"{percentile(latencies, 0.99) * 1e3:.1f}", str(errors))
    console.print(table)
    if note:
        console.print(f"note: {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
