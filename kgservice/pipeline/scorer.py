"""First scorer: evidence from the taggers, the section and the graph -> a 0-1 score and a relation.

Features per candidate skill (all in [0, 1]): best trie match (label 1.0, label without its
qualifier 0.9, alias 0.8), semantic similarity above the tagger's threshold, agreement of both
taggers, weight of the best section (``sectioner.section_weight``), frequency, how early it first
appears, and graph support (other candidates that are its parents, children, siblings or SAME_AS).
A logistic function of their weighted sum is the score. ``kgservice models fit-scorer`` fits the
weights on the SkillSkape training split and the minimum score on its dev split
(``kgservice/offline/scorer_fit.py``); until it has run, hand-set defaults apply, chosen so that a
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
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from operator import mul

from kgservice.document import Document, Domain, GraphLink, Method, Relation, ScoredSkill, SkillSpan
from kgservice.graph.expansion_scoring import RELATION_PRIORS, UNKNOWN_RELATION_PRIOR
from kgservice.pipeline.base import StageBase
from kgservice.pipeline.feedback_prior import FeedbackPriors
from kgservice.pipeline.sectioner import section_weight
from kgservice.pipeline.skill_catalog import SkillCatalog

FEATURES = ("trie", "bare", "semantic", "linked", "agree", "mention", "section", "frequency", "position", "support")
# How much an expanded skill inherits from the extracted skill it was reached from, before the link's
# own weight (graph_expander.py: the edge's confidence or co-occurrence weight, times the fit to the
# document): the same arithmetic as expandSkills (kgservice/graph/expansion_scoring.py).
RELATION_WEIGHTS: Mapping[str, float] = RELATION_PRIORS
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
    bare: float = 1.5
    semantic: float = 3.0
    linked: float = 2.0
    agree: float = 1.0
    mention: float = 1.0
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
                 max_expanded: int = 25, blurb_sections: Collection[str] = (), max_skills: int | None = None,
                 mentions: bool = True, priors: FeedbackPriors | None = None) -> None:
        self._catalog = catalog
        # People's feedback across documents, added to each candidate's logit (feedback_prior.py).
        self.priors = priors
        # With the mention detector on, a trie match outside every detected mention is "bare" evidence
        # (on SkillSpan dev, 15-20% of those were annotated skills against about 80% inside one).
        self._mentions = mentions
        self._blurb = frozenset(blurb_sections)
        # The canonical taxonomy: the first one listed; the others fill mentions it cannot name.
        self._primary = next(iter(taxonomies), None) if taxonomies else None
        self.max_skills = max_skills
        self.weights = weights or ScorerWeights()
        self.min_score = min_score
        self._threshold = semantic_threshold
        self._max_expanded = max_expanded
        # Every span and graph link asks whether its skill may be returned; the answer is fixed per catalog.
        allowed = set(taxonomies) if taxonomies else None
        self._allowed_ids = catalog.ids(allowed)
        # One result per concept: a skill with a canonical twin of an allowed taxonomy counts as that twin.
        self._canonical = {sid: twin for sid in catalog.ids()
                           if (twin := catalog.canonical(sid, allowed)) != sid}

    @property
    def catalog(self) -> SkillCatalog:
        return self._catalog

    @property
    def primary_taxonomy(self) -> str | None:
        """The canonical taxonomy results name first; None when every taxonomy is allowed unordered."""
        return self._primary

    # -- features --------------------------------------------------------------------------------
    def _allowed(self, skill_id: str) -> bool:
        return skill_id in self._allowed_ids

    def spans_by_skill(self, doc: Document) -> dict[str, list[SkillSpan]]:
        """The document's spans grouped by canonical skill, only skills of the catalog (and allowed taxonomies).

        A mention written as a name (JS, SQL, iOS) that the trie matched whole to a canonical skill is
        identified: its links by meaning to other skills (JSSS, VBScript for "JS") are dropped. A name
        only another taxonomy has (AWS, k8s) keeps its links: "cloud technologies" is ESCO's view of
        it. Words keep theirs too: the development sentences' gold often names a more specific skill
        than the word the trie found.
        """
        by_skill: dict[str, list[SkillSpan]] = defaultdict(list)
        canonical = self._canonical
        identified = self._identified_mentions(doc)
        for span in doc.all_spans():
            sid = canonical.get(span.skill_id, span.skill_id)
            if not self._allowed(sid):
                continue
            named = identified.get((span.start, span.end)) if span.method is Method.SEMANTIC else None
            if named is not None and sid not in named:
                continue
            by_skill[sid].append(span)
        return by_skill

    def _identified_mentions(self, doc: Document) -> dict[tuple[int, int], set[str]]:
        if not doc.mentions:
            return {}
        mentions = {(m.start, m.end) for m in doc.mentions}
        out: dict[tuple[int, int], set[str]] = {}
        for span in doc.spans.get("trie_tagger", ()):
            key = (span.start, span.end)
            sid = self._canonical.get(span.skill_id, span.skill_id)
            if (key in mentions and span.score >= 0.8 and is_written_as_name(span.text) and sid in self._catalog
                    and self._catalog[sid].taxonomy == self._primary):
                out.setdefault(key, set()).add(sid)
        return out

    def features(self, doc: Document, by_skill: Mapping[str, list[SkillSpan]] | None = None,
                 ) -> dict[str, dict[str, float]]:
        if by_skill is None:
            by_skill = self.spans_by_skill(doc)
        neighbours: dict[str, set[str]] = defaultdict(set)
        canonical = self._canonical
        for link in doc.links:
            if link.relation == "related":  # co-occurrence, not the taxonomy: the support weight was fitted without it
                continue
            seed, other = canonical.get(link.seed, link.seed), canonical.get(link.skill_id, link.skill_id)
            if seed in by_skill and other in by_skill and seed != other:
                neighbours[other].add(seed)
                neighbours[seed].add(other)
        length = max(1, len(doc.text))
        scale = max(1e-6, 1.0 - self._threshold)
        sections = SectionWeights(doc)
        mentions = MentionIndex(doc)
        out: dict[str, dict[str, float]] = {}
        # One pass per skill's spans: this runs for every candidate of every document (hundreds per posting).
        for sid, spans in by_skill.items():
            trie = bare = cos = linked = section = mention = 0.0
            starts: set[int] = set()
            for s in spans:
                exact = mentions.exact(s)
                if s.method is Method.TRIE:
                    inside = (mentions.overlap(s) or sections.listed(s.start)) if self._mentions else 1.0
                    if inside:
                        trie = max(trie, s.score)
                        mention = max(mention, inside)
                    else:
                        bare = max(bare, s.score)
                elif s.method is Method.SEMANTIC:
                    if exact is not None:
                        linked = max(linked, s.score)
                        mention = max(mention, exact)
                    else:
                        cos = max(cos, s.score)
                section = max(section, sections.at(s.start))
                starts.add(s.start)
            out[sid] = {  # in FEATURES order: __call__ pairs .values() with the weights' coefficients
                "trie": trie,
                "bare": bare if not trie else 0.0,
                "semantic": min(1.0, max(0.0, (cos - self._threshold) / scale)) if cos else 0.0,
                "linked": min(1.0, max(0.0, (linked - self._threshold) / scale)) if linked else 0.0,
                "agree": 1.0 if (trie or bare) and (cos or linked) else 0.0,
                "mention": mention,
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
        fillers: list[tuple[str, float]] = []
        bias, coefficients = self.weights.bias, self.weights.coefficients
        cues = RequirementCues(doc.text)
        blurb = self._blurb_only(doc) if self._blurb else None
        mention_index, section_index = MentionIndex(doc), SectionWeights(doc)
        prior = self.priors.table() if self.priors is not None else None
        kind = doc.domain.value
        for sid, x in feats.items():
            z = bias + sum(map(mul, coefficients, x.values()))  # x is in FEATURES order
            if prior:
                z += prior.prior(kind, sid, best_span(spans_by_skill[sid]).section)
            score = sigmoid(z)
            if score < self.min_score:
                continue
            spans = spans_by_skill[sid]
            if blurb is not None and all(blurb(s) for s in spans) and not (x["mention"] and x["trie"] >= 0.8):
                continue  # "learning budget" under Benefits, "payment software for banks" under About us
            if self._catalog[sid].taxonomy != self._primary:
                if x["trie"] >= 0.8 and self._names_a_tool(doc, sid, spans, mention_index, section_index):
                    fillers.append((sid, score))
                continue
            skills.append(self._scored(doc, sid, score, x, spans, cues))
        # A skill of another taxonomy with no twin (a tool or product ESCO lacks: Kotlin, GDPR, Kubernetes)
        # names a mention only when it names it exactly and no canonical skill was found there.
        named = MentionIndex(doc).covered(s for skill in skills for s in spans_by_skill[skill.skill_id]
                                          if s.method is Method.TRIE or (s.start, s.end) in self._mention_offsets(doc))
        for sid, score in fillers:
            spans = spans_by_skill[sid]
            if not all(named(s) for s in spans if s.method is Method.TRIE):
                skills.append(self._scored(doc, sid, score, feats[sid], spans, cues))
        skills.sort(key=lambda s: (-s.score, s.name))
        if self.max_skills is not None:
            skills = skills[: self.max_skills]
        return dataclasses.replace(doc, skills=tuple(skills), expanded=self.expand(doc.links, skills))

    def _scored(self, doc: Document, sid: str, score: float, x: Mapping[str, float], spans: list[SkillSpan],
                cues: RequirementCues) -> ScoredSkill:
        entry = self._catalog[sid]
        return ScoredSkill(sid, entry.name, entry.taxonomy, round(score, 4), self.relation(doc, spans, cues),
                           Method.TRIE if x["trie"] or x["bare"] else Method.SEMANTIC,
                           tuple(sorted({(s.start, s.end) for s in spans})), best_span(spans).section,
                           also_in=self._catalog.also_in(sid))

    def _names_a_tool(self, doc: Document, sid: str, spans: list[SkillSpan], mentions: MentionIndex,
                      sections: SectionWeights) -> bool:
        """Whether a skill of a filling taxonomy is named as a product or tool: written as a name inside a
        detected mention, or, in a list a requirements/skills header opened, written as a name or
        carrying a name's label ("- Docker and Kubernetes" opens its line with a capital anyway)."""
        label_is_name = is_name_label(self._catalog[sid].name)
        for s in spans:
            if s.method is not Method.TRIE:
                continue
            written = is_name(doc.text, s.start, s.end)
            if mentions.overlap(s) and written:
                return True
            if sections.listed(s.start) and (written or label_is_name):
                return True
        return False

    @staticmethod
    def _mention_offsets(doc: Document) -> set[tuple[int, int]]:
        return {(m.start, m.end) for m in doc.mentions}

    def _blurb_only(self, doc: Document):  # noqa: ANN202 - Callable[[SkillSpan], bool]
        """Whether a span lies in a section a header called company blurb or benefits: those describe
        the employer, so a skill found only there must be named exactly, inside a detected mention."""
        ranges = [(s.start, s.end) for s in doc.sections if s.kind in self._blurb and s.source == "header"]
        return lambda span: any(a <= span.start < b for a, b in ranges)

    def expand(self, links: tuple[GraphLink, ...], skills: list[ScoredSkill]) -> tuple[ScoredSkill, ...]:
        if not self._max_expanded:  # a caller that never reads them (the nearline worker by default)
            return ()
        seed_score = {s.skill_id: s.score for s in skills}
        canonical = self._canonical
        best: dict[str, tuple[float, GraphLink, str]] = {}
        for link in links:
            sid, seed = canonical.get(link.skill_id, link.skill_id), canonical.get(link.seed, link.seed)
            if sid in seed_score or seed not in seed_score or not self._allowed(sid):
                continue
            score = seed_score[seed] * RELATION_WEIGHTS.get(link.relation, UNKNOWN_RELATION_PRIOR) * link.weight
            if sid not in best or score > best[sid][0]:
                best[sid] = (score, link, seed)
        ranked = sorted(best.items(), key=lambda kv: (-kv[1][0], kv[0]))[: self._max_expanded]
        out = []
        for sid, (score, link, seed) in ranked:
            entry = self._catalog[sid]
            out.append(ScoredSkill(sid, entry.name, entry.taxonomy, round(score, 4), Relation.MENTIONED,
                                   Method.EXPANSION, via=f"{link.relation}:{seed}", also_in=self._catalog.also_in(sid)))
        return tuple(out)


