"""Cursor pagination for lists that can run past ``MAX_FIRST`` items.

A cursor is opaque to clients: the base64 of ``o:<offset>``, the position after the page it ends.
``first`` + ``after`` fetch the next page and ``pageInfo.hasNextPage`` says whether there is one (the
query fetches one item more than it returns). Offsets suit these lists: each is ranked by a stable
key (score then id, or name then id), and a client paging through keeps to one ranking.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import strawberry

from kgservice.api.limits import bad_input

# Deepest position a cursor may point to: each page reads the items before it again.
MAX_OFFSET = 10_000
_PREFIX = "o:"

T = TypeVar("T")


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"{_PREFIX}{offset}".encode()).decode()


def decode_cursor(cursor: str | None, name: str = "after") -> int:
    """The offset a cursor points to; 0 for none. A cursor this API did not make is BAD_USER_INPUT."""
    if cursor is None:
        return 0
    try:
        raw = base64.urlsafe_b64decode(cursor.encode("ascii")).decode("ascii")
    except (binascii.Error, UnicodeError, ValueError):
        raw = ""
    digits = raw[len(_PREFIX):] if raw.startswith(_PREFIX) else ""
    if not digits.isdigit() or int(digits) > MAX_OFFSET:
        raise bad_input(f"`{name}` is not a cursor this API returned (or points past {MAX_OFFSET} items)")
    return int(digits)


@strawberry.type(description="Where a page ends: pass endCursor as `after` for the next page.")
class PageInfo:
    end_cursor: str | None
    has_next_page: bool


@dataclass(frozen=True, slots=True)
class Window(Generic[T]):
    """One page cut from the items a query returned for ``offset + first + 1``."""

    items: list[T]
    page_info: PageInfo

    @classmethod
    def cut(cls, rows: Sequence[T], offset: int, first: int) -> Window[T]:
        page = list(rows[offset:offset + first])
        end = offset + len(page)
        return cls(page, PageInfo(end_cursor=encode_cursor(end) if page else None,
                                  has_next_page=len(rows) > end))
