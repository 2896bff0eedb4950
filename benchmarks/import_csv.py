"""MoTeC CSV import benchmark: read_motec_csv on exports of about 25, 50 and 100 MB.

The files are made by the project's own exporter (``write_motec_csv``) from a log shaped
like an ACC MoTeC log exported by i2: 60 Hz, ``Time``, ``Distance`` and 48 channels with
i2's 0-3 decimal places, beacons every 140 s. Each read runs in a fresh Python process,
so its peak memory (resident size sampled every 2 ms, minus the process's size after its
imports; the file's pages, mapped for the parser, count while they are resident) is the
read's own; ``arrow MB`` is the most pyarrow held at once, ``result MB`` the channels'
arrays that the caller keeps. Prints a table: size, rows, write time, best and median read
time of three, MB/s and memory; the target is at least 50 MB/s.

    .venv/bin/python benchmarks/import_csv.py [--sizes 25,50,100] [--repeat 3] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from actelemetry.formats.log import ForeignLog, LogChannel
from actelemetry.formats.motec_csv import write_motec_csv

RATE = 60.0
CHANNELS = (  # name, unit, decimals, typical size, swing
    [("SPEED", "km/h", 1, 150.0, 90.0), ("THROTTLE", "%", 1, 50.0, 50.0),
     ("BRAKE", "%", 1, 10.0, 10.0), ("CLUTCH", "%", 1, 0.0, 1.0),
     ("STEERANGLE", "deg", 2, 0.0, 120.0), ("RPMS", "rpm", 0, 6500.0, 1500.0),
     ("GEAR", "", 0, 4.0, 2.0), ("G_LAT", "G", 3, 0.0, 1.8), ("G_LON", "G", 3, 0.0, 1.4),
     ("ROTY", "deg/s", 2, 0.0, 40.0), ("TC", "", 0, 0.0, 1.0), ("ABS", "", 0, 0.0, 1.0)]
    + [(f"{q}_{c}", u, d, m, s)
       for q, u, d, m, s in (("SUS_TRAVEL", "mm", 2, 40.0, 20.0),
                             ("WHEEL_SPEED", "rad/s", 2, 100.0, 60.0),
                             ("BRAKE_TEMP", "C", 1, 450.0, 200.0),
                             ("TYRE_PRESS", "psi", 2, 27.5, 0.8),
                             ("TYRE_TAIR", "C", 1, 85.0, 10.0),
                             ("BUMPSTOPUP_RIDE", "mm", 2, 5.0, 5.0),
                             ("BUMPSTOPDN_RIDE", "mm", 2, 5.0, 5.0),
                             ("BUMPSTOP_FORCE", "N", 1, 200.0, 200.0),
                             ("TYRE_SLIP", "", 3, 0.0, 0.2))
       for c in ("LF", "RF", "LR", "RR")])


def make_log(rows: int, seed: int = 1) -> ForeignLog:
    """A 60 Hz log of ``rows`` rows: smooth signals with noise, each at i2's precision."""
    rng = np.random.default_rng(seed)
    t = np.arange(rows) / RATE
    chans = {"Time": LogChannel("Time", "s", np.round(t, 3), rate_hz=RATE, decimals=3)}
    for i, (name, unit, dec, mid, swing) in enumerate(CHANNELS):
        wave = mid + swing * np.sin(2 * np.pi * t / (20 + i)) + rng.normal(0, swing / 50, rows)
        chans[name] = LogChannel(name, unit, np.round(wave, dec), rate_hz=RATE, decimals=dec)
    speed = chans["SPEED"].values / 3.6
    chans["Distance"] = LogChannel("Distance", "m", np.round(np.cumsum(speed) / RATE),
                                   rate_hz=RATE, decimals=0)
    return ForeignLog(source=Path("benchmark"), fmt="motec-csv", channels=chans,
                      lap_marks=list(np.arange(140.0, t[-1], 140.0)),
                      meta={"venue": "spa", "vehicle": "amr_v8_vantage_gt3",
                            "driver": "benchmark", "device_type": "ADL"})


_CHILD = """
import json, sys, threading, time
import numpy, psutil, pyarrow, pyarrow.csv
from actelemetry.formats.motec_csv import read_motec_csv
PROCESS = psutil.Process()
def rss():
    return PROCESS.memory_info().rss
base = rss()
peak = [base]
done = threading.Event()
def sample():
    while not done.wait(0.002):
        peak[0] = max(peak[0], rss())
watcher = threading.Thread(target=sample, daemon=True)
watcher.start()
t0 = time.perf_counter()
log = read_motec_csv(sys.argv[1])
seconds = time.perf_counter() - t0
done.set()
watcher.join()
peak[0] = max(peak[0], rss())
rows = len(log.channels["Time"].values)
print(json.dumps({"seconds": seconds, "peak_mb": (peak[0] - base) / 1e6,
                  "arrow_mb": pyarrow.default_memory_pool().max_memory() / 1e6,
                  "kept_mb": sum(c.values.nbytes for c in log.channels.values()) / 1e6,
                  "rows": rows, "columns": len(log.channels)}))
"""


def read_once(path: Path) -> dict[str, float]:
    """One read in a fresh interpreter: seconds, peak memory above its imports, rows."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).resolve().parents[1] / "src"),
                                         env.get("PYTHONPATH", "")])
    out = subprocess.run([sys.executable, "-c", _CHILD, str(path)], capture_output=True,
                         text=True, check=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="25,50,100", help="target sizes in MB")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="write the files here and keep them")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="import_csv_"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        probe = write_motec_csv(folder / "probe.csv", make_log(6000))
        per_row = probe.stat().st_size / 6000
        probe.unlink()
        print(f"{os.cpu_count()} CPUs; {len(CHANNELS) + 2} columns at {RATE:.0f} Hz, "
              f"{per_row:.0f} bytes a row; each read in a fresh process\n")
        head = (f"{'file MB':>8} {'rows':>9} {'hours':>6} {'write s':>8} {'read s best':>12} "
                f"{'median':>7} {'MB/s best':>10} {'MB/s med':>9} {'peak MB':>8} {'arrow MB':>9} "
                f"{'result MB':>9} {'peak/file':>9}")
        print(head)
        print("-" * len(head))
        for target in (float(s) for s in args.sizes.split(",")):
            rows = int(target * 1e6 / per_row)
            path = folder / f"export_{target:g}MB.csv"
            t0 = time.perf_counter()
            write_motec_csv(path, make_log(rows))
            wrote = time.perf_counter() - t0
            mb = path.stat().st_size / 1e6
            runs = [read_once(path) for _ in range(args.repeat)]
            secs = [r["seconds"] for r in runs]
            peak = max(r["peak_mb"] for r in runs)
            arrow = max(r["arrow_mb"] for r in runs)
            assert all(r["rows"] == rows for r in runs)
            print(f"{mb:8.1f} {rows:9d} {rows / RATE / 3600:6.2f} {wrote:8.1f} "
                  f"{min(secs):12.2f} {statistics.median(secs):7.2f} {mb / min(secs):10.0f} "
                  f"{mb / statistics.median(secs):9.0f} {peak:8.0f} {arrow:9.0f} "
                  f"{runs[0]['kept_mb']:9.0f} {peak / mb:9.2f}")
            if not args.keep:
                path.unlink()
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
