"""``actelemetry export``: a subset of a session streamed to CSV or Parquet.

The seed's export tool for spreadsheets, without loading the file: DuckDB scans only the
chosen columns, and batches flow from its Arrow reader straight into the writer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from actelemetry.analysis.dataset import Dataset, _quote, open_dataset
from actelemetry.analysis.query import BATCH_ROWS, OUTPUT_FORMATS, write_stream
from actelemetry.analysis.where import parse_where
from actelemetry.channels.catalogue import BY_NAME
from actelemetry.errors import SessionFileError, UsageError


@dataclass(frozen=True)
class ExportResult:
    path: Path
    rows: int
    columns: list[str]


def parse_rows(text: str | None) -> tuple[int, int | None]:
    """``START:STOP`` (0-based file rows, STOP excluded; either may be left out)."""
    if not text:
        return 0, None
    start, sep, stop = text.partition(":")
    try:
        a = int(start) if start.strip() else 0
        b = int(stop) if sep and stop.strip() else None if sep else a + 1
    except ValueError as exc:
        raise UsageError(f"--rows: expected START:STOP, got {text!r}") from exc
    if a < 0 or (b is not None and b < a):
        raise UsageError(f"--rows: {text!r} is not a range of rows")
    return a, b


def parse_laps(text: str | None) -> list[int]:
    if not text:
        return []
    try:
        return [int(x) for x in text.split(",") if x.strip()]
    except ValueError as exc:
        raise UsageError(f"--laps: expected lap numbers like 3,4, got {text!r}") from exc


def export_session(path: str | Path, out: Path, columns: Sequence[str] = (),
                   rows: str | None = None, laps: str | None = None,
                   where: str | None = None) -> ExportResult:
    """Write the chosen columns/rows/laps of one session file to ``out`` (.csv/.parquet)."""
    out = Path(out)
    fmt = OUTPUT_FORMATS.get(out.suffix.lower())
    if fmt is None:
        raise UsageError(f"{out}: output must end in .csv or .parquet")
    with open_dataset([path]) as ds:
        src = ds.sources[0]
        if len(ds.sources) != 1:
            raise UsageError("export takes one session file")
        have = [c for c in ds.columns if c in src.columns or c in BY_NAME]
        chosen = list(columns) or [c for c in ds.columns if c in src.columns]
        for c in chosen:
            if c not in BY_NAME:
                raise UsageError(f"{src.path}: unknown channel {c!r} (see `actelemetry "
                                 "channels`)")
            if c not in ds.columns:
                raise UsageError(f"{src.path}: the file has no channel {c!r}")
        start, stop = parse_rows(rows)
        lap_list = parse_laps(laps)
        if lap_list:
            present = {r["lap"] for r in ds.rows("SELECT DISTINCT current_lap AS lap "
                                                 "FROM telemetry")}
            missing = [n for n in lap_list if n not in present]
            if missing:
                raise UsageError(f"{src.path}: lap {missing[0]} does not exist (laps: "
                                 f"{', '.join(str(n) for n in sorted(present))})")
        cond: list[str] = ["TRUE"]
        params: list[object] = []
        if lap_list:
            cond.append("current_lap IN (SELECT unnest(?))")
            params.append(lap_list)
        if where:
            try:
                filt = parse_where(where, have)
                _check_boolean(ds, filt.sql, filt.params, src.path)
            except UsageError as exc:
                raise UsageError(f"{src.path}: {exc}") from exc
            cond.append(f"({filt.sql})")
            params += filt.params
        # file rows first (scan order is the file's order), then laps and the filter
        query = (f"SELECT {', '.join(_quote(c) for c in chosen)} FROM ("
                 "SELECT * FROM telemetry LIMIT ? OFFSET ?) AS r "
                 f"WHERE {' AND '.join(cond)}")
        limit = (stop - start) if stop is not None else 2**62
        try:
            reader = ds.con.sql(query, params=[limit, start, *params]).to_arrow_reader(BATCH_ROWS)
            written = write_stream(reader, out)
        except duckdb.Error as exc:
            raise SessionFileError(ds._blame(exc)) from exc
    return ExportResult(out, written, chosen)


def _check_boolean(ds: Dataset, expr: str, params: Sequence[object], path: Path) -> None:
    try:
        found = ds.con.execute(f"SELECT typeof({expr}) AS t FROM telemetry LIMIT 1",
                               list(params)).fetchall()
    except duckdb.Error as exc:
        line = str(exc).strip().splitlines()[0]
        raise UsageError(f"--where: not a valid filter ({line})") from exc
    if found and found[0][0] != "BOOLEAN":
        raise UsageError(f"--where: must be a true/false condition, this is {found[0][0]}")
