"""The per-lap summaries a session file carries: every table ``analyze`` reads from them
equals what it computes from the samples of the same file without them."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from actelemetry.analysis.dataset import open_dataset
from actelemetry.analysis.report import AnalysisResult, analyze
from actelemetry.analysis.summary import (
    SUMMARY_KEY,
    SUMMARY_VERSION,
    add_summary,
    lockups_per_lap,
    read_summary,
)

TABLES = ("sessions", "laps", "inputs", "input_distribution", "wheels")


def without_summary(path: Path, out: Path, table: pa.Table | None = None) -> Path:
    """``path`` (or ``table``) written again without its summary: an older file."""
    table = pq.read_table(path) if table is None else table
    meta = {k: v for k, v in (table.schema.metadata or {}).items() if k != SUMMARY_KEY}
    pq.write_table(table.replace_schema_metadata(meta), out, row_group_size=50_000)
    assert read_summary(out) is None
    return out


def same(a: Any, b: Any, where: str = "") -> None:
    """Equal values; floats to 1e-9 (DuckDB adds a mean's terms in a different order)."""
    if isinstance(a, dict):
        assert set(a) == set(b), where
        for k in a:
            if k not in ("name", "path"):
                same(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            same(x, y, f"{where}[{i}]")
    elif isinstance(a, float) and isinstance(b, float):
        assert (math.isnan(a) and math.isnan(b)) or a == pytest.approx(b, rel=1e-9), where
    else:
        assert a == b and type(a) is type(b), f"{where}: {a!r} != {b!r}"


def same_analysis(fast: AnalysisResult, slow: AnalysisResult) -> None:
    for name in TABLES:
        same(getattr(fast, name), getattr(slow, name), name)
    for f, s in zip(fast.series, slow.series, strict=True):
        # a bucket's extreme held by several samples may be any of them: compare the
        # values, and the bucket each of their times falls in
        width = (f["session_time"].max() - f["session_time"].min()) / 1000
        for channel in ("speed_kmh", "gas", "brake", "steer"):
            assert np.array_equal(f[channel], s[channel]), channel
            assert np.allclose(f[f"{channel}_t"], s[f"{channel}_t"], atol=width), channel
        assert np.array_equal(f["lap_starts"], s["lap_starts"])
    assert fast.gg is not None and slow.gg is not None
    cells = [sorted(zip(*(r[k].tolist() for k in sorted(r)), strict=True))
             for r in (fast.gg, slow.gg)]
    same([list(c) for c in cells[0]], [list(c) for c in cells[1]], "gg")


@pytest.fixture(scope="module")
def captured(make_sim_session: Callable[..., Path]) -> Path:
    return make_sim_session(laps=3)


def test_a_captured_session_carries_its_summary(captured: Path) -> None:
    summary = read_summary(captured)
    assert summary is not None
    laps = summary.tables["lap_parts"]
    assert laps.num_rows == len(set(pq.read_table(captured, columns=["current_lap"])
                                    .column("current_lap").to_pylist()))
    assert sum(laps.column("samples").to_pylist()) == pq.read_metadata(captured).num_rows
    with open_dataset([captured]) as ds:
        assert set(ds.summaries) == {1}


def test_every_table_equals_the_one_from_the_samples(captured: Path, tmp_path: Path) -> None:
    old = without_summary(captured, tmp_path / "old.parquet")
    with open_dataset([old]) as ds:
        assert ds.summaries == {}
    same_analysis(analyze([captured], None, plots=False), analyze([old], None, plots=False))


def test_two_sessions_add_up_as_their_samples_do(captured: Path,
                                                 make_sim_session: Callable[..., Path],
                                                 tmp_path: Path) -> None:
    other = make_sim_session(laps=2, seed=5)
    olds = [without_summary(p, tmp_path / f"old{k}.parquet")
            for k, p in enumerate((captured, other))]
    fast = analyze([captured, other], None, plots=False)
    same_analysis(fast, analyze(olds, None, plots=False))
    # one file with a summary and one without: each part from where it is
    same_analysis(fast, analyze([captured, olds[1]], None, plots=False))


def test_lockups_counted_at_write_time_equal_the_window(captured: Path, tmp_path: Path) -> None:
    """Runs of locked samples, some across a lap's end, a null among them, and the rows
    out of time order: the store's count in time order equals the SQL window's."""
    table = pq.read_table(captured)
    rng = np.random.default_rng(7)
    n = table.num_rows
    for k, w in enumerate(("fl", "fr", "rl", "rr")):
        locked = np.repeat(rng.random(n // 20 + 1) < 0.3 + 0.1 * k, 20)[:n]
        mask = np.zeros(n, dtype=bool)
        mask[rng.integers(0, n, 5)] = True
        column = pa.array(locked, mask=mask)
        table = table.set_column(table.schema.get_field_index(f"wheel_lock_{w}"),
                                 f"wheel_lock_{w}", column)
    shuffled = table.take(rng.permutation(n))
    old = without_summary(captured, tmp_path / "old.parquet", shuffled)
    new = tmp_path / "new.parquet"
    new.write_bytes(old.read_bytes())
    assert add_summary(new) and read_summary(new) is not None
    fast, slow = analyze([new], None, plots=False), analyze([old], None, plots=False)
    same_analysis(fast, slow)
    lock = np.asarray(table.column("wheel_lock_fl").fill_null(False).to_numpy(
        zero_copy_only=False), dtype=bool)
    starts = lock & ~np.concatenate(([False], lock[:-1]))
    assert fast.wheels[0]["lockups"] == int(starts.sum()) > 100


def test_lockups_per_lap_in_time_order() -> None:
    lap = np.array([1, 1, 1, 2, 2, 2, 3])
    t = np.array([0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
    lock = np.array([True, False, True, True, False, True, True])
    got = lockups_per_lap(lap, t, dict.fromkeys(("fl", "fr", "rl", "rr"), lock))
    # lap 1: two starts; lap 2: the run from lap 1 goes on, then one start; lap 3: goes on
    assert got.column("lockups_fl").to_pylist() == [2, 1, 0]
    order = np.array([6, 2, 0, 5, 1, 3, 4])
    again = lockups_per_lap(lap[order], t[order], dict.fromkeys(("fl", "fr", "rl", "rr"),
                                                                lock[order]))
    assert again.column("lockups_rr").to_pylist() == [2, 1, 0]


def test_a_summary_that_no_longer_fits_is_ignored(captured: Path, tmp_path: Path) -> None:
    table = pq.read_table(captured)
    cut = tmp_path / "cut.parquet"  # rows removed by another program, footer kept
    pq.write_table(table.slice(0, table.num_rows // 2), cut)
    assert read_summary(cut) is None
    fewer = tmp_path / "fewer.parquet"  # a channel removed
    pq.write_table(table.drop_columns(["speed_kmh"]), fewer)
    assert read_summary(fewer) is None
    older = tmp_path / "older.parquet"  # a summary of another version
    blob = table.schema.metadata[SUMMARY_KEY].replace(
        f'"version": {SUMMARY_VERSION}'.encode(), b'"version": 0')
    pq.write_table(table.replace_schema_metadata({**table.schema.metadata,
                                                  SUMMARY_KEY: blob}), older)
    assert read_summary(older) is None
    broken = tmp_path / "broken.parquet"
    pq.write_table(table.replace_schema_metadata({**table.schema.metadata,
                                                  SUMMARY_KEY: b"{not json"}), broken)
    assert read_summary(broken) is None
    with open_dataset([cut]) as ds:
        assert ds.summaries == {}
        rows = ds.lap_rows()
    assert sum(r["samples"] for r in rows) == table.num_rows // 2
