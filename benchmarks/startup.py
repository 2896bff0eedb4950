"""Start-up benchmark: how long the CLI takes before it does anything, per command.

    .venv/bin/python benchmarks/startup.py [--runs 15]

Each row runs a fresh interpreter (as a user's shell does) and reports the median and
90th percentile of the wall time in milliseconds, against the 0.4 s target for ``--help``
and ``capture``. The ``actelemetry`` script beside the interpreter is timed where there is
one (``python -m actelemetry`` otherwise).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_MS = 400.0


def timed(args: list[str], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - t0)
    return times


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    script = Path(sys.executable).with_name("actelemetry")
    py = [str(script)] if script.exists() else [sys.executable, "-m", "actelemetry"]
    empty = tempfile.mkdtemp()
    rows = [
        ("python -c pass (the interpreter alone)", [sys.executable, "-c", "pass"], None),
        ("actelemetry --help", [*py, "--help"], TARGET_MS),
        ("actelemetry capture --help", [*py, "capture", "--help"], TARGET_MS),
        ("capture, to its first look at the pages (--no-wait, no game)",
         [*py, "capture", "--no-wait", "--shm-dir", os.path.join(empty, "none"),
          "-o", os.path.join(empty, "logs")], TARGET_MS),
        ("actelemetry analyze --help", [*py, "analyze", "--help"], None),
        ("actelemetry ml train --help", [*py, "ml", "train", "--help"], None),
        ("import actelemetry.cli (every command registered)",
         [sys.executable, "-c", "import actelemetry.cli"], None),
        ("import actelemetry.capture.loop (NumPy, PyArrow)",
         [sys.executable, "-c", "import actelemetry.capture.loop"], None),
    ]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, {args.runs} runs each\n")
    print("| what | median ms | p90 ms | target | met |\n|---|---|---|---|---|")
    for label, command, target in rows:
        times = sorted(1000 * t for t in timed(command, args.runs))
        med = statistics.median(times)
        p90 = times[min(len(times) - 1, int(0.9 * len(times)))]
        met = "" if target is None else ("yes" if med < target else "no")
        shown = "" if target is None else f"< {target:.0f}"
        print(f"| {label} | {med:.0f} | {p90:.0f} | {shown} | {met} |", flush=True)


if __name__ == "__main__":
    main()
