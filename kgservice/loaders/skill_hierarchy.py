"""Skill-level BROADER edges: which skill is the broader skill of which, from labels, groups and SAME_AS,
checked by the skill tower's vectors.

The default source has group paths but no skill-to-skill hierarchy, so the loader derives one. Every
edge says where it came from (``source``) and how sure it is (``confidence``); the rules, the audit
of their precision and how to review the weakest edges are in docs/skills-graph.md.

Sources, most trusted first:

- ``qualifier``: a label's qualifier names a skill: "Swift (computer programming)" -> "computer
  programming", "Android (mobile operating systems)" -> "mobile operating systems".
- ``language``: ESCO's language skills: "understand written Catalan" -> "Catalan".
- ``label_head``: the label's head names a skill: "Diagnostic Radiology" -> "Radiology"; a verb phrase
  with the same verb and the head of its object, "maintain laboratory equipment" -> "maintain
  equipment"; a light verb's object, "perform skin surgery" -> "surgery"; a release, "Java 11" ->
  "Java (Programming Language)".
- ``verb_head``: the noun of a verb phrase's verb names a skill: "teach mathematics" -> "Teaching",
  "manage contracts" -> "Management".
- ``label_complement``: the label less its complement: "advise customers on hearing aids" -> "advise
  customers", "history of art" -> "history".
- ``verb_object``: a verb phrase under the activity on the head of its object: "maintain laboratory
  equipment" -> "Equipment Maintenance", "manage wine cellar inventory" -> "Inventory Management".
- ``group_field``: a member of a group named like a skill ("Oncology"), under that skill when it is
  the member's nearest group namesake and no sibling of it ("Breast Cancer" -> "Oncology"); a product
  under "<group> Software" ("Taxware (Software)", in "Tax", -> "Tax Software").
- ``same_as``: a skill without a parent takes its SAME_AS twin's parents.

Every candidate must also pass the cosine floor of its source: a label that reads like a hyponym but
means something else ("Garment Construction" is not building "Construction") scores low. A parent is
more general than its child: never one whose words include all of the child's ("IOS" is not under
"IOS Development"), and the lexical rules only take a part of the child's own label. A parent
with a SAME_AS twin in the child's own taxonomy is replaced by that twin, so a child never has both
halves of one concept as parents. Edges are added best first and one that would close a cycle is
dropped, so the hierarchy is acyclic.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from kgservice.loaders.group_placement import top_group
from kgservice.loaders.label_structure import LabelStructure, key_of, more_general_label
from kgservice.loaders.taxonomy_records import Row

# How much each source is trusted before the cosine is looked at; confidence = prior * (0.5 + cos / 2),
# clipped to [0, 1]. A ranking for review (kgservice/cypher/taxonomist/weakest_broader_edges.cypher), not a
# calibrated probability: docs/skills-graph.md gives the audited precision per source.
PRIORS: Mapping[str, float] = {"qualifier": 1.0, "language": 1.0, "label_head": 0.95, "verb_head": 0.9,
                               "label_complement": 0.9, "same_as": 0.85, "group_field": 0.8, "verb_object": 0.9}
# Cosine floors of the skill tower between child and parent labels. Lexical rules are trusted more,
# so their floor only removes another sense of a word; group edges rest on the cosine.
FLOORS: Mapping[str, float] = {"qualifier": 0.35, "language": 0.3, "label_head": 0.55, "light_verb": 0.55,
                               "version": 0.6, "verb_head": 0.25, "label_complement": 0.6,
                               "same_as": 0.65, "group_field": 0.55, "verb_object": 0.5}
# A group's namesake skill must mean what the group's members do ("medicines" is not the group
# "medicine"): its cosine to the members' mean vector.
GROUP_SENSE_FLOOR = 0.55
# "<group> Software": the kind a product of the group is ("Taxware (Software)", in "Tax", -> "Tax Software").
PRODUCT_KINDS = (("software",), ("system",), ("tool",))
MAX_PARENTS = 3
# A taxonomy with at least this many top-level groups names fields with them (fields_of).
MIN_FIELDS = 10
# Sources of retired rules, still derived sources so that a reload deletes their edges: "lightcast_category"
# and "esco_group" put every member of a group named in the plural under its namesake; 34 of 49 audited
# edges were right (docs/skills-graph.md), and group_field keeps the members nearest the namesake.
RETIRED_SOURCES = ("lightcast_category", "esco_group")
DERIVED_SOURCES = (*PRIORS, *RETIRED_SOURCES)
ESCO_VERB_TYPES = frozenset({"skill/competence", "transversal", "attitude", "language"})


@dataclass(slots=True)
class HierarchyInput:
    """What the hierarchy is derived from, read from the graph after the load and SAME_AS."""

    skills: Sequence[Row]  # id, taxonomy, name, type
    vectors: np.ndarray  # one unit row per skill, aligned with ``skills``
    groups: Sequence[Row] = ()  # id, taxonomy, name, members (skill ids the source put in the group)
    twins: Sequence[tuple[str, str]] = ()  # SAME_AS pairs
    fixed: Sequence[tuple[str, str]] = ()  # BROADER edges a source gave (an ESCO bundle): kept, never derived
    fields: Mapping[str, frozenset[str]] = field(default_factory=dict)  # skill id -> its fields (fields_of)


def fields_of(skills: Sequence[Row], memberships: Mapping[str, Sequence[str]], placed: Sequence[Row],
              parents: Mapping[str, str]) -> dict[str, frozenset[str]]:
    """Skill id -> the top-level groups of its groups (the source's and the derived placement's), in a
    taxonomy whose top level names fields: Lightcast's 32 categories do, ESCO's 3 pillars do not."""
    taxonomy = {s["id"]: s["taxonomy"] for s in skills}
    groups: dict[str, set[str]] = defaultdict(set)
    for sid, gs in memberships.items():
        groups[sid].update(gs)
    for p in placed:
        groups[p["skill"]].add(p["group"])
    tops = {sid: {top_group(g, parents) for g in gs} for sid, gs in groups.items() if sid in taxonomy}
    roots: dict[str, set[str]] = defaultdict(set)
    for sid, ts in tops.items():
        roots[taxonomy[sid]].update(ts)
    return {sid: frozenset(ts) for sid, ts in tops.items() if len(roots[taxonomy[sid]]) >= MIN_FIELDS}



@dataclass(slots=True)
class _Candidate:
    child: str
    parent: str
    source: str
    cosine: float
    confidence: float = field(init=False)

    def __post_init__(self) -> None:
        self.confidence = round(min(1.0, max(0.0, PRIORS[self.source] * (0.5 + self.cosine / 2))), 4)


class _Skills:
    """Skills indexed for the rules: structure, keys and vectors."""

    def __init__(self, data: HierarchyInput) -> None:
        self.rows = list(data.skills)
        self.index = {r["id"]: i for i, r in enumerate(self.rows)}
        self.vectors = data.vectors
        self.labels: dict[str, LabelStructure] = {}
        self.by_key: dict[tuple[str, ...], list[str]] = defaultdict(list)
        self.by_letters: dict[str, list[str]] = defaultdict(list)  # "cybersecurity" names "Cyber Security"
        for r in self.rows:
            verb = r["taxonomy"] == "esco" and (r.get("type") or "") in ESCO_VERB_TYPES
            label = LabelStructure.of(r["name"], verb)
            self.labels[r["id"]] = label
            if label.key:
                self.by_key[label.key].append(r["id"])
                self.by_letters["".join(label.key)].append(r["id"])
        self.twins: dict[str, set[str]] = defaultdict(set)
        for a, b in data.twins:
            self.twins[a].add(b)
            self.twins[b].add(a)

    def cos(self, a: str, b: str) -> float:
        return float(self.vectors[self.index[a]] @ self.vectors[self.index[b]])

    def named(self, key: tuple[str, ...], verb_phrase: bool | None = None) -> list[str]:
        """Skills whose label has ``key``; ``verb_phrase`` True/False keeps only verb/noun phrases."""
        ids = self.by_key.get(key, [])
        if verb_phrase is None:
            return list(ids)
        return [i for i in ids if self.labels[i].verb_phrase == verb_phrase]

    def taxonomy(self, sid: str) -> str:
        return self.rows[self.index[sid]]["taxonomy"]


def _label_candidates(skills: _Skills) -> Iterable[tuple[str, str, str, str]]:
    """(child, parent, source, floor name) from each label's own words."""
    for r in skills.rows:
        sid, label = r["id"], skills.labels[r["id"]]
        if label.qualifier and not label.qualifier_is_acronym:
            for p in skills.named(label.qualifier):
                yield sid, p, "qualifier", "qualifier"
        language = label.language(r["name"]) if r.get("type") == "transversal" else None
        if language:
            for p in skills.named(language, verb_phrase=False):
                yield sid, p, "language", "language"
            continue
        end = label.head_end
        if end < len(label.words):
            for p in skills.named(key_of(label.words[:end]), verb_phrase=label.verb_phrase):
                yield sid, p, "label_complement", "label_complement"
        if label.verb_phrase:
            verb = label.words[0]
            yield from _first(sid, [skills.named((verb, *suffix), verb_phrase=True)
                                    for suffix in label.head_suffixes(1, end)], "label_head", "label_head")
            light = label.light_object()
            if light is not None:
                yield from _first(sid, [_plain(skills, suffix, label) for suffix in label.head_suffixes(light, end)],
                                  "label_head", "light_verb")
            for noun in label.verb_nouns():
                for p in _plain(skills, noun, label):
                    yield sid, p, "verb_head", "verb_head"
            if label.verb_nouns():
                yield from _first(sid, [[p for n in label.verb_nouns() for p in _plain(skills, key_of([*suffix, *n]), label)]
                                        for suffix in label.head_suffixes(1, end)], "verb_object", "verb_object")
        else:
            yield from _first(sid, [_plain(skills, suffix, label) for suffix in label.head_suffixes(0, end)],
                              "label_head", "label_head")
            version = label.version_base()
            if version:
                for p in skills.named(version, verb_phrase=False):
                    if not skills.labels[p].qualifier or skills.labels[p].qualifier_is_kind:
                        yield sid, p, "label_head", "version"


