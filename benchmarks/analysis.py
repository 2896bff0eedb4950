"""Analysis benchmark: whole processes, as a user runs them, on 1 h and 10 h sessions.

The sessions are made by tiling real simulated laps: the built-in simulator drives Monza
through the real capture (fast mode); its two timed laps are repeated with session_time,
timestamp, lap counters, distance and the game's last-lap time shifted so the result reads
as one long session. Each tiled file then gets its per-lap summary the way the store writes
one (``analysis.summary.add_summary``); a copy without it shows the path older files take.

Every figure is a whole process (interpreter start and imports included), timed with its
peak RSS (GNU ``time``; where there is none, as on Windows, the process reports its own
peak, ``game.host.peak_rss_mb``), the two sides of a comparison alternating A B A B. The
seed's way is its analysis script's seven DuckDB scans (session summary, lap summary,
throttle, brake and speed distributions, wheel slip, suspension travel), each a
``read_csv_auto`` of the seed's own CSV shape: its 38 columns plus the suspension travel the
seventh scan reads (42), the values written with 2 to 5 decimals as the seed's logger writes
them.

    .venv/bin/python benchmarks/analysis.py [--quick] [--repeat N] [--keep DIR]

``--quick`` leaves out the 10 h CSV and the seed's 10 h scans (the slowest part).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from actelemetry.analysis.summary import SUMMARY_KEY, add_summary
from actelemetry.capture.loop import CaptureOptions, run_capture
from actelemetry.capture.sinks import SessionFileSink
from actelemetry.channels.catalogue import SEED_COLUMN_NAMES
from actelemetry.store.session import parquet_options

#: GNU time where there is one (Linux); elsewhere each Python process reports its own peak
TIME = shutil.which("time") or ("/usr/bin/time" if os.path.exists("/usr/bin/time") else None)
#: run ``python [-m module | script] args`` and print its peak RSS (KiB) last on stderr, as
#: GNU time's ``%M`` does
OWN_PEAK = """
import atexit, runpy, sys
from actelemetry.game.host import peak_rss_mb
atexit.register(lambda: sys.stderr.write(f"\\n{peak_rss_mb() * 1024:.0f}\\n"))
args = sys.argv[1:]
if args[0] == "-m":
    sys.argv = args[1:]
    runpy.run_module(args[1], run_name="__main__", alter_sys=True)
else:
    sys.argv = args
    runpy.run_path(args[0], run_name="__main__")
