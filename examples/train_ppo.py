"""Learn to drive a lap of the simulator's Monza with PPO (Stable-Baselines3).

A simple observation (speed, slip, where the car is on the track, the bends ahead, all
scaled to [-1, 1]), one pedal axis (gas above zero, brake below) and a shaped reward
(metres gained, a cost for wheels off the track, a large one for leaving it). All training
envs but one start anywhere on the lap, already rolling (``start="flying"``), so every
corner is met from the start; one drives whole laps from the grid. Every ``--eval-every``
steps the deterministic policy drives a lap from the grid, as a race starts. The learning
curve (one row per training episode and per evaluation: env steps, progress, timed laps,
lap time) goes to ``--curve``. Runs on the GPU where PyTorch sees one, else on the CPU.

``--init DIR`` starts from an imitation policy instead of from scratch: the aggregated data
``examples/dagger.py --save DIR`` wrote (the env's observations, the simulator's expert's
actions) trains the actor's mean network by regression (observation -> steer and one
pedal, gas minus brake), the policy's noise starts small (``--init-log-std``), and for the
first ``--critic-warmup`` steps PPO fits only the value network (the actor frozen), so that
the first policy updates follow real advantages, not an untrained critic's. The policy then
sees DAgger's observation (no applied inputs); use DAgger's control rate (20 Hz).
``--init-copy`` copies DAgger's own policy (``DIR/policy.pt``, the same network) into the
actor instead of refitting it: a 40-epoch refit is a rougher fit than DAgger's and may not
lap.

    pip install -e '.[rl]'
    python examples/train_ppo.py --minutes 20 --curve ppo_curve.csv
    python examples/dagger.py --save /tmp/dagger
    python examples/train_ppo.py --init /tmp/dagger --control-hz 20 --lr 3e-5 --minutes 20

``--bc-weight W`` (with ``--init``) keeps DAgger's labels in the loss while PPO fine-tunes:
DAPG (Rajeswaran et al., 2018, "Learning Complex Dexterous Manipulation with Deep
Reinforcement Learning and Demonstrations"). Every PPO minibatch's loss gets
``w * mean squared error`` of the actor's mean on a random minibatch of the labels (the
Gaussian log-likelihood of DAPG's demonstration term at a fixed noise, up to scale), with
``w = W * 0.5 ** (env steps / --bc-half-life)``: the imitation anchors the first updates,
whose advantages are noisy, and lets go as the critic and the policy improve. (At the
noise of ``--init-log-std -4`` PPO's gradient on the actor is about 300 times the
weight-1 BC term's, hence weights in the hundreds.)

    python examples/train_ppo.py --init /tmp/dagger --init-copy --control-hz 20 --lr 1e-5 \
        --target-kl 0.005 --init-log-std -4 --bc-weight 300 --bc-half-life 200000
"""

from __future__ import annotations

import argparse
import csv
import time
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from stable_baselines3 import PPO

from actelemetry.gym import RacingEnv

OBSERVATION = ("speed_ms", "local_vx", "yaw_rate", "steer", "gas", "brake", "tyres_out")
#: what an imitation policy sees (examples/dagger.py's SEEN, less the track features)
INIT_OBSERVATION = ("speed_ms", "local_vx", "yaw_rate")
AHEAD_M = (0, 25, 50, 100, 150, 200, 300)
RANGES = {"speed_ms": (0.0, 90.0), "local_vx": (-10.0, 10.0), "yaw_rate": (-2.0, 2.0),
          "track_offset_m": (-15.0, 15.0), "heading_error": (-1.0, 1.0),
          **{f"curvature_{d}m": (-0.1, 0.1) for d in AHEAD_M}}
REWARD = {"progress": 0.1, "off_track": 1.0, "crash": 50.0}


class OnePedal(gym.ActionWrapper):
    """(steer, pedal) in [-1, 1]: gas above zero, brake below; a single axis to learn."""

    def __init__(self, env: gym.Env) -> None:
        super().__init__(env)
        self.action_space = gym.spaces.Box(-1.0, 1.0, shape=(2,), dtype=np.float32)

    def action(self, action: np.ndarray) -> np.ndarray:
        steer, pedal = float(action[0]), float(action[1])
        return np.array([steer, max(pedal, 0.0), max(-pedal, 0.0)], dtype=np.float32)


