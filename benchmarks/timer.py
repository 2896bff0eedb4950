"""How finely this machine sleeps, with and without the fine timer the capture and the
simulator ask for (``game/timer.py``: ``timeBeginPeriod(1)`` on Windows, nothing
elsewhere), and the granularity the pacers adapt to.

Prints one row per requested sleep: median, p99 and max of what the sleep really took.
On Linux both halves agree (the kernel's timers are fine already); on Windows the first
half shows the system timer's default and the second what the capture runs with.

    .venv/bin/python benchmarks/timer.py [--count 500]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys

from actelemetry.game.timer import fine_timer, measure_sleep, sleep_granularity

REQUESTS_MS = (0.1, 0.5, 1.0, 2.0, 3.0)


def row(label: str, request_ms: float, count: int) -> str:
    took = sorted(t * 1000.0 for t in measure_sleep(request_ms / 1000.0, count))
    p99 = took[min(len(took) - 1, int(0.99 * len(took)))]
    return (f"| {label} | {request_ms:g} | {statistics.median(took):.3f} | {p99:.3f} | "
            f"{took[-1]:.3f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500, help="sleeps per row")
    args = parser.parse_args()
    print(f"{platform.system()} {platform.release()}, Python {sys.version.split()[0]}")
    print("| timer | asked ms | took p50 ms | p99 ms | max ms |")
    print("|---|---|---|---|---|")
    coarse = sleep_granularity()
    for request in REQUESTS_MS:
        print(row("default", request, args.count))
    with fine_timer():
        fine = sleep_granularity()
        for request in REQUESTS_MS:
            print(row("fine", request, args.count))
    print(f"sleep granularity the pacers adapt to: {coarse * 1000:.3f} ms by default, "
          f"{fine * 1000:.3f} ms with the fine timer")


if __name__ == "__main__":
    main()