def is_written_as_name(surface: str) -> bool:
    """Capitals past the first letter, or a digit: JS, AWS, iOS, JavaScript, k8s, HTML5."""
    return any(c.isupper() for c in surface[1:]) or any(c.isdigit() for c in surface)


def is_name_label(label: str) -> bool:
    """A label Lightcast wrote as a name: with a disambiguating qualifier ("Docker (Software)",
    "Tableau (Business Intelligence Software)") or written as a name itself."""
    return " (" in label or is_written_as_name(label.split(" (")[0])


def is_name(text: str, start: int, end: int) -> bool:
    """Whether ``text[start:end]`` is written as a name (NumPy, OpenCV, HTML5, Kotlin mid-sentence), not as
    an everyday word ("planning", "collaboration", or "Marketing" opening a line or a title-case run).

    Lightcast's skills with no ESCO twin are mostly products and tools, but also common nouns; as
    written in a detected mention, names were annotated skills 80% of the time on SkillSpan dev and
    lower-case words 77%, yet the nouns are what the ESCO skills already cover under other labels.
    """
    surface = text[start:end]
    if is_written_as_name(surface):
        return True
    if not surface[:1].isupper():
        return False
    before = text[:start].rstrip(" \t\"'(")
    if not before or before[-1] in ".!?:;\n-•*":
        return False  # a capital that opens a sentence, a line or a bullet says nothing
    previous = before.split()[-1] if before.split() else ""
    return not previous[:1].isupper()  # inside a title-case run every word has a capital


