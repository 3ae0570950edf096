"""The classifier that labels header-less text: blocks, features, naive Bayes and a Viterbi pass.

Text before the first header, under a header the rules don't know, or in documents without headers is
cut into line blocks; a multinomial naive Bayes model labels each block and a Viterbi pass over the
domain's kind-to-kind transitions smooths the labels, so one odd line does not split a section. The
model is a small JSON file of integer counts, ``kgservice/resources/sectioner_model.json``, rebuilt
deterministically by ``python -m kgservice.offline.sectioner_training`` (:mod:`kgservice.offline.sectioner_training`).
"""

from __future__ import annotations

import functools
import importlib.resources
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

import numpy as np

from kgservice.document import Domain
from kgservice.pipeline.section_headers import BULLET, LINE
from kgservice.text_normalizer import fold

# ---------------------------------------------------------------------------------------------
# Classifier: blocks, features, naive Bayes + Viterbi

_WORD = re.compile(r"[^\W_]+")
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+")
_MAX_BLOCK_CHARS = 400
_MAX_TOKENS = 120
# Each cue's pattern, and the substrings of which a match must contain one (in the lowercased text;
# _DIGIT: a digit; None: no guard). Python's regex engine tries every start position, ~10-40 us
# per pattern and block on these machines, and a block rarely has a cue, so where a guard holds no
# substring the pattern cannot match and is not run. Guards are read off the patterns by hand and
# only hold for ASCII text (case-insensitive matching folds a few non-ASCII letters onto ASCII
# ones, e.g. the Kelvin sign onto k), so other text runs every pattern; tests/unit/test_sectioner.py
# checks the guarded features against the unguarded ones.
_DIGIT = "<digit>"
_CUES: tuple[tuple[str, re.Pattern[str], tuple[str, ...] | None], ...] = (
    ("years", re.compile(r"\b\d+\s*\+?\s*(?:-\s*\d+\s*)?(?:years?|yrs)\b", re.I), (_DIGIT,)),
    ("date_range", re.compile(
        r"\b(?:19|20)\d\d\s*(?:-|–|—|to)\s*(?:(?:19|20)\d\d|present|current|now|today)\b"
        r"|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(?:19|20)\d\d\b", re.I), (_DIGIT,)),
    ("year", re.compile(r"\b(?:19|20)\d\d\b"), (_DIGIT,)),
    ("degree", re.compile(
        r"\b(?:bachelor|master|phd|ph\.d|mba|b\.?sc|m\.?sc|b\.?a\.|m\.?a\.|degree|diploma|university|college)\b",
        re.I), ("bachelor", "master", "phd", "ph.d", "mba", "sc", "a.", "degree", "diploma", "university", "college")),
    ("we_offer", re.compile(r"\b(?:we offer|you(?:'|’)ll get|we provide|we give|you will receive)\b", re.I),
     ("we offer", "ll get", "we provide", "we give", "you will receive")),
    ("money", re.compile(r"[$€£¥]\s*\d|\b\d+k\b|\bsalary\b|\bper (?:hour|year|annum)\b", re.I),
     (_DIGIT, "salary", "per ")),
    ("we", re.compile(r"\b(?:we|our|us)\b", re.I), ("we", "our", "us")),
    ("you_will", re.compile(r"\byou(?:'|’)?ll\b|\byou will\b", re.I), ("you",)),
    ("you_have", re.compile(r"\byou (?:have|are|bring|know)\b|\bexperience (?:in|with)\b", re.I),
     ("you ", "experience ")),
    ("i", re.compile(r"\b(?:i|my|me)\b"), None),
    ("email", re.compile(r"\S+@\S+\.\w+|\+?\d[\d ()-]{7,}\d|linkedin\.com|github\.com", re.I),
     ("@", _DIGIT, "linkedin.com", "github.com")),
    ("certified", re.compile(r"\bcertifi(?:ed|cate|cation)\b|\blicen[sc]e", re.I), ("certifi", "licen")),
    ("plus", re.compile(r"\b(?:a plus|is a plus|bonus|nice to have|preferred|desirable|ideally)\b", re.I),
     ("a plus", "bonus", "nice to have", "preferred", "desirable", "ideally")),
    ("will_learn", re.compile(r"\b(?:learn|students will|learners will|be able to|understand)\b", re.I),
     ("learn", "students will", "be able to", "understand")),
    ("pipe", re.compile(r"[|·•,;]"), None),
)
_ANY_DIGIT = re.compile(r"\d")


