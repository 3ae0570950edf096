"""FeatureScorer: the features it computes and the score it gives them (small in-memory catalog)."""

from __future__ import annotations

import dataclasses

import pytest

from kgservice.document import Document, Domain, GraphLink, Method, Section, SkillSpan
from kgservice.pipeline.scorer import FEATURES, FeatureScorer, ScorerWeights, sigmoid
from kgservice.pipeline.skill_catalog import SkillCatalog

TEXT = "Requirements\n- Python and SQL\n- experience building data pipelines\n"


def _doc() -> Document:
    py, sql = TEXT.index("Python"), TEXT.index("SQL")
    pipe = TEXT.index("experience")
    spans = {
        "trie_tagger": (SkillSpan(py, py + 6, "Python", "s:py", Method.TRIE, 1.0, "qualifications"),
                        SkillSpan(sql, sql + 3, "SQL", "s:sql", Method.TRIE, 0.8, "qualifications"),
                        SkillSpan(sql, sql + 3, "SQL", "s:unknown", Method.TRIE, 1.0, "qualifications")),
        "embedding_tagger": (SkillSpan(pipe, len(TEXT) - 1, TEXT[pipe:-1], "s:etl", Method.SEMANTIC, 0.8,
                                       "qualifications"),
                             SkillSpan(pipe, len(TEXT) - 1, TEXT[pipe:-1], "s:lc", Method.SEMANTIC, 0.9,
                                       "qualifications")),
    }
    links = (GraphLink("s:py", "s:sql", "SQL", "esco", "sibling", 1), GraphLink("s:py", "s:prog", "programming",
                                                                                  "esco", "parent", 1))
    return Document(text=TEXT, domain=Domain.JOB, sections=(Section("qualifications", 0, len(TEXT), header=(0, 12)),),
                    spans=spans, links=links)


@pytest.fixture
def scorer() -> FeatureScorer:
    catalog = SkillCatalog.build([("s:py", "Python", "esco"), ("s:sql", "SQL", "esco"), ("s:etl", "ETL", "esco"),
                                  ("s:prog", "programming", "esco"), ("s:lc", "Lightcast ETL", "lightcast")])
    weights = ScorerWeights(bias=-1.0, trie=2.0, semantic=1.5, agree=0.5, section=0.7, frequency=0.3,
                            position=0.1, support=0.9)
    return FeatureScorer(catalog, weights=weights, min_score=0.0, semantic_threshold=0.5, taxonomies=["esco"])


def test_feature_scorer_scores_are_the_logistic_of_the_features(scorer: FeatureScorer) -> None:
    doc = _doc()
    features = scorer.features(doc)
    assert set(features) == {"s:py", "s:sql", "s:etl"}, "unknown ids and other taxonomies are dropped"
    assert all(tuple(x) == FEATURES for x in features.values())
    assert features["s:py"]["support"] > 0 and features["s:sql"]["support"] > 0
    assert features["s:etl"]["semantic"] == pytest.approx((0.8 - 0.5) / 0.5)
    scored = scorer(doc)
    assert [s.skill_id for s in scored.skills] == sorted(features, key=lambda k: -scorer.weights.logit(features[k]))
    for skill in scored.skills:
        assert skill.score == pytest.approx(sigmoid(scorer.weights.logit(features[skill.skill_id])), abs=1e-4)
    assert [(s.skill_id, s.method) for s in scored.expanded] == [("s:prog", Method.EXPANSION)]


def test_feature_scorer_without_expanded_skills_scores_the_same(scorer: FeatureScorer) -> None:
    unexpanded = FeatureScorer(scorer._catalog, weights=scorer.weights, min_score=0.0, semantic_threshold=0.5,
                               taxonomies=["esco"], max_expanded=0)
    with_expanded, without = scorer(_doc()), unexpanded(_doc())
    assert with_expanded.expanded and without.expanded == ()
    assert without.skills == with_expanded.skills, "graph support still counts"
    assert with_expanded.skills and any(s.skill_id == "s:sql" for s in without.skills)


def test_requirement_cues_search_the_sentence_around_an_offset() -> None:
    import random

    from kgservice.pipeline.scorer import _REQUIREMENT, RequirementCues

    def sentence(text: str, offset: int) -> str:  # the definition RequirementCues keeps
        start = max(text.rfind(".", 0, offset), text.rfind("\n", 0, offset)) + 1
        ends = [i for i in (text.find(".", offset), text.find("\n", offset)) if i != -1]
        return text[start : min(ends) if ends else len(text)]

    rng = random.Random(3)
    words = ["must", "Python", "required", "3+ years", "team", "need", "mustard", "a.", "\n", "SQL.", "at least", "x"]
    for _ in range(300):
        text = " ".join(rng.choice(words) for _ in range(rng.randrange(0, 15)))
        cues = RequirementCues(text)
        for offset in range(len(text) + 1):
            assert cues.at(offset) == (_REQUIREMENT.search(sentence(text, offset)) is not None), (text, offset)


