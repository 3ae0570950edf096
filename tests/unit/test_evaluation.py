from __future__ import annotations

import pytest

from kgservice.evaluation import Example, label_resolver, score


def test_evaluation_set_and_ranking_metrics():
    examples = [Example("s1", frozenset({"a", "b"})), Example("s2", frozenset({"c"})), Example("s3", frozenset())]
    preds = [["x", "a", "b"], ["c"], ["z"]]
    s = score(preds, examples)
    assert s.precision == pytest.approx(3 / 5)
    assert s.recall == pytest.approx(3 / 3)
    assert s.f1 == pytest.approx(0.75)
    assert s.rp1 == pytest.approx((0 + 1) / 2)
    assert s.rp5 == pytest.approx((2 / 2 + 1) / 2)
    assert s.mrr == pytest.approx((1 / 2 + 1) / 2)


def test_evaluation_resolver_prefers_preferred_labels():
    skills = [{"id": "1", "name": "Java (computer programming)", "aliases": ["Java"]},
              {"id": "2", "name": "Java", "aliases": []},
              {"id": "3", "name": "use spreadsheets software", "aliases": ["Excel"]}]
    resolve = label_resolver(skills)
    assert resolve["java"] == "2"
    assert resolve["excel"] == "3"


def test_evaluation_ranked_list_with_a_narrower_set():
    from kgservice.evaluation import Ranked

    s = score([Ranked(["a", "x", "b"], {"a"})], [Example("s", frozenset({"a", "b"}))])
    assert (s.precision, s.recall) == (1.0, 0.5)
    assert s.rp5 == 1.0


def test_scorer_fit_recovers_a_known_logistic_model():
    import numpy as np

    from kgservice.offline.scorer_fit import fit_logistic

    rng = np.random.default_rng(0)
    x = rng.random((20000, 2))
    true_w, true_b = np.array([3.0, -2.0]), -0.5
    y = (rng.random(20000) < 1 / (1 + np.exp(-(x @ true_w + true_b)))).astype(float)
    b, w = fit_logistic(x, y, l2=0.0)
    assert np.allclose(w, true_w, atol=0.2) and abs(b - true_b) < 0.2


def test_evaluation_detokenize_keeps_token_offsets():
    from kgservice.evaluation import detokenize

    tokens = ["Experience", "with", "Python", ",", "Java", "(", "Spring", ")", "."]
    text, offsets = detokenize(tokens)
    assert text == "Experience with Python, Java (Spring)."
    assert [text[a:b] for a, b in offsets] == tokens


def test_evaluation_load_skillspan_groups_sentences_into_postings(tmp_path):
    import json

    from kgservice.evaluation import load_skillspan

    rows = [
        {"idx": 1, "source": "tech", "tokens": ["Requirements"], "tags_skill": ["O"], "tags_knowledge": ["O"]},
        {"idx": 1, "source": "tech", "tokens": ["Strong", "Python", "and", "team", "work"],
         "tags_skill": ["O", "O", "O", "B", "I"], "tags_knowledge": ["O", "B", "O", "O", "O"]},
        {"idx": 2, "source": "house", "tokens": ["Cook", "meals"], "tags_skill": ["B", "I"],
         "tags_knowledge": ["O", "O"]},
    ]
    path = tmp_path / "dev.json"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    first, second = load_skillspan(path)
    assert first.id == "tech-1" and first.text == "Requirements\nStrong Python and team work"
    assert [first.text[a:b] for a, b in first.spans] == ["Python", "team work"]
    assert [first.text[a:b] for a, b in first.sentences] == ["Requirements", "Strong Python and team work"]
    assert [second.text[a:b] for a, b in second.spans] == ["Cook meals"]


def test_evaluation_span_scores_lenient_overlap_and_characters():
    from kgservice.evaluation import SpanPosting, span_scores

    text = "Python and SQL daily"
    posting = SpanPosting("p", "tech", text, ((0, 6), (11, 14)), ((0, len(text)),))
    whole = span_scores([[(0, len(text))]], [posting])
    assert whole.precision == 1.0 and whole.recall == 1.0  # one sentence span overlaps both mentions
    assert whole.char_precision == pytest.approx(9 / 17) and whole.char_recall == 1.0
    exact = span_scores([[(0, 6), (15, 20)]], [posting])
    assert exact.precision == 0.5 and exact.recall == 0.5
    assert exact.char_precision == pytest.approx(6 / 11) and exact.char_recall == pytest.approx(6 / 9)


def test_evaluation_loads_translated_check_set_aligned_across_languages():
    from kgservice.evaluation import TRANSLATED_CHECK_SET, load_translated

    resolve = {"sql": "esco:sql", "python (computer programming)": "esco:python"}
    sets = load_translated(TRANSLATED_CHECK_SET, resolve)
    assert list(sets) == ["en", "de", "es", "fr", "nl", "pt"]
    assert {len(v) for v in sets.values()} == {60}
    for lang, examples in sets.items():
        assert [e.gold for e in examples] == [e.gold for e in sets["en"]]
        assert [e.unmapped for e in examples] == [e.unmapped for e in sets["en"]]
        assert len({e.sentence for e in examples}) == 60, lang
    assert {"esco:sql", "esco:python"} <= {g for e in sets["de"] for g in e.gold}
    assert not {"UNK"} & {u for e in sets["en"] for u in e.unmapped}


def test_evaluation_translated_check_set_rejects_a_line_without_a_language(tmp_path):
    import json

    import pytest

    from kgservice.evaluation import load_translated

    path = tmp_path / "set.jsonl"
    path.write_text(json.dumps({"index": 1, "skills": ["SQL"], "en": "SQL", "de": "SQL"}) + "\n"
                    + json.dumps({"index": 2, "skills": ["SQL"], "en": "SQL skills"}) + "\n")
    with pytest.raises(ValueError, match=r"set.jsonl:2 lacks \['de'\]"):
        load_translated(path, {})
