"""Per-lap summaries written into a session file when it is closed, so that ``analyze`` of
any length reads O(laps) rows instead of scanning every sample.

What is stored is what the analysis would compute from the samples, by the same SQL
(:func:`actelemetry.analysis.sql.lap_parts`, :func:`~actelemetry.analysis.sql.input_bins`,
:func:`~actelemetry.analysis.sql.slip_p95`, the G-G cells and the thinned series at the
screen's width), run once over the session as it is written;
only the lock-up starts are counted here, in time order with NumPy, instead of by a window
that sorts the whole session. The tables travel in the Parquet footer under
``actelemetry_summary`` (Arrow IPC, base64, in JSON with the channels and row count they
were made from); a file without them, or whose rows or channels no longer match, is
analysed from its samples as before.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from actelemetry.analysis import sql
from actelemetry.channels.catalogue import BY_NAME
from actelemetry.game.host import replace_file
from actelemetry.plots.thin import SCREEN_BUCKETS
from actelemetry.store.files import parquet_footer
from actelemetry.store.session import parquet_options

SUMMARY_KEY = b"actelemetry_summary"
#: bumped whenever a stored table's definition changes: older summaries are then ignored
SUMMARY_VERSION = 1
#: channels the analysis would derive when a file lacks them: a file that needs one gets no
#: summary (its analysis derives the channel first)
_NEEDED = ("session_time", "current_lap")
_DERIVED_FROM = (("game_lap_ms", "lap_time_sec"), ("lap_distance_m", "distance_m"))


@dataclass(frozen=True)
class Summary:
    """The stored tables of one session file, and what they were made from."""

    channels: frozenset[str]
    rows: int
    tables: dict[str, pa.Table]


def summarisable(channels: set[str]) -> bool:
    """Whether the analysis of a file with these channels derives none of its own."""
    if not all(c in channels for c in _NEEDED):
        return False
    return not any(src in channels and name not in channels for name, src in _DERIVED_FROM)


def lockups_per_lap(lap: np.ndarray, session_time: np.ndarray,
                    locks: dict[str, np.ndarray]) -> pa.Table:
    """Lock-ups starting in each lap: a locked sample whose previous sample (in time order)
    was not locked; a null counts as not locked, as in the SQL's ``coalesce``."""
    order = np.argsort(session_time, kind="stable")
    laps, where = np.unique(lap[order], return_inverse=True)
    cols: dict[str, Any] = {"session": np.ones(len(laps), dtype="i4"),
                            "lap": laps.astype("i4")}
    for w in sql.WHEEL_ORDER:
        locked = locks[w][order]
        starts = locked & ~np.concatenate(([False], locked[:-1]))
        cols[f"lockups_{w}"] = np.bincount(where[starts], minlength=len(laps)).astype("i8")
    return pa.table(cols)


def _bools(column: pa.ChunkedArray) -> np.ndarray:
    return np.asarray(column.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)


def summarise(table: pa.Table) -> Summary | None:
    """The summary tables of one session's samples (None when the analysis would derive a
    channel first, or the session is empty)."""
    con = duckdb.connect()
    try:
        con.register("samples", table)
        return _summarise(con, table.column_names, table.num_rows,
                          lambda names: {n: table.column(n) for n in names})
    finally:
        con.close()


def summarise_file(path: Path) -> Summary | None:
    """:func:`summarise` of a Parquet file, read by DuckDB column by column (the samples
    are never all in memory)."""
    source = pq.ParquetFile(path)
    con = duckdb.connect()
    try:
        con.read_parquet(str(path)).create_view("samples")
        return _summarise(con, source.schema_arrow.names, source.metadata.num_rows,
                          lambda names: dict(zip(names, source.read(columns=list(names))
                                                 .columns, strict=True)))
    finally:
        con.close()