def test_feature_scorer_names_one_skill_per_concept() -> None:
    """A Lightcast skill with an ESCO twin is reported as the twin, its id kept as a cross-reference;
    one with no twin fills a mention only when no ESCO skill names that mention; with ESCO not
    allowed nothing is renamed."""
    from kgservice.document import Mention

    text = "Requirements\nSwift and Kotlin, Teamwork\n"
    sw, kt, tw = text.index("Swift"), text.index("Kotlin"), text.index("Teamwork")
    catalog = SkillCatalog.build([("e:swift", "Swift (computer programming)", "esco"),
                                  ("l:swift", "Swift (Programming Language)", "lightcast", "e:swift"),
                                  ("l:kotlin", "Kotlin", "lightcast"), ("l:teamwork", "Teamwork", "lightcast"),
                                  ("e:teams", "work in teams", "esco")])
    q = "qualifications"
    spans = {"trie_tagger": (SkillSpan(sw, sw + 5, "Swift", "e:swift", Method.TRIE, 0.9, q),
                             SkillSpan(sw, sw + 5, "Swift", "l:swift", Method.TRIE, 0.9, q),
                             SkillSpan(kt, kt + 6, "Kotlin", "l:kotlin", Method.TRIE, 1.0, q),
                             SkillSpan(tw, tw + 8, "Teamwork", "l:teamwork", Method.TRIE, 1.0, q)),
             "mention_linker": (SkillSpan(tw, tw + 8, "Teamwork", "e:teams", Method.SEMANTIC, 0.9, q),)}
    mentions = (Mention(sw, sw + 5, "Swift", 0.9, q), Mention(kt, kt + 6, "Kotlin", 0.9, q),
                Mention(tw, tw + 8, "Teamwork", 0.9, q))
    doc = Document(text=text, domain=Domain.JOB, sections=(Section(q, 0, len(text), header=(0, 12)),),
                   spans=spans, mentions=mentions)
    both = FeatureScorer(catalog, min_score=0.0, taxonomies=["esco", "lightcast"])(doc)
    assert {(s.skill_id, s.also_in) for s in both.skills} == {("e:swift", ("l:swift",)), ("l:kotlin", ()),
                                                              ("e:teams", ())}
    lightcast = FeatureScorer(catalog, min_score=0.0, taxonomies=["lightcast"])(doc)
    assert {s.skill_id for s in lightcast.skills} == {"l:swift", "l:kotlin", "l:teamwork"}
    esco = FeatureScorer(catalog, min_score=0.0, taxonomies=["esco"])(doc)
    assert {s.skill_id for s in esco.skills} == {"e:swift", "e:teams"}


def test_feature_scorer_mention_features() -> None:
    """A trie match inside a detected mention carries the mention's score; a semantic match on a
    mention's exact offsets counts as a linked mention, not as a sentence match."""
    from kgservice.document import Mention

    text = "Requirements\nWe use Python daily and love a learning budget\n"
    py, budget = text.index("Python"), text.index("budget")
    catalog = SkillCatalog.build([("s:py", "Python", "esco"), ("s:budget", "budgeting", "esco"),
                                  ("s:prog", "programming", "esco")])
    spans = {"trie_tagger": (SkillSpan(py, py + 6, "Python", "s:py", Method.TRIE, 1.0, "qualifications"),
                             SkillSpan(budget, budget + 6, "budget", "s:budget", Method.TRIE, 0.8, "qualifications")),
             "mention_linker": (SkillSpan(py, py + 6, "Python", "s:prog", Method.SEMANTIC, 0.9, "qualifications"),)}
    doc = Document(text=text, domain=Domain.JOB, sections=(Section("qualifications", 0, len(text), header=(0, 12)),),
                   spans=spans, mentions=(Mention(py, py + 6, "Python", 0.8, "qualifications"),))
    scorer = FeatureScorer(catalog, min_score=0.0, semantic_threshold=0.5)
    features = scorer.features(doc)
    assert features["s:py"]["mention"] == pytest.approx(0.8) and features["s:prog"]["semantic"] == 0.0
    assert features["s:prog"]["linked"] == pytest.approx(0.8)
    # Outside every mention, but in a list a requirements header opened: half a mention's credit.
    assert features["s:budget"]["mention"] == 0.5 and features["s:budget"]["trie"] == 0.8
    prose = dataclasses.replace(doc, sections=(Section("qualifications", 0, len(text), source="classifier"),))
    bare = scorer.features(prose)["s:budget"]
    assert (bare["trie"], bare["bare"], bare["mention"]) == (0.0, 0.8, 0.0)


def test_feature_scorer_ranks_expanded_skills_by_link_weight_and_keeps_related_out_of_support(
        scorer: FeatureScorer) -> None:
    doc = _doc()
    weighed = dataclasses.replace(doc, links=doc.links + (
        GraphLink("s:py", "s:fits", "fits", "esco", "related", weight=0.6),
        GraphLink("s:py", "s:loose", "loose", "esco", "related", weight=0.1),
        GraphLink("s:py", "s:etl", "ETL", "esco", "related", weight=0.9)))
    catalog = SkillCatalog.build([("s:py", "Python", "esco"), ("s:sql", "SQL", "esco"), ("s:etl", "ETL", "esco"),
                                  ("s:prog", "programming", "esco"), ("s:lc", "Lightcast ETL", "lightcast"),
                                  ("s:fits", "fits", "esco"), ("s:loose", "loose", "esco")])
    scorer = FeatureScorer(catalog, weights=scorer.weights, min_score=0.0, semantic_threshold=0.5, taxonomies=["esco"])
    scored = scorer(weighed)
    python = next(s.score for s in scored.skills if s.skill_id == "s:py")
    expanded = {s.skill_id: s.score for s in scored.expanded}
    assert expanded["s:fits"] == pytest.approx(round(python * 0.6, 4))
    assert list(expanded).index("s:fits") < list(expanded).index("s:loose")
    # A co-occurrence link between two candidates is no taxonomy support: the scores stay as without it.
    assert scorer.features(doc)["s:etl"]["support"] == 0 == scorer.features(weighed)["s:etl"]["support"]