def best_span(spans: Collection[SkillSpan]) -> SkillSpan:
    """The span that represents a skill: in the weightiest section, a trie match before a semantic one."""
    return max(spans, key=lambda s: (section_weight(s.section), s.method is Method.TRIE, s.score))


# A section kind the sectioner's classifier guessed (no header said so) counts halfway between its
# weight and a neutral one: on single sentences and header-less text the guess is often wrong (the
# classifier calls 9 of the 101 TECH development sentences "company"), a header rarely is.
NEUTRAL_SECTION_WEIGHT = 0.6


# What a trie match in a skills list a header announced counts as, when the detector marked no mention
# there: a line such as "Skills: Excel, Word, AWS" is a list of mentions whatever the detector says.
LISTED_MENTION = 0.5
LIST_SECTIONS = frozenset({"qualifications", "nice_to_have", "skills", "prerequisites", "certifications"})


class SectionWeights:
    """``section_weight`` of the section at an offset, shrunk toward neutral where no header opened it."""

    __slots__ = ("_starts", "_weights", "_listed")

    def __init__(self, doc: Document) -> None:
        self._starts = [s.start for s in doc.sections]
        self._weights = [section_weight(s.kind) if s.source == "header"
                         else (section_weight(s.kind) + NEUTRAL_SECTION_WEIGHT) / 2 for s in doc.sections]
        self._listed = [s.source == "header" and s.kind in LIST_SECTIONS for s in doc.sections]

    def _index(self, offset: int) -> int:
        return bisect_left(self._starts, offset + 1) - 1

    def at(self, offset: int) -> float:
        i = self._index(offset)
        return self._weights[i] if i >= 0 else section_weight(None)

    def listed(self, offset: int) -> float:
        """:data:`LISTED_MENTION` inside a section a requirements/skills header opened, else 0."""
        i = self._index(offset)
        return LISTED_MENTION if i >= 0 and self._listed[i] else 0.0


