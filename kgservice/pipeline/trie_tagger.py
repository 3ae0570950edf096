"""Exact tagging: a token trie over every preferred label and alias of every skill.

Labels and text pass through the same normalizer (``kgservice.text_normalizer``), so "managing
databases" finds "manage database", and "C++", "C#", ".NET", "Node.js" stay whole. At each token
the longest label wins and tagging resumes after it, so "machine learning engineering" is one
match, not three. Single-token labels that are also everyday words ("Go", "R", "Excel", "Spark",
"Word") are kept only with support: the casing of the label, and another skill or a skill cue
nearby, or a section where skills are listed.
"""

from __future__ import annotations

import hashlib
import json
import sys
from array import array
from bisect import bisect_left
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from kgservice.document import Document, Method, SkillSpan
from kgservice.pipeline.language_detector import ENGLISH
from kgservice.errors import ArtifactMissing
from kgservice.pipeline.base import StageBase
from kgservice.text_normalizer import Token, tokenize

# 2: flat breadth-first arrays in trie.bin (1 was a pickled pygtrie in trie.pkl).
FORMAT_VERSION = 2
TRIE_FILE = "trie.bin"
_LINE, _FIELD, _RECORD = "\n", "\x1f", "\x1e"  # vocabulary, entry-field and entry separators
# Everyday words (and short codes) that are also skill names. Matching them needs support.
AMBIGUOUS = frozenset(
    """go r c d j e f excel spark word access swift rust ruby shell unity chef puppet express flask office
    teams project salt hive pig storm beam drill make ant dart elixir crystal julia pascal basic assembly
    scheme react angular ember backbone meteor next vault consul nomad packer helm jest mocha karma sage
    oracle domo looker slack zoom outlook bamboo circle travis solr elastic presto impala it ai ml qa hr
    pr ui ux bi seo erp crm sales sale marketing design training writing reading planning support service
    management leadership communication teaching cooking driving cleaning security safety research english
    french german spanish italian dutch polish chinese japanese maths math art music dance law lead""".split()
)
# Words near an ambiguous label that show the text is talking about skills or tools.
CUES = frozenset(
    """programming program language languages framework frameworks library libraries tool tools stack
    proficient proficiency experience experienced knowledge skill skills familiar familiarity expertise
    certified certification develop developer development engineer engineering coding code scripting
    software technologies technology platform platforms package packages microsoft""".split()
)
SKILL_SECTIONS = frozenset({"qualifications", "nice_to_have", "skills", "prerequisites", "certifications"})
WINDOW = 8


@dataclass(frozen=True, slots=True)
class Entry:
    """What one trie key points at: a skill, and how the key was derived from it."""

    skill_id: str
    kind: str  # "label", "label_core" (qualifier dropped) or "alias"
    surface: str  # the label as written, for case checks
    taxonomy: str = ""


KIND_SCORE = {"label": 1.0, "label_core": 0.9, "alias": 0.8}


