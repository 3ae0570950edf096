"""Output shared by the commands: tables that stay whole in a pipe, JSON, one-line errors."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table


def print_table(console: Console, columns: Sequence[str], rows: Sequence[Sequence[Any]], title: str | None = None) -> None:
    """A rich table on a terminal; plain aligned columns when the output is a pipe or a file, where rich
    would fold every column to fit 80 characters."""
    cells = [["" if v is None else json.dumps(v) if isinstance(v, (list, dict)) else str(v) for v in row]
             for row in rows]
    if not console.is_terminal:
        print(plain_table(columns, cells, title))
        return
    table = Table(title=title, show_lines=False)
    for column in columns:
        table.add_column(str(column), overflow="fold")
    for row in cells:
        table.add_row(*row)
    console.print(table)


def plain_table(columns: Sequence[str], rows: Sequence[Sequence[str]], title: str | None = None,
                widest: int = 48) -> str:
    """Columns padded to their widest cell (cut at ``widest`` characters), two spaces apart."""
    cut = [[cell if len(cell) <= widest else cell[: widest - 1] + "…" for cell in row] for row in rows]
    widths = [max([len(str(c))] + [len(row[i]) for row in cut]) for i, c in enumerate(columns)]
    lines = [title] if title else []
    lines.append("  ".join(str(c).ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
    lines += ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in cut]
    return "\n".join(lines)


def print_json(console: Console, value: Any) -> None:
    """Indented, highlighted JSON on a terminal; plain JSON (one document) in a pipe or a file."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    if console.is_terminal:
        console.print_json(text)
    else:
        print(text)


def print_error(message: str) -> None:
    """One line on stderr, whatever the message's own line breaks: scripts read the last line."""
    sys.stderr.write(f"error: {' '.join(str(message).split())}\n")


def input_file(value: str) -> str:
    """An argparse type: a readable file, or ``-`` for stdin; checked while parsing, before any connection."""
    if value == "-":
        return value
    path = Path(value)
    if not path.exists():
        raise argparse.ArgumentTypeError(f"no such file: {value}")
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"not a file: {value}")
    if not os.access(path, os.R_OK):
        raise argparse.ArgumentTypeError(f"cannot read {value}")
    return value


def input_path(value: str) -> str:
    """An argparse type: an existing file or folder (Parquet datasets are folders)."""
    if not Path(value).exists():
        raise argparse.ArgumentTypeError(f"no such file or folder: {value}")
    return value


def input_dir(value: str) -> str:
    """An argparse type: an existing folder."""
    if not Path(value).is_dir():
        raise argparse.ArgumentTypeError(f"no such folder: {value}")
    return value


def read_text_input(source: str) -> str:
    """The text of a file, or of stdin for ``-``, as UTF-8 (a byte-order mark dropped)."""
    from kgservice.errors import InvalidInput

    raw = sys.stdin.buffer.read() if source == "-" else open(source, "rb").read()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{source} is not UTF-8 text (byte {exc.start}: {raw[exc.start:exc.start + 1]!r}); "
                           "convert it, e.g. `iconv -f latin1 -t utf-8`") from None
