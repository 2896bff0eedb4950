"""DAgger (Ross, Gordon and Bagnell, 2011): a policy that learns to lap the simulator's
Monza from the simulator's own driver, asked about the learner's own states.

Behaviour cloning on recorded laps fails by compounding errors: the recorded driver never
leaves his line, so the policy has no label for the states its own small errors lead to
(``examples/bc_baseline.py``: off at the first chicane). DAgger asks the expert there:

1. drive episodes with the expert's actions, each state labelled with the expert's action;
2. fit the policy (observation -> steer, gas, brake) on every label so far;
3. drive new episodes with a mixture: each step the expert's action with probability
   ``beta`` (halved each round), the learner's otherwise; label every visited state with
   what the expert would do there (:class:`actelemetry.gym.expert.SimExpert`, a shadow of
   the simulator's driver riding along), add them to the data, and fit again.

Each round the learner alone drives from the grid (deterministic, one timed lap at most,
240 s): that episode is the round's evaluation, and its states are labelled and kept too.
The other episodes start anywhere on the lap, rolling (``start="flying"``), so every corner
is met from the first round. The policy sees only the env's observation (speed, sliding,
yaw rate, where the car is across the track, the bends ahead); the expert alone reads the
simulator's lap plan. Every env step counts in the budget, the evaluations' too.

    pip install -e '.[rl]'
    python examples/dagger.py --rounds 12 --save /tmp/dagger
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path
from typing import Any

import numpy as np

from actelemetry.gym import RacingEnv
from actelemetry.gym.expert import SimExpert

#: the bends ahead the env reports (m): the braking zones of a 300 km/h straight start
#: about 200 m before the bend (train_ppo.py's choice too, so its data fits PPO)
AHEAD_M = (0, 25, 50, 100, 150, 200, 300)
#: what the policy sees: no applied inputs (it would copy its own last action), no lap
#: position, engine or wheel figures (it would recall rather than drive)
SEEN = ("speed_ms", "local_vx", "yaw_rate", "track_offset_m", "heading_error",
        *(f"curvature_{d}m" for d in AHEAD_M))
#: the built-in driver's lap of Monza (pro, the default), for comparison
EXPERT_LAP_S = 108.9


class Policy:
    """An MLP from the seen observation to (steer, gas, brake), inputs standardised; kept
    between rounds and trained on from where it was (warm start)."""

    def __init__(self, n_in: int, hidden: int = 256, seed: int = 0) -> None:
        import torch

        torch.manual_seed(seed)
        self.torch = torch
        self.net = torch.nn.Sequential(
            torch.nn.Linear(n_in, hidden), torch.nn.Tanh(),
            torch.nn.Linear(hidden, hidden), torch.nn.Tanh(),
            torch.nn.Linear(hidden, 3))
        self.mean = np.zeros(n_in, dtype=np.float32)
        self.std = np.ones(n_in, dtype=np.float32)
        self.opt = torch.optim.Adam(self.net.parameters(), lr=1e-3)
        self.rng = np.random.default_rng(seed)

    def fit(self, x: np.ndarray, y: np.ndarray, epochs: int, batch: int = 512) -> float:
        """Minibatch Adam on the mean squared error; returns the last epoch's loss."""
        torch = self.torch
        self.mean = x.mean(axis=0).astype(np.float32)
        self.std = (x.std(axis=0) + 1e-6).astype(np.float32)
        xt = torch.as_tensor((x - self.mean) / self.std, dtype=torch.float32)
        yt = torch.as_tensor(y, dtype=torch.float32)
        loss = torch.zeros(())
        for _ in range(epochs):
            order = torch.as_tensor(self.rng.permutation(len(x)))
            total = 0.0
            for k in range(0, len(x), batch):
                idx = order[k:k + batch]
                loss = torch.nn.functional.mse_loss(self.net(xt[idx]), yt[idx])
                self.opt.zero_grad()
                loss.backward()
                self.opt.step()
                total += loss.item() * len(idx)
        return total / len(x)

    def act(self, x: np.ndarray) -> np.ndarray:
        torch = self.torch
        with torch.no_grad():
            z = torch.as_tensor(((x - self.mean) / self.std)[None], dtype=torch.float32)
            out = self.net(z)[0].numpy()
        return np.clip(out, [-1.0, 0.0, 0.0], [1.0, 1.0, 1.0]).astype(np.float32)

    def save(self, path: Path, names: tuple[str, ...]) -> None:
        self.torch.save({"state": self.net.state_dict(), "mean": self.mean, "std": self.std,
                         "seen": names}, path)


def drive(env: RacingEnv, expert: SimExpert, seed: int, seen: list[int],
          policy: Policy | None, beta: float, rng: np.random.Generator
          ) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """One episode, each step the expert's action with probability ``beta``, else the
    policy's; returns every observation, the expert's label for it, and the last info."""
    obs, info = env.reset(seed=seed)
    states, labels = [], []
    done = False
    while not done:
        label = expert.action()
        states.append(obs)
        labels.append(label)
        action = label if policy is None or rng.random() < beta else policy.act(obs[seen])
        obs, _, terminated, truncated, info = env.step(action)
        done = terminated or truncated
    return np.array(states), np.array(labels), info


