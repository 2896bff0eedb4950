"""Analysis benchmark: 1 h and 10 h sessions at 100 Hz.

The sessions are made by tiling real simulated laps: the built-in simulator drives Monza
through the real capture (fast mode); its two timed laps are repeated with session_time,
timestamp, lap counters, distance and the game's last-lap time shifted so the result reads
as one long session. Prints a table: analyze, compare and a SQL summary on Parquet, the
same tables the seed's way (DuckDB read_csv_auto on the CSV, one query per table), and
Parquet against CSV size.

    .venv/bin/python benchmarks/analysis.py [--quick] [--keep DIR]

``--quick`` skips the 10 h CSV (4-5 GB, and the slowest part of the run).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from actelemetry.analysis import sql
from actelemetry.analysis.compare import best_lap, compare_laps, timed_laps
from actelemetry.analysis.dataset import open_dataset
from actelemetry.analysis.laps import LapRef
from actelemetry.analysis.report import analyze
from actelemetry.capture.loop import CaptureOptions, run_capture
from actelemetry.capture.sinks import SessionFileSink
from actelemetry.store.session import parquet_options

# the seed's telemetry_analysis.py way: one read_csv_auto scan per table
SEED_QUERIES = {
    "summary": """
        SELECT MAX(speed_kmh), AVG(speed_kmh), MAX(ABS(accel_longitudinal)),
               MAX(ABS(accel_lateral)), MAX(distance_m) - MIN(distance_m), COUNT(*)
        FROM read_csv_auto(?)""",
    "laps": """
        SELECT current_lap, MAX(timestamp) - MIN(timestamp) AS lap_time,
               MAX(speed_kmh), MIN(speed_kmh), AVG(gas), AVG(brake)
        FROM read_csv_auto(?) GROUP BY current_lap ORDER BY current_lap""",
    "inputs": """
        SELECT floor(gas * 10) AS bin, COUNT(*) FROM read_csv_auto(?) GROUP BY bin""",
    "wheels": """
        SELECT AVG(wheel_slip_fl), AVG(wheel_slip_fr), AVG(wheel_slip_rl),
               AVG(wheel_slip_rr), AVG(wheel_load_fl), AVG(wheel_load_fr),
               AVG(wheel_load_rl), AVG(wheel_load_rr)
        FROM read_csv_auto(?)""",
}
OUR_TABLES = (sql.SESSION_SUMMARY, sql.LAP_TABLE, sql.INPUT_DISTRIBUTION, sql.WHEEL_TABLE)
#: a log with only some channels (as imported from another tool): no lap_fraction, no
#: positions, so laps are placed by integrated speed and corners come from the speed trace
SUBSET = ("timestamp", "current_lap", "speed_kmh", "gas", "brake", "steer")


def simulate(folder: Path) -> Path:
    """A real session: out lap + 3 laps of Monza from the simulator, 100 Hz, Parquet."""
    sink = SessionFileSink(folder, "parquet", False)
    run_capture(CaptureOptions(source="sim", fast=True, game="ac", sim_laps=3, seed=1,
                               rate=100, track="monza"), [sink])
    return sink.paths[0]


def tile(src: Path, hours: float, out: Path, csv: Path | None = None) -> int:
    """Repeat the source's laps 2-3 (line to line) until ``hours`` of samples; rows."""
    table = pq.read_table(src)
    lap = table.column("current_lap").to_numpy()
    t = table.column("session_time").to_numpy()
    a, b = int(np.argmax(lap == 2)), int(np.argmax(lap == 4))
    block = table.slice(a, b - a)
    span = float(t[b] - t[a])
    dist = float(table.column("distance_m").to_numpy()[b]
                 - table.column("distance_m").to_numpy()[a])
    last_lap_ms = int(table.column("game_last_lap_ms").to_numpy()[b])  # lap 3's time
    copies = int(np.ceil(hours * 3600 / span))
    cols = {n: block.column(n).to_numpy(zero_copy_only=False) for n in block.column_names}
    first_lap = cols["current_lap"] == 2
    options = parquet_options(table)  # the store's own encodings
    row_group = options.pop("row_group_size")
    writer = pq.ParquetWriter(out, table.schema, **options)
    csv_writer = pacsv.CSVWriter(csv, table.schema) if csv else None
    rows = 0
    try:
        for k in range(copies):
            shifted = dict(cols)
            shifted["session_time"] = cols["session_time"] - t[a] + k * span
            shifted["timestamp"] = cols["timestamp"] + k * span
            shifted["completed_laps"] = (cols["completed_laps"] + 2 * k).astype("i4")
            shifted["current_lap"] = (cols["current_lap"] + 2 * k).astype("i4")
            shifted["distance_m"] = (cols["distance_m"] + k * dist).astype("f4")
            if k:
                glast = cols["game_last_lap_ms"].copy()
                glast[first_lap] = last_lap_ms
                shifted["game_last_lap_ms"] = glast
            batch = pa.table(shifted, schema=table.schema)
            writer.write_table(batch, row_group_size=row_group)
            if csv_writer:
                csv_writer.write_table(batch)
            rows += batch.num_rows
    finally:
        writer.close()
        if csv_writer:
            csv_writer.close()
    return rows


