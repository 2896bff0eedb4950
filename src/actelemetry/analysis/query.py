"""``actelemetry sql``: a user's query against the views, printed or written to a file.

The query is the user's own SQL (that is the point of the command). By default it runs on
a locked-down connection (:meth:`Dataset.lock_down`): it reads the given session files and
nothing else, writes nothing and installs nothing; ``unsafe`` gives the full DuckDB. Values
for ``?`` placeholders come from ``--param`` and are passed as parameters, never pasted
into the text.
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
from actelemetry.store.output import atomic_file

BATCH_ROWS = 100_000
OUTPUT_FORMATS = {".csv": "csv", ".parquet": "parquet"}


def _failed(exc: duckdb.Error) -> UsageError:
    """DuckDB's whole message, hints included (the CLI prints it on one line)."""
    return UsageError(f"query failed: {str(exc).strip() or type(exc).__name__}")


def run_query(query: str, paths: Sequence[str | Path], params: Sequence[Any] = (),
              out: Path | None = None, unsafe: bool = False) -> Table | Path:
    """Run ``query`` against ``telemetry``, ``laps`` and ``sessions`` over ``paths``.

    With ``out`` (.csv or .parquet) the result is streamed there and the path returned;
    otherwise the result comes back as a :class:`Table`.
    """
    if out is not None and Path(out).suffix.lower() not in OUTPUT_FORMATS:
        raise UsageError(f"{out}: output must end in .csv or .parquet")
    with open_dataset(paths) as ds:
        if not unsafe:
            ds.lock_down()
        try:
            if out is not None:
                rel = ds.con.sql(query, params=list(params) or None)
                if rel is None:
                    raise UsageError("query returned no result set")
                write_stream(rel.to_arrow_reader(BATCH_ROWS), Path(out))
                return Path(out)
            cur = ds.con.execute(query, list(params))
            if cur.description is None:
                raise UsageError("query returned no result set")
            names = [d[0] for d in cur.description]
            data = cur.fetchnumpy()
        except duckdb.Error as exc:
            raise _failed(exc) from exc
    return Table(names, {n: data[n] for n in names})


def write_stream(reader: pa.RecordBatchReader, out: Path) -> int:
    """Write batches as they come (CSV or Parquet by suffix), atomically; rows written."""
    fmt = OUTPUT_FORMATS[out.suffix.lower()]
    rows = 0
    with atomic_file(out) as tmp:
        writer = (pacsv.CSVWriter(tmp, reader.schema) if fmt == "csv"
                  else pq.ParquetWriter(tmp, reader.schema, compression="zstd"))
        try:
            for batch in reader:
                writer.write_batch(batch)
                rows += batch.num_rows
        finally:
            writer.close()
    return rows