def make_env(control_hz: float, start: str = "flying", max_episode_s: float = 40.0,
             observation: tuple[str, ...] = OBSERVATION) -> gym.Env:
    env = RacingEnv(observation=observation, curvature_ahead_m=AHEAD_M, normalize=True,
                    ranges=RANGES, reward=REWARD, control_hz=control_hz, laps=1,
                    max_episode_s=max_episode_s, off_track_s=1.0, stuck_s=4.0, start=start)
    return OnePedal(env)


def evaluate(model: Any, control_hz: float, observation: tuple[str, ...]) -> dict[str, Any]:
    """The deterministic policy drives from the grid: one timed lap at most."""
    env = make_env(control_hz, start="grid", max_episode_s=240.0, observation=observation)
    obs, _ = env.reset(seed=0)
    done, info = False, dict[str, Any]()
    while not done:
        action, _ = model.predict(obs, deterministic=True)
        obs, _, terminated, truncated, info = env.step(action)
        done = terminated or truncated
    env.close()
    return info


def load_labels(folder: Path, observation: tuple[str, ...], control_hz: float,
                device: Any) -> tuple[torch.Tensor, torch.Tensor]:
    """DAgger's aggregated expert labels (``examples/dagger.py --save``) in this script's
    terms: its scaled observation, and (steer, gas minus brake) as the target."""
    data = np.load(folder / "data.npz")
    names = [str(n) for n in data["names"]]
    env = make_env(control_hz, observation=observation).unwrapped
    assert isinstance(env, RacingEnv)
    low, high = env.obs_spec.bounds()
    cols = [names.index(n) for n in env.observation_names]
    env.close()
    raw = np.clip(data["obs"][:, cols], low, high)
    x = torch.as_tensor(2.0 * (raw - low) / np.maximum(high - low, 1e-9) - 1.0,
                        dtype=torch.float32, device=device)
    labels = data["labels"]
    y = torch.as_tensor(np.stack([labels[:, 0], labels[:, 1] - labels[:, 2]], axis=1),
                        dtype=torch.float32, device=device)
    return x, y


def actor_mean(policy: Any, x: torch.Tensor) -> torch.Tensor:
    """The Gaussian policy's mean action for a batch of observations (with gradient)."""
    features = policy.extract_features(x, policy.pi_features_extractor)
    return policy.action_net(policy.mlp_extractor.forward_actor(features))


