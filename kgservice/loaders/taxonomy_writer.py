"""Writes parsed taxonomies into Neo4j: batched ``UNWIND``, ``MERGE`` on constrained ids only.

Every statement is an upsert, so re-running a load changes no counts. Cross-taxonomy SAME_AS links
are computed from what is in the graph after the load, so any combination of sources (the wheel,
an ESCO bundle, a later Lightcast version) ends up linked the same way.
"""

from __future__ import annotations

import re
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from kgservice.graph.cypher import Query
from kgservice.graph.driver import Graph
from kgservice.text_normalizer import fold, tokenize
from kgservice.loaders.skill_aliases import add_derived_aliases
from kgservice.loaders.taxonomy_records import Row, RowProblem, TaxonomyBatch

# (what, query, batch attribute) in dependency order: nodes before the relationships that MATCH them.
_STEPS: tuple[tuple[str, Query, str], ...] = (
    ("skills", Query.MERGE_SKILLS, "skills"),
    ("groups", Query.MERGE_SKILL_GROUPS, "groups"),
    ("occupations", Query.MERGE_OCCUPATIONS, "occupations"),
    ("group hierarchy", Query.MERGE_GROUP_BROADER, "group_broader"),
    ("group membership", Query.MERGE_SKILL_IN_GROUP, "skill_groups"),
    ("skill hierarchy", Query.MERGE_SKILL_BROADER, "skill_broader"),
    ("related skills", Query.MERGE_SKILL_RELATED, "related"),
    ("occupation skills", Query.MERGE_OCCUPATION_SKILLS, "occupation_skills"),
)


@dataclass(slots=True)
class LoadReport:
    written: dict[str, int] = field(default_factory=dict)
    problems: list[RowProblem] = field(default_factory=list)
    same_as: int = 0
    aliases: int = 0
    derived: Any = None  # kgservice.loaders.skill_graph.DerivedReport, when the load derived the structure
    seconds: float = 0.0


def _progress(console: Console) -> Progress:
    return Progress(TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    console=console, transient=False)


def write_batch(graph: Graph, batch: TaxonomyBatch, batch_size: int, console: Console) -> dict[str, int]:
    written: dict[str, int] = {}
    with _progress(console) as progress:
        for what, query, attr in _STEPS:
            rows: Sequence[Row] = getattr(batch, attr)
            if not rows:
                continue
            task = progress.add_task(f"{batch.taxonomy} {what}", total=len(rows))
            for n in graph.write_batches(query, rows, batch_size):
                progress.advance(task, n)
            written[f"{batch.taxonomy} {what}"] = len(rows)
    graph.write(Query.MERGE_TAXONOMY_VERSION, id=batch.taxonomy, name=batch.name, version=batch.version,
                source=batch.source, skills=len(batch.skills), groups=len(batch.groups))
    return written


# --- SAME_AS: when two labels name one skill -------------------------------------------------
#
# The trie's normalizer folds "-ing"/"-ed" and every plural so that text finds labels; for linking
# that is too loose ("Polish" = "Polishing", "building automation" = "Build Automation", "security
# regulations" = "Securities Regulation"). Links use a stricter key: case, diacritics, hyphens and
# spaces, British/American spelling and the number of the last word only.

_PAREN = re.compile(r"\s*\(([^()]*)\)")
# British spellings in ESCO against American ones in Lightcast ("labour law" = "Labor Law").
_SPELLING = {"licence": "license", "defence": "defense", "offence": "offense", "practise": "practice",
             "programme": "program", "programmes": "program", "grey": "gray", "aluminium": "aluminum",
             "sulphur": "sulfur", "mould": "mold", "moulds": "molds", "moulding": "molding", "tyre": "tire",
             "tyres": "tires", "cheque": "check", "cheques": "checks", "plough": "plow", "ageing": "aging",
             "jewellery": "jewelry", "storey": "story", "kerb": "curb", "manoeuvre": "maneuver"}