def timed(fn: Callable[[], object], repeat: int = 3) -> float:
    """Median wall time of ``fn`` over ``repeat`` runs (s)."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def our_tables(path: Path) -> None:
    with open_dataset([path]) as ds:
        for q in OUR_TABLES:
            ds.rows(q)


def seed_tables(csv: Path) -> None:
    con = duckdb.connect()
    for q in SEED_QUERIES.values():
        con.execute(q, [str(csv)]).fetchall()
    con.close()


def summary(path: Path) -> None:
    with open_dataset([path]) as ds:
        ds.rows(sql.SESSION_SUMMARY)


def compare_best_and_other(path: Path) -> None:
    with open_dataset([path]) as ds:
        ref = best_lap(ds)
        other = next(r for r in timed_laps(ds) if r["lap"] != ref.lap)
        compare_laps(ds, ref, LapRef(1, int(other["lap"])))


def mb(path: Path) -> float:
    return path.stat().st_size / 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="skip the 10 h CSV")
    ap.add_argument("--keep", type=Path, help="keep the files in this folder")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="actelemetry-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    print(f"machine: {os.cpu_count()} CPUs; files in {work}")
    real = simulate(work / "sim")
    real_csv = work / "real.csv"
    pacsv.write_csv(pq.read_table(real), real_csv)
    print(f"simulated {real.name}: {pq.read_metadata(real).num_rows} rows "
          f"(real, untiled); 1 h / 10 h files below tile its laps 2-3 with shifted clocks")
    files: dict[str, tuple[Path, Path | None]] = {}
    for hours, with_csv in ((1, True), (10, not args.quick)):
        pq_path = work / f"session_{hours}h.parquet"
        csv_path = work / f"session_{hours}h.csv" if with_csv else None
        t0 = time.perf_counter()
        rows = tile(real, hours, pq_path, csv_path)
        print(f"made {hours} h: {rows} rows in {time.perf_counter() - t0:.1f} s")
        files[f"{hours}h"] = (pq_path, csv_path)

    rows: list[tuple[str, str, str]] = []
    p1, c1 = files["1h"]
    p10, c10 = files["10h"]
    plots_dir = work / "plots"

    def add(name: str, fn: Callable[[], object], target: str = "", repeat: int = 3) -> None:
        rows.append((name, f"{timed(fn, repeat):.2f} s", target))

    def size(name: str, parquet: Path, csv: Path, target: str = "") -> None:
        rows.append((name, f"{mb(parquet):.1f} / {mb(csv):.1f} MB = "
                           f"1/{mb(csv) / mb(parquet):.1f}", target))

    add("analyze 1 h (tables, no plots)", lambda: analyze([p1], None, plots=False), "< 2 s")
    add("analyze 1 h --plots (6 HTML files)",
        lambda: analyze([p1], plots_dir, plots=True), repeat=1)
    html_mb = sum(f.stat().st_size for f in plots_dir.glob("*.html")) / 1e6
    rows.append(("  HTML written (plotly.js embedded in each)", f"{html_mb:.1f} MB", ""))
    add("compare 1 h (best lap vs another)", lambda: compare_best_and_other(p1))
    sub1 = work / "session_1h_6ch.parquet"
    pq.write_table(pq.read_table(p1, columns=list(SUBSET)), sub1)
    add(f"analyze 1 h, {len(SUBSET)} channels only (tables)",
        lambda: analyze([sub1], None, plots=False))
    add(f"compare 1 h, {len(SUBSET)} channels (speed-placed, speed corners)",
        lambda: compare_best_and_other(sub1))
    add("sql summary 10 h (sessions view)", lambda: summary(p10), "< 3 s")
    add("4 tables, ours, Parquet 1 h", lambda: our_tables(p1))
    add("4 tables, seed's way (read_csv_auto) 1 h", lambda: seed_tables(c1), repeat=1)
    add("4 tables, ours, Parquet 10 h", lambda: our_tables(p10), repeat=1)
    if c10 is not None:
        add("4 tables, seed's way (read_csv_auto) 10 h", lambda: seed_tables(c10), repeat=1)
    size("size real session: Parquet (as the store writes it) / CSV", real, real_csv, "<= 1/5")
    size("size 1 h (tiled): Parquet / CSV", p1, c1)
    if c10 is not None:
        size("size 10 h (tiled): Parquet / CSV", p10, c10)
    else:
        rows.append(("size 10 h (tiled): Parquet", f"{mb(p10):.1f} MB", ""))
    width = max(len(r[0]) for r in rows)
    print(f"\n{'measure':<{width}}  {'result':>28}  target")
    print("-" * (width + 40))
    for name, value, target in rows:
        print(f"{name:<{width}}  {value:>28}  {target}")
    print("\nTiled sessions repeat real simulated laps; the real session's size ratio is the "
          f"honest one. Total run {time.perf_counter() - started:.0f} s.")
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