"""
#: a log with only some channels (as imported from another tool): no lap_fraction, no
#: positions, so laps are placed by integrated speed and corners come from the speed trace
SUBSET = ("timestamp", "current_lap", "speed_kmh", "gas", "brake", "steer")
#: the seed's CSV: its 38 columns and the suspension travel its seventh scan reads
SEED_CSV_COLUMNS = [*SEED_COLUMN_NAMES, "suspension_travel_fl", "suspension_travel_fr",
                    "suspension_travel_rl", "suspension_travel_rr"]
#: the seed analysis script's scans, as it runs them (one read_csv_auto each)
SEED_SCANS = '''
import sys, duckdb
csv = sys.argv[1]
src = f"read_csv_auto('{csv}')"
con = duckdb.connect()
scans = [
    f"""SELECT COUNT(*), MAX(current_lap), ROUND(MAX(timestamp), 1), ROUND(MAX(timestamp) / 60, 2),
        ROUND(MAX(speed_kmh), 2), ROUND(AVG(CASE WHEN speed_kmh > 5 THEN speed_kmh END), 2),
        ROUND(MAX(distance_m) / 1000, 2), ROUND(MAX(gas), 3), ROUND(MAX(brake), 3),
        ROUND(AVG(ABS(steer)), 4), ROUND(MAX(ABS(steer)), 4),
        ROUND(MAX(ABS(accel_longitudinal)) / 9.81, 2), ROUND(MAX(ABS(accel_lateral)) / 9.81, 2)
        FROM {src}""",
    f"""SELECT current_lap, COUNT(*), ROUND(MAX(speed_kmh), 1),
        ROUND(AVG(CASE WHEN speed_kmh > 5 THEN speed_kmh END), 1), ROUND(AVG(gas) * 100, 1),
        ROUND(AVG(brake) * 100, 1), ROUND(AVG(ABS(steer)) * 100, 2),
        ROUND(MAX(timestamp) - MIN(timestamp), 3)
        FROM {src} GROUP BY current_lap ORDER BY current_lap""",
    f"""SELECT CASE WHEN gas > 0.9 THEN 'full' WHEN gas > 0.7 THEN 'high'
        WHEN gas > 0.5 THEN 'medium' WHEN gas > 0.2 THEN 'low' WHEN gas > 0 THEN 'minimal'
        ELSE 'off' END, COUNT(*), ROUND(COUNT(*) * 100.0 / SUM(COUNT(*)) OVER (), 2)
        FROM {src} GROUP BY 1 ORDER BY 2 DESC""",
    f"""SELECT CASE WHEN brake > 0.7 THEN 'hard' WHEN brake > 0.5 THEN 'medium'
        WHEN brake > 0.3 THEN 'light' WHEN brake > 0 THEN 'minimal' ELSE 'off' END,
        COUNT(*), ROUND(COUNT(*) * 100.0 / SUM(COUNT(*)) OVER (), 2)
        FROM {src} GROUP BY 1 ORDER BY 2 DESC""",
    f"""SELECT FLOOR(speed_kmh / 20) * 20, COUNT(*) FROM {src} WHERE speed_kmh > 0
        GROUP BY 1 ORDER BY 1""",
    f"""SELECT ROUND(AVG(wheel_slip_fl), 4), ROUND(AVG(wheel_slip_fr), 4),
        ROUND(AVG(wheel_slip_rl), 4), ROUND(AVG(wheel_slip_rr), 4),
        ROUND(MAX(wheel_slip_fl), 4), ROUND(MAX(wheel_slip_fr), 4),
        ROUND(MAX(wheel_slip_rl), 4), ROUND(MAX(wheel_slip_rr), 4) FROM {src}""",
    f"""SELECT """ + ", ".join(f"ROUND({f}(suspension_travel_{w}) * 1000, 2)"
                              for f in ("AVG", "MAX", "MIN") for w in ("fl", "fr", "rl", "rr"))
    + f" FROM {src}",
]
for q in scans:
    for row in con.execute(q).fetchall():
        print(*row)
'''


def simulate(folder: Path) -> Path:
    """A real session: out lap + 3 laps of Monza from the simulator, 100 Hz, Parquet."""
    sink = SessionFileSink(folder, "parquet", False)
    run_capture(CaptureOptions(source="sim", fast=True, game="ac", sim_laps=3, seed=1,
                               rate=100, track="monza"), [sink])
    return sink.paths[0]


def tile(src: Path, hours: float, out: Path) -> int:
    """Repeat the source's laps 2-3 (line to line) until ``hours`` of samples, written as
    the store writes (its encodings and row groups), without a summary; rows written."""
    table = pq.read_table(src)
    meta = {k: v for k, v in (table.schema.metadata or {}).items() if k != SUMMARY_KEY}
    schema = table.schema.with_metadata(meta)
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
    options = parquet_options(table)
    row_group = options.pop("row_group_size")
    rows = 0
    pending: list[pa.Table] = []
    with pq.ParquetWriter(out, schema, **options) as writer:
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
            pending.append(pa.table(shifted, schema=schema))
            rows += pending[-1].num_rows
            if sum(p.num_rows for p in pending) >= row_group or k == copies - 1:
                writer.write_table(pa.concat_tables(pending), row_group_size=row_group)
                pending = []
    return rows


def decimals(values: np.ndarray) -> int:
    """2 to 5 decimals by magnitude, as the seed's logger rounds: km/h to 2, g to 4..."""
    top = float(np.nanmax(np.abs(values))) if len(values) else 0.0
    return 2 if top >= 100 else 3 if top >= 10 else 4 if top >= 1 else 5


def seed_csv(parquet: Path, out: Path) -> None:
    """The session in the seed's CSV shape (42 columns, 2-5 decimals), written by DuckDB."""
    sample = pq.read_table(parquet, columns=SEED_CSV_COLUMNS).slice(0, 200_000)
    parts = []
    for name in SEED_CSV_COLUMNS:
        col = sample.column(name)
        if pa.types.is_floating(col.type) and name != "timestamp":
            parts.append(f"round({name}, {decimals(col.to_numpy())}) AS {name}")
        elif name == "timestamp":
            parts.append("round(timestamp, 3) AS timestamp")
        else:
            parts.append(name)
    con = duckdb.connect()
    rel = con.read_parquet(str(parquet)).select(", ".join(parts))
    rel.to_csv(str(out), header=True)
    con.close()