def _plain(skills: _Skills, key: tuple[str, ...], child: LabelStructure) -> list[str]:
    """Noun-phrase skills with ``key``; one whose own qualifier picks a sense or a kind ("Scale (Map)",
    "Securities (Finance)", "C (Programming Language)") only for a child qualified the same way."""
    return [p for p in skills.named(key, verb_phrase=False)
            if not skills.labels[p].qualifier or skills.labels[p].qualifier == child.qualifier]


def _first(child: str, found: Sequence[list[str]], source: str, floor: str) -> Iterable[tuple[str, str, str, str]]:
    """The parents of the longest head that names skills: "Exploratory Data Analysis" goes under "Data
    Analysis", not also under "Analysis", which is "Data Analysis"'s own parent."""
    for parents in found:
        if parents:
            yield from ((child, p, source, floor) for p in parents)
            return


def _field_candidates(skills: _Skills, groups: Sequence[Row]) -> Iterable[tuple[str, str, str, str]]:
    """Members of a group named like a skill ("Oncology"), under that skill when it is the member's
    nearest of all group namesakes ("Breast Cancer" -> "Oncology"): a member closer to another group's
    field is beside this one, or in both ("Chemoembolization", in "Surgery", is nearer "Hematology").
    A product ("Taxware (Software)") goes under "<group> Software" where that skill exists."""
    namesakes: dict[str, tuple[list[str], list[str], list[str]]] = {}
    for g in groups:
        members = [m for m in g["members"] if m in skills.index]
        name = LabelStructure.of(g.get("name") or "", False)
        if not members or not name.key:
            continue
        centroid = skills.vectors[[skills.index[m] for m in members]].mean(axis=0)
        centroid /= max(float(np.linalg.norm(centroid)), 1e-12)
        keys = [name.key]
        if name.words[0] in ("general", "basic"):
            keys.append(key_of(name.words[1:]))  # "General Accounting" is the field "Accounting"
        found = next((ids for ids in (skills.by_letters.get("".join(k), ()) for k in keys if k) if ids), ())
        field = [p for p in found
                 if not skills.labels[p].verb_phrase
                 and float(skills.vectors[skills.index[p]] @ centroid) >= GROUP_SENSE_FLOOR]
        kinds = [] if (name.key[-1],) in PRODUCT_KINDS else [
            p for kind in PRODUCT_KINDS for p in skills.named((*name.key, *kind), verb_phrase=False)]
        if field or kinds:
            namesakes[g["id"]] = (members, field, kinds)
    every = sorted({p for _, field, kinds in namesakes.values() for p in (*field, *kinds)})
    if not every:
        return
    matrix = skills.vectors[[skills.index[p] for p in every]]
    for members, field, kinds in namesakes.values():
        nearest = np.argmax(skills.vectors[[skills.index[m] for m in members]] @ matrix.T, axis=1)
        for m, best in zip(members, nearest):
            label = skills.labels[m]
            if label.verb_phrase:
                continue  # an activity is not a kind of the field that names its object ("operate smelter")
            product = bool(kinds) and label.qualifier_is_kind
            parents = kinds if product else field
            p = every[int(best)]
            if p in parents and p != m and (product or _wider(skills.labels[p], label)):
                yield m, p, "group_field", "group_field"


