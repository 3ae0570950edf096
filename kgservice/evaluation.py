"""Labelled development data and the metrics of the ESCO skill-linking literature.

Set metrics are micro-averaged over sentences; ranking metrics (R-Precision@K, MRR) use only the
sentences with at least one gold skill. See ``../shared/data/README.md`` for the data.
"""

from __future__ import annotations

import ast
import csv
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

SPECIAL = {"LABEL NOT PRESENT", "UNDERSPECIFIED", "UNK"}


@dataclass(frozen=True, slots=True)
class Example:
    sentence: str
    gold: frozenset[str]  # skill ids
    unmapped: tuple[str, ...] = ()  # gold labels no skill of the taxonomy carries


def label_resolver(skills: Sequence[Mapping[str, object]]) -> dict[str, str]:
    """Label -> skill id: preferred labels first, then alternative labels (ESCO renamed some)."""
    by_label: dict[str, str] = {}
    for s in skills:
        for alias in s.get("aliases") or ():  # type: ignore[union-attr]
            by_label.setdefault(str(alias).casefold(), str(s["id"]))
    for s in skills:
        by_label[str(s["name"]).casefold()] = str(s["id"])
    return by_label


def load_annotations(path: Path, resolve: Mapping[str, str]) -> list[Example]:
    """One example per distinct sentence of a ``*_validation_annotations.csv`` file, in file order."""
    gold: dict[str, list[str]] = {}
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            labels = gold.setdefault(row["sentence"], [])
            if row["label"] not in SPECIAL:
                labels.append(row["label"])
    return [_example(sentence, labels, resolve) for sentence, labels in gold.items()]


def load_skillskape(path: Path, resolve: Mapping[str, str]) -> list[Example]:
    out = []
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            labels = [x for x in ast.literal_eval(row["skills"]) if x not in SPECIAL]
            out.append(_example(row["sentence"], labels, resolve))
    return out


# Translated sets: SkillSkape sentences (MIT) with their gold labels, in English and five languages, one
# JSON object per line ({"index", "skills", "en", "de", "fr", "es", "nl", "pt"}). The check sets are dev
# sentences: the first 60 were there when the encoders and the multilingual cut were chosen; the other
# 100 were drawn (seed 2212) and translated after, and are the fresher measure.
_SKILLSKAPE = Path(__file__).resolve().parent / "resources" / "data" / "skillskape"
TRANSLATED_CHECK_SET = _SKILLSKAPE / "dev_translated.jsonl"
TRANSLATED_CHECK_SETS = (TRANSLATED_CHECK_SET, _SKILLSKAPE / "dev_translated_2.jsonl")


def read_translated(path: Path) -> tuple[list[str], list[dict[str, object]]]:
    """The languages a translated set holds, in the order of its first line, and its lines, every line checked.

    Raises:
        ValueError: The file is empty, or a line lacks a language another line has, or its ``skills`` list.
    """
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not rows:
        raise ValueError(f"{path} holds no sentences")
    languages = [k for k in rows[0] if k not in {"index", "skills"}]
    for n, row in enumerate(rows, 1):
        missing = [lang for lang in languages if not str(row.get(lang, "")).strip()]
        if missing or not isinstance(row.get("skills"), list):
            raise ValueError(f"{path}:{n} lacks {missing or 'its skills list'}")
    return languages, rows


def load_translated(path: Path, resolve: Mapping[str, str]) -> dict[str, list[Example]]:
    """Language code -> one example per line of ``path``, aligned across languages (line i is the same
    sentence, with the same gold labels, in every language). English first.

    Raises:
        ValueError: As :func:`read_translated`.
    """
    languages, rows = read_translated(path)
    out: dict[str, list[Example]] = {lang: [] for lang in sorted(languages, key=lambda k: (k != "en", k))}
    for row in rows:
        labels = [x for x in row["skills"] if x not in SPECIAL]
        for lang in languages:
            out[lang].append(_example(row[lang], labels, resolve))
    return out


def _example(sentence: str, labels: Sequence[str], resolve: Mapping[str, str]) -> Example:
    ids = {resolve[x.casefold()] for x in labels if x.casefold() in resolve}
    return Example(sentence, frozenset(ids), tuple(x for x in labels if x.casefold() not in resolve))


@dataclass(frozen=True, slots=True)
class Scores:
    precision: float
    recall: float
    f1: float
    rp1: float
    rp5: float
    rp10: float
    mrr: float


class Ranked(list[str]):
    """A ranking whose predicted *set* is narrower than the list (candidates below a cut rank too)."""

    def __init__(self, ranking: Sequence[str], selected: set[str]) -> None:
        super().__init__(ranking)
        self.selected = selected


def score(predictions: Sequence[Sequence[str]], examples: Sequence[Example], misses_unmapped: bool = True) -> Scores:
    """``predictions[i]`` is sentence i's skill ids, best first; the set is all of them, or
    ``.selected`` for a :class:`Ranked` list.

    ``misses_unmapped``: a gold label the taxonomy lacks stays in the gold set, as a miss no system
    can find (the published protocol, ``../shared/data/README.md``); False drops such labels.
    """
    tp = fp = fn = 0
    rp = {1: 0.0, 5: 0.0, 10: 0.0}
    mrr = 0.0
    ranked = 0
    for pred, ex in zip(predictions, examples, strict=True):
        pset = pred.selected if isinstance(pred, Ranked) else set(pred)
        missing = len(ex.unmapped) if misses_unmapped else 0
        tp += len(pset & ex.gold)
        fp += len(pset - ex.gold)
        fn += len(ex.gold - pset) + missing
        size = len(ex.gold) + missing
        if not size:
            continue
        ranked += 1
        for k in rp:
            rp[k] += len(set(pred[:k]) & ex.gold) / min(k, size)
        mrr += next((1.0 / (i + 1) for i, p in enumerate(pred) if p in ex.gold), 0.0)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    n = max(1, ranked)
    return Scores(precision, recall, f1, rp[1] / n, rp[5] / n, rp[10] / n, mrr / n)


