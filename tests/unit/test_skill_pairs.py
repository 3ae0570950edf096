"""Training pairs and the contrastive loss, on small in-memory fixtures."""

from __future__ import annotations

import random

import pytest

from kgservice.evaluation import Example
from kgservice.offline.skill_pairs import Pair, add_hard_negatives, alias_pairs, same_as_pairs, skillskape_pairs

NAMES = {"esco:py": "Python (computer programming)", "esco:java": "Java (computer programming)",
         "esco:mob": "develop mobile applications", "esco:ios": "iOS"}


def test_skillskape_pairs_one_per_gold_label() -> None:
    ex = Example("We build iPhone apps in Python", frozenset({"esco:mob", "esco:py"}))
    pairs = skillskape_pairs([ex], NAMES)
    assert [(p.positive, p.source) for p in pairs] == [("develop mobile applications", "skillskape"),
                                                        ("Python (computer programming)", "skillskape")]


def test_alias_pairs_skip_aliases_equal_to_the_label() -> None:
    rows = [{"id": "esco:py", "name": "Python (computer programming)",
             "aliases": ["python (computer programming)", "Python"]}]
    pairs = alias_pairs(rows, per_skill=5, rng=random.Random(0))
    assert [(p.anchor, p.positive) for p in pairs] == [("Python", "Python (computer programming)")]


def test_same_as_pairs_drop_unknown_ids() -> None:
    pairs = same_as_pairs([("Python", "esco:py"), ("Cobol", "esco:missing")], NAMES)
    assert [p.anchor for p in pairs] == ["Python"]


def test_hard_negative_is_the_best_ranked_non_gold_skill() -> None:
    pairs = [Pair("shipped iPhone apps", NAMES["esco:mob"], "esco:mob", "skillskape"),
             Pair("shipped iPhone apps", NAMES["esco:ios"], "esco:ios", "skillskape"),
             Pair("Python", NAMES["esco:py"], "esco:py", "alias")]

    def rank(texts: list[str]) -> list[list[str]]:
        return [["esco:ios", "esco:mob", "esco:java"] if t.startswith("shipped") else ["esco:py", "esco:java"]
                for t in texts]

    out = add_hard_negatives(pairs, rank, NAMES)
    # Both gold skills of the sentence are skipped; the first other skill is the negative.
    assert [p.negative for p in out] == [NAMES["esco:java"], NAMES["esco:java"], NAMES["esco:java"]]


def test_contrastive_loss_masks_duplicate_gold_labels() -> None:
    torch = pytest.importorskip("torch")
    from transformers import BertConfig, BertModel

    from kgservice.offline.contrastive import FinetuneConfig, contrastive_loss
    from kgservice.offline.torch_encoder import PooledEncoder

    class CharTokenizer:
        """Bytes as ids: enough to drive a tiny random BERT in a unit test."""

        def __call__(self, texts, padding, truncation, max_length, return_tensors):  # noqa: ANN001
            width = min(max_length, max(len(t) for t in texts))
            ids = torch.zeros(len(texts), width, dtype=torch.long)
            mask = torch.zeros_like(ids)
            for i, t in enumerate(texts):
                b = list(t.encode()[:width])
                ids[i, : len(b)] = torch.tensor(b)
                mask[i, : len(b)] = 1
            return {"input_ids": ids, "attention_mask": mask}

    torch.manual_seed(0)
    model = PooledEncoder(BertModel(BertConfig(vocab_size=256, hidden_size=16, num_hidden_layers=1,
                                               num_attention_heads=2, intermediate_size=32)))
    same = [Pair("a sentence", "label x", "x", "t"), Pair("a sentence", "label y", "y", "t")]
    loss = contrastive_loss(model, CharTokenizer(), same, FinetuneConfig(batch_size=2))
    assert torch.isfinite(loss)
    # Two gold labels of one anchor: each column is masked for the other row, so each row sees only
    # its own label and the loss is exactly zero.
    assert float(loss) == pytest.approx(0.0, abs=1e-6)
