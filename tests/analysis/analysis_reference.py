"""Independent NumPy readings of session files for the analysis tests (pyarrow, no DuckDB)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.csv as pacsv
import pyarrow.parquet as pq


def load_numpy(path: Path) -> dict[str, np.ndarray]:
    """Every column of a session file as NumPy (pyarrow reader, independent of DuckDB)."""
    if path.suffix == ".parquet":
        table = pq.read_table(path)
    elif path.suffix == ".csv":
        table = pacsv.read_csv(path)
    else:
        import pyarrow.json as pajson

        table = pajson.read_json(path)
    return {n: table.column(n).to_numpy(zero_copy_only=False) for n in table.column_names}


def lap_bounds(d: dict[str, np.ndarray]) -> dict[int, tuple[int, int]]:
    """(first index, stop index) of each current_lap."""
    lap = d["current_lap"]
    out = {}
    for k in np.unique(lap):
        idx = np.flatnonzero(lap == k)
        out[int(k)] = (int(idx[0]), int(idx[-1]) + 1)
    return out
