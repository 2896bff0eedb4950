"""Start-up benchmark: how long the CLI takes before it does anything, per command.

    .venv/bin/python benchmarks/startup.py [--runs 15]

Each row runs a fresh interpreter (as a user's shell does) and reports the median and
90th percentile of the wall time, against the 0.4 s target for ``--help`` and ``capture``.
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

TARGET_S = 0.4


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
    py = [sys.executable, "-m", "actelemetry"]
    empty = tempfile.mkdtemp()
    rows = [
        ("python -c pass (the interpreter alone)", [sys.executable, "-c", "pass"], None),
        ("actelemetry --help", [*py, "--help"], TARGET_S),
        ("actelemetry capture --help", [*py, "capture", "--help"], TARGET_S),
        ("capture, to its first look at the pages (--no-wait, no game)",
         [*py, "capture", "--no-wait", "--shm-dir", os.path.join(empty, "none"),
          "-o", os.path.join(empty, "logs")], TARGET_S),
        ("actelemetry analyze --help", [*py, "analyze", "--help"], None),
        ("actelemetry ml train --help", [*py, "ml", "train", "--help"], None),
        ("import actelemetry.capture.loop (NumPy, PyArrow)",
         [sys.executable, "-c", "import actelemetry.capture.loop"], None),
    ]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, {args.runs} runs each\n")
    print("| what | median s | p90 s | target | met |\n|---|---|---|---|---|")
    for label, command, target in rows:
        times = sorted(timed(command, args.runs))
        med = statistics.median(times)
        p90 = times[min(len(times) - 1, int(0.9 * len(times)))]
        met = "" if target is None else ("yes" if med < target else "no")
        shown = "" if target is None else f"< {target:g}"
        print(f"| {label} | {med:.3f} | {p90:.3f} | {shown} | {met} |", flush=True)


if __name__ == "__main__":
    main()
