"""Builds the trie of every skill's labels and aliases (``kgservice index build``) in the serving format.

pygtrie assembles the keys; the file :class:`~kgservice.pipeline.trie_tagger.SkillTrie` reads is that
trie flattened into breadth-first int32 arrays, a vocabulary and packed entries.
"""

from __future__ import annotations

import sys
import time
from array import array
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pygtrie

from kgservice.pipeline.trie_tagger import _FIELD, _LINE, _RECORD, FORMAT_VERSION, KIND_SCORE, Entry, SkillTrie
from kgservice.text_normalizer import label_key, label_keys


@dataclass(frozen=True, slots=True)
class SkillText:
    id: str
    name: str
    aliases: tuple[str, ...] = ()
    taxonomy: str = ""


def key_trie(skills: Iterable[SkillText], max_alias_owners: int = 3,
             generic_df: int = 15) -> tuple[pygtrie.Trie, int, list[str]]:
    """The build-time trie (token-tuple keys to ranked entries), the skill count and generic tokens."""
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
    return trie, count, generic


def build_trie(skills: Iterable[SkillText], taxonomy_versions: Mapping[str, str] | None = None,
               max_alias_owners: int = 3, generic_df: int = 15) -> SkillTrie:
    """The serving trie of ``skills`` (:class:`~kgservice.pipeline.trie_tagger.SkillTrie`), with its manifest."""
    trie, count, generic = key_trie(skills, max_alias_owners, generic_df)
    blob, layout, nodes = _flatten(trie)
    manifest = {"format": FORMAT_VERSION, "skills": count, "keys": len(trie), "nodes": nodes,
                "generic_tokens": generic, "taxonomy_versions": dict(taxonomy_versions or {}),
                "built_at": time.time(), "layout": layout}
    return SkillTrie(blob, manifest)


def _packed(values: Iterable[int]) -> bytes:
    out = array("i", values)
    if sys.byteorder == "big":
        out.byteswap()
    return out.tobytes()


def _flatten(trie: pygtrie.Trie) -> tuple[bytes, dict[str, list[int]], int]:
    """The serving file: the trie's nodes as breadth-first int32 arrays, plus vocabulary and entries."""
    tree = trie.traverse(lambda _conv, path, children, *value: (path[-1] if path else "", value, list(children)))
    tokens = sorted({token for key in trie.iterkeys() for token in key})
    if any(_LINE in token for token in tokens):
        raise ValueError("a label token holds a line break; the vocabulary section cannot store it")
    token_id = {token: i for i, token in enumerate(tokens)}
    queue = [tree]
    first: list[int] = []
    edge = [-1]
    value: list[int] = []
    value_off = [0]
    values = bytearray()
    for _, stored, children in queue:  # the loop visits what it appends: breadth-first numbering
        first.append(len(queue))
        children.sort(key=lambda c: token_id[c[0]])
        queue.extend(children)
        edge.extend(token_id[c[0]] for c in children)
        if not stored:
            value.append(-1)
            continue
        fields = [(e.skill_id, e.kind, e.surface, e.taxonomy) for e in stored[0]]
        if any(_FIELD in f or _RECORD in f for record in fields for f in record):
            raise ValueError(f"a skill record holds a separator character: {fields}")
        value.append(len(value_off) - 1)
        values += _RECORD.join(_FIELD.join(record) for record in fields).encode()
        value_off.append(len(values))
    first.append(len(queue))
    root = [0] * (len(tokens) + 1)
    for node in range(first[0], first[1]):
        root[edge[node]] = node
    sections = {"vocab": _LINE.join(tokens).encode(), "root": _packed(root), "first": _packed(first),
                "token": _packed(edge), "value": _packed(value), "value_off": _packed(value_off),
                "values": bytes(values)}
    layout: dict[str, list[int]] = {}
    offset = 0
    for name, data in sections.items():
        layout[name] = [offset, len(data)]
        offset += len(data)
    return b"".join(sections.values()), layout, len(queue)
