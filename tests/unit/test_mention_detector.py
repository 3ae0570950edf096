from __future__ import annotations

import numpy as np
import pytest

from kgservice.document import Document, Domain, Section
from kgservice.pipeline.mention_detector import CASES, case_class, decode, document_sentences, pieces


@pytest.mark.parametrize(("word", "expected"), [("python", 0), ("Python", 1), ("A", 1), ("SQL", 2), ("iOS", 3),
                                                ("JavaScript", 3), ("k8s", 4), ("3+", 4), ("(", 5), ("—", 5)])
def test_mention_detector_case_class(word: str, expected: int) -> None:
    assert case_class(word) == expected


class FakeEncoding:
    """What ``tokenizers`` returns for "[CLS] Kubernetes and SQL [SEP]" split into word pieces."""

    def __init__(self, text: str, words: list[list[str]]) -> None:
        self.tokens, self.offsets, self.ids = ["[CLS]"], [(0, 0)], [101]
        cursor = 0
        for word in words:
            start = text.lower().index(word[0], cursor)
            for piece in word:
                bare = piece[2:] if piece.startswith("##") else piece
                self.tokens.append(piece)
                self.offsets.append((start, start + len(bare)))
                self.ids.append(1000 + len(self.ids))
                start += len(bare)
            cursor = start
        self.tokens.append("[SEP]")
        self.offsets.append((0, 0))
        self.ids.append(102)


def test_mention_detector_pieces_shapes_and_word_starts() -> None:
    text = "Kubernetes and SQL"
    enc = FakeEncoding(text, [["ku", "##ber", "##netes"], ["and"], ["sql"]])
    p = pieces(enc, text, base=10)
    assert p.word_start == [False, True, False, False, True, True, False]
    assert p.offsets[1] == (10, 12) and p.offsets[3] == (15, 20)
    # "Kubernetes": Title case, first word of the sentence; its pieces share the case, only the first starts a word.
    assert p.shapes[1] == 1 + CASES + 2 * CASES and p.shapes[2] == 1 + 2 * CASES
    assert p.shapes[5] == 2 + CASES  # "SQL": upper case, word start, not the first word


def test_mention_detector_decode_begin_inside_outside() -> None:
    text = "Kubernetes and SQL"
    p = pieces(FakeEncoding(text, [["ku", "##ber", "##netes"], ["and"], ["sql"]]), text)
    o, b, i = [0.9, 0.05, 0.05], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6]
    probs = np.array([o, b, i, i, o, b, o], dtype=np.float32)
    assert [(text[s:e], round(sc, 2)) for s, e, sc in decode(probs, p, 0.5)] == [("Kubernetes", 0.9), ("SQL", 0.9)]
    # "and" inside too: one mention over all three words, since "SQL" continues it.
    probs[4], probs[5] = i, i
    assert [text[s:e] for s, e, _ in decode(probs, p, 0.5)] == ["Kubernetes and SQL"]
    assert decode(probs, p, 0.05) == []  # nothing is below 5% "outside"


def test_mention_detector_reads_sections_without_their_headers() -> None:
    text = "Requirements\nPython and SQL.\nBenefits\nA gym."
    doc = Document(text, Domain.JOB, sections=(Section("qualifications", 0, 29, header=(0, 12)),
                                               Section("benefits", 29, len(text), header=(29, 37))))
    found = [(text[a:b], kind) for a, b, kind in document_sentences(doc)]
    assert found == [("Python and SQL", "qualifications"), ("A gym", "benefits")]


def test_mention_detector_trie_flags_mark_label_and_alias_matches() -> None:
    from kgservice.document import Method, SkillSpan
    from kgservice.pipeline.mention_detector import trie_flags

    text = "Kubernetes and SQL"
    p = pieces(FakeEncoding(text, [["ku", "##ber", "##netes"], ["and"], ["sql"]]), text)
    spans = [SkillSpan(0, 10, "Kubernetes", "l:k8s", Method.TRIE, 1.0), SkillSpan(15, 18, "SQL", "e:db", Method.TRIE, 0.8)]
    assert trie_flags(p, spans).tolist() == [0, 1, 1, 1, 0, 2, 0]
    assert trie_flags(p, []).tolist() == [0] * 7
