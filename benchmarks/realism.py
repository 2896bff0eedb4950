"""Realism check: a simulated lap against a real one on the same track.

    .venv/bin/python benchmarks/realism.py [--real tests/data/real/acc_spa_aston.jsonl]
        [--track spa] [--real-lap-s 149.475] [--skill good] [--seeds 0 1 2] [--laps 2]

The real recording goes through the project's own import (``actelemetry import``, into a
temporary folder) and is read back as a session file. It need not hold a lap from line to
line: one lap's worth of samples is taken by position (from the first moving sample's lap
fraction round to the same fraction one lap later). The simulated laps are the best valid
timed lap of each seed, sampled at 100 Hz.

Figures, each simulated against real:

* lap-time ratio (the real lap time is the game's own line-to-line time, ``--real-lap-s``,
  since the recording's one crossing gives it);
* speed against lap position: Pearson r after the start-line shift that maximises it
  (the two tracks' start lines and lengths need not agree);
* top speed; the five slowest corners side by side (the real lap's five lowest speed
  minima, at least 3 % of a lap apart, and the simulated minimum within 1.5 % of each);
* braking zones with hysteresis (pedal above 0.2 until below 0.05), brake-pedal reversals
  (>= 0.05) per second of braking, at the simulator's 100 Hz and resampled to the real
  recording's rate; each zone's peak pedal (median and highest); full-throttle share.

The real file is a check, never a target: nothing in the simulator is fitted to it.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from actelemetry.sim import Simulator
from actelemetry.sim.metrics import braking_zones, full_throttle_share, reversal_rate

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT / "tests" / "data" / "real" / "acc_spa_aston.jsonl"
BINS = 1000


def real_lap(path: Path) -> dict[str, np.ndarray]:
    """One lap's worth of a real recording, imported with ``actelemetry import``."""
    from actelemetry.cli import main
    from actelemetry.store.files import read_columns

    with tempfile.TemporaryDirectory() as tmp:
        try:
            main(["import", str(path), "-o", tmp])
        except SystemExit as exc:
            if exc.code:
                raise
        (out,) = Path(tmp).glob("*.parquet")
        c = read_columns(out, ["session_time", "completed_laps", "lap_fraction", "speed_kmh",
                               "gas", "brake"])
    moving = c["speed_kmh"] > 1.0
    c = {k: v[moving] for k, v in c.items()}
    f0 = c["lap_fraction"][0]
    lap = c["completed_laps"]
    one = (((lap == lap[0]) & (c["lap_fraction"] >= f0))
           | ((lap == lap[0] + 1) & (c["lap_fraction"] < f0)))
    lap_c = {k: v[one] for k, v in c.items()}
    lap_c["dt"] = np.array(float(np.median(np.diff(c["session_time"]))))
    return lap_c


def sim_lap(track: str, skill: str, seed: int, laps: int) -> dict[str, np.ndarray] | None:
    """The best valid timed lap of one simulated session, at 100 Hz."""
    sim = Simulator(game="acc", track=track, laps=laps, seed=seed, skill=skill)
    rows: list[tuple[float, ...]] = []
    k = 0
    while not sim.finished:
        sim.step(publish=False)
        k += 1
        if k % 3 == 0:
            s = sim.car.s
            rows.append((sim.time, sim.completed_laps, sim.s_lap / sim.track.length,
                         s.u * 3.6, s.gas, s.brake))
    a = np.array(rows)
    timed = [(t, n) for n, (t, ok) in enumerate(zip(sim.lap_times, sim.lap_valid,
                                                    strict=True)) if n > 0 and ok]
    if not timed:
        return None
    best_t, best_n = min(timed)
    sel = a[:, 1] == best_n
    b = a[sel]
    return {"session_time": b[:, 0], "lap_fraction": b[:, 2], "speed_kmh": b[:, 3],
            "gas": b[:, 4], "brake": b[:, 5], "dt": np.array(3 * sim.dt),
            "lap_time": np.array(best_t)}


def profile(lap: dict[str, np.ndarray]) -> np.ndarray:
    """Speed against lap position in BINS bins (empty bins interpolated)."""
    idx = np.minimum((lap["lap_fraction"] * BINS).astype(int), BINS - 1)
    total = np.bincount(idx, lap["speed_kmh"], BINS)
    count = np.bincount(idx, minlength=BINS)
    have = count > 0
    x = np.arange(BINS)
    return np.interp(x, x[have], total[have] / count[have], period=BINS)