class SkillTrie:
    """The trie plus its manifest; built offline (:mod:`kgservice.offline.trie_builder`), loaded by every process.

    Serving reads flat int32 arrays, not pygtrie nodes: unpickling ~250k node objects cost every
    process about a second, while copying arrays out of one file costs milliseconds (README, "Trie
    format"). Nodes are numbered breadth first, so a node's children are one contiguous run of ids,
    sorted by token id and found by bisection; node 0 is the root. Entries stay packed text until a
    match needs them.
    """

    def __init__(self, blob: bytes, manifest: Mapping[str, object]) -> None:
        self.manifest = dict(manifest)
        self.generic = frozenset(self.manifest.get("generic_tokens", ()))  # type: ignore[arg-type]
        layout: dict[str, list[int]] = self.manifest["layout"]  # type: ignore[assignment]
        view = memoryview(blob)
        sections = {name: view[start : start + size] for name, (start, size) in layout.items()}
        tokens = str(sections["vocab"], "utf-8").split(_LINE) if len(sections["vocab"]) else []
        # Tokens the trie does not know map to one id past the vocabulary, which no edge carries.
        self.vocab = dict(zip(tokens, range(len(tokens)), strict=True))
        self.root, self.first, self.token, self.value, self.value_off = (
            _ints(sections[name]) for name in ("root", "first", "token", "value", "value_off"))
        self._blob = blob
        self._values = sections["values"]
        self._entries: dict[int, tuple[Entry, ...]] = {}
        nodes = len(self.token)
        if (len(self.root) != len(tokens) + 1 or len(self.first) != nodes + 1 or len(self.value) != nodes
                or self.value_off[-1] != len(self._values) or self.first[-1] != nodes):
            raise ValueError("trie sections disagree in length")

    def child(self, node: int, token_id: int) -> int:
        """The child of ``node`` along ``token_id``, or 0 (the root is nobody's child)."""
        lo, hi = self.first[node], self.first[node + 1]
        k = bisect_left(self.token, token_id, lo, hi)
        return k if k < hi and self.token[k] == token_id else 0

    def entries(self, node: int) -> tuple[Entry, ...]:
        """What the key ending at ``node`` means; empty for a node that only leads to longer keys."""
        found = self._entries.get(node)
        if found is None:
            v = self.value[node]
            if v < 0:
                return ()
            text = str(self._values[self.value_off[v] : self.value_off[v + 1]], "utf-8")
            found = tuple(Entry(*record.split(_FIELD)) for record in text.split(_RECORD))
            self._entries[node] = found
        return found

    def get(self, key: Sequence[str]) -> tuple[Entry, ...]:
        node = 0
        for token in key:
            node = self.child(node, self.vocab.get(token, len(self.vocab)))
            if not node:
                return ()
        return self.entries(node)

    def save(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        (directory / TRIE_FILE).write_bytes(self._blob)
        (directory / "trie.pkl").unlink(missing_ok=True)  # format 1, which nothing reads any more
        manifest = {**self.manifest, "sha256": hashlib.sha256(self._blob).hexdigest()}
        (directory / "manifest.json").write_text(json.dumps(manifest, indent=2))
        return directory

    @classmethod
    def load(cls, directory: Path) -> SkillTrie:
        rebuild = "rebuild it with `kgservice index build`"
        try:
            manifest = json.loads((directory / "manifest.json").read_text())
        except FileNotFoundError:
            raise ArtifactMissing(f"no skill trie at {directory}; build it with `kgservice index build`") from None
        except ValueError as exc:
            raise ArtifactMissing(f"skill trie manifest at {directory} is unreadable ({exc}); {rebuild}") from None
        if manifest.get("format") != FORMAT_VERSION:
            raise ArtifactMissing(f"skill trie at {directory} has format {manifest.get('format')}, "
                                  f"expected {FORMAT_VERSION}; {rebuild}")
        path = directory / TRIE_FILE
        if not path.exists():
            raise ArtifactMissing(f"no skill trie at {directory} ({TRIE_FILE} is missing); {rebuild}")
        blob = path.read_bytes()
        if hashlib.sha256(blob).hexdigest() != manifest.get("sha256"):
            raise ArtifactMissing(f"skill trie at {directory} does not match its manifest; {rebuild}")
        try:
            return cls(blob, manifest)
        except (KeyError, TypeError, ValueError) as exc:
            raise ArtifactMissing(f"skill trie manifest at {directory} does not describe {TRIE_FILE} "
                                  f"({exc}); {rebuild}") from None


def _bare(surface: str) -> str:
    """A label without its qualifier: "Swift (computer programming)" -> "Swift"."""
    return surface.split(" (")[0]


def _acronym_like(surface: str) -> bool:
    """A label written with capitals past its first letter (SQL, LESS, JavaScript, iOS): a name, which
    text in lower case ("costs less") only sometimes means. Title case (Planning, Docker) says nothing:
    Lightcast writes every label that way."""
    bare = _bare(surface)
    return any(c.isupper() for c in bare[1:])


def language_neutral(entry: Entry) -> bool:
    """A label that reads the same in German, French, Spanish, Dutch or Portuguese text: a name. ESCO
    writes skills in lower case and names with a capital ("Python (computer programming)", "SAP R3");
    Lightcast writes every label in Title Case, so there a capital past the first letter, a digit or a
    symbol marks a name ("JavaScript", "C++", "ISO 9001"), and "Marketing" or "Planning" is not one."""
    bare = _bare(entry.surface)
    if any(c.isdigit() or c in "+#" for c in bare) or _acronym_like(bare):
        return True
    return entry.taxonomy == "esco" and any(c.isupper() for c in bare)


def _ints(data: memoryview) -> array[int]:
    out = array("i")
    out.frombytes(data)
    if sys.byteorder == "big":
        out.byteswap()  # the file is little-endian wherever it was built
    return out


@dataclass(frozen=True, slots=True)
class _Match:
    start_tok: int
    end_tok: int
    entries: tuple[Entry, ...]


class TrieTagger(StageBase):
    """Longest-match trie tagging.

    Requires: sections (to know where a match sits). Assigns: spans.trie_tagger.
    """

    name = "trie_tagger"
    requires = frozenset({"sections"})
    assigns = frozenset({"spans.trie_tagger"})

    def __init__(self, trie: SkillTrie) -> None:
        self._trie = trie
        self._generic = trie.generic

    def __call__(self, doc: Document) -> Document:
        tokens = tokenize(doc.text)
        matches = self.predict(tokens)
        return self.annotate(doc, tokens, matches)

    def predict(self, tokens: Sequence[Token]) -> list[_Match]:
        trie = self._trie
        # SkillTrie.child, inlined: this loop is most of the tagger's time.
        root, first, edge, value = trie.root, trie.first, trie.token, trie.value
        unknown = len(trie.vocab)
        ids = [trie.vocab.get(t.norm, unknown) for t in tokens]
        found: list[_Match] = []
        i, n = 0, len(ids)
        while i < n:
            node = root[ids[i]]
            if not node:
                i += 1
                continue
            # Walk down from the first token; remember the longest key that ends on the way.
            best, end = (node, i + 1) if value[node] >= 0 else (0, 0)
            j = i + 1
            while j < n:
                lo, hi = first[node], first[node + 1]
                k = bisect_left(edge, ids[j], lo, hi)
                if k == hi or edge[k] != ids[j]:
                    break
                node = k
                j += 1
                if value[node] >= 0:
                    best, end = node, j
            if not best:
                i += 1
                continue
            found.append(_Match(i, end, trie.entries(best)))
            i = end
        return found

    def annotate(self, doc: Document, tokens: Sequence[Token], matches: Sequence[_Match]) -> Document:
        spans: list[SkillSpan] = []
        if doc.language not in (None, ENGLISH):
            # The labels are English: in other text only names match as themselves ("SAP", "Python").
            matches = [_Match(m.start_tok, m.end_tok, kept) for m in matches
                       if not tokens[m.start_tok].raw.islower()
                       and (kept := tuple(e for e in m.entries if language_neutral(e)))]
        # Header lines name sections ("Nice to have", "Project Management Office"), not skills.
        headers = [s.header for s in doc.sections if s.header]
        matches = [m for m in matches if not any(a <= tokens[m.start_tok].start < b for a, b in headers)]
        ambiguous = [self._ambiguous(m, tokens) for m in matches]
        solid = [m for m, weak in zip(matches, ambiguous, strict=True) if not weak]
        for m, weak in zip(matches, ambiguous, strict=True):
            start, end = tokens[m.start_tok].start, tokens[m.end_tok - 1].end
            section = doc.section_at(start)
            kind = section.kind if section else None
            if weak and not self._supported(m, tokens, solid, kind, self._generic):
                continue
            for entry in m.entries:
                spans.append(SkillSpan(start, end, doc.text[start:end], entry.skill_id, Method.TRIE,
                                       KIND_SCORE[entry.kind], kind))
        return doc.with_spans(self.name, tuple(spans))

    def _ambiguous(self, m: _Match, tokens: Sequence[Token]) -> bool:
        """One word that is an everyday word, or that no skill is named exactly.

        "Go" and "Excel" are everyday words; "design" is only an alias ("think creatively") and
        "track" only a label with its qualifier dropped ("Track (Rail Transport)").
        """
        if m.end_tok - m.start_tok != 1:
            return False
        if tokens[m.start_tok].norm in AMBIGUOUS:
            return True
        if tokens[m.start_tok].raw.islower() and all(_acronym_like(e.surface) for e in m.entries):
            return True  # "less" for "LESS", "sql" for "SQL": a name written as a word
        return all(e.kind == "alias" for e in m.entries) or (
            all(e.kind != "label" for e in m.entries) and tokens[m.start_tok].norm in self._generic)

    @staticmethod
    def _supported(m: _Match, tokens: Sequence[Token], solid: Sequence[_Match], section: str | None,
                   generic: frozenset[str]) -> bool:
        raw = tokens[m.start_tok].raw
        surfaces = [_bare(e.surface) for e in m.entries]
        if len(raw) <= 2 and raw not in surfaces:
            return False  # "go", "it", "r": only as written in the label ("Go", "IT", "R")
        if raw.islower() and not any(s.islower() for s in surfaces) and tokens[m.start_tok].norm in AMBIGUOUS:
            return False  # "excel at", "spark joy" vs "Excel", "Spark"
        lowered = raw.islower() and all(_acronym_like(e.surface) for e in m.entries)
        lo, hi = m.start_tok - WINDOW, m.end_tok + WINDOW
        listed = any(lo <= s.start_tok < hi and s is not m for s in solid)
        if lowered:
            # A name written in lower case ("sql, java and docker") is one when other skills surround it;
            # "our tool costs less" is an everyday word that happens to be a stylesheet language.
            return listed or section in SKILL_SECTIONS
        if section in SKILL_SECTIONS:
            return True
        if all(e.kind != "label" for e in m.entries) and tokens[m.start_tok].norm in generic:
            return False  # a generic word no skill is named exactly, outside a skills list: too weak
        if listed:
            return True
        near = [*tokens[max(0, lo) : m.start_tok], *tokens[m.end_tok : hi]]
        return any(t.norm in CUES or t.raw.lower() in CUES for t in near)
