"""Tables for people and for programs, from one description.

On a terminal a table is drawn with Rich and never hides a value: when its columns do not
fit the terminal's width, it is folded into several narrower tables that each repeat the
key columns (a lap's session and number, say), and a single value wider than the terminal
wraps onto the next line instead of being cut. Piped (stdout not a terminal) it is plain
text, one row a line, columns separated by two spaces; ``--format csv|json|markdown`` gives
those formats anywhere.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table


class Format(str, Enum):
    """How ``--format`` prints a table."""

    table = "table"
    csv = "csv"
    json = "json"
    markdown = "markdown"


@dataclass
class TextTable:
    """Headings and rows of strings; the first ``keys`` columns say what a row is."""

    title: str
    headings: list[str]
    rows: list[list[str]] = field(default_factory=list)
    keys: int = 1
    values: list[list[Any]] | None = None  # the raw values, for JSON (default: the strings)
    wrap: tuple[int, ...] = ()  # text columns that wrap at spaces to fit (a description)

    def add(self, *cells: str) -> None:
        self.rows.append([str(c) for c in cells])


def _cell_width(text: str) -> int:
    return max((len(line) for line in text.splitlines()), default=0)


def _heading_width(text: str) -> int:
    """Rich wraps a heading at spaces: its longest word is what it needs."""
    return max((len(word) for word in text.split()), default=0)


#: the least a wrapping column is given
WRAP_MIN = 20


def column_widths(table: TextTable) -> list[int]:
    """What each column needs: its longest value (a wrapping column: its longest word)."""
    widths = [_heading_width(h) for h in table.headings]
    for row in table.rows:
        widths = [max(w, _heading_width(c) if i in table.wrap else _cell_width(c))
                  for i, (w, c) in enumerate(zip(widths, row, strict=True))]
    return [max(w, WRAP_MIN) if i in table.wrap else w for i, w in enumerate(widths)]


def fold_columns(widths: Sequence[int], keys: int, room: int) -> list[list[int]]:
    """Column indexes per printed table: each holds the key columns and as many of the
    others, in order, as fit in ``room`` characters (a box adds 3 a column and 1)."""
    key_cols = list(range(min(keys, len(widths))))
    base = 1 + sum(widths[i] + 3 for i in key_cols)
    chunks: list[list[int]] = []
    current: list[int] = []
    used = base
    for i in range(len(key_cols), len(widths)):
        need = widths[i] + 3
        if current and used + need > room:
            chunks.append(key_cols + current)
            current, used = [], base
        current.append(i)
        used += need
    if current or not chunks:
        chunks.append(key_cols + current)
    return chunks


def _json_value(value: Any) -> Any:
    """JSON has no NaN or infinity: NaN becomes null, infinities "inf" and "-inf"."""
    if isinstance(value, float) and not math.isfinite(value):
        return None if value != value else ("inf" if value > 0 else "-inf")
    if isinstance(value, list):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in value.items()}
    return value


def _numeric(text: str) -> bool:
    try:
        float(text.replace("%", "").replace(":", "").lstrip("+"))
    except ValueError:
        return text in ("–", "", "nan", "inf", "-inf")
    return True


def numeric_columns(table: TextTable) -> list[bool]:
    """Columns of numbers (and lap times), right-aligned; the others left."""
    return [all(_numeric(row[i]) for row in table.rows) for i in range(len(table.headings))]


def render(table: TextTable, console: Console, fmt: Format = Format.table) -> None:
    """Print ``table`` on ``console`` in ``fmt`` (plain text when piped)."""
    if fmt is Format.csv:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(table.headings)
        writer.writerows(table.rows)
        console.print(buf.getvalue(), end="", markup=False, highlight=False, soft_wrap=True)
    elif fmt is Format.json:
        values = table.values if table.values is not None else table.rows
        records = [dict(zip(table.headings, map(_json_value, row), strict=True))
                   for row in values]
        console.print(json.dumps(records, default=str), markup=False, highlight=False,
                      soft_wrap=True)
    elif fmt is Format.markdown:
        lines = [f"**{table.title}**", ""] if table.title else []
        lines.append("| " + " | ".join(table.headings) + " |")
        lines.append("|" + "---|" * len(table.headings))
        lines += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |"
                  for row in table.rows]
        console.print("\n".join(lines), markup=False, highlight=False, soft_wrap=True)
    elif not console.is_terminal:
        _plain(table, console)
    else:
        _rich(table, console)


def _plain(table: TextTable, console: Console) -> None:
    widths = [max(len(h), *(len(r[i]) for r in table.rows)) if table.rows else len(h)
              for i, h in enumerate(table.headings)]
    right = numeric_columns(table)
    if table.title:
        console.print(table.title, markup=False, highlight=False, soft_wrap=True)
    for row in [table.headings, *table.rows]:
        line = "  ".join(c.rjust(w) if r else c.ljust(w)
                         for c, w, r in zip(row, widths, right, strict=True)).rstrip()
        console.print(line, markup=False, highlight=False, soft_wrap=True)


#: a table of this many rows or fewer that would fold into more than two prints vertically
VERTICAL_ROWS = 5


def _vertical(table: TextTable, console: Console) -> None:
    """Each row as a block of ``heading: value`` lines (a wide table of a few rows)."""
    if table.title:
        console.print(table.title, style="italic", markup=False, highlight=False)
    pad = max(len(h) for h in table.headings)
    for n, row in enumerate(table.rows):
        if n:
            console.print()
        for heading, cell in zip(table.headings, row, strict=True):
            console.print(f"[bold]{escape(heading.rjust(pad))}[/]  {escape(cell)}",
                          highlight=False)


def _rich(table: TextTable, console: Console) -> None:
    widths = column_widths(table)
    right = numeric_columns(table)
    chunks = fold_columns(widths, table.keys, console.width)
    if len(chunks) > 2 and len(table.rows) <= VERTICAL_ROWS:
        _vertical(table, console)
        return
    for n, cols in enumerate(chunks):
        spare = console.width - 1 - sum(widths[i] + 3 for i in cols)
        wrapping = [i for i in cols if i in table.wrap]
        given = {i: widths[i] + (spare // len(wrapping) if spare > 0 else 0) for i in wrapping}
        part = "" if len(chunks) == 1 else f"({n + 1}/{len(chunks)})"
        title = " ".join(p for p in (table.title, part) if p)
        t = Table(title=title or None, title_justify="left", header_style="bold")
        for i in cols:
            # the width each column needs, fixed: headings wrap at spaces, values never
            # (one wider than the terminal folds onto the next line, whole)
            if i in given:
                t.add_column(table.headings[i], justify="left", overflow="fold",
                             width=given[i])
                continue
            t.add_column(table.headings[i], justify="right" if right[i] else "left",
                         overflow="fold", width=max(1, min(widths[i], console.width - 7)))
        for row in table.rows:
            t.add_row(*(row[i] for i in cols))
        console.print(t)
