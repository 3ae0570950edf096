"""Reads a skill label's structure: its words, head, complement, verb and qualifier.

The skill hierarchy (``kgservice/loaders/skill_hierarchy.py``) finds a skill's broader skill in its own label:
"Diagnostic Radiology" names a kind of "Radiology" (its head), "advise customers on hearing aids"
one of "advise customers" (less its complement), "Swift (computer programming)" one of "computer
programming" (its qualifier). This module only reads labels; which reading makes an edge is the
hierarchy's business.

Keys are compared the way SAME_AS compares labels (``taxonomy_writer``): case, diacritics, British or
American spelling and the number of the last word folded, so "infrared sensors" is the key of
"Passive Infrared Sensor"'s head.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from kgservice.text_normalizer import fold
from kgservice.loaders.taxonomy_writer import _LIGHT_VERBS, _SOFTWARE, _Name, _singular, _spell

# Words that end a noun phrase's head: what follows is a complement ("history of art").
PREPOSITIONS = frozenset({
    "of", "for", "in", "on", "with", "to", "at", "by", "from", "using", "via", "into", "within", "through", "under",
    "over", "across", "about", "against", "between", "as", "per", "without", "among", "towards", "toward", "upon",
    "during", "including", "regarding", "around", "after", "before", "like", "onto", "than"})
# A head right after one of these is one conjunct of a coordination ("Alert And Warning Systems"), not
# the head of the whole label.
CONJUNCTIONS = frozenset({"and", "or", "&", "/", ",", "nor", "plus", "versus", "vs", "+"})
# ESCO's language skills: "understand written Catalan" is a part of "Catalan".
LANGUAGE_ACTS = re.compile(r"^(?:understand written|understand spoken|write|interact verbally in|read|speak) (.+)$")
# A trailing release or level: "Java 11", "Microsoft Windows 7", "SQL-2003", "Certified Fire Inspector II".
_VERSION = re.compile(r"^(?:\d+(?:\.\d+)*|v\d+(?:\.\d+)*|(?:i{1,3}|iv|vi{0,3}|ix|x))$")
_PUNCTUATION = frozenset({"&", "/", ",", "+"})
_TOKEN = re.compile(r"[^\W_]+(?:[.'][^\W_]+)*[+#]*|[&/,+]")
_PAREN = re.compile(r"\s*\([^()]*\)")
_QUALIFIER = re.compile(r"\(([^()]*)\)\s*$")


def key_of(words: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """The comparable form of a word sequence: punctuation dropped, American spelling, last word singular."""
    spelled = [_spell(w) for w in words if w not in _PUNCTUATION]
    if spelled:
        spelled[-1] = _singular(spelled[-1])
    return tuple(spelled)


@dataclass(frozen=True, slots=True)
class LabelStructure:
    """One label read for the hierarchy."""

    words: tuple[str, ...]  # folded words of the label less its qualifier; "&", "/", "," kept as words
    key: tuple[str, ...]  # key_of(words)
    joined: frozenset[int]  # positions i where words[i - 1] and words[i] are one hyphenated word ("multi-channel")
    qualifier: tuple[str, ...]  # key of the trailing qualifier, () when none or only an acronym
    raw_qualifier: str  # the qualifier as written
    verb_phrase: bool  # an ESCO skill or competence: "verb object [complement]"
    content: frozenset[str]  # stems of the words that carry meaning, for "is one label more general"

    @classmethod
    def of(cls, label: str, verb_phrase: bool) -> LabelStructure:
        name = _Name.of(label)
        main = _PAREN.sub(" ", label).strip() or label
        tokens = list(_TOKEN.finditer(main))
        words = tuple(fold(t.group()) for t in tokens)
        joined = frozenset(i for i in range(1, len(tokens)) if main[tokens[i - 1].end():tokens[i].start()] == "-")
        found = _QUALIFIER.search(label)
        return cls(words, key_of(words), joined, key_of(list(name.qualifier)), found.group(1).strip() if found else "",
                   verb_phrase and len(words) > 1,
                   frozenset(_stem(w) for w in words if w not in PREPOSITIONS and w not in CONJUNCTIONS))

    @property
    def head_end(self) -> int:
        """Where the head part ends: at the first preposition ("history | of art"). A verb phrase
        keeps its verb and at least one word of its object ("advise customers | on hearing aids")."""
        start = 2 if self.verb_phrase else 1
        return next((i for i in range(start, len(self.words)) if self.words[i] in PREPOSITIONS), len(self.words))

    def head_suffixes(self, start: int, end: int) -> list[tuple[str, ...]]:
        """Keys of the proper suffixes of ``words[start:end]`` that can be its head, longest first:
        "exploratory data analysis" -> ("data", "analysis"), ("analysis",). A suffix right after a
        conjunction is one conjunct, not the head ("Alert And Warning Systems"), and one that starts
        inside a hyphenated word is not a word of the label ("Multi-Channel Marketing")."""
        out = []
        for i in range(start + 1, end):
            if self.words[i - 1] in CONJUNCTIONS or self.words[i] in CONJUNCTIONS or i in self.joined:
                continue
            out.append(key_of(self.words[i:end]))
        return [k for k in out if k]

    @property
    def qualifier_is_acronym(self) -> bool:
        """"Certified Seating And Mobility Specialist (SMS)": the qualifier only abbreviates the label."""
        return len(self.qualifier) == 1 and self.raw_qualifier.isupper()

    @property
    def qualifier_is_kind(self) -> bool:
        """Whether the qualifier says what kind of thing the label is ("Prolog (Programming Language)")
        rather than which sense of a word it means ("Scale (Map)")."""
        return bool(_SOFTWARE.intersection(self.qualifier))

    def version_base(self) -> tuple[str, ...] | None:
        """The key of a label less its trailing release or level: "Java 11" -> ("java",)."""
        end = len(self.words)
        while end > 1 and _VERSION.match(self.words[end - 1]):
            end -= 1
        return key_of(self.words[:end]) if end < len(self.words) else None

    def language(self, label: str) -> tuple[str, ...] | None:
        """"write Catalan" -> the key of "Catalan"."""
        match = LANGUAGE_ACTS.match(label)
        return key_of([fold(w) for w in _TOKEN.findall(match.group(1))]) if match else None

    def light_object(self) -> int | None:
        """Where the object of a light verb starts ("perform | trauma surgery"): it names the activity
        itself. None for other verbs, whose object is what they act on."""
        if not self.verb_phrase or self.words[0] not in _LIGHT_VERBS:
            return None
        start = 2 if self.words[0] == "carry" and self.words[1:2] == ("out",) else 1
        return start if start < self.head_end else None

    def verb_nouns(self) -> tuple[tuple[str, ...], ...]:
        """Keys of the nouns that name a verb phrase's activity: "teach mathematics" -> "teaching";
        "manage contracts" -> "management"; "inspect welds" -> "inspection"."""
        if not self.verb_phrase or self.words[0] in _LIGHT_VERBS or not self.words[0].isalpha():
            return ()
        if self.words[0] in _NOUNLESS_VERBS or self.words[1] in _PARTICLES:
            return ()  # "operate a crane" is not "Operations"; "draw up" a plan is not "Drawing"
        return tuple((form,) for form in verb_nouns(self.words[0]))


# Verbs whose noun names something else: "Operations" is running a business, "Collections" debt recovery.
_NOUNLESS_VERBS = frozenset({"operate", "collect", "apply", "make", "keep", "set", "run", "get", "take", "handle",
                             "deal", "check", "ensure", "follow", "meet", "work", "act", "show", "match", "adapt",
                             "consult", "colour", "color"})
_PARTICLES = frozenset({"up", "out", "off", "down", "over", "away", "back", "through"})
# Irregular nominalizations; the regular ones are formed by verb_nouns.
_IRREGULAR_NOUNS = {"maintain": ("maintenance",), "analyse": ("analysis",), "analyze": ("analysis",),
                    "sell": ("sale", "selling"), "comply": ("compliance",), "assist": ("assistance",),
                    "advise": ("advice", "advising"), "describe": ("description",), "weigh": ("weighing",),
                    "diagnose": ("diagnosis",), "repair": ("repair", "repairing"), "design": ("design",),
                    "research": ("research",), "survey": ("surveying",), "control": ("control",),
                    "treat": ("treatment",), "produce": ("production",), "negotiate": ("negotiation",),
                    "install": ("installation",), "supervise": ("supervision",)}


@lru_cache(maxsize=1 << 12)
def verb_nouns(verb: str) -> tuple[str, ...]:
    """The gerund and the usual nouns of an English verb, spelled as keys: "plan" -> "planning",
    "inspect" -> "inspection", "manage" -> "management", "operate" -> "operation"."""
    forms = set(_IRREGULAR_NOUNS.get(verb, ()))
    stem = verb[:-1] if verb.endswith("e") and not verb.endswith(("ee", "ye", "oe")) else verb
    forms.add(stem + "ing")
    if len(verb) <= 4 and re.fullmatch(r"[^aeiou]*[aeiou][^aeiouwxy]", verb):
        forms.add(verb + verb[-1] + "ing")  # plan -> planning, cut -> cutting
    forms.add(verb + "ment")
    if verb.endswith(("ct", "ss", "pt", "rt")):
        forms.add(verb + "ion")  # inspect -> inspection, assess -> assession is not a word but is never a label
    if verb.endswith("ate"):
        forms.add(verb[:-1] + "ion")  # operate -> operation
    if verb.endswith(("ise", "ize")):
        forms.add(verb[:-1] + "ation")  # organise -> organisation
    if verb.endswith("ify"):
        forms.add(verb[:-1] + "ication")  # certify -> certification
    return tuple(sorted(_spell(f) for f in forms))


@lru_cache(maxsize=1 << 16)
def _stem(word: str) -> str:
    return _singular(_spell(word))


def more_general_label(parent: LabelStructure, child: LabelStructure) -> bool:
    """Whether ``parent``'s meaningful words are a proper subset of ``child``'s: "data analysis" is
    more general than "exploratory data analysis"."""
    return bool(parent.content) and parent.content < child.content