def _wider(parent: LabelStructure, child: LabelStructure) -> bool:
    """A field's name is not longer than its member's, and one as long sharing a word is a sibling
    ("Presentation Delivery" is not a part of "Presentation Design")."""
    if len(parent.content) != len(child.content):
        return len(parent.content) < len(child.content)
    return not parent.content & child.content


class _Hierarchy:
    """Edges added best first, refusing cycles, twin duplicates and more than MAX_PARENTS per child."""

    def __init__(self, skills: _Skills, fixed: Sequence[tuple[str, str]]) -> None:
        self.skills = skills
        self.parents: dict[str, dict[str, _Candidate | None]] = defaultdict(dict)
        self.children: dict[str, set[str]] = defaultdict(set)
        for c, p in fixed:
            self.parents[c][p] = None
            self.children[p].add(c)

    def _reaches(self, start: str, target: str) -> bool:
        """Whether ``target`` is ``start`` or one of its ancestors."""
        stack, seen = [start], {start}
        while stack:
            node = stack.pop()
            if node == target:
                return True
            for p in self.parents.get(node, ()):
                if p not in seen:
                    seen.add(p)
                    stack.append(p)
        return False

    def concept(self, child: str, parent: str) -> str:
        """``parent``, or its SAME_AS twin in the child's taxonomy (one half of a concept per child)."""
        own = self.skills.taxonomy(child)
        if self.skills.taxonomy(parent) == own:
            return parent
        twins = sorted(t for t in self.skills.twins.get(parent, ()) if self.skills.taxonomy(t) == own)
        return twins[0] if twins else parent

    def add(self, candidate: _Candidate) -> bool:
        c, p = candidate.child, candidate.parent
        current = self.parents.get(c, {})
        if c == p or p in current or p in self.skills.twins.get(c, ()) or len(current) >= MAX_PARENTS:
            return False
        if any(q in self.skills.twins.get(p, ()) for q in current):
            return False
        if self._reaches(p, c):
            return False
        self.parents[c][p] = candidate
        self.children[p].add(c)
        return True

    def edges(self) -> list[_Candidate]:
        return [e for ps in self.parents.values() for e in ps.values() if e is not None]


