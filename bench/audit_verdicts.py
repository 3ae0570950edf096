"""Hand verdicts of the precision audits (bench/same_as_audit.py, bench/broader_audit.py): the TSV files
they live in, and precision with a Wilson interval.

A verdict file is tab-separated with a header row; ``#`` lines are comments. Each row is keyed by two
id columns, so a re-draw of the sample reuses every pair already judged.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from pathlib import Path


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval: unlike p +- z*se it stays inside [0, 1] near 100%, where these audits live."""
    if n == 0:
        return 0.0, 1.0
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def read_verdicts(path: Path, keys: tuple[str, str], allowed: Sequence[str]) -> dict[tuple[str, str], dict[str, str]]:
    """Rows by ``(row[keys[0]], row[keys[1]])``; a verdict outside ``allowed`` stops the audit."""
    if not path.exists():
        return {}
    lines = [line for line in path.read_text(encoding="utf-8").splitlines() if line and not line.startswith("#")]
    verdicts = {}
    for row in csv.DictReader(lines, delimiter="\t"):
        verdict = (row.get("verdict") or "").strip()
        if verdict and verdict not in allowed:
            raise SystemExit(f"{path}: verdict {verdict!r} for {row[keys[0]]} -> {row[keys[1]]} "
                             f"is not one of {tuple(allowed)}")
        verdicts[(row[keys[0]], row[keys[1]])] = row
    return verdicts


def append_unjudged(path: Path, columns: Sequence[str], rows: list[dict[str, str]]) -> None:
    """Add rows with an empty verdict, ready to be filled in (the header first when the file is new)."""
    new = not path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, delimiter="\t", lineterminator="\n")
        if new:
            writer.writerow(columns)
        for row in rows:
            writer.writerow([row[c] for c in columns])


def rate(judged: list[str], good: str) -> str:
    """"good/n = p% (Wilson 95% lo-hi)" over the verdicts ``judged``."""
    hits = sum(v == good for v in judged)
    if not judged:
        return "no verdicts"
    lo, hi = wilson(hits, len(judged))
    return f"{hits}/{len(judged)} = {hits / len(judged):.1%} (Wilson 95% {lo:.1%}-{hi:.1%})"