def best_shift(sim_p: np.ndarray, real_p: np.ndarray) -> tuple[int, float]:
    """The circular shift of the simulated profile that best matches the real one."""
    best = (0, -2.0)
    for k in range(BINS):
        r = float(np.corrcoef(np.roll(sim_p, k), real_p)[0, 1])
        if r > best[1]:
            best = (k, r)
    return best


def slowest_corners(p: np.ndarray, n: int = 5, apart: float = 0.03) -> list[int]:
    """Bins of the ``n`` lowest local speed minima, at least ``apart`` of a lap apart."""
    sm = np.convolve(np.concatenate([p[-5:], p, p[:5]]), np.ones(11) / 11, mode="valid")
    minima = [i for i in range(BINS) if sm[i] == sm[max(i - 15, 0):i + 16].min()]
    chosen: list[int] = []
    for i in sorted(minima, key=lambda j: p[j]):
        gap = min((min(abs(i - j), BINS - abs(i - j)) for j in chosen), default=BINS)
        if gap >= apart * BINS:
            chosen.append(i)
        if len(chosen) == n:
            break
    return sorted(chosen)


def resampled(lap: dict[str, np.ndarray], dt: float) -> np.ndarray:
    t = lap["session_time"]
    grid = np.arange(t[0], t[-1], dt)
    return np.interp(grid, t, lap["brake"])


def figures(lap: dict[str, np.ndarray], real_dt: float) -> dict[str, float]:
    dt = float(lap["dt"])
    zones = braking_zones(lap["brake"])
    peaks = [z.peak for z in zones] or [0.0]
    return {
        "top": float(lap["speed_kmh"].max()),
        "zones": float(len(zones)),
        "peak_median": float(np.median(peaks)),
        "peak_max": float(max(peaks)),
        "rev": reversal_rate(lap["brake"], dt),
        "rev_real_rate": reversal_rate(resampled(lap, real_dt), real_dt),
        "full": 100 * full_throttle_share(lap["gas"]),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--real", type=Path, default=REAL)
    ap.add_argument("--real-lap-s", type=float, default=149.475,
                    help="the real lap's line-to-line time (s)")
    ap.add_argument("--track", default="spa")
    ap.add_argument("--skill", default="good")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--laps", type=int, default=2)
    args = ap.parse_args()
    console = Console(width=150)
    real = real_lap(args.real)
    real_dt = float(real["dt"])
    real_p = profile(real)
    rf = figures(real, real_dt)
    corners = slowest_corners(real_p)

    t = Table(title=f"simulator ({args.track}, skill {args.skill}) against {args.real.name}")
    for col in ("seed", "lap", "lap ratio", "r (shift)", "top km/h", "braking zones",
                "brake rev/s (100 Hz | real rate)", "brake peak (median | max)",
                "full throttle %"):
        t.add_column(col, justify="right")
    t.add_row("real", f"{args.real_lap_s:.3f}", "1", "1", f"{rf['top']:.1f}",
              f"{rf['zones']:.0f}", f"{rf['rev']:.2f}",
              f"{rf['peak_median']:.2f} | {rf['peak_max']:.2f}", f"{rf['full']:.0f}")
    corner_rows = []
    for seed in args.seeds:
        lap = sim_lap(args.track, args.skill, seed, args.laps)
        if lap is None:
            t.add_row(str(seed), "no valid lap", *["-"] * 7)
            continue
        f = figures(lap, real_dt)
        sp = profile(lap)
        shift, r = best_shift(sp, real_p)
        aligned = np.roll(sp, shift)
        w = int(0.015 * BINS)
        corner_rows.append((seed, [float(aligned[[(c + j) % BINS for c in [c0]
                                                  for j in range(-w, w + 1)]].min())
                                   for c0 in corners]))
        t.add_row(str(seed), f"{float(lap['lap_time']):.3f}",
                  f"{float(lap['lap_time']) / args.real_lap_s:.3f}",
                  f"{r:.3f} ({shift / BINS:+.3f})", f"{f['top']:.1f}", f"{f['zones']:.0f}",
                  f"{f['rev']:.2f} | {f['rev_real_rate']:.2f}",
                  f"{f['peak_median']:.2f} | {f['peak_max']:.2f}", f"{f['full']:.0f}")
    console.print(t)

    t = Table(title="five slowest real corners (km/h)")
    t.add_column("real lap fraction", justify="right")
    t.add_column("real", justify="right")
    for seed, _ in corner_rows:
        t.add_column(f"sim seed {seed}", justify="right")
    for k, c in enumerate(corners):
        t.add_row(f"{c / BINS:.3f}", f"{real_p[c]:.0f}",
                  *[f"{mins[k]:.0f}" for _, mins in corner_rows])
    console.print(t)


if __name__ == "__main__":
    main()
