"""Capture against the simulator running as another process, in real time.

Prints one row per rate: achieved rate, physics packets missed, duplicates refused,
schedule jitter (how late each scheduled read woke), CPU of this process as a share of
one core, and the time of one consistent snapshot (both pages, copied twice, compared).
At the physics rate it also runs the capture with ``busy_poll`` (never sleeping), the
price of catching every step on a machine whose sleeps sometimes wake milliseconds late,
and counts how often this machine does that to a bare sleep loop.

    .venv/bin/python benchmarks/capture.py [--seconds 60] [--rates 100 333] [--no-busy]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from actelemetry.capture.loop import CaptureOptions, run_capture
from actelemetry.capture.sinks import SessionFileSink
from actelemetry.game.constants import PHYSICS_HZ
from actelemetry.sources.child import run_child
from actelemetry.sources.sim import SimSpec


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(rate: float, seconds: float, busy: bool) -> dict[str, float]:
    with tempfile.TemporaryDirectory(dir="/dev/shm") as shm, \
            tempfile.TemporaryDirectory() as out:
        job: dict[str, object] = {"kind": "sim", **asdict(SimSpec(laps=5))}
        with run_child(job, Path(shm), "simulator"):
            sink = SessionFileSink(Path(out))
            wall0, cpu0 = time.perf_counter(), cpu_seconds()
            result = run_capture(CaptureOptions(shm_dir=Path(shm), rate=rate, busy_poll=busy,
                                                duration=seconds), [sink])
            wall, cpu = time.perf_counter() - wall0, cpu_seconds() - cpu0
    s = result.stats
    return {"rate": rate, "busy": busy, "looks": s.polls / wall, "achieved": s.achieved_rate,
            "missed": s.skipped,
            "dups": s.duplicates, "p50": s.jitter_ms(0.5), "p99": s.jitter_ms(0.99),
            "cpu": 100 * cpu / wall, "snap": s.snapshot_us, "samples": s.samples}


def late_wakeups(seconds: float, sleep_s: float = 2.8e-3, late_s: float = 3e-3,
                 ) -> tuple[int, int]:
    """(sleeps, wake-ups more than one physics step late) of a bare sleep loop shaped like
    the paced capture's: on this machine, the floor under the steps that capture loses."""
    clock, sleeps, late = time.perf_counter, 0, 0
    end = clock() + seconds
    while clock() < end:
        t0 = clock()
        time.sleep(sleep_s)
        sleeps += 1
        late += clock() - t0 - sleep_s > late_s
    return sleeps, late


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--rates", type=float, nargs="+", default=[100.0, 333.0])
    ap.add_argument("--no-busy", action="store_true", help="skip the busy-polling run")
    ap.add_argument("--no-wakeups", action="store_true",
                    help="skip measuring this machine's late wake-ups")
    args = ap.parse_args()
    runs = [(rate, False) for rate in args.rates]
    if not args.no_busy:
        runs += [(rate, True) for rate in args.rates if rate >= PHYSICS_HZ * 0.99]
    rows = [measure(rate, args.seconds, busy) for rate, busy in runs]
    print(f"capture against `actelemetry sim` (another process), {args.seconds:g} s per rate")
    print("| target Hz | mode | looks/s | achieved Hz | samples | packets missed "
          "| duplicates refused "
          "| jitter p50 ms | jitter p99 ms | CPU % of a core | us per snapshot |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        mode = "busy poll" if r["busy"] else ("paced" if r["rate"] >= PHYSICS_HZ * 0.99
                                              else "scheduled")
        print(f"| {r['rate']:g} | {mode} | {r['looks']:.0f} | {r['achieved']:.2f} "
              f"| {r['samples']} | {r['missed']} "
              f"| {r['dups']} | {r['p50']:.3f} | {r['p99']:.3f} | {r['cpu']:.1f} "
              f"| {r['snap']:.1f} |")
    if not args.no_wakeups:
        sleeps, late = late_wakeups(args.seconds)
        print(f"\nthis machine, a bare loop of 2.8 ms sleeps for {args.seconds:g} s: {late} of "
              f"{sleeps} woke more than 3 ms late (a paced capture loses a step only then)")


if __name__ == "__main__":
    main()