def _cues(head: str) -> list[str]:
    """The names of the cues found in ``head``."""
    if not head.isascii():
        return [name for name, pattern, _ in _CUES if pattern.search(head)]
    low = head.lower()
    digit = _ANY_DIGIT.search(head) is not None
    return [name for name, pattern, guard in _CUES
            if (guard is None or any(digit if g is _DIGIT else g in low for g in guard)) and pattern.search(head)]


def _stem(token: str) -> str:
    # Crude on purpose: only has to group "requirements"/"requirement" for a small training set.
    if token.isdigit():
        return "<num>"
    if len(token) > 4 and token.endswith("s") and not token.endswith("ss"):
        return token[:-1]
    return token


def block_features(block: str, rel_pos: float) -> list[str]:
    """Bag of features of one block: unigrams, bigrams, layout and cue flags, position."""
    stripped = block.strip()
    tokens = [_stem(t) for t in _WORD.findall(fold(stripped[:2000]))][:_MAX_TOKENS]
    feats = list(tokens)
    feats.extend(f"{a}_{b}" for a, b in zip(tokens, tokens[1:]))
    if tokens:
        feats.append(f"^{tokens[0]}")
    n = len(tokens)
    feats.append("#len:" + ("1" if n <= 1 else "short" if n <= 4 else "mid" if n <= 12 else "long"))
    if BULLET.match(stripped):
        feats.append("#bullet")
    if stripped.endswith(":"):
        feats.append("#colon")
    if stripped.endswith("."):
        feats.append("#period")
    feats.extend("#" + name for name in _cues(stripped[:2000]))
    feats.append(f"#pos{min(int(rel_pos * 5), 4)}")
    return feats


