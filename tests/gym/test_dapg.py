"""examples/train_ppo.py's DAPG: PPO whose loss carries a behaviour-cloning term on the
simulator's expert's labels, weighted and decaying as asked."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from actelemetry.gym import RacingEnv
from actelemetry.gym.expert import SimExpert

pytest.importorskip("stable_baselines3")

ROOT = Path(__file__).resolve().parents[2]


def _example() -> ModuleType:
    spec = importlib.util.spec_from_file_location("train_ppo_example",
                                                  ROOT / "examples" / "train_ppo.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def labels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder as examples/dagger.py --save writes it: 300 states driven by the expert,
    each with its label."""
    folder = tmp_path_factory.mktemp("dagger")
    env = RacingEnv(control_hz=20.0, curvature_ahead_m=(0, 25, 50, 100, 150, 200, 300),
                    laps=1, max_episode_s=40.0, start="flying")
    expert = SimExpert(env)
    obs, _ = env.reset(seed=1)
    xs, ys = [], []
    for _ in range(300):
        label = expert.action()
        xs.append(obs)
        ys.append(label)
        obs, _, terminated, truncated, _ = env.step(label)
        if terminated or truncated:
            obs, _ = env.reset()
    np.savez_compressed(folder / "data.npz", obs=np.array(xs), labels=np.array(ys),
                        names=np.array(env.observation_names))
    env.close()
    return folder


def _fine_tune(ex: ModuleType, labels: Path, weight: float) -> tuple[float, float]:
    """The labels' mean squared error of an untrained actor, and after 256 steps of PPO
    (4 updates of 8 epochs) with BC weight ``weight``."""
    import torch
    from stable_baselines3.common.vec_env import DummyVecEnv

    demos = ex.load_labels(labels, ex.INIT_OBSERVATION, 20.0, "cpu")
    venv = DummyVecEnv([lambda: ex.make_env(20.0, observation=ex.INIT_OBSERVATION)])
    model = ex.DAPG("MlpPolicy", venv, n_steps=64, batch_size=64, n_epochs=8,
                    learning_rate=3e-3, policy_kwargs={"net_arch": [64, 64]}, seed=0,
                    device="cpu", demos=demos, bc_weight=weight, bc_batch=128)
    with torch.no_grad():
        before = model.bc_loss(len(demos[0])).item()
    model.learn(total_timesteps=256)
    assert "zero_grad" not in vars(model.policy.optimizer)  # the hook is gone after each
    with torch.no_grad():
        after = torch.nn.functional.mse_loss(ex.actor_mean(model.policy, demos[0]),
                                             demos[1]).item()
    venv.close()
    return before, after


def test_the_bc_term_pulls_the_actor_to_the_labels(labels: Path) -> None:
    ex = _example()
    before, plain = _fine_tune(ex, labels, 0.0)
    same_start, anchored = _fine_tune(ex, labels, 10.0)
    assert same_start == pytest.approx(before, rel=0.2)  # the same seed, the same actor
    # PPO alone does not fit the expert; with the BC term 32 steps of Adam go most of the way
    assert anchored < 0.5 * before
    assert anchored < 0.5 * plain


def test_the_bc_weight_halves_every_half_life(labels: Path) -> None:
    ex = _example()
    from stable_baselines3.common.vec_env import DummyVecEnv

    venv = DummyVecEnv([lambda: ex.make_env(20.0, observation=ex.INIT_OBSERVATION)])
    model = ex.DAPG("MlpPolicy", venv, n_steps=64, device="cpu",
                    demos=ex.load_labels(labels, ex.INIT_OBSERVATION, 20.0, "cpu"),
                    bc_weight=2.0, bc_half_life=100_000)
    assert model.bc_weight_now() == 2.0
    model.num_timesteps = 200_000
    assert model.bc_weight_now() == pytest.approx(0.5)
    model.bc_half_life = 0
    assert model.bc_weight_now() == 2.0
    venv.close()


def test_dagger_policy_copied_into_the_actor_acts_the_same(labels: Path) -> None:
    """--init-copy: DAgger's MLP (standardised inputs, steer, gas, brake) becomes the SB3
    actor (inputs scaled to [-1, 1], steer and gas minus brake) without refitting."""
    import torch
    from stable_baselines3.common.vec_env import DummyVecEnv

    ex = _example()
    spec = importlib.util.spec_from_file_location("dagger_example",
                                                  ROOT / "examples" / "dagger.py")
    assert spec is not None and spec.loader is not None
    dagger = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(dagger)
    data = np.load(labels / "data.npz")
    names = [str(n) for n in data["names"]]
    raw = data["obs"][:, [names.index(n) for n in dagger.SEEN]]
    policy = dagger.Policy(len(dagger.SEEN), seed=3)
    policy.fit(raw, data["labels"], epochs=2)  # a non-trivial mean, std and net
    policy.save(labels / "policy.pt", dagger.SEEN)

    venv = DummyVecEnv([lambda: ex.make_env(20.0, observation=ex.INIT_OBSERVATION)])
    model = ex.DAPG("MlpPolicy", venv, policy_kwargs={"net_arch": [256, 256]}, device="cpu")
    ex.copy_imitation(model, labels, ex.INIT_OBSERVATION, 20.0, -4.0)
    x, _ = ex.load_labels(labels, ex.INIT_OBSERVATION, 20.0, "cpu")
    with torch.no_grad():
        theirs = policy.net(torch.as_tensor((raw - policy.mean) / policy.std,
                                            dtype=torch.float32)).numpy()
        ours = ex.actor_mean(model.policy, x).numpy()
    inside = np.all(np.abs(x.numpy()) < 1.0, axis=1)  # states inside the scaling's ranges
    assert inside.sum() > 200
    np.testing.assert_allclose(ours[inside, 0], theirs[inside, 0], atol=1e-4)
    np.testing.assert_allclose(ours[inside, 1], (theirs[:, 1] - theirs[:, 2])[inside],
                               atol=1e-4)
    assert model.policy.log_std.detach().numpy() == pytest.approx([-4.0, -4.0])
    venv.close()
