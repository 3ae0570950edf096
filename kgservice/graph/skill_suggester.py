"""Autocomplete over skill labels and aliases: a sorted array of lower-cased keys, searched by bisection.

``suggestSkills`` answers on every keystroke, so it runs in memory: one read of the graph
(``cypher/get_skill_suggestion_entries.cypher``) builds the keys, and a prefix is the range
``bisect_left(keys, p) .. bisect_left(keys, p + "\\uffff")``. ``bench/skill_suggestions.py`` compares it
with the full-text index ``skill_names`` queried with a Lucene prefix (``pyth*``) on the same prefixes.

**Ranking.** Match kind first: the label or an alias is the prefix itself, the label starts with it,
an alias does, a later word of the label does ("learn" -> "machine learning"). Then use: documents that have
the concept plus occupations that require it. Then how well known the concept is to the taxonomies:
its twins in other taxonomies plus its aliases plus the skills that specialise it (in the default
graph, with no documents and no occupation relations, this is what puts Kubernetes, one alias,
before Kubectl and Kubeflow, none). Then the shorter label, then the label.

**One skill per concept.** A Lightcast skill with an ESCO twin (``canonical``) counts as that twin:
its label and aliases suggest the ESCO skill, and its use adds to the twin's; the result lists the
Lightcast ids in ``also_in``.
"""

from __future__ import annotations

import re
import threading
import time
from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kgservice.graph.cypher import Query
from kgservice.graph.driver import Graph

# Match kinds, best first.
EXACT, LABEL, ALIAS, WORD = 0, 1, 2, 3
MATCH_KINDS = ("exact", "label", "alias", "word")
# A short prefix ("a") spans tens of thousands of keys; answers for those are memoized per build.
MEMO_PREFIX_CHARS = 2
_WORD_START = re.compile(r"(?<=[\s\-/(])\w")


def normalize(text: str) -> str:
    return " ".join(text.casefold().split())


@dataclass(frozen=True, slots=True)
class Concept:
    id: str
    name: str
    taxonomy: str
    also_in: tuple[str, ...]
    use: int
    known: int


@dataclass(frozen=True, slots=True)
class Suggestion:
    concept: Concept
    matched: str  # the label or alias that matched
    kind: str  # one of MATCH_KINDS


class SkillSuggester:
    """Prefix search over every label and alias, built from rows of ``get_skill_suggestion_entries``."""

    def __init__(self, rows: Iterable[Mapping[str, Any]]) -> None:
        rows = list(rows)
        ids = {r["id"] for r in rows}
        # A twin stands for the concept only when it is in the catalog too.
        owner = {r["id"]: (r["canonical"] if r.get("canonical") in ids else r["id"]) for r in rows}
        by_id = {r["id"]: r for r in rows}
        twins: dict[str, list[str]] = {}
        use: dict[str, int] = {}
        known: dict[str, int] = {}
        for r in rows:
            head = owner[r["id"]]
            if head != r["id"]:
                twins.setdefault(head, []).append(r["id"])
            use[head] = use.get(head, 0) + int(r.get("documents") or 0) + int(r.get("occupations") or 0)
            known[head] = known.get(head, 0) + len(r.get("aliases") or ()) + int(r.get("children") or 0)
        self._owner = owner
        self._concepts: dict[str, Concept] = {}
        for head in use:
            r = by_id[head]
            extra = twins.get(head, [])
            self._concepts[head] = Concept(head, r["name"], r["taxonomy"], tuple(sorted(extra)), use[head],
                                           known[head] + len(extra))
        keys: list[tuple[str, int, str, str]] = []  # key, kind, concept id, surface text
        for r in rows:
            head = owner[r["id"]]
            label = normalize(r["name"])
            keys.append((label, LABEL, head, r["name"]))
            for m in _WORD_START.finditer(label):
                keys.append((label[m.start():], WORD, head, r["name"]))
            for alias in r.get("aliases") or ():
                if alias:
                    keys.append((normalize(alias), ALIAS, head, alias))
        keys.sort()
        self._keys = [k[0] for k in keys]
        self._entries = [k[1:] for k in keys]
        self._memo: dict[tuple[str, int], list[Suggestion]] = {}

    @classmethod
    def from_graph(cls, graph: Graph) -> SkillSuggester:
        return cls(graph.read(Query.GET_SKILL_SUGGESTION_ENTRIES))

    def __len__(self) -> int:
        return len(self._concepts)

    def concept(self, skill_id: str) -> Concept | None:
        """The concept ``skill_id`` belongs to (its canonical twin's, for a Lightcast twin); None when unknown."""
        head = self._owner.get(skill_id)
        return self._concepts.get(head) if head is not None else None

    def forget(self) -> None:
        """Drop the memoized answers (for benchmarks that time the search itself)."""
        self._memo.clear()

    def suggest(self, prefix: str, first: int) -> list[Suggestion]:
        """At most ``first`` concepts whose label, an alias or a later label word starts with ``prefix``."""
        p = normalize(prefix)
        if not p:
            return []
        memo = len(p) <= MEMO_PREFIX_CHARS
        if memo and (p, first) in self._memo:
            return self._memo[(p, first)]
        lo, hi = bisect_left(self._keys, p), bisect_left(self._keys, p + "\uffff")
        best: dict[str, tuple[int, str]] = {}
        for i in range(lo, hi):
            kind, head, surface = self._entries[i]
            if kind != WORD and self._keys[i] == p:
                kind = EXACT
            if head not in best or kind < best[head][0]:
                best[head] = (kind, surface)
        concepts = self._concepts

        def rank(item: tuple[str, tuple[int, str]]) -> tuple[int, int, int, int, str]:
            c = concepts[item[0]]
            return (item[1][0], -c.use, -c.known, len(c.name), c.name)

        found = [Suggestion(concepts[h], surface, MATCH_KINDS[kind])
                 for h, (kind, surface) in sorted(best.items(), key=rank)[:first]]
        if memo:
            self._memo[(p, first)] = found
        return found


class SuggesterHolder:
    """The process's suggester: built on first use, rebuilt in the background once it is ``max_age_s`` old
    (document counts move; the old one answers meanwhile)."""

    def __init__(self, graph: Graph, max_age_s: float = 600.0) -> None:
        self._graph = graph
        self._max_age = max_age_s
        self._current: SkillSuggester | None = None
        self._built = 0.0
        self._lock = threading.Lock()
        self._rebuilding = False

    def get(self) -> SkillSuggester:
        """Blocking on first use (call from a worker thread)."""
        if self._current is None:
            with self._lock:
                if self._current is None:
                    self._current, self._built = SkillSuggester.from_graph(self._graph), time.monotonic()
        elif time.monotonic() - self._built > self._max_age and not self._rebuilding:
            self._rebuilding = True
            threading.Thread(target=self._rebuild, name="skill-suggester", daemon=True).start()
        return self._current

    def _rebuild(self) -> None:
        try:
            fresh = SkillSuggester.from_graph(self._graph)
            self._current, self._built = fresh, time.monotonic()
        except Exception:  # the graph is away: keep serving the old one, retry at the next request
            import logging

            logging.getLogger("kgservice.api").warning("rebuilding the skill suggester failed", exc_info=True)
            self._built = time.monotonic()
        finally:
            self._rebuilding = False
