"""Behaviour cloning from recorded laps: a Minari dataset in, a policy that drives the sim.

Records a few laps of the simulator's own driver (or takes session files), exports them
with ``actelemetry ml export-rl`` (the env's observation, action and reward), fits a
scikit-learn MLP from observation to (steer, gas, brake), and lets it drive the env:
laps completed, lap times and how far it got, beside the recorded driver's laps.

The policy sees what a driver steers and brakes by (speed, yaw, slide, where the car is
on the track, the bends ahead), not the inputs already applied (``steer``, ``gas``,
``brake``: it would learn to copy its own last action), nor the lap position, engine and
wheel figures that let it recall rather than drive.

    pip install -e '.[rl]'
    python examples/bc_baseline.py --sessions 2 --laps 3 --skills pro,good,club
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.multioutput import MultiOutputRegressor
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from actelemetry.capture.loop import CaptureOptions, run_capture
from actelemetry.capture.sinks import SessionFileSink
from actelemetry.gym import RacingEnv
from actelemetry.ml.rl_dataset import export_rl

#: left out of the policy's input (see above)
NOT_SEEN = ("steer", "gas", "brake", "rpm", "gear", "lap_fraction", "accel_longitudinal",
            "accel_lateral", "wheel_slip_fl", "wheel_slip_fr", "wheel_slip_rl",
            "wheel_slip_rr", "tyres_out", "local_vz")


def record(folder: Path, sessions: int, laps: int, skills: list[str]) -> list[Path]:
    """Sessions of the simulator's own driver at each skill, captured at 100 Hz as a user
    would: the less skilled drivers' mistakes and recoveries show the policy states off
    the ideal line."""
    from actelemetry.sim.driver import skill_value

    paths = []
    for skill in skills:
        for seed in range(1, sessions + 1):
            sink = SessionFileSink(folder, "parquet", False)
            run_capture(CaptureOptions(source="sim", fast=True, game="ac", sim_laps=laps,
                                       seed=seed, rate=100.0, track="monza",
                                       skill=skill_value(skill)), [sink])
            paths += sink.paths
    return paths


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("session_files", nargs="*", type=Path)
    ap.add_argument("--sessions", type=int, default=2,
                    help="sessions to record per skill (when no files are given)")
    ap.add_argument("--skills", default="pro,good,club", help="the recorded drivers' skills")
    ap.add_argument("--laps", type=int, default=3, help="timed laps per recorded session")
    ap.add_argument("--episodes", type=int, default=3, help="episodes the policy drives")
    ap.add_argument("--control-hz", type=float, default=20.0)
    ap.add_argument("--model", choices=("mlp", "hgb"), default="mlp",
                    help="an MLP (128, 128), or gradient-boosted trees per action")
    args = ap.parse_args()

    import minari

    work = Path(tempfile.mkdtemp(prefix="bc-"))
    t0 = time.perf_counter()
    files = args.session_files or record(work / "sessions", args.sessions, args.laps,
                                         args.skills.split(","))
    summary = export_rl(files, work / "datasets", "bc/monza-v0", args.control_hz)
    ds = minari.MinariDataset(summary.path / "data")
    episodes = list(ds.iterate_episodes())
    env = RacingEnv(control_hz=args.control_hz, laps=1, max_episode_s=240.0)
    seen = [i for i, name in enumerate(env.observation_names) if name not in NOT_SEEN]
    x = np.concatenate([e.observations[:-1, seen] for e in episodes])
    y = np.concatenate([e.actions for e in episodes])
    timed = [len(e.actions) / args.control_hz for e in episodes[1:]
             if e.terminations[-1] and len(e.actions) > 30 * args.control_hz]
    print(f"dataset: {summary.episodes} laps, {len(x)} steps from {len(files)} sessions; "
          f"recorded timed laps about {min(timed):.1f}-{max(timed):.1f} s (steps / rate) "
          f"({time.perf_counter() - t0:.0f} s)")

    if args.model == "mlp":
        policy = make_pipeline(StandardScaler(), MLPRegressor(
            hidden_layer_sizes=(128, 128), max_iter=200, early_stopping=True, random_state=0))
    else:
        policy = MultiOutputRegressor(HistGradientBoostingRegressor(max_iter=300, random_state=0))
    t1 = time.perf_counter()
    policy.fit(x, y)
    print(f"fitted {args.model} on {len(seen)} features in {time.perf_counter() - t1:.0f} s; "
          f"training R^2 {policy.score(x, y):.3f}")
    for seed in range(args.episodes):
        obs, _ = env.reset(seed=seed)
        done = False
        while not done:
            action = policy.predict(obs[None, seen])[0].astype(np.float32)
            obs, _, terminated, truncated, info = env.step(action)
            done = terminated or truncated
        laps = ", ".join(f"{ms / 1000:.2f} s ({'valid' if ok else 'invalid'})"
                         for ms, ok in zip(info["lap_times_ms"], info["lap_valid"],
                                           strict=True))
        print(f"episode {seed}: {info['end']}, {info['laps']} timed lap(s) {laps or '-'}, "
              f"progress {info['progress_m']:.0f} m")
    env.close()


if __name__ == "__main__":
    main()
