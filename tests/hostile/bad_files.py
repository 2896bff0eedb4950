"""Bad session files, made from a good one: what an unlucky user or an attacker hands us.

Each maker writes one file under a folder and returns its path; :data:`MAKERS` names them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from actelemetry.store.session import META_KEY

Maker = Callable[[Path, Path], Path]  # (good parquet session, folder) -> bad file


def _table(good: Path) -> pa.Table:
    return pq.read_table(good)


def _write_parquet(table: pa.Table, path: Path) -> Path:
    pq.write_table(table, path)
    return path


def _with_meta(good: Path, folder: Path, meta: bytes, name: str) -> Path:
    table = _table(good)
    md = dict(table.schema.metadata or {})
    md[META_KEY.encode() if isinstance(META_KEY, str) else META_KEY] = meta
    return _write_parquet(table.replace_schema_metadata(md), folder / name)


def _floats(good: Path, folder: Path, value: float, name: str) -> Path:
    table = _table(good)
    for i, field in enumerate(table.schema):
        if pa.types.is_floating(field.type):
            col = table.column(i).to_numpy().copy()
            col[::7] = value
            table = table.set_column(i, field, pa.array(col, type=field.type))
    return _write_parquet(table, folder / name)


def _strings(good: Path, folder: Path) -> Path:
    table = _table(good)
    cols = {n: pa.array([f"x{v}" for v in table.column(n).to_pylist()], pa.string())
            for n in table.column_names if not n.startswith("raw_")}
    return _write_parquet(pa.table(cols).replace_schema_metadata(table.schema.metadata),
                          folder / "strings.parquet")


def _csv(good: Path, folder: Path, rows: int | None, name: str) -> Path:
    table = _table(good)
    if rows is not None:
        table = table.slice(0, rows)
    path = folder / name
    pacsv.write_csv(table, path)
    return path


def _bytes(data: bytes, name: str) -> Maker:
    def make(good: Path, folder: Path) -> Path:
        path = folder / name
        path.write_bytes(data)
        return path
    return make


def _truncated(good: Path, folder: Path) -> Path:
    path = folder / "truncated.parquet"
    data = good.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def _flipped(good: Path, folder: Path) -> Path:
    data = bytearray(good.read_bytes())
    rng = np.random.default_rng(7)
    for i in rng.integers(8, len(data) - 8, 300):
        data[i] ^= 0x5A
    path = folder / "flipped.parquet"
    path.write_bytes(bytes(data))
    return path


def _jsonl_first(line: str, name: str) -> Maker:
    def make(good: Path, folder: Path) -> Path:
        path = folder / name
        path.write_text(line + "\n" + json.dumps({"speed_kmh": 1.0}) + "\n")
        return path
    return make


def _sidecar(meta: str) -> Maker:
    def make(good: Path, folder: Path) -> Path:
        path = _csv(good, folder, 50, "sidecar.csv")
        Path(str(path) + ".meta.json").write_text(meta)
        return path
    return make


def _zero_rows(good: Path, folder: Path) -> Path:
    return _write_parquet(_table(good).slice(0, 0), folder / "zero_rows.parquet")


def _foreign(good: Path, folder: Path) -> Path:
    return _write_parquet(pa.table({"a": [1, 2, 3], "b": ["x", "y", "z"]}),
                          folder / "foreign.parquet")


def _missing_half(good: Path, folder: Path) -> Path:
    table = _table(good)
    return _write_parquet(table.select(table.column_names[::2]), folder / "half_columns.parquet")


def _directory(good: Path, folder: Path) -> Path:
    path = folder / "a_folder.parquet"
    path.mkdir()
    return path


def _one_row(good: Path, folder: Path) -> Path:
    return _write_parquet(_table(good).slice(0, 1), folder / "one_row.parquet")


def _fifo(good: Path, folder: Path) -> Path:
    path = folder / "fifo.csv"
    os.mkfifo(path)
    return path


MAKERS: dict[str, Maker] = {
    "empty parquet": _bytes(b"", "empty.parquet"),
    "empty csv": _bytes(b"", "empty.csv"),
    "empty jsonl": _bytes(b"", "empty.jsonl"),
    "random bytes .parquet": _bytes(np.random.default_rng(1).bytes(5000), "random.parquet"),
    "random bytes .csv": _bytes(np.random.default_rng(2).bytes(5000), "random.csv"),
    "random bytes .jsonl": _bytes(np.random.default_rng(3).bytes(5000), "random.jsonl"),
    "not utf-8 csv": _bytes(b"\xff\xfe\x00a,b\n\x80\x81,\x82\n", "latin.csv"),
    "truncated parquet": _truncated,
    "bit flips": _flipped,
    "foreign parquet": _foreign,
    "half the columns": _missing_half,
    "string columns": _strings,
    "zero rows": _zero_rows,
    "one row": _one_row,
    "header-only csv": lambda g, f: _csv(g, f, 0, "header_only.csv"),
    "-inf floats": lambda g, f: _floats(g, f, -np.inf, "minus_inf.parquet"),
    "nan floats": lambda g, f: _floats(g, f, np.nan, "nan.parquet"),
    "1e308 floats": lambda g, f: _floats(g, f, 1e308, "huge.parquet"),
    "metadata not json": lambda g, f: _with_meta(g, f, b"{oops", "meta_bad.parquet"),
    "metadata a list": lambda g, f: _with_meta(g, f, b"[1,2]", "meta_list.parquet"),
    "metadata wrong types": lambda g, f: _with_meta(
        g, f, json.dumps({"quality": "bad", "track_length_m": "long"}).encode(),
        "meta_types.parquet"),
    "sidecar broken": _sidecar("{nope"),
    "sidecar a list": _sidecar("[1]"),
    "jsonl first line 5": _jsonl_first("5", "five.jsonl"),
    "jsonl first line null": _jsonl_first("null", "null.jsonl"),
    "txt first line 5": _jsonl_first("5", "five.txt"),
    "jsonl of other keys": _jsonl_first(json.dumps({"x": 1}), "other.jsonl"),
    "a folder named .parquet": _directory,
    "a fifo named .csv": _fifo,
}
