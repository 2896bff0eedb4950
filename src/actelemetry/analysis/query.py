"""``actelemetry sql``: a user's query against the views, printed or written to a file.

The query is the user's own SQL (that is the point of the command); it runs on a
connection holding only the views over the given files. Values for ``?`` placeholders
come from ``--param`` and are passed as parameters, never pasted into the text.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from actelemetry.analysis.dataset import Table, open_dataset
from actelemetry.errors import UsageError

OUTPUT_FORMATS = {".csv": "csv", ".parquet": "parquet"}


def _user_query(ds: Any, query: str, params: Sequence[Any]) -> duckdb.DuckDBPyRelation:
    try:
        return ds.con.execute(query, list(params))
    except duckdb.Error as exc:
        text = str(exc).strip().splitlines()
        raise UsageError(f"query failed: {text[0] if text else exc}") from exc


def run_query(query: str, paths: Sequence[str | Path], params: Sequence[Any] = (),
              out: Path | None = None) -> Table | Path:
    """Run ``query`` against ``telemetry``, ``laps`` and ``sessions`` over ``paths``.

    With ``out`` (.csv or .parquet) the result is written there and the path returned;
    otherwise the result comes back as a :class:`Table`.
    """
    if out is not None and Path(out).suffix.lower() not in OUTPUT_FORMATS:
        raise UsageError(f"{out}: output must end in .csv or .parquet")
    with open_dataset(paths) as ds:
        cur = _user_query(ds, query, params)
        if cur.description is None:
            raise UsageError("query returned no result set")
        names = [d[0] for d in cur.description]
        try:
            data = cur.fetch_arrow_table() if out is not None else cur.fetchnumpy()
        except duckdb.Error as exc:
            text = str(exc).strip().splitlines()
            raise UsageError(f"query failed: {text[0] if text else exc}") from exc
    if out is None:
        return Table(names, {n: data[n] for n in names})
    write_table(data, Path(out))
    return Path(out)


def write_table(table: pa.Table, out: Path) -> None:
    if OUTPUT_FORMATS[out.suffix.lower()] == "csv":
        pacsv.write_csv(table, out)
    else:
        pq.write_table(table, out, compression="zstd")