def lap_of(info: dict[str, Any]) -> tuple[str, str]:
    if not info["lap_times_ms"]:
        return "", ""
    return f"{info['lap_times_ms'][0] / 1000:.2f}", str(info["lap_valid"][0])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=12)
    ap.add_argument("--episodes", type=int, default=8,
                    help="flying-start episodes per round (besides the grid evaluation)")
    ap.add_argument("--episode-s", type=float, default=40.0, help="their length")
    ap.add_argument("--beta", type=float, default=0.5,
                    help="the expert's share of the steps in round 1, halved each round")
    ap.add_argument("--epochs", type=int, default=30, help="training epochs per round")
    ap.add_argument("--control-hz", type=float, default=20.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--curve", type=Path, default=Path("dagger_curve.csv"))
    ap.add_argument("--save", type=Path, default=None,
                    help="a folder: the policy and the aggregated data (obs, labels)")
    args = ap.parse_args()

    import torch

    torch.set_num_threads(1)
    t0, c0 = time.perf_counter(), time.process_time()
    grid = RacingEnv(control_hz=args.control_hz, curvature_ahead_m=AHEAD_M, laps=1,
                     max_episode_s=240.0, start="grid")
    flying = RacingEnv(control_hz=args.control_hz, curvature_ahead_m=AHEAD_M, laps=1,
                       max_episode_s=args.episode_s, start="flying")
    names = grid.observation_names
    seen = [names.index(n) for n in SEEN]
    grid_expert, flying_expert = SimExpert(grid), SimExpert(flying)
    rng = np.random.default_rng(args.seed)
    policy = Policy(len(seen), seed=args.seed)
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    steps = 0
    episode_seed = args.seed * 100_000

    def collect(env: RacingEnv, expert: SimExpert, learner: Policy | None, beta: float
                ) -> dict[str, Any]:
        nonlocal steps, episode_seed
        episode_seed += 1
        x, y, info = drive(env, expert, episode_seed, seen, learner, beta, rng)
        xs.append(x)
        ys.append(y)
        steps += len(x)
        return info

    # round 0: the expert drives (a lap from the grid, the flying starts)
    info = collect(grid, grid_expert, None, 1.0)
    lap, valid = lap_of(info)
    print(f"expert from the grid: lap {lap} s valid {valid} ({len(xs[0])} steps)", flush=True)
    for _ in range(args.episodes):
        collect(flying, flying_expert, None, 1.0)
    curve = args.curve.open("w", newline="", encoding="utf-8")
    out = csv.writer(curve)
    out.writerow(["round", "beta", "env_steps", "labels", "loss", "progress_m", "laps",
                  "lap_time_s", "lap_valid", "end", "wall_s", "cpu_s"])
    print(f"{'round':>5} {'beta':>6} {'env steps':>9} {'labels':>7} {'loss':>7} "
          f"{'grid: progress':>14} {'lap s':>7} {'valid':>5} {'end':>9} {'wall s':>6}")
    best: dict[str, Any] = {"lap": None, "steps": None}
    for r in range(1, args.rounds + 1):
        data_x = np.concatenate(xs)[:, seen]
        data_y = np.concatenate(ys)
        loss = policy.fit(data_x, data_y, args.epochs)
        labels = len(data_x)
        # the learner alone from the grid: the evaluation (its states are labelled too)
        info = collect(grid, grid_expert, policy, 0.0)
        lap, valid = lap_of(info)
        beta = args.beta * 0.5 ** (r - 1)  # the expert's share in this round's episodes
        out.writerow([r, beta, steps, labels, f"{loss:.5f}", round(info["progress_m"], 1),
                      info["laps"], lap, valid, info["end"],
                      round(time.perf_counter() - t0, 1), round(time.process_time() - c0, 1)])
        curve.flush()
        print(f"{r:>5} {beta:>6.3f} {steps:>9} {labels:>7} {loss:>7.4f} "
              f"{info['progress_m']:>12.0f} m {lap or '-':>7} {valid or '-':>5} "
              f"{info['end']:>9} {time.perf_counter() - t0:>6.0f}", flush=True)
        if lap and valid == "True" and (best["lap"] is None or float(lap) < best["lap"]):
            best["lap"] = float(lap)
            best["steps"] = best["steps"] or steps
        for _ in range(args.episodes):
            collect(flying, flying_expert, policy, beta)
    curve.close()
    if args.save is not None:
        args.save.mkdir(parents=True, exist_ok=True)
        policy.save(args.save / "policy.pt", SEEN)
        np.savez_compressed(args.save / "data.npz", obs=np.concatenate(xs),
                            labels=np.concatenate(ys), names=np.array(names))
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    lap_s = best["lap"]
    versus = f" ({lap_s / EXPERT_LAP_S - 1:+.1%} on the built-in driver's {EXPERT_LAP_S} s)" \
        if lap_s else ""
    print(f"{steps} env steps, {len(np.concatenate(ys))} expert labels in {wall:.0f} s wall, "
          f"{cpu:.0f} s CPU; best valid lap from the grid {lap_s or '-'} s{versus}, first "
          f"after {best['steps'] or '-'} env steps; curve in {args.curve}")
    grid.close()
    flying.close()


if __name__ == "__main__":
    main()