class MentionIndex:
    """The document's detected mentions, for asking whether a span sits in one (and how sure it is)."""

    __slots__ = ("_by_offsets", "_starts", "_mentions")

    def __init__(self, doc: Document) -> None:
        self._mentions = sorted(doc.mentions, key=lambda m: m.start)
        self._starts = [m.start for m in self._mentions]
        self._by_offsets = {(m.start, m.end): m.score for m in self._mentions}

    def exact(self, span: SkillSpan) -> float | None:
        """The score of the mention with exactly ``span``'s offsets (a mention-linker match), else None."""
        return self._by_offsets.get((span.start, span.end))

    def covered(self, spans: Iterable[SkillSpan]):  # noqa: ANN201 - Callable[[SkillSpan], bool]
        """Whether a span overlaps a mention that one of ``spans`` already overlaps."""
        hit = {i for span in spans for i in self._overlapping(span)}
        return lambda span: any(i in hit for i in self._overlapping(span))

    def _overlapping(self, span: SkillSpan) -> list[int]:
        out = []
        i = bisect_left(self._starts, span.end)
        while i > 0:
            i -= 1
            m = self._mentions[i]
            if m.end > span.start:
                out.append(i)
            elif self._starts[i] < span.start - 200:
                break
        return out

    def overlap(self, span: SkillSpan) -> float:
        """The best score of the mentions ``span`` overlaps; 0 when it overlaps none."""
        best = 0.0
        i = bisect_left(self._starts, span.end)  # mentions starting at or after span.end cannot overlap
        while i > 0:
            i -= 1
            m = self._mentions[i]
            if m.end > span.start:
                best = max(best, m.score)
            elif m.end <= span.start and self._starts[i] < span.start - 200:
                break  # mentions are short: nothing further left reaches the span
        return best


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
