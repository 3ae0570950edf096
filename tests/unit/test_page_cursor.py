"""Opaque cursors and page windows (kgservice/api/types/pages.py)."""

from __future__ import annotations

import pytest
from graphql import GraphQLError

from kgservice.api.types.pages import MAX_OFFSET, Window, decode_cursor, encode_cursor


@pytest.mark.parametrize("offset", [0, 1, 99, MAX_OFFSET])
def test_page_cursor_round_trip(offset):
    assert decode_cursor(encode_cursor(offset)) == offset


@pytest.mark.parametrize("cursor", ["", "abc", "bzotMQ==", encode_cursor(MAX_OFFSET + 1), "ééé", "o:5"])
def test_page_cursor_rejects_foreign(cursor):
    with pytest.raises(GraphQLError) as err:
        decode_cursor(cursor)
    assert err.value.extensions == {"code": "BAD_USER_INPUT"}


def test_page_window_cut():
    rows = list(range(7))
    one = Window.cut(rows, 0, 3)
    assert one.items == [0, 1, 2] and one.page_info.has_next_page
    two = Window.cut(rows, decode_cursor(one.page_info.end_cursor), 3)
    assert two.items == [3, 4, 5] and two.page_info.has_next_page
    last = Window.cut(rows, decode_cursor(two.page_info.end_cursor), 3)
    assert last.items == [6] and not last.page_info.has_next_page
    empty = Window.cut(rows, 7, 3)
    assert empty.items == [] and empty.page_info.end_cursor is None and not empty.page_info.has_next_page
