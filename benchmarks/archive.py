"""Archive benchmark: HOURS of sessions in a team archive, the summary on DuckDB and Spark.

The sessions are made by tiling real simulated laps: the built-in simulator drives Monza
and Silverstone with both of its cars through the real capture (fast mode, 100 Hz); each
one's timed laps are repeated with session_time, timestamp, lap counters, distance and the
game's last-lap time shifted, into sessions of ``--session-hours`` each, spread over
``--days`` days (so over track x car x date partitions), and each is added with
``archive add``. Prints a table: the archive's size and files, bytes per hour (of the
real simulator sessions, and of the tiled ones, which compress better: their laps repeat),
``archive add`` throughput, and the shared ``summary`` query (and a query one partition
answers) on DuckDB and on Spark local.

    .venv/bin/python benchmarks/archive.py [--hours 100] [--session-hours 2] [--no-spark]
                                           [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from actelemetry.archive.engines import ArchiveAnalysis, DuckEngine, analyse_archive
from actelemetry.archive.store import archive_add, locate, read_sessions
from actelemetry.capture.loop import CaptureOptions, run_capture
from actelemetry.capture.sinks import SessionFileSink
from actelemetry.store.session import META_KEY, parquet_options

TRACKS = ("monza", "silverstone")
CARS = ("actelemetry_gt3", "actelemetry_gt4")
#: a query that one track x car answers: the engines read only its partition folders
PRUNED = ("SELECT count(*) AS samples, max(speed_kmh) AS top_kmh, avg(gas) AS gas "
          "FROM telemetry WHERE track = 'monza' AND car = 'actelemetry_gt4'")


def simulate(folder: Path, track: str, car: str, laps: int = 3) -> Path:
    """A real capture of the simulator in fast mode, 100 Hz."""
    sink = SessionFileSink(folder, "parquet")
    run_capture(CaptureOptions(source="sim", fast=True, game="ac", sim_laps=laps, seed=7,
                               rate=100.0, track=track, car=car), [sink])
    return sink.paths[0]


def tile(src: Path, hours: float, out: Path, start_time: float) -> int:
    """The source's timed laps (2 to the last) repeated for ``hours``, as a session file
    that started at ``start_time``; rows written."""
    table = pq.read_table(src)
    lap = table.column("current_lap").to_numpy()
    t = table.column("session_time").to_numpy()
    last = int(lap.max())
    a, b = int(np.argmax(lap == 2)), int(np.argmax(lap == last))
    block = table.slice(a, b - a)
    laps = last - 2
    span = float(t[b] - t[a])
    dist_col = table.column("distance_m").to_numpy()
    dist = float(dist_col[b] - dist_col[a])
    last_lap_ms = int(table.column("game_last_lap_ms").to_numpy()[b])
    copies = int(np.ceil(hours * 3600 / span))
    cols = {n: block.column(n).to_numpy(zero_copy_only=False) for n in block.column_names}
    first_lap = cols["current_lap"] == 2
    meta = json.loads(table.schema.metadata[META_KEY])
    shift = start_time - float(meta["start_time"])
    meta["start_time"] = start_time
    schema = table.schema.with_metadata({META_KEY: json.dumps(meta).encode()})
    options = parquet_options(table)
    row_group = options.pop("row_group_size")
    rows = 0
    with pq.ParquetWriter(out, schema, **options) as writer:
        for k in range(copies):
            shifted = dict(cols)
            shifted["session_time"] = cols["session_time"] - t[a] + k * span
            shifted["timestamp"] = cols["timestamp"] + shift + k * span
            shifted["completed_laps"] = (cols["completed_laps"] + laps * k).astype("i4")
            shifted["current_lap"] = (cols["current_lap"] + laps * k).astype("i4")
            shifted["distance_m"] = (cols["distance_m"] + k * dist).astype("f4")
            if k:
                glast = cols["game_last_lap_ms"].copy()
                glast[first_lap] = last_lap_ms
                shifted["game_last_lap_ms"] = glast
            writer.write_table(pa.table(shifted, schema=schema), row_group_size=row_group)
            rows += len(cols["session_time"])
    return rows


def timed(fn: Callable[[], object], repeat: int) -> float:
    """Median wall time of ``fn`` over ``repeat`` runs (s)."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def archive_size(folder: Path) -> tuple[int, int, int]:
    """Bytes of the data files, their count, and the partition folders."""
    files = list((folder / "data").rglob("*.parquet"))
    return sum(f.stat().st_size for f in files), len(files), len({f.parent for f in files})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=float, default=100.0)
    ap.add_argument("--session-hours", type=float, default=2.0)
    ap.add_argument("--days", type=int, default=25)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-spark", action="store_true")
    ap.add_argument("--keep", type=Path, help="Build the archive here (and keep it)")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="actelemetry-archive-bench-"))
    archive = args.keep or work / "archive"
    results: list[tuple[str, str]] = []

    def row(name: str, value: str) -> None:
        results.append((name, value))
        print(f"  {name}: {value}", flush=True)

    try:
        print(f"simulating {len(TRACKS) * len(CARS)} sessions (3 laps, 100 Hz) ...", flush=True)
        real = []
        for track in TRACKS:
            for car in CARS:
                folder = work / f"{track}_{car}"
                folder.mkdir()
                real.append(simulate(folder, track, car))
        small = work / "real_archive"
        archive_add(real, small)
        sessions = read_sessions(locate(small)).to_pylist()
        real_h = sum(json.loads(s["metadata"])["duration_s"] for s in sessions) / 3600
        row("bytes per hour, real simulator sessions",
            f"{sum(s['bytes'] for s in sessions) / real_h / 1e6:.1f} MB/h "
            f"({real_h * 60:.1f} min of 100 Hz samples, {len(sessions)} sessions)")

        count = max(1, round(args.hours / args.session_hours))
        print(f"tiling {count} sessions of {args.session_hours:g} h into {archive} ...",
              flush=True)
        base = time.time() - args.days * 86400
        t_add = 0.0
        rows = 0
        for i in range(count):
            src = real[i % len(real)]
            path = work / f"tiled_{i}.parquet"
            rows += tile(src, args.session_hours, path,
                         base + (i % args.days) * 86400 + (i // args.days) * 3600 * 3)
            t0 = time.perf_counter()
            archive_add([path], archive)
            t_add += time.perf_counter() - t0
            path.unlink()
        hours = rows / 100 / 3600
        size, files, folders = archive_size(archive)
        row("archive", f"{hours:.1f} h, {rows / 1e6:.1f} M rows, {size / 1e9:.2f} GB in "
            f"{files} files, {folders} partition folders")
        row("bytes per hour, tiled sessions", f"{size / hours / 1e6:.1f} MB/h")
        row("archive add", f"{t_add:.0f} s ({hours / (t_add / 60):.1f} h of data a minute)")

        with ArchiveAnalysis(DuckEngine(locate(archive), threads=2)) as duck:
            row("DuckDB summary (all sessions)",
                f"{timed(lambda: duck.run('summary'), args.repeat):.2f} s")
            row("DuckDB one track x car (pruned)",
                f"{timed(lambda: duck.sql(PRUNED), args.repeat):.2f} s")
        if not args.no_spark:
            from actelemetry.archive.engines import spark_session

            t0 = time.perf_counter()
            spark = spark_session("local[2]", "actelemetry-benchmark")
            spark.sparkContext.setLogLevel("ERROR")
            row("Spark local[2] start", f"{time.perf_counter() - t0:.1f} s")
            with analyse_archive(str(archive), "spark", spark=spark) as sp:
                row("Spark summary (all sessions)",
                    f"{timed(lambda: sp.run('summary'), args.repeat):.2f} s")
                row("Spark one track x car (pruned)",
                    f"{timed(lambda: sp.sql(PRUNED), args.repeat):.2f} s")
            spark.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print()
    print("| measure | value |")
    print("|---|---|")
    for name, value in results:
        print(f"| {name} | {value} |")
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    print(f"\n(load: {load[0]:.2f} {load[1]:.2f}, {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
