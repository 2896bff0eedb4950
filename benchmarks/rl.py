"""Racing env throughput: env steps per second, one env, N async envs, Ray with N runners.

    .venv/bin/python benchmarks/rl.py [--envs N] [--seconds 10] [--control-hz 20] [--no-ray]

Each env is single-threaded Python (the simulator integrates 333 Hz physics, so one 20 Hz
control step is 17 physics steps plus a page write and read), so steps/s grows with the
processes that step envs in parallel, up to one per free core: N async envs or N Ray
runners on N free cores give up to N times one env, less the cost of moving observations
between processes. The policy for one env and the async envs is a scripted driver that
keeps to the centre line (long episodes, as a trained agent drives); the Ray runners
sample with RLlib's own freshly initialised policy network (random actions, short
episodes, each reset is a new session), so their figure includes the policy's inference.
"""

from __future__ import annotations

import argparse
import os
import time

import gymnasium as gym
import numpy as np
from rich.console import Console
from rich.table import Table

from actelemetry.gym import ENV_ID, RacingEnv


def centre_policy(obs: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    """Steer back to the centre line at a steady part throttle."""
    offset = obs[..., names.index("track_offset_m")]
    error = obs[..., names.index("heading_error")]
    steer = np.clip(-0.05 * offset - 1.5 * error, -1.0, 1.0)
    gas = np.full_like(steer, 0.6)
    return np.stack([steer, gas, np.zeros_like(steer)], axis=-1).astype(np.float32)


def one_env(seconds: float, control_hz: float) -> tuple[int, float]:
    env = RacingEnv(control_hz=control_hz)
    obs, _ = env.reset(seed=0)
    steps, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        obs, _, terminated, truncated, _ = env.step(centre_policy(obs, env.observation_names))
        steps += 1
        if terminated or truncated:
            obs, _ = env.reset()
    wall = time.perf_counter() - t0
    env.close()
    return steps, wall


def async_envs(n: int, seconds: float, control_hz: float) -> tuple[int, float]:
    envs = gym.make_vec(ENV_ID, num_envs=n, vectorization_mode="async",
                        control_hz=control_hz)
    names = RacingEnv().observation_names
    obs, _ = envs.reset(seed=list(range(n)))
    steps, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        obs, *_ = envs.step(centre_policy(obs, names))  # autoreset on episode end
        steps += n
    wall = time.perf_counter() - t0
    envs.close()
    return steps, wall


def ray_runners(n: int, seconds: float, control_hz: float) -> tuple[int, float]:
    import ray

    from actelemetry.gym.rllib import ppo_config

    ray.init(num_cpus=n, include_dashboard=False, log_to_driver=False)
    try:
        algo = ppo_config({"control_hz": control_hz}, env_runners=n).build_algo()
        group = algo.env_runner_group
        chunk = max(int(seconds * 300), 200)
        group.foreach_env_runner(lambda r: len(r.sample(num_timesteps=50)),
                                 local_env_runner=False)  # warm up
        t0 = time.perf_counter()
        counts = group.foreach_env_runner(
            lambda r: sum(len(e) for e in r.sample(num_timesteps=chunk)),
            local_env_runner=False)
        wall = time.perf_counter() - t0
        algo.stop()
    finally:
        ray.shutdown()
    return int(sum(counts)), wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--envs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--control-hz", type=float, default=20.0)
    ap.add_argument("--no-ray", action="store_true")
    args = ap.parse_args()
    n, secs, hz = args.envs, args.seconds, args.control_hz
    rows: list[tuple[str, int, float]] = []
    steps, wall = one_env(secs, hz)
    rows.append(("1 env", steps, wall))
    for k in sorted({1, 2, n}):
        steps, wall = async_envs(k, secs, hz)
        rows.append((f"AsyncVectorEnv, {k} envs", steps, wall))
    if not args.no_ray:
        steps, wall = ray_runners(n, secs, hz)
        rows.append((f"Ray RLlib, {n} env runners", steps, wall))
    base = rows[0][1] / rows[0][2]
    table = Table(title=f"racing env at {hz:g} Hz control: {os.cpu_count()} cores, load "
                  f"{os.getloadavg()[0]:.1f}")
    for col in ("mode", "env steps", "wall s", "steps/s", "x one env"):
        table.add_column(col, justify="left" if col == "mode" else "right")
    for mode, steps, wall in rows:
        rate = steps / wall
        table.add_row(mode, str(steps), f"{wall:.1f}", f"{rate:.0f}", f"{rate / base:.2f}")
    Console().print(table)


if __name__ == "__main__":
    main()
