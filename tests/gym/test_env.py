"""The Gymnasium environment: real pages in, the simulator as actuator."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
from gymnasium.utils.env_checker import check_env

from actelemetry.gym import ENV_ID, SimRacingEnv


def test_passes_gymnasiums_own_checker() -> None:
    env = SimRacingEnv(max_episode_s=5.0)
    check_env(env, skip_render_check=True)
    env.close()


def test_throttle_makes_progress_and_braking_stops_the_car() -> None:
    env = gym.make(ENV_ID, max_episode_s=30.0)
    obs, info = env.reset(seed=3)
    speed = env.unwrapped.channels.index("speed_ms")
    total = driven = 0.0
    for _ in range(60):  # 3 s flat out on the pit straight
        before = obs[speed]
        obs, reward, terminated, _, info = env.step(np.array([0.0, 1.0, 0.0]))
        total += reward + env.unwrapped.off_track_penalty * info["tyres_out"]
        driven += 0.5 * (before + obs[speed]) / 20.0
        assert not terminated
    assert obs[speed] > 25.0, "3 s of full throttle should pass 90 km/h"
    assert abs(total - driven) < 0.15 * driven, "progress is the reward"
    fast = obs[speed]
    for _ in range(20):
        obs, *_ = env.step(np.array([0.0, 0.0, 1.0]))
    assert obs[speed] < fast - 15.0
    env.close()


def test_same_seed_same_episode() -> None:
    def run(seed: int) -> np.ndarray:
        env = SimRacingEnv()
        env.reset(seed=seed)
        out = [env.step(np.array([0.1, 0.8, 0.0]))[0] for _ in range(20)]
        env.close()
        return np.array(out)

    np.testing.assert_array_equal(run(5), run(5))


def test_observation_is_what_the_pages_say() -> None:
    env = SimRacingEnv()
    obs, _ = env.reset(seed=1)
    for _ in range(10):
        obs, *_ = env.step(np.array([0.0, 1.0, 0.0]))
    sim = env.unwrapped.sim
    gas = env.channels.index("gas")
    speed = env.channels.index("speed_ms")
    assert obs[gas] == 1.0
    assert abs(obs[speed] - sim.car.s.u) < 0.5  # published speed is the model's speed
    env.close()
