"""The feedback prior's arithmetic over hand-made count rows (kgservice/pipeline/feedback_prior.py)."""

from __future__ import annotations

import math

import pytest

from kgservice.pipeline.feedback_prior import FeedbackPriors, FeedbackPriorTable, PriorConfig


def row(skill: str, section: str | None, positive: int = 0, negative: int = 0, kind: str = "job") -> dict:
    return {"kind": kind, "skillId": skill, "section": section, "positive": positive, "negative": negative}


def test_feedback_prior_no_feedback_is_zero():
    table = FeedbackPriorTable([])
    assert not table and table.prior("job", "s", "qualifications") == 0.0


def test_feedback_prior_smoothed_log_odds_per_skill():
    table = FeedbackPriorTable([row("s", None, positive=1, negative=7)], PriorConfig(strength=4.0, bound=10.0))
    # kept rate (1 + 2) / (8 + 4) = 0.25
    assert table.prior("job", "s", None) == pytest.approx(math.log(0.25 / 0.75))
    assert table.prior("profile", "s", None) == 0.0  # per document kind
    assert table.prior("job", "other", None) == 0.0


def test_feedback_prior_section_shrinks_toward_skill_rate():
    rows = [row("s", "qualifications", negative=6), row("s", "benefits", positive=2, negative=0)]
    table = FeedbackPriorTable(rows, PriorConfig(strength=4.0, bound=10.0, min_count=2))
    skill_rate = (2 + 2) / (8 + 4)
    assert table.prior("job", "s", None) == pytest.approx(math.log(skill_rate / (1 - skill_rate)))
    q = (0 + 4 * skill_rate) / (6 + 4)
    assert table.prior("job", "s", "qualifications") == pytest.approx(math.log(q / (1 - q)))
    b = (2 + 4 * skill_rate) / (2 + 4)
    assert table.prior("job", "s", "benefits") == pytest.approx(math.log(b / (1 - b)))
    # A section without feedback of its own takes the skill's prior.
    assert table.prior("job", "s", "responsibilities") == table.prior("job", "s", None)


@pytest.mark.parametrize(("negative", "positive", "expected"), [(1000, 0, -3.0), (0, 1000, 3.0)])
def test_feedback_prior_is_bounded(negative, positive, expected):
    table = FeedbackPriorTable([row("s", "x", positive, negative)], PriorConfig(bound=3.0))
    assert table.prior("job", "s", "x") == expected and table.prior("job", "s", None) == expected


def test_feedback_prior_needs_min_count():
    table = FeedbackPriorTable([row("s", "x", negative=2)], PriorConfig(min_count=3))
    assert table.prior("job", "s", "x") == 0.0
    assert FeedbackPriorTable([row("s", "x", negative=3)], PriorConfig(min_count=3)).prior("job", "s", "x") < 0


def test_feedback_priors_reload_when_stale_and_keep_table_on_failure():
    calls: list[int] = []
    state = {"rows": [row("s", None, negative=5)], "fail": False}

    def load():
        calls.append(1)
        if state["fail"]:
            raise ConnectionError("graph away")
        return state["rows"]

    priors = FeedbackPriors(load, refresh_s=3600)
    first = priors.table()
    assert first.prior("job", "s", None) < 0 and len(calls) == 1
    assert priors.table() is first and len(calls) == 1  # fresh: no reload
    state["rows"] = []
    priors.mark_stale()
    assert priors.table().prior("job", "s", None) == 0.0 and len(calls) == 2
    state["fail"], state["rows"] = True, [row("s", None, negative=5)]
    priors.mark_stale()
    kept = priors.table()
    assert kept.prior("job", "s", None) == 0.0 and len(calls) == 3  # the last good table
