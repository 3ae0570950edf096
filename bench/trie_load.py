"""Skill trie load time and match speed: the flat format (format 2) against the pickled pygtrie (format 1).

Run: ``.venv/bin/python bench/trie_load.py [--repeat 5] [--docs 200]``. Builds the trie from the
graph's skill rows as ``kgservice index build`` does, saves both formats to a temporary directory and
prints the median load time of each next to a baseline measured in the same run (``json.load`` of
the manifest), as ratios. Then walks the same tokenized ~400-word postings through the pygtrie (the
format-1 tagger's loop) and through the flat arrays, and checks that both find the same matches.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import pickle
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pygtrie
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from postings import postings  # noqa: E402

from kgservice.graph.cypher import Query  # noqa: E402
from kgservice.graph.driver import Graph  # noqa: E402
from kgservice.offline.trie_builder import SkillText, build_trie, key_trie  # noqa: E402
from kgservice.pipeline.trie_tagger import SkillTrie, TrieTagger  # noqa: E402
from kgservice.settings import Settings  # noqa: E402
from kgservice.text_normalizer import Token, tokenize  # noqa: E402


def median_s(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm-up: page cache, imports
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def load_pickle(directory: Path) -> pygtrie.Trie:
    """Format 1's load: read, check the sha256, unpickle."""
    blob = (directory / "trie.pkl").read_bytes()
    manifest = json.loads((directory / "manifest.json").read_text())
    assert hashlib.sha256(blob).hexdigest() == manifest["sha256"]
    return pickle.loads(blob)  # noqa: S301 (written a moment ago by this script)


def pygtrie_predict(trie: pygtrie.Trie, tokens: Sequence[Token]) -> list[tuple[int, int, tuple]]:
    """Format 1's matching loop, kept here as the reference for results and speed."""
    keys = [t.norm for t in tokens]
    found = []
    i = 0
    while i < len(keys):
        node_key: list[str] = []
        best = None
        j = i
        while j < len(keys):
            node_key.append(keys[j])
            probe = trie.has_node(node_key)
            if not probe:
                break
            if probe & pygtrie.Trie.HAS_VALUE:
                best = (j + 1, trie[node_key])
            if not probe & pygtrie.Trie.HAS_SUBTRIE:
                break
            j += 1
        if best is None:
            i += 1
            continue
        found.append((i, best[0], best[1]))
        i = best[0]
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--docs", type=int, default=200)
    args = parser.parse_args()
    console = Console(width=120)
    settings = Settings()
    with Graph.connect(settings) as graph:
        rows = graph.read(Query.GET_SKILLS_FOR_INDEX, taxonomies=None)
        versions = {r["id"]: r["version"] for r in graph.read(Query.GET_TAXONOMY_VERSIONS)}
    skills = [SkillText(r["id"], r["name"], tuple(r["aliases"]), r["taxonomy"]) for r in rows]
    with tempfile.TemporaryDirectory() as tmp:
        old_dir, new_dir = Path(tmp, "format1"), Path(tmp, "format2")
        old_dir.mkdir()
        keys, _, _ = key_trie(skills)
        blob = pickle.dumps(keys, protocol=pickle.HIGHEST_PROTOCOL)
        (old_dir / "trie.pkl").write_bytes(blob)
        (old_dir / "manifest.json").write_text(json.dumps({"sha256": hashlib.sha256(blob).hexdigest()}))
        build_trie(skills, versions).save(new_dir)
        sizes = {"old": len(blob), "new": (new_dir / "trie.bin").stat().st_size}
        # Time loads on a small heap, as in a process that is starting: the build's objects make
        # the collector's passes over unpickled nodes slower than a service would see.
        del rows, skills, keys, blob
        gc.collect()
        base = median_s(lambda: json.loads((new_dir / "manifest.json").read_text()), args.repeat)
        old = median_s(lambda: load_pickle(old_dir), args.repeat)
        new = median_s(lambda: SkillTrie.load(new_dir), args.repeat)
        keys, flat = load_pickle(old_dir), SkillTrie.load(new_dir)
    console.print(f"{flat.manifest['skills']} skills, {flat.manifest['keys']} keys, {flat.manifest['nodes']} nodes; "
                  f"median of {args.repeat} loads after one warm-up")
    table = Table(title="Skill trie load")
    for col in ("what", "file MB", "ms", "x baseline"):
        table.add_column(col, justify="left" if col == "what" else "right")
    table.add_row("baseline: json.load of manifest.json", "", f"{base * 1e3:.2f}", "1")
    table.add_row("format 1: trie.pkl (pickled pygtrie)", f"{sizes['old'] / 1e6:.1f}", f"{old * 1e3:.1f}",
                  f"{old / base:.0f}")
    table.add_row("format 2: trie.bin (flat arrays)", f"{sizes['new'] / 1e6:.1f}", f"{new * 1e3:.1f}",
                  f"{new / base:.0f}")
    console.print(table)
    console.print(f"format 2 loads {old / new:.0f} x faster than format 1")

    tagger = TrieTagger(flat)
    tokenized = [tokenize(t) for t in postings(args.docs)]
    reference = [pygtrie_predict(keys, tokens) for tokens in tokenized]
    flat_found = [[(m.start_tok, m.end_tok, m.entries) for m in tagger.predict(tokens)] for tokens in tokenized]
    same = reference == flat_found
    old_s = median_s(lambda: [pygtrie_predict(keys, tokens) for tokens in tokenized], 3)
    new_s = median_s(lambda: [tagger.predict(tokens) for tokens in tokenized], 3)
    console.print(f"matching {len(tokenized)} postings ({sum(map(len, reference))} matches): pygtrie walk "
                  f"{len(tokenized) / old_s:.0f} docs/s, flat arrays {len(tokenized) / new_s:.0f} docs/s "
                  f"= {old_s / new_s:.2f} x; same matches: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    raise SystemExit(main())
