"""Finds where a text names a skill or a piece of knowledge, before any taxonomy is consulted.

Requires: ``sections``, ``spans.trie_tagger``. Assigns: ``mentions``.

A label trie and a sentence encoder both answer "which skill?"; neither knows whether a stretch of
text is a skill mention at all: "learning budget" under Benefits, "ping pong table", "payment
software for banks" in the company blurb all contain skill words. The detector is a token tagger
(BIO over word pieces) trained on SkillSpan's human span annotations of whole postings
(``kgservice models train-mentions``, :mod:`kgservice.offline.mention_training`): the static sentence
tower's word-piece rows, projected and folded into one int8 table, plus a word-shape feature (case,
digits, word start, sentence start) and whether the trie matched a skill label (1) or alias (2) over
the piece, then dilated 1-d convolutions (a receptive field of about 15 pieces) and a 3-way softmax.
The trie flag carries what SkillSpan's 140 postings cannot teach about every field ("wound care",
"medication administration" are Lightcast labels); the network learns when a label match is a
mention and when it is an everyday word. It runs in ONNX Runtime like the other models; a posting
costs about a millisecond.

Sentences are cut as the semantic tagger cuts them (:func:`kgservice.pipeline.embedding_tagger.sentences`),
header lines left out. A word is inside a mention when its first piece's probability of "outside"
is below ``threshold``; a mention starts at a word whose "begin" beats "inside", or after a word
outside. Its score is the mean inside-probability of its words.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kgservice.document import Document, Mention, SkillSpan
from kgservice.errors import ArtifactMissing
from kgservice.pipeline.base import StageBase, batches

MODEL_ID = "kgservice-mentions"
MODEL_FILE = "model.onnx"
LABELS = ("O", "B", "I")
DEFAULT_THRESHOLD = 0.5
MAX_PIECES = 256
# Word shapes: case class (6) x word start (2) x first word of its sentence (2), and one for padding.
CASES = 6
PAD_SHAPE = CASES * 4
SHAPES = PAD_SHAPE + 1
# Trie flags: none, inside a label match, inside an alias-only match.
TRIE_FLAGS = 3


def case_class(word: str) -> int:
    """0 lower, 1 Title (or one capital), 2 UPPER, 3 mIxEd, 4 has a digit, 5 no letter or digit."""
    if any(c.isdigit() for c in word):
        return 4
    letters = [c for c in word if c.isalpha()]
    if not letters:
        return 5
    if all(c.islower() for c in letters):
        return 0
    if letters[0].isupper() and all(c.islower() for c in letters[1:]):
        return 1
    if all(c.isupper() for c in letters):
        return 2 if len(letters) > 1 else 1
    return 3


@dataclass(frozen=True, slots=True)
class Pieces:
    """One sentence's word pieces: ids, shapes, each piece's character offsets and whether it starts a word."""

    ids: np.ndarray
    shapes: np.ndarray
    offsets: list[tuple[int, int]]
    word_start: list[bool]


def pieces(encoding: Any, text: str, base: int = 0) -> Pieces:
    """Word pieces of ``text`` (a ``tokenizers`` encoding with offsets, special tokens included);
    offsets are shifted by ``base`` into the document."""
    ids = np.asarray(encoding.ids, dtype=np.int64)
    offsets = [(base + a, base + b) for a, b in encoding.offsets]
    tokens = encoding.tokens
    starts = [not t.startswith("##") for t in tokens]
    shapes = np.zeros(len(ids), dtype=np.int64)
    word = -1
    i = 0
    while i < len(ids):
        j = i + 1
        while j < len(ids) and not starts[j]:
            j += 1
        a, b = encoding.offsets[i][0], encoding.offsets[j - 1][1]
        if b > a:
            word += 1
        case = case_class(text[a:b]) if b > a else 5
        first_word = 1 if word == 0 and b > a else 0
        for k in range(i, j):
            shapes[k] = case + CASES * (1 if k == i else 0) + 2 * CASES * first_word
        i = j
    return Pieces(ids, shapes, offsets, [s and b > a for s, (a, b) in zip(starts, encoding.offsets, strict=True)])


def trie_flags(p: Pieces, spans: Sequence[SkillSpan]) -> np.ndarray:
    """Per piece: 1 inside a trie match of a skill label (with or without its qualifier), 2 inside an
    alias-only match, else 0. ``spans`` are the trie's spans, sorted by start."""
    flags = np.zeros(len(p.ids), np.int64)
    if not spans:
        return flags
    starts = [s.start for s in spans]
    for k, (a, b) in enumerate(p.offsets):
        if b <= a:
            continue
        i = bisect_right(starts, a) - 1
        best = 0
        while i >= 0 and starts[i] > a - 200:
            span = spans[i]
            if span.start <= a and b <= span.end:
                best = 1 if span.score >= 0.9 else (best or 2)
                if best == 1:
                    break
            i -= 1
        flags[k] = best
    return flags