_SPELLING_RULES = (
    (re.compile(r"(?<=\w)ae"), "e"),                         # haematology, paediatrics, orthopaedics
    (re.compile(r"(?<=\w{2})is(ation|ations|e|es|ed|ing|er|ers)$"), r"iz\1"),  # customisation, organise
    (re.compile(r"(?<=\w)ys(e|es|ed|ing)$"), r"yz\1"),        # analyse
    (re.compile(r"(?<=\w{3})our(s|ed|ing|able)?$"), r"or\1"),  # labour, colour, behaviour (not four/hour)
    (re.compile(r"(?<=\w)([bt])re(s)?$"), r"\1er\2"),          # centre, fibre, metre
    (re.compile(r"(?<=\w{3}[aeiou])ll(ing|ed|er|ers|or|ors)$"), r"l\1"),  # modelling, counselling
    (re.compile(r"(?<=\w{2})ogue(s)?$"), r"og\1"),             # catalogue, analogue
)
# Words whose final "s" is not a plural.
_NOT_PLURAL = frozenset({"aws", "sas", "ios", "js", "css", "os", "news", "series", "species", "kubernetes",
                         "pandas", "redis", "jenkins", "express", "less", "sass", "devops", "mlops", "ops",
                         "windows", "business", "gas", "bus", "lens", "atlas", "canvas", "chaos", "corps"})
_STOP = frozenset({"and", "of", "for", "to", "the", "a", "an", "in", "on", "with", "by", "from", "into", "at", "&"})
# Verbs that ESCO puts in front of an activity without changing it ("perform laboratory tests").
_LIGHT_VERBS = frozenset({"perform", "use", "apply", "have", "exercise", "give", "conduct", "carry", "out",
                          "undertake", "practice", "practise", "execute", "do", "utilise", "utilize", "employ"})
# Words that wrap a subject without narrowing it ("laser engraving methods" = "laser engraving").
_WRAPPERS = frozenset({"method", "technique", "procedure", "principle", "type", "kind", "concept", "process",
                       "practice", "fundamental", "basic"})
_SUFFIXES = ("ation", "ition", "ment", "ness", "ing", "ion", "ity", "ally", "ical", "ic", "al", "ly", "ive",
             "er", "or", "ed", "e", "y")
# Qualifier words that put a label in software; a proper name that needs one is a product.
_SOFTWARE = frozenset({"software", "programming", "program", "scripting", "script", "operating", "framework",
                       "library", "libraries", "tool", "tools", "engine", "database", "databases", "ide", "app",
                       "application", "platform", "protocol", "package", "computer", "computing", "cms",
                       "editor", "game", "saas", "system", "systems", "web", "api", "language"})


@lru_cache(maxsize=1 << 16)
def _spell(word: str) -> str:
    if word in _SPELLING:
        return _SPELLING[word]
    for pattern, repl in _SPELLING_RULES:
        word = pattern.sub(repl, word)
    return word


@lru_cache(maxsize=1 << 16)
def _singular(word: str) -> str:
    if len(word) <= 3 or not word.isalpha() or word in _NOT_PLURAL or word.endswith(("ss", "us", "is", "ics")):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes", "zes")):
        return word[:-2]
    return word[:-1] if word.endswith("s") else word


def _stem(word: str) -> str:
    """A crude derivational stem ("construction" -> "construct", "management" -> "manag"), only
    for telling whether an alias rephrases its own skill's label, never for finding a match."""
    word = _singular(_spell(word))
    changed = True
    while changed:
        changed = False
        for suffix in _SUFFIXES:
            if word.endswith(suffix) and len(word) - len(suffix) >= 4:
                word, changed = word[: -len(suffix)], True
                break
    if len(word) >= 4 and word[-1] == word[-2] and word[-1] not in "aeiou":
        word = word[:-1]
    return word


def _words(text: str) -> list[str]:
    return [fold(t.raw) for t in tokenize(text)]


def _is_acronym(short: str, long_words: Sequence[str]) -> bool:
    """Whether ``short`` abbreviates ``long_words`` ("IoT" for "Internet of Things", "LINQ" for
    "Language Integrated Query"): its letters in order, starting with the first word's first."""
    letters = [c for c in fold(short) if c.isalnum()]
    text = "".join(long_words)
    if len(letters) < 2 or len(long_words) < 2 or not text.startswith(letters[0]):
        return False
    at = 0
    for c in letters:
        at = text.find(c, at)
        if at < 0:
            return False
        at += 1
    return sum(w[0] in letters for w in long_words if w not in _STOP) >= min(len(letters), len(long_words)) - 1


