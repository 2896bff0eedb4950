"""Simulator benchmark: fast-mode and real-time throughput, and the lap figures.

    .venv/bin/python benchmarks/sim.py [--laps 3] [--seeds 0 1 2] [--realtime-s 5]

Fast mode is measured the way the capture runs it: the simulator stepped in lockstep,
unpublished until each 100 Hz sample time, the last step published, and the pages read
back through the real reader (``open_pages``). Real time runs ``run_realtime`` against
the wall clock and reports the achieved step rate and how late steps were.
"""

from __future__ import annotations

import argparse
import ctypes
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from actelemetry.game.layouts import LAYOUTS
from actelemetry.game.mapping import open_pages
from actelemetry.game.writer import PageWriter
from actelemetry.sim import Simulator, run_realtime
from actelemetry.timefmt import lap_time_s


def fast_mode(game: str, laps: int, seed: int, folder: Path, rate: float = 100.0) -> dict:
    """One session in lockstep at ``rate`` Hz; returns timings and the lap figures."""
    pub = PageWriter(folder, game)
    sim = Simulator(game=game, track="monza", laps=laps, seed=seed, publisher=pub)
    pages = open_pages(folder)
    phys = LAYOUTS[(game, "physics")]
    n = ctypes.sizeof(phys)
    speed, lat, lon = [], [], []
    t_step = t_pub = 0.0
    n_step = n_pub = 0
    clock = time.perf_counter
    t0 = clock()
    t_next = 0.0
    while not sim.finished:
        t_next += 1.0 / rate
        a = clock()
        k = 0
        while sim.time + sim.dt < t_next - 1e-9 and not sim.finished:
            sim.step(publish=False)
            k += 1
        b = clock()
        sim.step(publish=True)
        c = clock()
        t_step += b - a
        n_step += k
        t_pub += c - b
        n_pub += 1
        p = phys.from_buffer_copy(pages["physics"].read(n))
        speed.append(p.speedKmh)
        lat.append(p.accG[0])
        lon.append(p.accG[2])
    wall = clock() - t0
    for m in pages.values():
        m.close()
    pub.close()
    timed = sim.lap_times[1:]
    valid = sim.lap_valid[1:]
    return {
        "game": game, "seed": seed, "sim_s": sim.time, "wall_s": wall,
        "factor": sim.time / wall, "step_us": t_step / max(n_step, 1) * 1e6,
        "publish_us": t_pub / max(n_pub, 1) * 1e6, "laps": timed, "valid": valid,
        "top_kmh": max(speed), "lat_g": float(np.max(np.abs(lat))),
        "brake_g": float(-np.min(lon)), "fuel_lap": float(np.mean(sim.fuel_per_lap)),
    }


def realtime_mode(seconds: float, speed: float, folder: Path) -> dict:
    pub = PageWriter(folder, "ac")
    sim = Simulator(game="ac", track="monza", laps=50, seed=0, publisher=pub)
    stats = run_realtime(sim, speed=speed, max_seconds=seconds)
    pub.close()
    return {"speed": speed, "rate": stats.step_rate, "target": 333.0 * speed,
            "sim_per_wall": stats.sim_s / stats.wall_s, "mean_late_ms": stats.mean_late_ms,
            "max_late_ms": stats.max_late_ms, "resets": stats.resets}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--laps", type=int, default=3)
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--realtime-s", type=float, default=5.0)
    args = ap.parse_args()
    console = Console(width=150)
    console.print(f"machine: {platform.platform()}, {platform.processor() or platform.machine()}"
                  f", Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as tmp:
        runs = [fast_mode(game, args.laps, seed, Path(tmp) / f"{game}{seed}")
                for game in ("ac", "acc") for seed in args.seeds]
        rts = [realtime_mode(args.realtime_s, s, Path(tmp) / f"rt{s}") for s in (1.0, 4.0)]

    t = Table(title="fast mode (lockstep, publish + read at 100 Hz)")
    for col in ("game", "seed", "sim s", "wall s", "sim s / wall s", "step us (unpublished)",
                "publish step us"):
        t.add_column(col, justify="right")
    for r in runs:
        t.add_row(r["game"], str(r["seed"]), f"{r['sim_s']:.1f}", f"{r['wall_s']:.2f}",
                  f"{r['factor']:.1f}x", f"{r['step_us']:.1f}", f"{r['publish_us']:.1f}")
    console.print(t)

    t = Table(title="real-time mode (run_realtime, AC)")
    for col in ("speed", "step rate /s", "target /s", "sim s / wall s", "mean late ms",
                "max late ms", "resets"):
        t.add_column(col, justify="right")
    for r in rts:
        t.add_row(f"{r['speed']:g}x", f"{r['rate']:.1f}", f"{r['target']:.0f}",
                  f"{r['sim_per_wall']:.3f}", f"{r['mean_late_ms']:.3f}",
                  f"{r['max_late_ms']:.2f}", str(r["resets"]))
    console.print(t)

    t = Table(title=f"lap figures (Monza, {args.laps} timed laps after the out lap)")
    for col in ("game", "seed", "laps (* = invalid)", "best valid", "top km/h", "peak lat g",
                "peak brake g", "fuel L/lap"):
        t.add_column(col, justify="right")
    for r in runs:
        laps = " ".join(lap_time_s(x) + ("" if ok else "*")
                        for x, ok in zip(r["laps"], r["valid"], strict=True))
        valid = [x for x, ok in zip(r["laps"], r["valid"], strict=True) if ok]
        best = lap_time_s(min(valid)) if valid else "-"
        t.add_row(r["game"], str(r["seed"]), laps, best, f"{r['top_kmh']:.1f}",
                  f"{r['lat_g']:.2f}", f"{r['brake_g']:.2f}", f"{r['fuel_lap']:.2f}")
    console.print(t)


if __name__ == "__main__":
    main()