# -- whole postings with span tags (SkillSpan) ---------------------------------------------------

# SkillSpan's tokens are pre-split ("Python , Java ( SQL )"); these join without a space, so a posting
# reads as written text, which is what the sectioner and the taggers expect.
_NO_SPACE_BEFORE = frozenset(",.;:!?)]}%'") | {"'s", "n't", "'re", "'ll", "'ve", "'m", "'d"}
_NO_SPACE_AFTER = frozenset("([{$")


@dataclass(frozen=True, slots=True)
class SpanPosting:
    """One whole posting: its text (sentences one per line) and its annotated skill/knowledge spans."""

    id: str
    source: str
    text: str
    spans: tuple[tuple[int, int], ...]
    sentences: tuple[tuple[int, int], ...]


def _bio_spans(tags: Sequence[str]) -> list[tuple[int, int]]:
    """Token ranges ``[start, end)`` of the B/I runs of one BIO tag sequence."""
    out: list[tuple[int, int]] = []
    start = None
    for i, tag in enumerate([*tags, "O"]):
        if tag.startswith("B") or tag == "O" or (tag.startswith("I") and start is None):
            if start is not None:
                out.append((start, i))
                start = None
            if tag != "O":
                start = i
    return out


def detokenize(tokens: Sequence[str]) -> tuple[str, list[tuple[int, int]]]:
    """Tokens joined as text, and each token's character offsets in it."""
    parts: list[str] = []
    offsets: list[tuple[int, int]] = []
    length = 0
    for i, token in enumerate(tokens):
        if i and token not in _NO_SPACE_BEFORE and tokens[i - 1] not in _NO_SPACE_AFTER:
            parts.append(" ")
            length += 1
        offsets.append((length, length + len(token)))
        parts.append(token)
        length += len(token)
    return "".join(parts), offsets


def load_skillspan(path: Path) -> list[SpanPosting]:
    """SkillSpan's sentences regrouped into postings, in file order; skill and knowledge spans together
    (both are what a skill extractor should find)."""
    import json

    grouped: dict[tuple[str, int], list[dict]] = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                grouped.setdefault((row["source"], int(row["idx"])), []).append(row)
    postings = []
    for (source, idx), rows in grouped.items():
        lines: list[str] = []
        spans: list[tuple[int, int]] = []
        sentences: list[tuple[int, int]] = []
        offset = 0
        for row in rows:
            text, offsets = detokenize(row["tokens"])
            if not text.strip():
                continue
            for tags in (row["tags_skill"], row["tags_knowledge"]):
                spans.extend((offset + offsets[a][0], offset + offsets[b - 1][1]) for a, b in _bio_spans(tags))
            sentences.append((offset, offset + len(text)))
            lines.append(text)
            offset += len(text) + 1
        postings.append(SpanPosting(f"{source}-{idx}", source, "\n".join(lines), tuple(sorted(set(spans))),
                                    tuple(sentences)))
    return postings


@dataclass(frozen=True, slots=True)
class SpanScores:
    """Span precision: share of predicted spans that overlap an annotated span; span recall: share of
    annotated spans that a predicted span overlaps (micro over postings). Overlap is lenient: a
    sentence-long span overlaps every mention in it, so ``char_*`` also measure how much of the marked
    text is skill text: the share of marked characters that lie in annotated spans, and of annotated
    characters that are marked (letters and digits only)."""

    precision: float
    recall: float
    f1: float
    predicted: int
    gold: int
    char_precision: float = 0.0
    char_recall: float = 0.0

    @property
    def char_f1(self) -> float:
        p, r = self.char_precision, self.char_recall
        return 2 * p * r / (p + r) if p + r else 0.0


def _overlaps(span: tuple[int, int], others: Sequence[tuple[int, int]]) -> bool:
    return any(span[0] < b and a < span[1] for a, b in others)


def span_scores(predicted: Sequence[Sequence[tuple[int, int]]], postings: Sequence[SpanPosting]) -> SpanScores:
    """``predicted[i]``: the character spans a system marked in posting i (each once)."""
    hit_pred = n_pred = hit_gold = n_gold = 0
    marked = annotated = both = 0
    for spans, posting in zip(predicted, postings, strict=True):
        spans = sorted(set(spans))
        n_pred += len(spans)
        hit_pred += sum(_overlaps(s, posting.spans) for s in spans)
        n_gold += len(posting.spans)
        hit_gold += sum(_overlaps(g, spans) for g in posting.spans)
        pred_chars, gold_chars = _chars(posting.text, spans), _chars(posting.text, posting.spans)
        marked += len(pred_chars)
        annotated += len(gold_chars)
        both += len(pred_chars & gold_chars)
    precision = hit_pred / n_pred if n_pred else 0.0
    recall = hit_gold / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return SpanScores(precision, recall, f1, n_pred, n_gold, both / marked if marked else 0.0,
                      both / annotated if annotated else 0.0)


def _chars(text: str, spans: Sequence[tuple[int, int]]) -> set[int]:
    return {i for a, b in spans for i in range(a, b) if text[i].isalnum()}