def decode(probs: np.ndarray, p: Pieces, threshold: float) -> list[tuple[int, int, float]]:
    """Mentions ``(start, end, score)`` from one sentence's per-piece probabilities ``[pieces, 3]``."""
    out: list[tuple[int, int, float]] = []
    current: list[int] | None = None  # start, end, and the word count go in the score list below
    scores: list[float] = []
    starts = [k for k, s in enumerate(p.word_start) if s]
    for n, k in enumerate(starts):
        inside = 1.0 - float(probs[k, 0])
        end_piece = starts[n + 1] - 1 if n + 1 < len(starts) else len(p.word_start) - 1
        while end_piece > k and p.offsets[end_piece][1] <= p.offsets[end_piece][0]:
            end_piece -= 1  # a trailing special token
        if inside < 1.0 - threshold:
            if current is not None:
                out.append((current[0], current[1], sum(scores) / len(scores)))
                current, scores = None, []
            continue
        begins = probs[k, 1] >= probs[k, 2]
        if current is not None and begins:
            out.append((current[0], current[1], sum(scores) / len(scores)))
            current, scores = None, []
        if current is None:
            current = [p.offsets[k][0], p.offsets[end_piece][1]]
        else:
            current[1] = p.offsets[end_piece][1]
        scores.append(inside)
    if current is not None:
        out.append((current[0], current[1], sum(scores) / len(scores)))
    return out


_EDGE_PUNCTUATION = ",;:.()[]{}\"'/-–—•*"
# Words a span may start or end with that belong to the sentence, not to the skill ("continuous
# integration and", "of Python").
_EDGE_WORDS = frozenset({"and", "or", "&", "with", "of", "the", "a", "an", "in", "on", "for", "to", "as", "e.g", "etc"})


def trim(text: str, start: int, end: int) -> tuple[int, int] | None:
    """``[start, end)`` without edge punctuation and connecting words; None when nothing is left that
    has a letter or digit (a lone comma the tagger kept between two mentions)."""
    while True:
        while start < end and (text[start].isspace() or text[start] in _EDGE_PUNCTUATION):
            start += 1
        while end > start and (text[end - 1].isspace() or text[end - 1] in _EDGE_PUNCTUATION):
            end -= 1
        words = text[start:end].split()
        if len(words) > 1 and words[-1].lower() in _EDGE_WORDS:
            end = start + text[start:end].rstrip().rfind(words[-1])
            continue
        if len(words) > 1 and words[0].lower() in _EDGE_WORDS:
            start += len(text[start:end]) - len(text[start:end].lstrip()) + len(words[0])
            continue
        break
    return (start, end) if any(c.isalnum() for c in text[start:end]) else None


def load_tokenizer(path: Path) -> Any:
    """The detector's word-piece tokenizer: no padding, truncation at :data:`MAX_PIECES`."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(path))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=MAX_PIECES)
    return tokenizer


def document_sentences(doc: Document) -> list[tuple[int, int, str | None]]:
    """The sentences the detector reads, with their section kind: every section's, header lines left out."""
    from kgservice.pipeline.embedding_tagger import sentences

    regions: list[tuple[int, int, str | None]] = []
    for section in doc.sections or ():
        start = section.start
        if section.header is not None and section.start <= section.header[0] < section.end:
            start = max(start, min(section.header[1], section.end))
        regions.append((start, section.end, section.kind))
    if not doc.sections:
        regions.append((0, len(doc.text), None))
    return [(a, b, kind) for start, end, kind in regions for a, b in sentences(doc.text, start, end)]


