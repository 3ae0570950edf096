"""Output shared by the commands: tables that stay whole in a pipe, JSON, one-line errors."""

from __future__ import annotations

import json
from collections.abc import Sequence
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