def text_blocks(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Cuts ``text[start:end]`` into line blocks that tile it exactly.

    Blank lines join the block above; overlong lines are cut at sentence ends so one paragraph
    can change kind mid-way (resumes and course blurbs are often one long line per section).
    """
    spans: list[tuple[int, int]] = []
    pos = start
    while pos < end:
        m = LINE.match(text, pos, end)
        assert m is not None
        line_end = m.end() if m.end() > pos else end
        if text[pos:line_end].strip():
            if line_end - pos > _MAX_BLOCK_CHARS:
                spans.extend(_sentence_blocks(text, pos, line_end))
            else:
                spans.append((pos, line_end))
        elif spans:
            spans[-1] = (spans[-1][0], line_end)
        else:
            spans.append((pos, line_end))
        pos = line_end
    # Leading blank lines belong to the first block with text.
    if len(spans) > 1 and not text[spans[0][0] : spans[0][1]].strip():
        spans[1] = (spans[0][0], spans[1][1])
        del spans[0]
    return spans


def _sentence_blocks(text: str, start: int, end: int) -> list[tuple[int, int]]:
    cuts = [start]
    for m in _SENTENCE_END.finditer(text, start, end):
        if m.end() - cuts[-1] >= 40:
            cuts.append(m.end())
    # Text without sentence ends (a 2 MB blob) still gets bounded blocks.
    out: list[tuple[int, int]] = []
    for a, b in zip(cuts, [*cuts[1:], end]):
        while b - a > 4 * _MAX_BLOCK_CHARS:
            out.append((a, a + 2 * _MAX_BLOCK_CHARS))
            a += 2 * _MAX_BLOCK_CHARS
        if b > a:
            out.append((a, b))
    return out


@dataclass(frozen=True, slots=True)
class _DomainModel:
    """Naive Bayes log-probabilities plus kind transitions for one domain."""

    kinds: tuple[str, ...]
    vocab: Mapping[str, int]
    log_likelihood: np.ndarray  # (features, kinds)
    log_prior: np.ndarray  # (kinds,)
    log_start: np.ndarray  # (kinds,)
    log_trans: np.ndarray  # (kinds, kinds), from row to column
    emission_scale: float

    @classmethod
    def from_counts(cls, data: Mapping[str, object]) -> _DomainModel:
        kinds = tuple(data["kinds"])  # type: ignore[arg-type]
        k = len(kinds)
        alpha = float(data["alpha"])  # type: ignore[arg-type]
        counts: Mapping[str, list[int]] = data["counts"]  # type: ignore[assignment]
        vocab = {f: i for i, f in enumerate(sorted(counts))}
        matrix = np.zeros((len(vocab), k))
        for feat, pairs in counts.items():
            row = vocab[feat]
            for j in range(0, len(pairs), 2):
                matrix[row, pairs[j]] = pairs[j + 1]
        totals = matrix.sum(axis=0)
        log_likelihood = np.log(matrix + alpha) - np.log(totals + alpha * len(vocab))
        blocks = np.asarray(data["block_counts"], dtype=float) + 1.0
        start = np.asarray(data["start_counts"], dtype=float) + 1.0
        trans = np.asarray(data["transition_counts"], dtype=float) + 1.0
        return cls(
            kinds=kinds,
            vocab=vocab,
            log_likelihood=log_likelihood,
            log_prior=np.log(blocks / blocks.sum()),
            log_start=np.log(start / start.sum()),
            log_trans=np.log(trans / trans.sum(axis=1, keepdims=True)),
            emission_scale=float(data["emission_scale"]),  # type: ignore[arg-type]
        )

    def emissions(self, feature_lists: Sequence[Sequence[str]]) -> np.ndarray:
        """Per-block log-scores over kinds, scaled so long blocks don't drown the transitions."""
        out = np.empty((len(feature_lists), len(self.kinds)))
        for i, feats in enumerate(feature_lists):
            rows = [self.vocab[f] for f in feats if f in self.vocab]
            score = self.log_likelihood[rows].sum(axis=0) if rows else np.zeros(len(self.kinds))
            out[i] = self.log_prior + self.emission_scale * score / math.sqrt(max(len(rows), 1))
        return out

    def decode(self, feature_lists: Sequence[Sequence[str]]) -> list[str]:
        """Most likely kind per block (Viterbi over the learned kind transitions)."""
        if not feature_lists:
            return []
        emit = self.emissions(feature_lists)
        n, k = emit.shape
        back = np.zeros((n, k), dtype=np.int64)
        score = self.log_start + emit[0]
        for i in range(1, n):
            cand = score[:, None] + self.log_trans
            back[i] = cand.argmax(axis=0)
            score = cand[back[i], np.arange(k)] + emit[i]
        path = [int(score.argmax())]
        for i in range(n - 1, 0, -1):
            path.append(int(back[i, path[-1]]))
        path.reverse()
        return [self.kinds[j] for j in path]


MODEL_VERSION = 1


def default_model_path() -> Path:
    """Path of the committed model, next to the package's other resources."""
    return Path(str(importlib.resources.files("kgservice") / "resources" / "sectioner_model.json"))


@functools.lru_cache(maxsize=4)
def load_model(path: str | None = None) -> Mapping[Domain, _DomainModel]:
    """Loads (once per process and path) the classifier for each domain that has one."""
    raw = json.loads(Path(path or default_model_path()).read_text(encoding="utf-8"))
    if raw.get("version") != MODEL_VERSION:
        raise ValueError(f"sectioner model version {raw.get('version')} != {MODEL_VERSION}; rerun training")
    return MappingProxyType({Domain(d): _DomainModel.from_counts(m) for d, m in raw["domains"].items()})