class MentionDetector(StageBase):
    """Marks skill and knowledge mentions. Requires: sections, spans.trie_tagger. Assigns: mentions.

    Args:
        session: ONNX Runtime session of the detector (inputs ``input_ids``, ``shape_ids``, ``trie_ids``;
            output ``probs``).
        tokenizer: The detector's ``tokenizers.Tokenizer`` (the static tower's vocabulary).
        threshold: A word is in a mention when its probability of "outside" is below this.
        max_batch_pieces: Padded pieces per ONNX run.
    """

    name = "mention_detector"
    requires = frozenset({"sections", "spans.trie_tagger"})
    assigns = frozenset({"mentions"})

    def __init__(self, session: Any, tokenizer: Any, threshold: float = DEFAULT_THRESHOLD,
                 max_batch_pieces: int = 4096, model_id: str = MODEL_ID) -> None:
        self._session = session
        self._tokenizer = tokenizer
        self.threshold = threshold
        self.max_batch_pieces = max_batch_pieces
        self.model_id = model_id

    @classmethod
    def load(cls, model_dir: Path, threshold: float | None = None, threads: int | None = None) -> MentionDetector:
        """Open ``model_dir`` (``manifest.json``, ``model.onnx``, ``tokenizer.json``).

        Raises:
            ArtifactMissing: A file is missing (names the command that makes it).
        """
        from kgservice.inference.onnx_encoder import onnxruntime_module

        needed = [model_dir / name for name in ("manifest.json", MODEL_FILE, "tokenizer.json")]
        for path in needed:
            if not path.exists():
                raise ArtifactMissing(f"mention detector file {path} is missing: run `kgservice models train-mentions` "
                                      "(or set KG_PIPELINE__MENTIONS=false)")
        manifest = json.loads(needed[0].read_text())
        tokenizer = load_tokenizer(needed[2])
        ort = onnxruntime_module("the mention detector")
        options = ort.SessionOptions()
        options.inter_op_num_threads = 1
        if threads is not None:
            options.intra_op_num_threads = threads
        session = ort.InferenceSession(str(needed[1]), sess_options=options, providers=["CPUExecutionProvider"])
        fitted = manifest.get("threshold", DEFAULT_THRESHOLD)
        return cls(session, tokenizer, float(fitted if threshold is None else threshold), model_id=manifest["model_id"])

    # -- compute ----------------------------------------------------------------------------------
    def predict(self, batch: Sequence[Pieces], flags: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Per sentence: ``[pieces, 3]`` probabilities of outside / begin / inside."""
        out: list[np.ndarray] = [np.zeros((0, 3), np.float32)] * len(batch)
        order = sorted(range(len(batch)), key=lambda i: -len(batch[i].ids))
        lo = 0
        while lo < len(order):
            width = max(1, len(batch[order[lo]].ids))
            rows = max(1, min(len(order) - lo, self.max_batch_pieces // width))
            idx = order[lo:lo + rows]
            lo += rows
            ids = np.zeros((rows, width), np.int64)
            shapes = np.full((rows, width), PAD_SHAPE, np.int64)
            tries = np.zeros((rows, width), np.int64)
            for r, i in enumerate(idx):
                n = len(batch[i].ids)
                ids[r, :n] = batch[i].ids
                shapes[r, :n] = batch[i].shapes
                tries[r, :n] = flags[i]
            (probs,) = self._session.run(["probs"], {"input_ids": ids, "shape_ids": shapes, "trie_ids": tries})
            for r, i in enumerate(idx):
                out[i] = probs[r, :len(batch[i].ids)]
        return out

    # -- stage interface --------------------------------------------------------------------------
    def __call__(self, doc: Document) -> Document:
        return next(self.pipe([doc]))

    def pipe(self, docs: Iterable[Document], batch_size: int = 32) -> Iterator[Document]:
        import dataclasses

        for group in batches(docs, batch_size):
            located = [document_sentences(doc) for doc in group]
            flat = [(doc, a, b, kind) for doc, spans in zip(group, located, strict=True) for a, b, kind in spans]
            encodings = self._tokenizer.encode_batch([doc.text[a:b] for doc, a, b, _ in flat])
            batch = [pieces(enc, doc.text[a:b], a) for enc, (doc, a, b, _) in zip(encodings, flat, strict=True)]
            trie = {id(doc): sorted(doc.spans.get("trie_tagger", ()), key=lambda s: s.start) for doc in group}
            probs = self.predict(batch, [trie_flags(p, trie[id(doc)]) for p, (doc, *_) in zip(batch, flat, strict=True)])
            found: dict[int, list[Mention]] = {id(doc): [] for doc in group}
            for (doc, _, _, kind), p, pr in zip(flat, batch, probs, strict=True):
                for start, end, score in decode(pr, p, self.threshold):
                    kept = trim(doc.text, start, end)
                    if kept is not None:
                        found[id(doc)].append(Mention(*kept, doc.text[kept[0]:kept[1]], round(score, 4), kind))
            for doc in group:
                yield dataclasses.replace(doc, mentions=tuple(found[id(doc)]))
