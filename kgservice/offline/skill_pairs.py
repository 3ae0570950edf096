"""Training pairs for the two-tower skill linker: (text that expresses a skill, that skill's label).

Sources, all outside the evaluation split (``skill-extraction-dev`` is never read here):

* ``skillskape``: every (sentence, gold label) of SkillSkape ``train.csv``; gold labels map to ESCO
  ids through preferred labels, then alternative labels (:func:`kgservice.evaluation.label_resolver`).
* ``alias``: an ESCO alternative label -> its preferred label (``aliases_per_skill`` per skill,
  drawn with the seed), so the tower learns the taxonomy's own synonyms.
* ``same_as``: a Lightcast skill name -> the ESCO skill it is ``SAME_AS`` (the loader's links).

Each pair may carry a hard negative: the best-ranked skill of the current HNSW index for the
anchor that is not one of the anchor's gold skills, i.e. the mistake the index makes today.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from kgservice.evaluation import Example


@dataclass(frozen=True, slots=True)
class Pair:
    anchor: str
    positive: str  # the skill's preferred label: what the skill tower encodes
    skill_id: str
    source: str
    negative: str | None = None


def skillskape_pairs(examples: Iterable[Example], names: Mapping[str, str]) -> list[Pair]:
    return [Pair(ex.sentence, names[sid], sid, "skillskape") for ex in examples for sid in sorted(ex.gold)
            if sid in names]


def alias_pairs(rows: Iterable[Mapping[str, object]], per_skill: int, rng: random.Random) -> list[Pair]:
    out = []
    for row in rows:
        name = str(row["name"])
        aliases = sorted({str(a) for a in (row.get("aliases") or ()) if str(a).casefold() != name.casefold()})  # type: ignore[union-attr]
        for alias in rng.sample(aliases, min(per_skill, len(aliases))):
            out.append(Pair(alias, name, str(row["id"]), "alias"))
    return out


def same_as_pairs(links: Iterable[tuple[str, str]], names: Mapping[str, str]) -> list[Pair]:
    """``links``: (other taxonomy's skill name, ESCO id)."""
    return [Pair(text, names[sid], sid, "same_as") for text, sid in links if sid in names]


def add_hard_negatives(pairs: Sequence[Pair], rank: Any, names: Mapping[str, str], k: int = 10) -> list[Pair]:
    """``rank(texts) -> list of ranked skill-id lists`` (the current index); first non-gold hit becomes the negative."""
    gold: dict[str, set[str]] = defaultdict(set)
    for p in pairs:
        gold[p.anchor].add(p.skill_id)
    anchors = sorted(gold)
    ranked = dict(zip(anchors, rank(anchors), strict=True))
    out = []
    for p in pairs:
        negative = next((names[s] for s in ranked[p.anchor][:k] if s not in gold[p.anchor] and s in names
                         and names[s].casefold() != p.positive.casefold()), None)
        out.append(replace(p, negative=negative))
    return out


def index_ranker(encoder: Any, index: Any, k: int = 10) -> Any:
    def rank(texts: Sequence[str]) -> list[list[str]]:
        ids, _ = index.query(encoder.encode(list(texts), batch_size=128), k=k)
        return ids

    return rank


def source_counts(pairs: Iterable[Pair]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for p in pairs:
        counts[p.source] += 1
    return dict(sorted(counts.items()))