@dataclass(frozen=True, slots=True)
class _Name:
    """A label split for matching: its main part and its qualifier ("Swift (Programming Language)")."""

    raw: tuple[str, ...]  # tokens of the main part as written, case kept
    words: tuple[str, ...]  # folded tokens of the main part
    full: tuple[str, ...]  # folded tokens of the whole label
    qualifier: tuple[str, ...]  # folded tokens of the qualifier; () when absent or only an acronym
    spelled: tuple[str, ...]  # ``words`` in American spelling, the last one singular
    key: str  # the match key: spelling, number of the last word and word breaks folded

    @classmethod
    def of(cls, label: str) -> _Name:
        qualifiers = _PAREN.findall(label)
        main = _PAREN.sub(" ", label).strip() or label
        raw = tuple(t.raw for t in tokenize(main))
        words = tuple(fold(w) for w in raw)
        qualifier: tuple[str, ...] = ()
        for q in qualifiers:
            acronym = " " not in q.strip() and sum(c.isupper() for c in q) >= 2 and _is_acronym(q, words)
            if not acronym:
                qualifier += tuple(_words(q))
        spelled = [_spell(w) for w in words]
        if spelled:
            spelled[-1] = _singular(spelled[-1])
        return cls(raw, words, tuple(_words(label)), qualifier, tuple(spelled), "".join(spelled))

    @property
    def domain(self) -> str:
        """What the qualifier says the label is: a natural language, software, or something named."""
        if not self.qualifier:
            return ""
        if self.qualifier == ("language",):
            return "language"
        if _SOFTWARE.intersection(self.qualifier):
            return "software"
        return " ".join(self.qualifier)

    @property
    def proper(self) -> bool:
        """Written with capitals in ESCO, which lower-cases everything but names."""
        return any(c.isupper() for c in "".join(self.raw))


def _language_form(label: str) -> _Name | None:
    """Lightcast names most languages "Polish Language" and a few "Bengali (Language)": read the
    first as the second, so that ESCO's "Polish" meets it under the same rules."""
    words = label.split()
    if len(words) == 2 and words[1].casefold() == "language" and "(" not in label:
        return _Name.of(f"{words[0]} (Language)")
    return None


def _acronym_form(label: str) -> _Name | None:
    """"Cascading Style Sheets (CSS)" read as "CSS (acronym)", so that ESCO's "CSS" meets it."""
    match = re.search(r"\(([^()\s]+)\)\s*$", label)
    if match and _is_acronym(match.group(1), _words(label[: match.start()])):
        return _Name.of(f"{match.group(1)} (acronym)")
    return None


def _label_rule(left: _Name, right: _Name, unique: bool) -> str | None:
    """How ``left``'s label names ``right``'s skill ("exact", "variant", "qualifier"), or None.

    ``unique``: the two are the only skills, one on each side, with this main key, so a qualifier
    on one side only cannot be choosing a different sense of a word the other side also has.
    """
    if left.full == right.full:
        return "exact"
    if len(left.raw) == 1 and left.proper and left.words != right.words:
        return None  # a one-word name only up to number: "Canvas" is not "Canva", "Salt" not "Salts"
    if len(left.spelled) > len(right.spelled):
        # ESCO may write as one word what Lightcast splits ("electrooptics"), not the reverse: its
        # words apart are often a verb and its object ("clean rooms" is not "Cleanrooms") or a
        # different thing ("wood cuts", ways to cut timber, is not "Woodcut").
        return None
    if left.qualifier == right.qualifier:
        return "variant"
    if left.qualifier and right.qualifier:
        return "qualifier" if left.domain == right.domain else None
    qualified = left if left.qualifier else right
    if not unique:
        return None
    if qualified.domain in ("software", "language"):
        # A product or a language: ESCO must write it as a name ("graphite" is not "Graphite
        # (Software)") and a bare Lightcast label must be that very name ("Salt" vs "Salts").
        if not left.proper or left.words != right.words:
            return None
    return "qualifier"


def _content(name: _Name) -> list[tuple[str, str]]:
    """(stem, word) for the words that carry meaning: no stop words, light verbs or wrappers."""
    words = [w for w in name.words if w not in _STOP]
    if len(words) > 1 and words[0] in _LIGHT_VERBS:
        words = words[1:]
    pairs = [(_stem(w), _singular(_spell(w))) for w in words]
    kept = [p for p in pairs if p[0] not in _WRAPPERS and p[1] not in _WRAPPERS]
    return kept or pairs


_NOMINAL = ("ing", "ion", "ment", "ance", "ence")