def _ranked(candidates: Iterable[_Candidate]) -> list[_Candidate]:
    return sorted(candidates, key=lambda e: (-e.confidence, e.child, e.parent))


def derive_hierarchy(data: HierarchyInput) -> list[Row]:
    """Every derived skill-level BROADER edge: ``{child, parent, source, confidence}``, sorted by ids."""
    skills = _Skills(data)
    tree = _Hierarchy(skills, data.fixed)

    def build(raw: Iterable[tuple[str, str, str, str]]) -> list[_Candidate]:
        out = {}
        for child, parent, source, floor in raw:
            named, parent = parent, tree.concept(child, parent)
            sense = skills.labels[parent]
            if parent != named and sense.qualifier and not sense.qualifier_is_kind \
                    and sense.qualifier != skills.labels[child].qualifier:
                continue  # the twin names one sense ("Securities (Finance)" for "securities"), the child's word another
            if child == parent or more_general_label(skills.labels[child], skills.labels[parent]):
                continue  # the parent's words include all the child's: it is narrower ("iOS Development")
            own = data.fields.get(child)
            if source == "label_head" and own and not own & data.fields.get(parent, frozenset()):
                continue  # a head word of another field: "Cone Penetration Testing" is not security testing
            cosine = skills.cos(child, parent)
            if cosine >= FLOORS[floor]:
                candidate = _Candidate(child, parent, source, cosine)
                best = out.get((child, parent))
                if best is None or candidate.confidence > best.confidence:
                    out[(child, parent)] = candidate
        return _ranked(out.values())

    for candidate in build([*_label_candidates(skills), *_field_candidates(skills, data.groups)]):
        tree.add(candidate)
    # A twin's parents, for skills the rules left without one.
    carried = []
    for child in sorted(skills.index):
        if tree.parents.get(child):
            continue
        for twin in sorted(skills.twins.get(child, ())):
            carried.extend((child, p, "same_as", "same_as") for p in tree.parents.get(twin, ()))
    for candidate in build(carried):
        tree.add(candidate)
    return sorted(({"child": e.child, "parent": e.parent, "source": e.source, "confidence": e.confidence}
                   for e in tree.edges()), key=lambda r: (r["child"], r["parent"]))
