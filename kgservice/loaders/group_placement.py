"""Every skill in a group: a group for each skill its source left without one.

Lightcast leaves 11,328 of its 31,995 skills in no category. Each gets, in order:

1. ``same_as``: the groups of its SAME_AS twin (the ESCO skill it names), confidence 0.95.
2. ``nearest_group``: the groups of the skills nearest to it in meaning. Its 10 nearest skills of the
   same taxonomy that the source did place vote for their groups, each vote weighted by its cosine.
   The winning subcategory is taken when it has at least half the votes; otherwise the top-level
   category with the most votes (summed over its subcategories), and its best-voted subcategory. A skill
   always lands in a subcategory, as the source's own skills do, so expansion's same-group neighbours
   stay a subcategory's. Confidence is the subcategory's share of the votes. Measured by leaving placed
   Lightcast skills out in turn (bench/group_placement.py): docs/skills-graph.md has the figures.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence

import numpy as np

from kgservice.loaders.taxonomy_records import Row

NEIGHBOURS = 10
SUBGROUP_SHARE = 0.5
TWIN_CONFIDENCE = 0.95
DERIVED_SOURCES = ("same_as", "nearest_group")


def top_group(group: str, parents: Mapping[str, str]) -> str:
    """The top of ``group``'s parent chain (a cycle ends the walk where it closes)."""
    seen = {group}
    while group in parents and parents[group] not in seen:
        group = parents[group]
        seen.add(group)
    return group


def vote(sims: np.ndarray, neighbour_groups: Sequence[Sequence[str]], parents: Mapping[str, str]) -> tuple[str, float]:
    """(group, its share of the votes) from the nearest skills' cosines and groups (see the module doc)."""
    groups: Counter[str] = Counter()
    tops: Counter[str] = Counter()
    for sim, gs in zip(sims, neighbour_groups, strict=True):
        weight = max(float(sim), 0.0) / max(len(gs), 1)
        for g in gs:
            groups[g] += weight
            tops[top_group(g, parents)] += weight
    total = sum(groups.values()) or 1.0
    group, votes = min(groups.items(), key=lambda kv: (-kv[1], kv[0]))
    if votes / total < SUBGROUP_SHARE:
        # No subcategory has half the votes: the category with the most, and its best subcategory there.
        top = min(tops.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        group, votes = min(((g, v) for g, v in groups.items() if top_group(g, parents) == top), key=lambda kv: (-kv[1], kv[0]))
    return group, votes / total


def place_ungrouped(skills: Sequence[Row], vectors: np.ndarray, memberships: Mapping[str, Sequence[str]],
                    twins: Sequence[tuple[str, str]], parents: Mapping[str, str]) -> list[Row]:
    """``{skill, group, source, confidence}`` for every skill of ``skills`` with no membership.

    ``memberships``: skill id -> the groups its source put it in; ``vectors``: one unit row per skill,
    aligned with ``skills``; ``parents``: group id -> its broader group.
    """
    index = {s["id"]: i for i, s in enumerate(skills)}
    twin_of: dict[str, list[str]] = defaultdict(list)
    for a, b in twins:
        twin_of[a].append(b)
        twin_of[b].append(a)
    out: list[Row] = []
    pending: dict[str, list[str]] = defaultdict(list)  # taxonomy -> skills left for the vote
    for s in skills:
        sid = s["id"]
        if memberships.get(sid):
            continue
        groups = sorted({g for t in sorted(twin_of.get(sid, ())) for g in memberships.get(t, ())})
        if groups:
            out.extend({"skill": sid, "group": g, "source": "same_as", "confidence": TWIN_CONFIDENCE} for g in groups)
        else:
            pending[s["taxonomy"]].append(sid)
    for taxonomy, ids in sorted(pending.items()):
        placed = [s["id"] for s in skills if s["taxonomy"] == taxonomy and memberships.get(s["id"])]
        if not placed:
            continue
        matrix = vectors[[index[p] for p in placed]]
        k = min(NEIGHBOURS, len(placed))
        for lo in range(0, len(ids), 1024):
            chunk = ids[lo:lo + 1024]
            sims = vectors[[index[c] for c in chunk]] @ matrix.T
            top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
            for row, sid in enumerate(chunk):
                near = top[row]
                group, share = vote(sims[row, near], [memberships[placed[j]] for j in near], parents)
                out.append({"skill": sid, "group": group, "source": "nearest_group", "confidence": round(share, 4)})
    return sorted(out, key=lambda r: (r["skill"], r["group"]))