def _same_word(esco: str, alias: str, last: bool) -> bool:
    """Two words with one stem are one word unless an "-ing" tells them apart: "market analysis" is not
    "marketing analysis", nor "printing media" "print media", nor "surveying" "surveys". Only the
    activity named by ESCO's last word may come back as a gerund ("swim" / "swimming",
    "perform laboratory tests" / "laboratory testing")."""
    esco_ing, alias_ing = esco.endswith("ing"), alias.endswith("ing")
    return esco_ing == alias_ing or (alias_ing and last)


def _rephrases(alias: str, label: str) -> bool:
    """Whether an ESCO alternative label says the same as its preferred label, rather than naming
    something broader, narrower or next to it (ESCO lists "banking" under "economics").

    Accepted: the same content words in the same order up to derivation, spelling and light verbs
    ("perform laboratory tests" / "laboratory testing"); the same words turned around where the
    wording shows a verb and its object or an "of" phrase ("construct dams" / "dam construction",
    "physiology of animals" / "animal physiology"), but not two nouns swapped ("control systems" /
    "system control"); an acronym and its expansion ("LDAP"); a product name with or without its
    vendor ("DB2" / "IBM DB2").
    """
    a, e = _Name.of(alias), _Name.of(label)
    if not a.words or not e.words:
        return False
    if len(e.raw) == 1 and e.raw[0].isupper() and _is_acronym(e.raw[0], a.words):
        return True
    if len(a.raw) == 1 and a.raw[0].isupper() and _is_acronym(a.raw[0], e.words):
        return True
    if e.proper and a.raw[:1] and a.raw[0][:1].isupper():
        if a.words[1:] == e.words or e.words[1:] == a.words:
            return True
    ca, ce = _content(a), _content(e)
    stems_a, stems_e = [s for s, _ in ca], [s for s, _ in ce]
    if stems_a == stems_e:
        return all(_same_word(we, wa, i == len(ce) - 1) for i, ((_, wa), (_, we)) in enumerate(zip(ca, ce)))
    if sorted(stems_a) != sorted(stems_e) or len(ce) < 2:
        return False
    if any(w in ("of", "for") for w in (*a.words, *e.words)):
        return True
    # "construct dams" / "dam construction": ESCO's verb comes back nominalised at the end.
    (verb_stem, verb), (noun_stem, noun) = ce[0], ca[-1]
    return verb_stem == noun_stem and noun != verb and noun.endswith(_NOMINAL)


def same_as_pairs(left: Sequence[Row], right: Sequence[Row]) -> list[Row]:
    """Pairs (left skill, right skill) that name the same skill; at most one left skill per right one.

    Every pair has ``via`` ("label" or "alias", what the graph stores) and ``rule``, best first:
    "exact" (the same words), "variant" (up to spelling, hyphens, word breaks and the number of the
    last word), "qualifier" (the same name once a trailing qualifier is set aside, where the
    qualifiers agree: both software, both a language, or the same words) and "alias" (an ESCO
    alternative label that is exactly the right label, belongs to one left skill, rephrases that
    skill's own label and the right skill has no label match). A right skill matched by several
    left skills keeps only the best (:func:`canonical_twins`): canonicalization renames it.
    """
    left_names = {s["id"]: _Name.of(s["name"]) for s in left}
    left_by_key: dict[str, list[str]] = defaultdict(list)
    for sid, name in left_names.items():
        if name.key:
            left_by_key[name.key].append(sid)
    right_by_key: dict[str, list[tuple[str, _Name]]] = defaultdict(list)
    for skill in right:
        for form in (_Name.of(skill["name"]), _language_form(skill["name"]), _acronym_form(skill["name"])):
            if form is not None and form.key:
                right_by_key[form.key].append((skill["id"], form))

    pairs: list[Row] = []
    for key, sources in left_by_key.items():
        targets = right_by_key.get(key, [])
        unique = len(sources) == 1 and len({target for target, _ in targets}) == 1
        for source in sources:
            for target, form in targets:
                rule = _label_rule(left_names[source], form, unique)
                if rule:
                    pairs.append({"source": source, "target": target, "via": "label", "rule": rule})

    label_matched = {p["target"] for p in pairs}
    label_twinned = {p["source"] for p in pairs}
    left_labels = {s["id"]: s["name"] for s in left}
    alias_owners: dict[str, set[str]] = defaultdict(set)
    alias_text: dict[tuple[str, str], str] = {}
    for skill in left:
        for alias in skill["aliases"]:
            key = _Name.of(alias).key
            if key:
                alias_owners[key].add(skill["id"])
                alias_text.setdefault((key, skill["id"]), alias)
    for key, owners in alias_owners.items():
        # An alias that is another ESCO skill's own label, or shared, says nothing about one skill;
        # and where Lightcast has the ESCO skill under its label already, another Lightcast skill
        # that only meets an ESCO alias is one Lightcast keeps apart ("Microscopy" next to
        # "Microscopic Techniques").
        if len(owners) != 1 or key in left_by_key:
            continue
        (owner,) = owners
        if owner in label_twinned:
            continue
        alias = alias_text[(key, owner)]
        for target, form in right_by_key.get(key, ()):
            if target in label_matched or (form.qualifier and form.qualifier != _Name.of(alias).qualifier):
                continue
            if _rephrases(alias, left_labels[owner]):
                pairs.append({"source": owner, "target": target, "via": "alias", "rule": "alias"})

    twins = canonical_twins(pairs)
    return sorted((p for p in pairs if twins[p["target"]] == p["source"]), key=lambda p: (p["source"], p["target"]))