def run_process(argv: Sequence[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one whole process; it must succeed. GNU time
    reads the peak: a child forked from this (large) process would count its pages."""
    timed = [TIME, "-f", "%M", *argv] if TIME else [argv[0], "-c", OWN_PEAK, *argv[1:]]
    # as a user's Python runs: with its compiled bytecode cached (a shell that sets
    # PYTHONDONTWRITEBYTECODE would compile every module at every start)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    t0 = time.perf_counter()
    proc = subprocess.run(timed, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, env={**env, "COLUMNS": "120"},
                          check=False)
    wall = time.perf_counter() - t0
    err = proc.stderr.decode().strip()
    if proc.returncode:
        raise RuntimeError(f"{' '.join(argv)} failed: {err[-500:]}")
    return wall, int(err.splitlines()[-1]) / 1024


def alternate(sides: dict[str, list[str]], repeat: int) -> dict[str, list[tuple[float, float]]]:
    """Each side ``repeat`` times, A B A B ..., after one untimed run of each (it writes
    the bytecode cache and reads the files into the page cache, as any earlier run has)."""
    out: dict[str, list[tuple[float, float]]] = {k: [] for k in sides}
    for argv in sides.values():
        run_process(argv)
    for _ in range(repeat):
        for name, argv in sides.items():
            out[name].append(run_process(argv))
    return out


def figure(runs: list[tuple[float, float]]) -> str:
    walls = [w for w, _ in runs]
    rss = max(m for _, m in runs)
    return (f"{statistics.median(walls):6.2f} s ({min(walls):.2f}-{max(walls):.2f}, "
            f"n={len(walls)}), {rss:5.0f} MiB")


def loadavg() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="skip the 10 h CSV and seed scans")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each side (default 3)")
    ap.add_argument("--keep", type=Path, help="keep the files in this folder")
    args = ap.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="actelemetry-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    print(f"load average at start: {loadavg()}; {os.cpu_count()} CPUs; files in {work}",
          flush=True)
    real = simulate(work / "sim")
    print(f"simulated {real.name}: {pq.read_metadata(real).num_rows} rows (real, untiled)")
    files: dict[int, dict[str, Path]] = {}
    for hours in (1, 10):
        old = work / f"session_{hours}h_no_summary.parquet"
        t0 = time.perf_counter()
        rows = tile(real, hours, old)
        new = work / f"session_{hours}h.parquet"
        shutil.copyfile(old, new)
        add_summary(new)
        made = {"old": old, "new": new}
        if hours == 1 or not args.quick:
            made["csv"] = work / f"session_{hours}h_seed.csv"
            seed_csv(old, made["csv"])
        files[hours] = made
        print(f"made {hours} h: {rows} rows in {time.perf_counter() - t0:.1f} s", flush=True)
    seed_script = work / "seed_scans.py"
    seed_script.write_text(SEED_SCANS)
    py = sys.executable
    ours = [py, "-m", "actelemetry", "analyze"]
    rows: list[tuple[str, str]] = []
    for hours in (1, 10):
        f = files[hours]
        sides = {f"analyze {hours} h, text (summary in the file)": [*ours, str(f["new"])],
                 f"analyze {hours} h, text, file without a summary": [*ours, str(f["old"])]}
        if "csv" in f:
            sides[f"seed's 7 scans {hours} h (read_csv_auto, CSV)"] = [
                py, str(seed_script), str(f["csv"])]
        repeat = args.repeat if hours == 1 else max(2, args.repeat)
        for name, runs in alternate(sides, repeat).items():
            rows.append((name, figure(runs)))
        print(f"timed {hours} h", flush=True)
    plots = work / "plots"
    runs = alternate({"analyze 1 h --plots": [*ours, str(files[1]["new"]), "--plots",
                                              "--no-graphs", "-o", str(plots)]}, 1)
    rows.append(("analyze 1 h --plots", figure(runs["analyze 1 h --plots"])))
    html = sum(p.stat().st_size for p in plots.rglob("*") if p.is_file())
    rows.append(("  HTML written (all files)", f"{html / 2**20:.1f} MiB in "
                 f"{len(list(plots.iterdir()))} files"))
    best_other = alternate({"compare 1 h": [py, "-m", "actelemetry", "compare",
                                            str(files[1]["new"]), "--no-html"]}, args.repeat)
    rows.append(("compare 1 h (best lap vs the next)", figure(best_other["compare 1 h"])))
    sub = work / "session_1h_6ch.parquet"
    pq.write_table(pq.read_table(files[1]["old"], columns=list(SUBSET)), sub)
    more = alternate({
        f"analyze 1 h, {len(SUBSET)} channels only": [*ours, str(sub)],
        f"compare 1 h, {len(SUBSET)} channels (speed-placed)": [
            py, "-m", "actelemetry", "compare", str(sub), "--no-html"],
        "sql summary 10 h (sessions view)": [py, "-m", "actelemetry", "sql",
                                             "SELECT * FROM sessions", str(files[10]["new"])],
        "sql summary 10 h, file without a summary": [
            py, "-m", "actelemetry", "sql", "SELECT * FROM sessions", str(files[10]["old"])],
    }, args.repeat)
    rows += [(name, figure(runs)) for name, runs in more.items()]
    for hours in (1, 10):
        f = files[hours]
        if "csv" in f:
            ratio = f["csv"].stat().st_size / f["new"].stat().st_size
            rows.append((f"size {hours} h: Parquet / seed CSV",
                         f"{f['new'].stat().st_size / 1e6:.1f} / "
                         f"{f['csv'].stat().st_size / 1e6:.1f} MB = 1/{ratio:.1f}"))
    width = max(len(r[0]) for r in rows)
    print(f"\n{'measure (whole process)':<{width}}  median (range, n), peak RSS")
    print("-" * (width + 45))
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    print(f"\nload average at end: {loadavg()}. Tiled sessions repeat real simulated laps. "
          f"Total run {time.perf_counter() - started:.0f} s.")
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
