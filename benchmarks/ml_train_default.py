"""`actelemetry ml train` with its defaults, timed as a user runs it, on a dataset like the
demo's (five timed laps of the simulator at 100 Hz, the seed feature set).

    .venv/bin/python benchmarks/ml_train_default.py [--laps 5] [--all]

Prints the wall time of the whole command (start-up, loading, every model, the report) and
each model's line as the command printed it; the target is under 60 s on 2 cores.
``--all`` times the full grid too.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_S = 60.0


def make_dataset(folder: Path, laps: int) -> Path:
    from actelemetry.capture.loop import CaptureOptions, run_capture
    from actelemetry.capture.sinks import SessionFileSink
    from actelemetry.ml.dataset import prepare_dataset

    sink = SessionFileSink(folder / "telemetry_logs")
    run_capture(CaptureOptions(source="sim", fast=True, sim_laps=laps, seed=7), [sink])
    return prepare_dataset(sink.paths, folder / "ml_data")


def timed_train(folder: Path, *extra: str) -> tuple[float, list[str]]:
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "actelemetry", "ml", "train", *extra],
                          cwd=folder, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(proc.stderr)
    return wall, [ln for ln in proc.stdout.splitlines() if re.match(r"model \d+/\d+", ln)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--laps", type=int, default=5)
    ap.add_argument("--all", action="store_true", help="also time --all")
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="ml_train_bench_"))
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}; dataset: {args.laps} timed laps at 100 Hz (seed "
          "features)", flush=True)
    make_dataset(folder, args.laps)
    runs = [("ml train (defaults)", ())] + ([("ml train --all", ("--all",))] if args.all else [])
    print("\n| command | wall s | models | target | met |\n|---|---|---|---|---|")
    lines_of = {}
    for label, extra in runs:
        wall, lines = timed_train(folder, *extra)
        lines_of[label] = lines
        target = TARGET_S if not extra else None
        met = "" if target is None else ("yes" if wall < target else "no")
        print(f"| {label} | {wall:.1f} | {len(lines)} | "
              f"{'' if target is None else f'< {target:g}'} | {met} |", flush=True)
    for label, lines in lines_of.items():
        print(f"\n{label}:")
        for line in lines:
            print(f"  {line}")


if __name__ == "__main__":
    main()