# How much a link says, best first: the same label, the same label up to spelling, number or
# hyphenation, the same label once a trailing qualifier is set aside, then an ESCO alternative label.
_RULE_RANK = {"exact": 0, "variant": 1, "qualifier": 2, "alias": 3}
_VIA_RANK = {"label": 1, "alias": 3}


def canonical_twins(pairs: Sequence[Row]) -> dict[str, str]:
    """For every linked right-side (Lightcast) skill, its one best left-side (ESCO) twin.

    Canonicalization reports a Lightcast skill as its ESCO twin, so it needs exactly one; the best
    rule wins and, between equally good twins, the smallest id, so the choice never depends on order.
    """
    best: dict[str, tuple[int, str]] = {}
    for pair in pairs:
        rank = _RULE_RANK.get(pair.get("rule", ""), _VIA_RANK.get(pair["via"], len(_RULE_RANK)))
        candidate = (rank, pair["source"])
        if pair["target"] not in best or candidate < best[pair["target"]]:
            best[pair["target"]] = candidate
    return {target: source for target, (_, source) in sorted(best.items())}


def link_same_as(graph: Graph, left: str, right: str, batch_size: int, console: Console) -> int:
    """Write the current SAME_AS links (dropping those the rules no longer make) and each right-side
    skill's ``canonical`` twin, which results name instead of it (one skill per concept)."""
    rows = graph.read(Query.GET_SKILL_KEYS, taxonomies=[left, right])
    pairs = same_as_pairs([r for r in rows if r["taxonomy"] == left], [r for r in rows if r["taxonomy"] == right])
    graph.write(Query.DELETE_STALE_SAME_AS, left=left, right=right,
                keep=[f"{p['source']}|{p['target']}" for p in pairs])
    with _progress(console) as progress:
        task = progress.add_task(f"SAME_AS {left}->{right}", total=len(pairs))
        for n in graph.write_batches(Query.MERGE_SAME_AS, pairs, batch_size):
            progress.advance(task, n)
    graph.write(Query.SET_CANONICAL_SKILLS, taxonomy=right, twins=canonical_twins(pairs))
    return len(pairs)


def load(graph: Graph, batches: Sequence[TaxonomyBatch], batch_size: int, console: Console,
         same_as: Sequence[tuple[str, str]] = (("esco", "lightcast"),),
         derive: Callable[[Graph, int, Console], Any] | None = None) -> LoadReport:
    """Apply the schema, write every batch, link SAME_AS between the given taxonomy pairs, then derive
    the structure the sources lack (``derive``: a ``kgservice.loaders.skill_graph.SkillGraphDerivation``)."""
    started = time.perf_counter()
    report = LoadReport()
    graph.apply_schema()
    for batch in batches:
        report.problems.extend(batch.problems)
        report.written.update(write_batch(graph, batch, batch_size, console))
    report.aliases = add_derived_aliases(graph, batch_size, sorted({b.taxonomy for b in batches}))
    for left, right in same_as:
        report.same_as += link_same_as(graph, left, right, batch_size, console)
    if derive is not None:
        report.derived = derive(graph, batch_size, console)
    report.seconds = time.perf_counter() - started
    return report
