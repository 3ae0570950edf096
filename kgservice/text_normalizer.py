"""Turns text and skill labels into the same comparable token sequence.

The trie tagger and the cross-taxonomy SAME_AS linking both depend on labels and text being
normalized identically, so there is exactly one implementation. Tokens keep their character
offsets into the original text so spans always point at what the user wrote.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

# A token is a run of letters/digits that may carry internal dots ("node.js", "asp.net"), a
# leading dot (".net") or trailing "+"/"#" ("c++", "c#"). Hyphens, slashes and apostrophes split,
# so "problem-solving" matches the label "problem solving".
_TOKEN = re.compile(r"(?:(?<![\w.])\.(?=[^\W_]))?[^\W_]+(?:\.[^\W_]+)*[+#]*")
_PARENTHETICAL = re.compile(r"\s*[(\[][^)\]]*[)\]]")
# Words whose trailing "s"/"ed"/"ing" is part of the word, not an inflection.
_KEEP = frozenset(
    {"aws", "sas", "ios", "js", "css", "os", "analysis", "ethics", "physics", "mathematics", "statistics",
     "logistics", "economics", "business", "linux", "windows", "news", "series", "kubernetes", "pandas",
     "redis", "jenkins", "express", "less", "sass", "devops", "mlops", "ops", "graphics", "robotics",
     "electronics", "analytics", "mechanics", "dynamics", "genomics", "ergonomics", "aesthetics"}
)


class Token(NamedTuple):
    """A word of the text: its normalized form and where it is (``text[start:end] == raw``).

    A named tuple rather than a dataclass: a posting has hundreds of tokens and a frozen
    dataclass's ``__init__`` (one object.__setattr__ per field) was a large share of the trie tagger's time.
    """

    norm: str
    start: int
    end: int
    raw: str


def fold(text: str) -> str:
    """Case-fold and strip diacritics, keeping the string's length stable for ASCII input."""
    if text.isascii():  # nothing to decompose: most text, and the per-character pass below is most of the cost
        return text.casefold()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


# Word frequencies are Zipfian: a bounded cache answers most tokens of a posting without the
# unicode decomposition, and the function is pure, so sharing it across threads is safe.
@lru_cache(maxsize=1 << 17)
def normalize_token(token: str) -> str:
    """Fold case and reduce simple plural and verb inflections to a shared stem.

    This is deliberately light: both labels and text go through it, so it only has to be
    consistent, not linguistically correct.
    """
    t = fold(token)
    if not t.isalpha() or len(t) <= 3 or t in _KEEP:
        return t
    if t.endswith("ies") and len(t) > 4:
        return t[:-3] + "y"
    if t.endswith(("sses", "shes", "ches", "xes", "zes")):
        return t[:-2]
    if t.endswith("ing") and len(t) > 5:
        t = t[:-3]
    elif t.endswith("ed") and len(t) > 5:
        t = t[:-2]
    elif t.endswith("s") and not t.endswith(("ss", "us", "is")):
        t = t[:-1]
    # "programming" -> "programm" -> "program", "planned" -> "plann" -> "plan".
    if len(t) > 3 and t[-1] == t[-2] and t[-1] not in "aeiouls" and t != fold(token):
        t = t[:-1]
    if t.endswith("e") and len(t) > 4:
        t = t[:-1]
    return t


def tokenize(text: str) -> list[Token]:
    """Split text into normalized tokens with their offsets in ``text``."""
    tokens = []
    make = tuple.__new__  # skips NamedTuple.__new__'s Python frame, once per token
    for m in _TOKEN.finditer(text):
        raw = m.group()
        start, end = m.span()
        tokens.append(make(Token, (normalize_token(raw), start, end, raw)))
    return tokens


def label_key(label: str) -> tuple[str, ...]:
    """The normalized token tuple a label is indexed under."""
    return tuple(t.norm for t in tokenize(label))


def label_keys(label: str) -> set[tuple[str, ...]]:
    """Keys for a label, with and without a trailing qualifier such as "(computer programming)"."""
    keys = {label_key(label)}
    stripped = _PARENTHETICAL.sub("", label).strip()
    if stripped and stripped != label:
        keys.add(label_key(stripped))
    keys.discard(())
    return keys