def pretrain(model: Any, x: torch.Tensor, y: torch.Tensor, epochs: int,
             log_std: float) -> float:
    """The actor's mean network fitted to the labels (:func:`load_labels`); returns the
    final mean squared error."""
    policy = model.policy
    actor = [*policy.mlp_extractor.policy_net.parameters(), *policy.action_net.parameters()]
    opt = torch.optim.Adam(actor, lr=1e-3)
    rng = np.random.default_rng(0)
    total = 0.0
    for _ in range(epochs):
        total = 0.0
        for idx in np.array_split(rng.permutation(len(x)), max(len(x) // 512, 1)):
            loss = torch.nn.functional.mse_loss(actor_mean(policy, x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
    with torch.no_grad():
        policy.log_std.fill_(log_std)
    return total / len(x)


class DAPG(PPO):
    """PPO with a behaviour-cloning term in every minibatch's loss, its weight halving every
    ``bc_half_life`` env steps (0: constant): DAPG (Rajeswaran et al., 2018).

    SB3's ``PPO.train`` clears the gradient, back-propagates its loss, clips the gradient's
    norm and steps, once per minibatch. For the length of ``train`` the optimizer's
    ``zero_grad`` also back-propagates ``w * bc_loss()`` (a fresh minibatch of the labels),
    so PPO's own backward adds to it: the step follows the gradient of PPO's loss plus the
    weighted BC loss, clipped together, with no copy of SB3's update code. While the actor
    is frozen (``freeze_actor``) the term is left out.
    """

    def __init__(self, *args: Any, demos: tuple[torch.Tensor, torch.Tensor] | None = None,
                 bc_weight: float = 0.0, bc_half_life: float = 0.0, bc_batch: int = 256,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.demos = demos
        self.bc_weight = bc_weight
        self.bc_half_life = bc_half_life
        self.bc_batch = bc_batch

    def _excluded_save_params(self) -> list[str]:
        return [*super()._excluded_save_params(), "demos"]

    def bc_weight_now(self) -> float:
        if self.bc_half_life <= 0:
            return self.bc_weight
        return self.bc_weight * 0.5 ** (self.num_timesteps / self.bc_half_life)

    def bc_loss(self, batch: int | None = None) -> torch.Tensor:
        """Mean squared error of the actor's mean on ``batch`` random labels (all: None
        and no ``bc_batch``)."""
        assert self.demos is not None
        x, y = self.demos
        n = batch or self.bc_batch
        idx = torch.randint(len(x), (n,), device=x.device)
        return torch.nn.functional.mse_loss(actor_mean(self.policy, x[idx]), y[idx])

    def train(self) -> None:
        weight = self.bc_weight_now()
        frozen = not self.policy.action_net.weight.requires_grad
        if self.demos is None or weight <= 0.0 or frozen:
            super().train()
            return
        optimizer = self.policy.optimizer
        clear = optimizer.zero_grad

        def clear_then_bc(set_to_none: bool = True) -> None:
            clear(set_to_none)
            (weight * self.bc_loss()).backward()

        # an instance attribute shadows the method for this update only
        setattr(optimizer, "zero_grad", clear_then_bc)  # noqa: B010
        try:
            super().train()
        finally:
            delattr(optimizer, "zero_grad")
        self.logger.record("train/bc_weight", weight)


def copy_imitation(model: Any, folder: Path, observation: tuple[str, ...],
                   control_hz: float, log_std: float) -> None:
    """DAgger's own policy (``policy.pt``: the same 256-256 tanh MLP on standardised
    inputs, out steer, gas, brake) copied into the actor: its input standardisation folded
    into the first layer (this script scales to [-1, 1] instead), its gas and brake outputs
    merged into one pedal (gas minus brake). The same function, bar the clipping of gas and
    brake, with none of a refit's error."""
    saved = torch.load(folder / "policy.pt", weights_only=False)
    state = saved["state"]
    env = make_env(control_hz, observation=observation).unwrapped
    assert isinstance(env, RacingEnv)
    low, high = env.obs_spec.bounds()
    order = [list(saved["seen"]).index(n) for n in env.observation_names]
    env.close()
    mean, std = saved["mean"][order], saved["std"][order]
    w1 = state["0.weight"].numpy()[:, order]
    # (raw - mean) / std with raw = (low + high) / 2 + scaled * (high - low) / 2
    scale = (high - low) / 2.0 / std
    shift = ((low + high) / 2.0 - mean) / std
    policy = model.policy
    layers = [m for m in policy.mlp_extractor.policy_net if isinstance(m, torch.nn.Linear)]
    assert [tuple(m.weight.shape) for m in layers] == [tuple(w1.shape),
                                                       tuple(state["2.weight"].shape)]
    w3, b3 = state["4.weight"], state["4.bias"]
    with torch.no_grad():
        layers[0].weight.copy_(torch.as_tensor(w1 * scale))
        layers[0].bias.copy_(state["0.bias"] + torch.as_tensor(w1 @ shift))
        layers[1].weight.copy_(state["2.weight"])
        layers[1].bias.copy_(state["2.bias"])
        policy.action_net.weight.copy_(torch.stack([w3[0], w3[1] - w3[2]]))
        policy.action_net.bias.copy_(torch.stack([b3[0], b3[1] - b3[2]]))
        policy.log_std.fill_(log_std)


def freeze_actor(model: Any, frozen: bool) -> None:
    """The actor's parameters out of (or back into) the gradient: a frozen actor gets no
    gradient, so Adam leaves it as it is while the critic learns."""
    policy = model.policy
    for p in [*policy.mlp_extractor.policy_net.parameters(), *policy.action_net.parameters(),
              policy.log_std]:
        p.requires_grad_(not frozen)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=20.0, help="wall-clock budget")
    ap.add_argument("--steps", type=int, default=2_000_000, help="env-step budget")
    ap.add_argument("--envs", type=int, default=4)
    ap.add_argument("--control-hz", type=float, default=10.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--algo", choices=("ppo", "sac"), default="ppo",
                    help="PPO (on-policy, cheap steps) or SAC (off-policy, fewer steps)")
    ap.add_argument("--eval-every", type=int, default=25_000, help="env steps")
    ap.add_argument("--curve", type=Path, default=Path("ppo_curve.csv"))
    ap.add_argument("--save", type=Path, default=None, help="save the policy here")
    ap.add_argument("--resume", type=Path, default=None,
                    help="go on training a saved policy (its step count goes on too)")
    ap.add_argument("--init", type=Path, default=None,
                    help="a folder of examples/dagger.py --save: start from its imitation")
    ap.add_argument("--init-epochs", type=int, default=40)
    ap.add_argument("--init-copy", action="store_true",
                    help="copy DAgger's own policy (DIR/policy.pt) into the actor instead of "
                         "fitting the actor to the data")
    ap.add_argument("--init-log-std", type=float, default=-3.0)
    ap.add_argument("--critic-warmup", type=int, default=20_000,
                    help="env steps (with --init) in which only the critic learns")
    ap.add_argument("--lr", type=float, default=3e-4, help="PPO's learning rate")
    ap.add_argument("--n-steps", type=int, default=512, help="steps per env per update")
    ap.add_argument("--target-kl", type=float, default=None,
                    help="PPO stops an update's epochs past this KL divergence")
    ap.add_argument("--bc-weight", type=float, default=0.0,
                    help="with --init: DAPG's behaviour-cloning weight on DAgger's labels")
    ap.add_argument("--bc-half-life", type=float, default=0.0,
                    help="env steps in which the BC weight halves (0: constant)")
    args = ap.parse_args()
    observation = INIT_OBSERVATION if args.init is not None else OBSERVATION

    from stable_baselines3 import SAC
    from stable_baselines3.common.callbacks import BaseCallback
    from stable_baselines3.common.vec_env import DummyVecEnv

    torch.set_num_threads(1)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    # one env drives whole laps from the grid (the launch, the race start), the others
    # start anywhere, rolling
    venv = DummyVecEnv([lambda: make_env(args.control_hz, "grid", 240.0, observation)]
                       + [lambda: make_env(args.control_hz, observation=observation)]
                       * (args.envs - 1))
    venv.seed(args.seed)
    curve = args.curve.open("w", newline="", encoding="utf-8")
    out = csv.writer(curve)
    out.writerow(["env_steps", "wall_s", "kind", "progress_m", "laps", "lap_time_s",
                  "lap_valid", "end", "bc_weight", "bc_mse"])
    t0 = time.perf_counter()
    best: dict[str, Any] = {"progress_m": 0.0, "lap_time_s": None, "first_lap_steps": None}

    def row(kind: str, steps: int, info: dict[str, Any]) -> None:
        lap = info["lap_times_ms"][0] / 1000 if info["lap_times_ms"] else ""
        valid = info["lap_valid"][0] if info["lap_valid"] else ""
        bc: list[Any] = ["", ""]
        if kind == "eval" and demos is not None:  # how far the actor is from the labels
            with torch.no_grad():
                mse = torch.nn.functional.mse_loss(actor_mean(model.policy, demos[0]),
                                                   demos[1]).item()
            bc = [round(getattr(model, "bc_weight_now", lambda: 0.0)(), 4), round(mse, 5)]
        out.writerow([steps, round(time.perf_counter() - t0, 1), kind,
                      round(info["progress_m"], 1), info["laps"], lap, valid, info["end"],
                      *bc])
        curve.flush()
        if kind == "eval":
            best["progress_m"] = max(best["progress_m"], info["progress_m"])
            label = f", BC weight {bc[0]}, labels' MSE {bc[1]}" if bc[1] != "" else ""
            shown = "-" if valid == "" else valid
            print(f"{steps:>8} steps {time.perf_counter() - t0:6.0f} s: from the grid "
                  f"{info['progress_m']:6.0f} m, lap {lap or '-'} valid {shown}, "
                  f"{info['end']}{label}", flush=True)
            if lap != "" and valid and (best["lap_time_s"] is None or lap < best["lap_time_s"]):
                best["lap_time_s"] = lap
                if best["first_lap_steps"] is None:
                    best["first_lap_steps"] = steps

    class Curve(BaseCallback):
        next_eval = args.eval_every
        thaw_at = 0

        def _on_step(self) -> bool:
            if self.thaw_at and self.num_timesteps >= self.thaw_at:
                self.thaw_at = 0
                freeze_actor(self.model, False)
                print(f"{self.num_timesteps:>8} steps: the actor learns from here", flush=True)
            for done, info in zip(self.locals["dones"], self.locals["infos"], strict=True):
                if done:
                    row("train", self.num_timesteps, info)
            if self.num_timesteps >= self.next_eval:
                self.next_eval += args.eval_every
                row("eval", self.num_timesteps,
                    evaluate(self.model, args.control_hz, observation))
            return time.perf_counter() - t0 < args.minutes * 60

    algo: Any = {"ppo": DAPG, "sac": SAC}[args.algo]
    demos = None if args.init is None else load_labels(args.init, observation,
                                                       args.control_hz, device)
    bc = {"demos": demos, "bc_weight": args.bc_weight, "bc_half_life": args.bc_half_life}
    if args.resume is not None:
        model = algo.load(args.resume, env=venv, device=device)
        if args.algo == "ppo":
            model.__dict__.update(bc)
    elif args.algo == "sac":
        model = SAC("MlpPolicy", venv, learning_rate=3e-4, buffer_size=500_000,
                    batch_size=256, gamma=0.99, tau=0.005, train_freq=1, gradient_steps=2,
                    learning_starts=5_000, policy_kwargs={"net_arch": [256, 256]},
                    seed=args.seed, device=device, verbose=0)
    else:
        model = DAPG("MlpPolicy", venv, n_steps=args.n_steps, batch_size=256, n_epochs=10,
                     gamma=0.995, gae_lambda=0.95, learning_rate=args.lr, ent_coef=0.0,
                     clip_range=0.2, target_kl=args.target_kl,
                     policy_kwargs={"net_arch": [256, 256] if args.init else [128, 128],
                                    "log_std_init": -0.5},
                     seed=args.seed, device=device, verbose=0, **bc)
    first = model.num_timesteps
    Curve.next_eval = first + args.eval_every
    if demos is not None and args.resume is None:
        if args.init_copy:
            copy_imitation(model, args.init, observation, args.control_hz, args.init_log_std)
            print(f"actor copied from {args.init / 'policy.pt'}", flush=True)
        else:
            mse = pretrain(model, *demos, args.init_epochs, args.init_log_std)
            print(f"actor fitted to {args.init / 'data.npz'}: mean squared error {mse:.4f} "
                  f"({time.perf_counter() - t0:.0f} s)", flush=True)
        row("eval", 0, evaluate(model, args.control_hz, observation))
        if args.critic_warmup > 0:
            freeze_actor(model, True)
            Curve.thaw_at = first + args.critic_warmup
    model.learn(total_timesteps=args.steps, callback=Curve(),
                reset_num_timesteps=args.resume is None)
    row("eval", model.num_timesteps, evaluate(model, args.control_hz, observation))
    curve.close()
    if args.save is not None:
        model.save(args.save)
    wall = time.perf_counter() - t0
    done = model.num_timesteps - first
    print(f"device {device}: {model.num_timesteps} env steps ({done} here) in {wall:.0f} s "
          f"({done / wall:.0f} steps/s); best progress "
          f"{best['progress_m']:.0f} m from the grid; first valid lap after "
          f"{'-' if best['first_lap_steps'] is None else best['first_lap_steps']} steps; "
          f"best valid lap "
          f"{best['lap_time_s'] or '-'} s; curve in {args.curve}")


if __name__ == "__main__":
    main()
