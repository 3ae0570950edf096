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
import pickle
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pygtrie

from kgservice.document import Document, Method, SkillSpan
from kgservice.errors import ArtifactMissing
from kgservice.pipeline.base import StageBase
from kgservice.text_normalizer import Token, label_key, label_keys, tokenize

FORMAT_VERSION = 1
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


@dataclass(frozen=True, slots=True)
class SkillText:
    id: str
    name: str
    aliases: tuple[str, ...] = ()
    taxonomy: str = ""


class SkillTrie:
    """The trie plus its manifest; built from skill records, saved once, loaded by every process."""

    def __init__(self, trie: pygtrie.Trie, manifest: Mapping[str, object]) -> None:
        self.trie = trie
        self.manifest = dict(manifest)
        self.generic = frozenset(self.manifest.get("generic_tokens", ()))  # type: ignore[arg-type]

    @classmethod
    def build(cls, skills: Iterable[SkillText], taxonomy_versions: Mapping[str, str] | None = None,
              max_alias_owners: int = 3, generic_df: int = 15) -> SkillTrie:
        entries: dict[tuple[str, ...], dict[str, Entry]] = {}
        count = 0
        token_df: Counter[str] = Counter()

        def add(key: tuple[str, ...], entry: Entry) -> None:
            slot = entries.setdefault(key, {})
            best = slot.get(entry.skill_id)
            if best is None or KIND_SCORE[entry.kind] > KIND_SCORE[best.kind]:
                slot[entry.skill_id] = entry

        for skill in skills:
            count += 1
            full = label_key(skill.name)
            token_df.update(set(full))
            for key in label_keys(skill.name):
                add(key, Entry(skill.id, "label" if key == full else "label_core", skill.name, skill.taxonomy))
            for alias in skill.aliases:
                key = label_key(alias)
                if key:
                    add(key, Entry(skill.id, "alias", alias, skill.taxonomy))
        trie = pygtrie.Trie()
        for key, by_skill in entries.items():
            ranked = sorted(by_skill.values(), key=lambda e: (-KIND_SCORE[e.kind], e.skill_id))
            labels = [e for e in ranked if e.kind != "alias"]
            # A key that is some skill's own name means that skill, not another skill's alias
            # ("SQL" is SQL, not "database management systems"); and an alias shared by many
            # skills ("planning") names none of them.
            named = {e.taxonomy for e in labels}
            aliases = [e for e in ranked if e.kind == "alias" and e.taxonomy not in named]
            kept = labels + (aliases if len(aliases) <= max_alias_owners else [])
            if kept:
                trie[key] = tuple(kept)
        # Words that recur across many skill names ("engineering", "design", "management") are
        # generic: alone, and said only by an alias, they do not name one skill.
        generic = sorted(t for t, n in token_df.items() if n >= generic_df)
        manifest = {"format": FORMAT_VERSION, "skills": count, "keys": len(trie), "generic_tokens": generic,
                    "taxonomy_versions": dict(taxonomy_versions or {}), "built_at": time.time()}
        return cls(trie, manifest)

    def save(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        blob = pickle.dumps(self.trie, protocol=pickle.HIGHEST_PROTOCOL)
        (directory / "trie.pkl").write_bytes(blob)
        manifest = {**self.manifest, "sha256": hashlib.sha256(blob).hexdigest()}
        (directory / "manifest.json").write_text(json.dumps(manifest, indent=2))
        return directory

    @classmethod
    def load(cls, directory: Path) -> SkillTrie:
        path = directory / "trie.pkl"
        if not path.exists():
            raise ArtifactMissing(f"no skill trie at {directory}; build it with `kgservice index build`")
        manifest = json.loads((directory / "manifest.json").read_text())
        if manifest.get("format") != FORMAT_VERSION:
            raise ArtifactMissing(f"skill trie at {directory} has format {manifest.get('format')}, "
                                  f"expected {FORMAT_VERSION}; rebuild with `kgservice index build`")
        blob = path.read_bytes()
        if hashlib.sha256(blob).hexdigest() != manifest["sha256"]:
            raise ArtifactMissing(f"skill trie at {directory} does not match its manifest; rebuild it")
        # The file is written by this project only (never user-supplied), so unpickling is safe.
        return cls(pickle.loads(blob), manifest)  # noqa: S301


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
        self._trie = trie.trie
        self._generic = trie.generic

    def __call__(self, doc: Document) -> Document:
        tokens = tokenize(doc.text)
        matches = self.predict(tokens)
        return self.annotate(doc, tokens, matches)

    def predict(self, tokens: Sequence[Token]) -> list[_Match]:
        keys = [t.norm for t in tokens]
        found: list[_Match] = []
        i = 0
        trie = self._trie
        while i < len(keys):
            # Walk the trie token by token; remember the longest key that ends here.
            node_key: list[str] = []
            best: tuple[int, tuple[Entry, ...]] | None = None
            j = i
            while j < len(keys):
                node_key.append(keys[j])
                probe = trie.has_node(node_key)
                if not probe:
                    break
                if probe & pygtrie.Trie.HAS_VALUE:
                    best = (j + 1, trie[node_key])
                if not probe & pygtrie.Trie.HAS_SUBTRIE:
                    break
                j += 1
            if best is None:
                i += 1
                continue
            found.append(_Match(i, best[0], best[1]))
            i = best[0]
        return found

    def annotate(self, doc: Document, tokens: Sequence[Token], matches: Sequence[_Match]) -> Document:
        spans: list[SkillSpan] = []
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
        return all(e.kind == "alias" for e in m.entries) or (
            all(e.kind != "label" for e in m.entries) and tokens[m.start_tok].norm in self._generic)

    @staticmethod
    def _supported(m: _Match, tokens: Sequence[Token], solid: Sequence[_Match], section: str | None,
                   generic: frozenset[str]) -> bool:
        raw = tokens[m.start_tok].raw
        surfaces = [e.surface.split(" (")[0] for e in m.entries]
        if len(raw) <= 2 and raw not in surfaces:
            return False  # "go", "it", "r": only as written in the label ("Go", "IT", "R")
        if raw.islower() and not any(s.islower() for s in surfaces):
            return False  # "excel at", "spark joy" vs "Excel", "Spark"
        if section in SKILL_SECTIONS:
            return True
        if all(e.kind != "label" for e in m.entries) and tokens[m.start_tok].norm in generic:
            return False  # a generic word no skill is named exactly, outside a skills list: too weak
        lo, hi = m.start_tok - WINDOW, m.end_tok + WINDOW
        if any(lo <= s.start_tok < hi and s is not m for s in solid):
            return True
        near = [*tokens[max(0, lo) : m.start_tok], *tokens[m.end_tok : hi]]
        return any(t.norm in CUES or t.raw.lower() in CUES for t in near)
