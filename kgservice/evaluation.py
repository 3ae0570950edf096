"""Labelled development data and the metrics of the ESCO skill-linking literature.

Set metrics are micro-averaged over sentences; ranking metrics (R-Precision@K, MRR) use only the
sentences with at least one gold skill. See ``../shared/data/README.md`` for the data.
"""

from __future__ import annotations

import ast
import csv
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

SPECIAL = {"LABEL NOT PRESENT", "UNDERSPECIFIED", "UNK"}


@dataclass(frozen=True, slots=True)
class Example:
    sentence: str
    gold: frozenset[str]  # skill ids
    unmapped: tuple[str, ...] = ()  # gold labels no skill of the taxonomy carries


def label_resolver(skills: Sequence[Mapping[str, object]]) -> dict[str, str]:
    """Label -> skill id: preferred labels first, then alternative labels (ESCO renamed some)."""
    by_label: dict[str, str] = {}
    for s in skills:
        for alias in s.get("aliases") or ():  # type: ignore[union-attr]
            by_label.setdefault(str(alias).casefold(), str(s["id"]))
    for s in skills:
        by_label[str(s["name"]).casefold()] = str(s["id"])
    return by_label


def load_annotations(path: Path, resolve: Mapping[str, str]) -> list[Example]:
    """One example per distinct sentence of a ``*_validation_annotations.csv`` file, in file order."""
    gold: dict[str, list[str]] = {}
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            labels = gold.setdefault(row["sentence"], [])
            if row["label"] not in SPECIAL:
                labels.append(row["label"])
    return [_example(sentence, labels, resolve) for sentence, labels in gold.items()]


def load_skillskape(path: Path, resolve: Mapping[str, str]) -> list[Example]:
    out = []
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            labels = [x for x in ast.literal_eval(row["skills"]) if x not in SPECIAL]
            out.append(_example(row["sentence"], labels, resolve))
    return out


def _example(sentence: str, labels: Sequence[str], resolve: Mapping[str, str]) -> Example:
    ids = {resolve[x.casefold()] for x in labels if x.casefold() in resolve}
    return Example(sentence, frozenset(ids), tuple(x for x in labels if x.casefold() not in resolve))


@dataclass(frozen=True, slots=True)
class Scores:
    precision: float
    recall: float
    f1: float
    rp1: float
    rp5: float
    rp10: float
    mrr: float


class Ranked(list[str]):
    """A ranking whose predicted *set* is narrower than the list (candidates below a cut rank too)."""

    def __init__(self, ranking: Sequence[str], selected: set[str]) -> None:
        super().__init__(ranking)
        self.selected = selected


def score(predictions: Sequence[Sequence[str]], examples: Sequence[Example]) -> Scores:
    """``predictions[i]`` is sentence i's skill ids, best first; the set is all of them, or
    ``.selected`` for a :class:`Ranked` list."""
    tp = fp = fn = 0
    rp = {1: 0.0, 5: 0.0, 10: 0.0}
    mrr = 0.0
    ranked = 0
    for pred, ex in zip(predictions, examples, strict=True):
        pset = pred.selected if isinstance(pred, Ranked) else set(pred)
        tp += len(pset & ex.gold)
        fp += len(pset - ex.gold)
        fn += len(ex.gold - pset)
        if not ex.gold:
            continue
        ranked += 1
        for k in rp:
            rp[k] += len(set(pred[:k]) & ex.gold) / min(k, len(ex.gold))
        mrr += next((1.0 / (i + 1) for i, p in enumerate(pred) if p in ex.gold), 0.0)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    n = max(1, ranked)
    return Scores(precision, recall, f1, rp[1] / n, rp[5] / n, rp[10] / n, mrr / n)
