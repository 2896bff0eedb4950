"""Plain CSV, JSON Lines and JSON logs of other tools, read as they are.

Every field becomes a column: numbers (and booleans, as 0/1) a :class:`LogChannel` with unit
``""``; anything else text in ``ForeignLog.texts``. Nothing is cleaned, sorted or dropped
here: rows out of order, sentinels and nulls (NaN) are the importer's business, which is why
a reader must keep every row.

Names of nested JSON fields are JSON paths: members joined with ``.``, array items as
``[i]`` (``physics.speedKmh``, ``wheels[0].slip``); a repeated CSV header gets ``#2``, ``#3``;
an empty one ``column_N``. See docs/import_export.md for the accepted layouts.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from actelemetry.errors import SessionFileError, one_line
from actelemetry.formats.log import ForeignLog, LogChannel, unique_names

#: more fields than this in one file is not a log (and would exhaust memory as columns)
MAX_FIELDS = 10_000
_PROBE = 1 << 16


def _fail(path: Path, why: str) -> SessionFileError:
    return SessionFileError(one_line(f"{path}: {why}")[:400])


def _read_head(path: Path) -> tuple[bytes, int]:
    """The first bytes and the size; one-line errors for unreadable, empty or binary files."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(_PROBE)
            size = fh.seek(0, 2)
    except OSError as exc:
        raise _fail(path, f"cannot read: {exc.strerror or exc}") from exc
    if not head.strip():
        raise _fail(path, "empty file")
    if b"\0" in head:
        raise _fail(path, "binary data, not text (it holds NUL bytes)")
    return head, size


def _encoding(head: bytes) -> str:
    """UTF-8 when the first bytes are (a cut character at the end allowed), else cp1252/latin-1."""
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3 and len(head) == _PROBE:
            return "utf-8"
    try:
        head.decode("cp1252")
        return "cp1252"
    except UnicodeDecodeError:
        return "latin-1"


# --- CSV -----------------------------------------------------------------------------------