def _summarise(con: duckdb.DuckDBPyConnection, names: list[str], rows: int,
               read: Any) -> Summary | None:
    channels = {c for c in names if c in BY_NAME}
    if rows == 0 or not summarisable(channels):
        return None
    con.execute("CREATE VIEW telemetry AS SELECT CAST(1 AS INTEGER) AS session, *, "
                "current_lap AS lap FROM samples")
    if sql.lap_lockups(channels) is not None:
        locks = [f"wheel_lock_{w}" for w in sql.WHEEL_ORDER]
        cols = read(["current_lap", "session_time", *locks])
        counted = lockups_per_lap(
            cols["current_lap"].to_numpy(), cols["session_time"].to_numpy(),
            {w: _bools(cols[f"wheel_lock_{w}"]) for w in sql.WHEEL_ORDER})
        con.register("lap_lockups", counted)
    tables = {"lap_parts": con.sql(sql.lap_parts(channels)).to_arrow_table()}
    for name, query in (("input_bins", sql.input_bins(channels)),
                        ("slip_p95", sql.slip_p95(channels))):
        if query is not None:
            tables[name] = con.sql(query).to_arrow_table().drop_columns(["session"])
    gg = sql.gg_cells(channels)
    if gg is not None:
        tables["gg"] = con.sql(gg, params=[1]).to_arrow_table()
    plotted = [c for c in sql.SERIES_CHANNELS if c in channels]
    if plotted:
        span = con.sql("SELECT max(session_time) FROM telemetry").fetchall()[0][0]
        width = sql.bucket_width(float(span or 0.0), SCREEN_BUCKETS)
        series = con.sql(sql.time_buckets(plotted), params=[width, 1]).to_arrow_table()
        tables["series"] = series.append_column("bucket_width", pa.array(
            [width] * series.num_rows, pa.float64()))
    tables["lap_parts"] = tables["lap_parts"].drop_columns(["session"])
    return Summary(frozenset(channels), rows, tables)


def summary_footer(table: pa.Table) -> dict[bytes, bytes]:
    """The footer entry a session file written from ``table`` carries (none when it cannot
    have a summary): what the capture and the importers hand the store as it writes."""
    summary = summarise(table)
    return {SUMMARY_KEY: encode(summary)} if summary is not None else {}


def encode(summary: Summary) -> bytes:
    """The summary as the footer value: JSON holding each table as base64 Arrow IPC."""
    def ipc(t: pa.Table) -> str:
        sink = pa.BufferOutputStream()
        options = pa.ipc.IpcWriteOptions(compression="zstd")  # the series shrink to a third
        with pa.ipc.new_stream(sink, t.schema, options=options) as writer:
            writer.write_table(t)
        return base64.b64encode(sink.getvalue().to_pybytes()).decode()
    return json.dumps({"version": SUMMARY_VERSION, "channels": sorted(summary.channels),
                       "rows": summary.rows,
                       "tables": {k: ipc(t) for k, t in summary.tables.items()}}).encode()


def decode(blob: bytes) -> Summary | None:
    """A stored summary, or None when it is of another version or unreadable (the file is
    then analysed from its samples)."""
    try:
        doc = json.loads(blob)
        if not isinstance(doc, dict) or doc.get("version") != SUMMARY_VERSION:
            return None
        tables = {k: pa.ipc.open_stream(base64.b64decode(v)).read_all()
                  for k, v in doc["tables"].items()}
        return Summary(frozenset(doc["channels"]), int(doc["rows"]), tables)
    except (ValueError, KeyError, TypeError, pa.ArrowException):
        return None


def read_summary(path: Path) -> Summary | None:
    """The summary of a Parquet session file, if it has one that still fits its samples
    (same row count, same channels)."""
    try:
        meta = parquet_footer(path)
    except (pa.ArrowException, OSError):
        return None
    blob = (meta.metadata or {}).get(SUMMARY_KEY)
    summary = decode(blob) if blob else None
    if summary is None or summary.rows != meta.num_rows:
        return None
    names = {meta.schema.column(i).name for i in range(meta.num_columns)}
    return summary if summary.channels == {n for n in names if n in BY_NAME} else None


def add_summary(path: Path) -> bool:
    """Write ``path`` again with a summary in its footer (a file made by an older version,
    or by another program): its row groups are copied one by one, as they are. False when
    the file cannot have one (its analysis derives a channel, or it is empty)."""
    summary = summarise_file(path)
    if summary is None:
        return False
    source = pq.ParquetFile(path)
    schema = source.schema_arrow
    schema = schema.with_metadata({**(schema.metadata or {}), SUMMARY_KEY: encode(summary)})
    options = parquet_options(schema.empty_table())
    options.pop("row_group_size")
    tmp = path.with_name(path.name + ".tmp")
    try:
        with pq.ParquetWriter(tmp, schema, **options) as writer:
            for i in range(source.num_row_groups):
                writer.write_table(source.read_row_group(i).replace_schema_metadata(
                    schema.metadata))
        replace_file(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return True
