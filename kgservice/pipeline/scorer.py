"""First scorer: evidence from the taggers, the section and the graph -> a 0-1 score and a relation.

Features per candidate skill (all in [0, 1]): best trie match (label 1.0, label without its
qualifier 0.9, alias 0.8), semantic similarity above the tagger's threshold, agreement of both
taggers, weight of the best section (``sectioner.section_weight``), frequency, how early it first
appears, and graph support (other candidates that are its parents, children, siblings or SAME_AS).
A logistic function of their weighted sum is the score. ``kgservice models fit-scorer`` fits the
weights on the SkillSkape training split and the minimum score on its dev split
(``kgservice/train/scorer_fit.py``); until it has run, hand-set defaults apply, chosen so that a
preferred-label trie match in a requirements section scores about 0.9 and a lone semantic match
just above threshold stays under 0.5. The multitask model (a later stage) replaces this class
behind the same interface.
"""

from __future__ import annotations

import dataclasses
import math
import re
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from operator import mul

from kgservice.document import Document, Domain, GraphLink, Method, Relation, ScoredSkill, SkillSpan
from kgservice.pipeline.base import StageBase
from kgservice.pipeline.sectioner import section_weight
from kgservice.pipeline.skill_catalog import SkillCatalog

FEATURES = ("trie", "semantic", "agree", "section", "frequency", "position", "support")
# How much an expanded skill inherits from the extracted skill it was reached from.
RELATION_WEIGHTS: Mapping[str, float] = {"same_as": 0.9, "parent": 0.6, "child": 0.45, "sibling": 0.35,
                                         "same_group": 0.25}
_REQUIREMENT = re.compile(r"\b(must|required|requirements?|need(?:ed|s)?|minimum|at least|essential|mandatory|"
                          r"proficien\w*|\d+\+? years?)\b", re.IGNORECASE)
_CORE_SECTIONS = {Domain.JOB: {"responsibilities"}, Domain.PROFILE: {"skills", "experience", "certifications"},
                  Domain.COURSE: {"objectives", "description"}, Domain.POST: set()}
_REQUIRED_SECTIONS = {Domain.JOB: {"qualifications"}, Domain.PROFILE: set(), Domain.COURSE: {"prerequisites"},
                      Domain.POST: set()}


@dataclass(frozen=True, slots=True)
class ScorerWeights:
    bias: float = -2.6
    trie: float = 3.2
    semantic: float = 3.0
    agree: float = 1.0
    section: float = 0.8
    frequency: float = 0.6
    position: float = 0.2
    support: float = 0.8

    def logit(self, x: Mapping[str, float]) -> float:
        return self.bias + sum(w * x[f] for f, w in zip(FEATURES, self.coefficients, strict=True))

    @property
    def coefficients(self) -> tuple[float, ...]:
        """The weights in ``FEATURES`` order."""
        return tuple(getattr(self, f) for f in FEATURES)


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