def _delimiter(line: str) -> str:
    """The separator of a header line: whichever of , ; tab occurs most outside quotes."""
    outside = re.sub(r'"[^"]*"', "", line)
    counts = {d: outside.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_csv(path: Path | str) -> ForeignLog:
    """A CSV with one header row: numeric columns as channels, other columns as texts.

    The separator is ``,``, ``;`` or tab (whichever the header uses most); empty cells and
    ``NA``/``null``/``NaN`` are NaN; ``true``/``false`` are 1/0. Ragged rows, an empty file,
    binary data or more than :data:`MAX_FIELDS` columns raise one-line SessionFileError.
    """
    import pyarrow as pa
    import pyarrow.csv as pcsv

    path = Path(path)
    head, _ = _read_head(path)
    enc = _encoding(head)
    lines = head.decode(enc, errors="replace").lstrip("\ufeff").splitlines()
    if not lines or not lines[0].strip():  # only a byte-order mark, or a blank first line
        raise _fail(path, "no header row")
    first = lines[0]
    if first.count(",") + first.count(";") + first.count("\t") >= MAX_FIELDS:
        raise _fail(path, f"more than {MAX_FIELDS} fields in the header")
    read = pcsv.ReadOptions(encoding=enc, use_threads=True, block_size=4 << 20)
    parse = pcsv.ParseOptions(delimiter=_delimiter(first), newlines_in_values=True)
    convert = pcsv.ConvertOptions(strings_can_be_null=True, quoted_strings_can_be_null=True)
    try:
        table = pcsv.read_csv(path, read_options=read, parse_options=parse,
                              convert_options=convert)
        odd = {f.name for f in table.schema
               if not (pa.types.is_integer(f.type) or pa.types.is_floating(f.type)
                       or pa.types.is_boolean(f.type) or pa.types.is_null(f.type)
                       or pa.types.is_string(f.type))}
        if odd:  # dates, times, timestamps: keep the file's own text
            convert.column_types = dict.fromkeys(odd, pa.string())
            table = pcsv.read_csv(path, read_options=read, parse_options=parse,
                                  convert_options=convert)
    except pa.ArrowInvalid as exc:
        text = str(exc)
        ragged = re.search(r"Expected (\d+) columns, got (\d+)", text)
        if ragged:
            raise _fail(path, f"ragged CSV: a row has {ragged.group(2)} fields where the "
                              f"header has {ragged.group(1)}") from exc
        if "Empty CSV" in text:
            raise _fail(path, "empty file") from exc
        raise _fail(path, f"not a readable CSV: {text}") from exc
    except (pa.ArrowException, UnicodeDecodeError, ValueError) as exc:
        raise _fail(path, f"not a readable CSV: {exc}") from exc
    except OSError as exc:
        raise _fail(path, f"cannot read: {exc.strerror or exc}") from exc
    if table.num_columns > MAX_FIELDS:
        raise _fail(path, f"{table.num_columns} fields, more than {MAX_FIELDS}")
    if table.num_rows == 0:
        raise _fail(path, "a header but no data rows")
    log = ForeignLog(source=path, fmt="csv")
    for name, column in zip(unique_names(table.column_names), table.columns, strict=True):
        kind = column.type
        if pa.types.is_string(kind):
            log.texts[name] = ["" if v is None else v for v in column.to_pylist()]
        else:
            if pa.types.is_boolean(kind):
                column = column.cast(pa.int8())
            if pa.types.is_null(kind):
                values = np.full(len(column), np.nan)
            else:
                values = np.array(column.cast(pa.float64()).to_numpy(), dtype=np.float64)
            log.channels[name] = LogChannel(name=name, unit="", values=values)
    return log


# --- JSON ----------------------------------------------------------------------------------


def _flatten(record: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """(JSON path, scalar) of every leaf: ``a.b``, ``a[0].b``; empty objects/arrays vanish."""
    stack: list[tuple[str, Any]] = [("", record)]
    while stack:
        prefix, node = stack.pop()
        if isinstance(node, dict):
            items = [(f"{prefix}.{k}" if prefix else str(k), v) for k, v in node.items()]
            stack.extend(reversed(items))
        elif isinstance(node, list):
            stack.extend(reversed([(f"{prefix}[{i}]", v) for i, v in enumerate(node)]))
        else:
            yield prefix, node


def _records_to_log(path: Path, fmt: str, records: list[dict[str, Any]]) -> ForeignLog:
    """Columns from records: all-number fields are channels, the others texts."""
    n = len(records)
    cols: dict[str, list[Any]] = {}
    for i, rec in enumerate(records):
        for key, value in _flatten(rec):
            col = cols.get(key)
            if col is None:
                if len(cols) >= MAX_FIELDS:
                    raise _fail(path, f"more than {MAX_FIELDS} distinct fields")
                col = cols[key] = [None] * n
            col[i] = value
    log = ForeignLog(source=path, fmt=fmt)
    for key, col in cols.items():
        numeric = all(v is None or (isinstance(v, int | float) and _fits(v)) for v in col)
        if numeric:
            values = np.array([math.nan if v is None else float(v) for v in col], dtype=np.float64)
            log.channels[key] = LogChannel(name=key, unit="", values=values)
        else:
            log.texts[key] = [_text(v) for v in col]
    return log


def _fits(value: int | float) -> bool:
    """Whether a JSON number survives as float64 (a 400-digit integer does not)."""
    try:
        float(value)
    except OverflowError:
        return False
    return True


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value)


def _load_text(path: Path) -> str:
    _read_head(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise _fail(path, f"cannot read: {exc.strerror or exc}") from exc
    if b"\0" in raw:
        raise _fail(path, "binary data, not text (it holds NUL bytes)")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _fail(path, f"not UTF-8 text (byte {exc.start})") from exc


def read_jsonl(path: Path | str) -> ForeignLog:
    """JSON Lines: one object per line is one row; blank lines are skipped. A line that is
    not a JSON object is a one-line SessionFileError naming the line."""
    path = Path(path)
    text = _load_text(path)
    records: list[dict[str, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (ValueError, RecursionError) as exc:
            raise _fail(path, f"line {number} is not JSON ({exc})") from exc
        if not isinstance(record, dict):
            raise _fail(path, f"line {number} is not a JSON object")
        records.append(record)
    if not records:
        raise _fail(path, "no records")
    return _records_to_log(path, "jsonl", records)


def read_json(path: Path | str) -> ForeignLog:
    """A JSON document in one of three layouts, each row one record:

    * an array of objects;
    * an object holding an array of objects (the longest such member if several); its other
      members' leaves go into ``meta`` under their JSON paths, and record fields are named
      relative to the records (``meta["records"]`` names the member);
    * an object of equal-length arrays of numbers/texts (columns).
    """
    path = Path(path)
    text = _load_text(path)
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise _fail(path, f"not JSON ({exc})") from exc
    if isinstance(doc, list):
        if not doc:
            raise _fail(path, "an empty array, no records")
        bad = next((i for i, r in enumerate(doc) if not isinstance(r, dict)), None)
        if bad is not None:
            raise _fail(path, f"item {bad} of the array is not a JSON object")
        return _records_to_log(path, "json", doc)
    if not isinstance(doc, dict):
        raise _fail(path, "neither an array of records nor an object holding one")
    holders = [k for k, v in doc.items()
               if isinstance(v, list) and v and all(isinstance(r, dict) for r in v)]
    if holders:
        key = max(holders, key=lambda k: len(doc[k]))
        log = _records_to_log(path, "json", doc[key])
        rest = {k: v for k, v in doc.items() if k != key}
        log.meta = {p: _text(v) for p, v in _flatten(rest)}
        log.meta["records"] = key
        return log
    columns = {k: v for k, v in doc.items() if isinstance(v, list)}
    lengths = {len(v) for v in columns.values()}
    if columns and len(lengths) == 1 and lengths.pop() > 0 and all(
            not isinstance(x, dict | list) for v in columns.values() for x in v):
        n = len(next(iter(columns.values())))
        records = [{k: v[i] for k, v in columns.items()} for i in range(n)]
        log = _records_to_log(path, "json", records)
        log.meta = {p: _text(v) for p, v in _flatten(
            {k: v for k, v in doc.items() if k not in columns})}
        return log
    raise _fail(path, "neither an array of records nor an object holding one")


# --- describing ----------------------------------------------------------------------------


def describe_columns(log: ForeignLog) -> list[dict[str, Any]]:
    """One row per field (channels, then texts) for ``import --show-columns``: name, kind,
    unit, count (rows), non_null, min, max and an example value, to help write a mapping."""
    rows: list[dict[str, Any]] = []
    for name, ch in log.channels.items():
        values = np.asarray(ch.values, dtype=np.float64)
        finite = values[~np.isnan(values)]
        rows.append({
            "name": name, "kind": "number", "unit": ch.unit, "count": int(len(values)),
            "non_null": int(len(finite)),
            "min": float(np.min(finite)) if len(finite) else None,
            "max": float(np.max(finite)) if len(finite) else None,
            "example": float(finite[0]) if len(finite) else None})
    for name, texts in log.texts.items():
        present = [t for t in texts if t != ""]
        rows.append({
            "name": name, "kind": "text", "unit": "", "count": len(texts),
            "non_null": len(present), "min": None, "max": None,
            "example": present[0] if present else None})
    return rows
