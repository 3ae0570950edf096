"""People's feedback as a prior the scorer adds to every document's logit, not only the edited one.

A recruiter who removes a skill from a job says the extraction was wrong there; when recruiters
remove it from many jobs, it is likely wrong on the next posting too. ``cypher/get_feedback_priors.cypher``
counts, per document kind, skill and section kind, the positive feedback (a recruiter's accept or
add) and the negative (a recruiter's remove, a job seeker's not-relevant flag on their profile).

**The prior.** Per (kind, skill), a kept rate shrunk toward one half with ``strength``
pseudo-counts: ``keep = (pos + strength/2) / (pos + neg + strength)``. Per (kind, skill, section),
the section's own counts shrunk toward that skill rate: ``(pos_s + strength * keep) / (n_s + strength)``.
The prior is ``weight * logit(rate)``, clipped to ``[-bound, bound]``, so feedback can move a score
but never decides it alone, and a skill with no feedback gets 0. A skill (or section) with fewer than
``min_count`` feedback events gets no prior: one recruiter's edit changes their own document, not
everyone's.

A job seeker's flag on a *job's* skill (``flagJobSkill``) says the skill is not relevant to that
person, not that the extraction was wrong: it is not counted here.

:class:`FeedbackPriors` keeps the table in memory and reloads it from Neo4j when it is older than
``refresh_s`` or was marked stale (the API marks it after ``recordFeedback``); a reload that fails
keeps the old table.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

log = logging.getLogger("kgservice.pipeline")


@dataclass(frozen=True, slots=True)
class PriorConfig:
    weight: float = 1.0
    bound: float = 3.0
    strength: float = 4.0
    min_count: int = 3


def _logit(p: float) -> float:
    return math.log(p / (1.0 - p))


class FeedbackPriorTable:
    """Logit priors per (kind, skill) and (kind, skill, section), from rows of ``get_feedback_priors``."""

    def __init__(self, rows: Iterable[Mapping[str, Any]], config: PriorConfig = PriorConfig()) -> None:
        skills: dict[tuple[str, str], list[int]] = {}
        sections: dict[tuple[str, str, str], list[int]] = {}
        for r in rows:
            pos, neg = int(r.get("positive") or 0), int(r.get("negative") or 0)
            key = (str(r["kind"]), str(r["skillId"]))
            acc = skills.setdefault(key, [0, 0])
            acc[0] += pos
            acc[1] += neg
            if r.get("section"):
                acc = sections.setdefault((*key, str(r["section"])), [0, 0])
                acc[0] += pos
                acc[1] += neg
        c = config
        self._bound = c.bound
        keep = {k: (pos + c.strength / 2) / (pos + neg + c.strength) for k, (pos, neg) in skills.items()}
        self._skill = {k: self._clip(c.weight * _logit(keep[k])) for k, (pos, neg) in skills.items()
                       if pos + neg >= c.min_count}
        self._section: dict[tuple[str, str, str], float] = {}
        for (kind, sid, section), (pos, neg) in sections.items():
            if pos + neg < c.min_count:
                continue
            rate = (pos + c.strength * keep[(kind, sid)]) / (pos + neg + c.strength)
            self._section[(kind, sid, section)] = self._clip(c.weight * _logit(rate))
        self.events = sum(pos + neg for pos, neg in skills.values())

    def _clip(self, z: float) -> float:
        return max(-self._bound, min(self._bound, z))

    def __bool__(self) -> bool:
        return bool(self._skill or self._section)

    def __len__(self) -> int:
        return len(self._skill)

    def prior(self, kind: str, skill_id: str, section: str | None) -> float:
        """The logit to add for ``skill_id`` found in ``section`` of a document of ``kind``; 0 without feedback."""
        if section is not None:
            found = self._section.get((kind, skill_id, section))
            if found is not None:
                return found
        return self._skill.get((kind, skill_id), 0.0)


class FeedbackPriors:
    """The process's prior table: reloaded from the graph when ``refresh_s`` old or marked stale."""

    def __init__(self, load: Any, refresh_s: float = 60.0, config: PriorConfig = PriorConfig()) -> None:
        """``load``: a callable returning the rows of ``get_feedback_priors`` (it reads the graph)."""
        self._load = load
        self._refresh = refresh_s
        self._config = config
        self._table = FeedbackPriorTable((), config)
        self._loaded = -math.inf
        self._lock = threading.Lock()

    @classmethod
    def from_graph(cls, graph: Any, refresh_s: float = 60.0, config: PriorConfig = PriorConfig()) -> FeedbackPriors:
        from kgservice.graph.cypher import Query

        return cls(lambda: graph.read(Query.GET_FEEDBACK_PRIORS), refresh_s, config)

    def mark_stale(self) -> None:
        self._loaded = -math.inf

    def table(self) -> FeedbackPriorTable:
        """The current table, reloading it first when stale (in the caller's thread; one caller reloads)."""
        if time.monotonic() - self._loaded <= self._refresh:
            return self._table
        if not self._lock.acquire(blocking=False):
            return self._table  # another thread is reloading: score with the table at hand
        try:
            started = time.monotonic()
            self._table = FeedbackPriorTable(self._load(), self._config)
            self._loaded = started
        except Exception as exc:  # the graph is away: keep the last table, try again after refresh_s
            log.warning("feedback priors not reloaded (%s: %s); keeping %d skill priors",
                        type(exc).__name__, exc, len(self._table))
            self._loaded = started
        finally:
            self._lock.release()
        return self._table