class FeatureScorer(StageBase):
    """Requires: sections, links. Assigns: skills, expanded."""

    name = "scorer"
    requires = frozenset({"sections", "links"})
    assigns = frozenset({"skills", "expanded"})

    def __init__(self, catalog: SkillCatalog, weights: ScorerWeights | None = None, min_score: float = 0.5,
                 semantic_threshold: float = 0.5, taxonomies: Collection[str] | None = None,
                 max_expanded: int = 25) -> None:
        self._catalog = catalog
        self.weights = weights or ScorerWeights()
        self.min_score = min_score
        self._threshold = semantic_threshold
        self._max_expanded = max_expanded
        # Every span and graph link asks whether its skill may be returned; the answer is fixed per catalog.
        self._allowed_ids = catalog.ids(set(taxonomies) if taxonomies else None)

    # -- features --------------------------------------------------------------------------------
    def _allowed(self, skill_id: str) -> bool:
        return skill_id in self._allowed_ids

    def spans_by_skill(self, doc: Document) -> dict[str, list[SkillSpan]]:
        """The document's spans grouped by skill, only skills of the catalog (and allowed taxonomies)."""
        by_skill: dict[str, list[SkillSpan]] = defaultdict(list)
        for span in doc.all_spans():
            if self._allowed(span.skill_id):
                by_skill[span.skill_id].append(span)
        return by_skill

    def features(self, doc: Document, by_skill: Mapping[str, list[SkillSpan]] | None = None,
                 ) -> dict[str, dict[str, float]]:
        if by_skill is None:
            by_skill = self.spans_by_skill(doc)
        neighbours: dict[str, set[str]] = defaultdict(set)
        for link in doc.links:
            if link.seed in by_skill and link.skill_id in by_skill and link.seed != link.skill_id:
                neighbours[link.skill_id].add(link.seed)
                neighbours[link.seed].add(link.skill_id)
        length = max(1, len(doc.text))
        scale = max(1e-6, 1.0 - self._threshold)
        weights: dict[str | None, float] = {}
        out: dict[str, dict[str, float]] = {}
        # One pass per skill's spans: this runs for every candidate of every document (hundreds per posting).
        for sid, spans in by_skill.items():
            trie = cos = section = 0.0
            starts: set[int] = set()
            for s in spans:
                if s.method is Method.TRIE:
                    trie = max(trie, s.score)
                elif s.method is Method.SEMANTIC:
                    cos = max(cos, s.score)
                w = weights.get(s.section)
                if w is None:
                    w = weights[s.section] = section_weight(s.section)
                section = max(section, w)
                starts.add(s.start)
            out[sid] = {  # in FEATURES order: __call__ pairs .values() with the weights' coefficients
                "trie": trie,
                "semantic": min(1.0, max(0.0, (cos - self._threshold) / scale)) if cos else 0.0,
                "agree": 1.0 if trie and cos else 0.0,
                "section": section,
                "frequency": min(1.0, math.log1p(len(starts)) / math.log1p(4)),
                "position": 1.0 - min(starts) / length,
                "support": min(1.0, len(neighbours[sid]) / 3.0) if sid in neighbours else 0.0,
            }
        return out

    # -- annotate --------------------------------------------------------------------------------
    def relation(self, doc: Document, spans: list[SkillSpan], cues: RequirementCues | None = None) -> Relation:
        """``cues``: the document's :class:`RequirementCues`, shared by its skills (made here when absent)."""
        sections = {s.section for s in spans}
        if sections & _REQUIRED_SECTIONS[doc.domain]:
            return Relation.REQUIRED
        if doc.domain is Domain.JOB:
            cues = cues if cues is not None else RequirementCues(doc.text)
            if any(cues.at(s.start) for s in spans):
                return Relation.REQUIRED
        if sections & _CORE_SECTIONS[doc.domain] or len({s.start for s in spans}) >= 3:
            return Relation.CORE
        if doc.title and any(s.method is Method.TRIE and s.text.lower() in doc.title.lower() for s in spans):
            return Relation.CORE
        return Relation.MENTIONED

    def __call__(self, doc: Document) -> Document:
        spans_by_skill = self.spans_by_skill(doc)
        feats = self.features(doc, spans_by_skill)
        skills: list[ScoredSkill] = []
        bias, coefficients = self.weights.bias, self.weights.coefficients
        cues = RequirementCues(doc.text)
        for sid, x in feats.items():
            score = sigmoid(bias + sum(map(mul, coefficients, x.values())))  # x is in FEATURES order
            if score < self.min_score:
                continue
            spans = spans_by_skill[sid]
            best = best_span(spans)
            entry = self._catalog[sid]
            skills.append(ScoredSkill(sid, entry.name, entry.taxonomy, round(score, 4), self.relation(doc, spans, cues),
                                      Method.TRIE if x["trie"] else Method.SEMANTIC,
                                      tuple(sorted({(s.start, s.end) for s in spans})), best.section))
        skills.sort(key=lambda s: (-s.score, s.name))
        return dataclasses.replace(doc, skills=tuple(skills), expanded=self.expand(doc.links, skills))

    def expand(self, links: tuple[GraphLink, ...], skills: list[ScoredSkill]) -> tuple[ScoredSkill, ...]:
        if not self._max_expanded:  # a caller that never reads them (the nearline worker by default)
            return ()
        seed_score = {s.skill_id: s.score for s in skills}
        best: dict[str, tuple[float, GraphLink]] = {}
        for link in links:
            if link.skill_id in seed_score or link.seed not in seed_score or not self._allowed(link.skill_id):
                continue
            score = seed_score[link.seed] * RELATION_WEIGHTS.get(link.relation, 0.2)
            if link.skill_id not in best or score > best[link.skill_id][0]:
                best[link.skill_id] = (score, link)
        ranked = sorted(best.items(), key=lambda kv: (-kv[1][0], kv[1][1].name))[: self._max_expanded]
        return tuple(ScoredSkill(sid, link.name, link.taxonomy, round(score, 4), Relation.MENTIONED, Method.EXPANSION,
                                 via=f"{link.relation}:{link.seed}") for sid, (score, link) in ranked)


def best_span(spans: Collection[SkillSpan]) -> SkillSpan:
    """The span that represents a skill: in the weightiest section, a trie match before a semantic one."""
    return max(spans, key=lambda s: (section_weight(s.section), s.method is Method.TRIE, s.score))


class RequirementCues:
    """Whether the sentence around an offset has a requirement cue ("must", "3+ years"...), per document.

    A posting's skills share its sentences, and a skill has a span per mention, so asking per span
    searched the same sentences many times over (the scorer's largest cost). The sentence of an
    offset runs from after the last ``.`` or newline before it up to the first at or after it;
    each is searched once.
    """

    __slots__ = ("_text", "_stops", "_found")

    def __init__(self, text: str) -> None:
        self._text = text
        self._stops: list[int] | None = None
        self._found: dict[int, bool] = {}

    def at(self, offset: int) -> bool:
        if self._stops is None:
            self._stops = [i for i, ch in enumerate(self._text) if ch == "." or ch == "\n"]
        i = bisect_left(self._stops, offset)  # the first stop at or after offset ends the sentence
        found = self._found.get(i)
        if found is None:
            start = self._stops[i - 1] + 1 if i else 0
            end = self._stops[i] if i < len(self._stops) else len(self._text)
            found = self._found[i] = _REQUIREMENT.search(self._text, start, end) is not None
        return found
