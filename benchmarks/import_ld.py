"""``.ld`` reading benchmark: 100-channel MoTeC logs of 15 min, 1 h and 4 h at 100 Hz.

The files are made with ``write_ld`` in the mix a real log has: 80 float32 channels (ACC
writes every channel so), 15 whole-number channels (int16) and 5 with stated decimals
(scaled integers), with lap beacons every 100 s. Each file is then read with ``read_ld`` in a
fresh process (so one size's memory does not hide the next's): the best of three reads,
the peak of Python/NumPy allocations during a read (tracemalloc) and the process's peak
resident memory above what it held before reading. Target: under 3 s for 1 h.

    .venv/bin/python benchmarks/import_ld.py [--sizes 15,60,240] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import psutil

from actelemetry.formats.log import ForeignLog, LogChannel
from actelemetry.formats.motec_ld import read_ld, write_ld
from actelemetry.game.host import peak_rss_mb

RATE = 100
CHANNELS = 100


def make_log(path: Path, minutes: float) -> ForeignLog:
    """100 channels of ``minutes`` at 100 Hz; values kept as float32 to spare memory."""
    n = int(minutes * 60 * RATE)
    t = np.arange(n, dtype=np.float32) / RATE
    rng = np.random.default_rng(1)
    chans: dict[str, LogChannel] = {}
    for k in range(CHANNELS):
        name = f"Channel {k:03d}"
        if k < 80:
            values = (np.sin(t * (0.01 + k / 500)) * (k + 1)).astype(np.float32)
            values += rng.standard_normal(n, dtype=np.float32) * 0.01
            chans[name] = LogChannel(name, "u", values, float(RATE))
        elif k < 95:
            values = (np.floor(t / 7) % 7).astype(np.float32)
            chans[name] = LogChannel(name, "", values, float(RATE))
        else:
            values = np.round(t * 0.5 + k, 1)
            chans[name] = LogChannel(name, "C", values, float(RATE), decimals=1)
    marks = [float(s) for s in np.arange(100.0, minutes * 60, 100.0)]
    return ForeignLog(path, "ld", chans, {"venue": "Bench", "vehicle": "Bench car"}, marks)


def rss_mb() -> float:
    """This process's current resident memory (psutil: Linux and Windows alike)."""
    return float(psutil.Process().memory_info().rss) / 2**20


def read_one(path: Path) -> dict:
    """Runs in a fresh process: time, tracemalloc peak and resident peak of reading."""
    before = rss_mb()
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        log = read_ld(path)
        times.append(time.perf_counter() - t0)
        samples = sum(len(c.values) for c in log.channels.values())
        del log
    peak_rss = peak_rss_mb()
    tracemalloc.start()
    log = read_ld(path)
    _, traced = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    result_mb = sum(c.values.nbytes for c in log.channels.values()) / 2**20
    return {"best_s": min(times), "samples": samples, "traced_mb": traced / 2**20,
            "rss_mb": peak_rss - before, "result_mb": result_mb,
            "channels": len(log.channels)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="15,60,240", help="minutes, comma-separated")
    ap.add_argument("--keep", type=Path, help="keep the .ld files in this folder")
    ap.add_argument("--read-one", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.read_one:
        print(json.dumps(read_one(args.read_one)))
        return
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench_ld_"))
    folder.mkdir(parents=True, exist_ok=True)
    rows = []
    try:
        for minutes in [float(m) for m in args.sizes.split(",")]:
            path = folder / f"bench_{minutes:g}min.ld"
            log = make_log(path, minutes)
            t0 = time.perf_counter()
            write_ld(path, log)
            write_s = time.perf_counter() - t0
            del log
            out = subprocess.run([sys.executable, __file__, "--read-one", str(path)],
                                 capture_output=True, text=True, check=True)
            r = json.loads(out.stdout)
            size_mb = path.stat().st_size / 2**20
            rows.append((minutes, size_mb, write_s, r))
            print(f"  {minutes:g} min done", file=sys.stderr)
            if not args.keep:
                path.unlink()
                path.with_suffix(".ldx").unlink()
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    print(f"read_ld: {CHANNELS} channels at {RATE} Hz (80 float32, 15 int16, 5 with one "
          f"decimal), best of 3 reads; {os.cpu_count()} CPUs")
    head = ("duration", "file MB", "write s", "read s", "MB/s", "samples/s", "values MB",
            "traced peak MB", "RSS peak +MB")
    print(" | ".join(head))
    print(" | ".join("---" for _ in head))
    for minutes, size_mb, write_s, r in rows:
        print(" | ".join([f"{minutes:g} min", f"{size_mb:.0f}", f"{write_s:.2f}",
                          f"{r['best_s']:.2f}", f"{size_mb / r['best_s']:.0f}",
                          f"{r['samples'] / r['best_s'] / 1e6:.0f} M", f"{r['result_mb']:.0f}",
                          f"{r['traced_mb']:.0f}", f"{r['rss_mb']:.0f}"]))


if __name__ == "__main__":
    main()
