"""The racing env's contract on the simulator backend: spaces, reward, episodes, copies."""

from __future__ import annotations

import pickle
import warnings

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from actelemetry.errors import UsageError
from actelemetry.gym import ENV_ID, OLD_ENV_ID, RacingEnv

FULL_GAS = np.array([0.0, 1.0, 0.0], dtype=np.float32)


def keep_to_the_centre(env: RacingEnv, obs: np.ndarray, gas: float = 1.0) -> np.ndarray:
    """A simple driver: steer back onto the centre line (enough for a straight)."""
    names = env.observation_names
    offset, error = obs[names.index("track_offset_m")], obs[names.index("heading_error")]
    steer = np.clip(-0.05 * offset - 1.5 * error, -1.0, 1.0)
    return np.array([steer, gas, 0.0], dtype=np.float32)


def test_passes_gymnasiums_own_checker_without_a_warning() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        env = gym.make(ENV_ID, max_episode_s=5.0)
        check_env(env.unwrapped)
        env.close()
        check_env(RacingEnv(normalize=True, max_episode_s=5.0), skip_render_check=True)


def test_the_old_id_is_the_same_env() -> None:
    env = gym.make(OLD_ENV_ID)
    assert isinstance(env.unwrapped, RacingEnv)
    env.close()


def test_bounded_spaces_and_the_names_in_info() -> None:
    env = RacingEnv()
    space = env.observation_space
    assert np.all(np.isfinite(space.low)) and np.all(np.isfinite(space.high))
    obs, info = env.reset(seed=0)
    assert info["observation_names"] == list(env.observation_names)
    assert len(env.observation_names) == obs.shape[0] == space.shape[0]
    assert "curvature_100m" in env.observation_names and "track_offset_m" in env.observation_names
    speed = env.observation_names.index("speed_ms")
    assert space.low[speed] <= 0.0 and space.high[speed] >= 100.0  # the catalogue's range
    scaled = RacingEnv(normalize=True)
    assert np.all(scaled.observation_space.low == -1) and np.all(scaled.observation_space.high == 1)
    s_obs, _ = scaled.reset(seed=0)
    rng = np.random.default_rng(0)
    for _ in range(100):  # wild driving stays inside both boxes
        a = rng.uniform(env.action_space.low, env.action_space.high).astype(np.float32)
        obs, *_ = env.step(a)
        s_obs, *_ = scaled.step(a)
        assert obs in space and s_obs in scaled.observation_space
    env.close()
    scaled.close()


def test_bad_configuration_is_a_one_line_error() -> None:
    with pytest.raises(UsageError, match="unknown observation channel"):
        RacingEnv(observation=("speed_ms", "warp_factor"))
    with pytest.raises(UsageError, match="unknown reward term"):
        RacingEnv(reward={"progress": 1.0, "style": 2.0})
    with pytest.raises(UsageError, match="backend"):
        RacingEnv(backend="carla")


def test_throttle_makes_progress_and_braking_stops_the_car() -> None:
    env = RacingEnv()
    obs, _ = env.reset(seed=3)
    speed = env.observation_names.index("speed_ms")
    for _ in range(60):  # 3 s flat out on the pit straight
        obs, _, terminated, _, _ = env.step(FULL_GAS)
        assert not terminated
    assert obs[speed] > 25.0, "3 s of full throttle should pass 90 km/h"
    fast = obs[speed]
    for _ in range(20):
        obs, *_ = env.step(np.array([0.0, 0.0, 1.0], dtype=np.float32))
    assert obs[speed] < fast - 15.0
    env.close()


def test_reward_sums_equal_the_progress_the_simulator_measured() -> None:
    """Across the start line too: 10 s flat out from 280 m before it."""
    env = RacingEnv(reward={"progress": 1.0})
    obs, _ = env.reset(seed=4)
    sim = env._backend.sim
    length = sim.track.length
    laps0, s0 = sim.completed_laps, sim.s_lap
    total = 0.0
    for _ in range(200):
        obs, r, terminated, _, info = env.step(keep_to_the_centre(env, obs))
        total += r
        assert not terminated
    driven = (sim.completed_laps - laps0) * length + sim.s_lap - s0
    assert sim.completed_laps == laps0 + 1, "the car crossed the line"
    assert driven > 300.0
    assert total == pytest.approx(driven, abs=0.5)
    assert info["progress_m"] == pytest.approx(total)
    env.close()


def test_default_reward_is_its_weighted_terms() -> None:
    env = RacingEnv()
    env.reset(seed=2)
    for _ in range(80):
        _, r, terminated, _, info = env.step(np.array([0.6, 1.0, 0.0], dtype=np.float32))
        terms = info["reward_terms"]
        assert r == pytest.approx(terms["progress"] + 10.0 * terms["off_track"])
        if terminated:
            break
    assert info["end"] == "off_track" and terms["crash"] == -1.0 and terms["off_track"] < 0
    env.close()


def test_a_car_left_standing_ends_the_episode() -> None:
    env = RacingEnv(stuck_s=2.0)
    env.reset(seed=1)
    steps, terminated = 0, False
    while not terminated and steps < 100:
        _, _, terminated, _, info = env.step(np.zeros(3, dtype=np.float32))
        steps += 1
    assert info["end"] == "stopped" and steps == 40  # 2 s at 20 Hz
    env.close()


def test_rate_limit_bounds_the_change_per_second() -> None:
    env = RacingEnv(action_rate=(2.0, 5.0, 5.0))
    env.reset(seed=0)
    _, _, _, _, info = env.step(np.array([1.0, 1.0, 0.0], dtype=np.float32))
    assert info["action"] == pytest.approx([0.1, 0.25, 0.0])
    _, _, _, _, info = env.step(np.array([-1.0, 1.0, 0.0], dtype=np.float32))
    assert info["action"] == pytest.approx([0.0, 0.5, 0.0])
    env.close()


def test_same_seed_same_episode() -> None:
    def run(seed: int) -> np.ndarray:
        env = RacingEnv()
        env.reset(seed=seed)
        out = [env.step(np.array([0.1, 0.8, 0.0], dtype=np.float32))[0] for _ in range(40)]
        env.close()
        return np.array(out)

    np.testing.assert_array_equal(run(5), run(5))


def test_observation_is_what_the_pages_say() -> None:
    env = RacingEnv()
    obs, _ = env.reset(seed=1)
    for _ in range(10):
        obs, *_ = env.step(FULL_GAS)
    sim = env._backend.sim
    names = env.observation_names
    assert obs[names.index("gas")] == 1.0
    assert abs(obs[names.index("speed_ms")] - sim.car.s.u) < 0.5
    assert abs(obs[names.index("track_offset_m")] - sim.offset) < 0.05
    env.close()


def test_a_pickled_env_is_a_fresh_copy_of_its_configuration() -> None:
    env = RacingEnv(control_hz=10.0, reward={"progress": 1.0, "time": 2.0})
    env.reset(seed=7)
    copy = pickle.loads(pickle.dumps(env))
    assert copy.control_hz == 10.0 and copy.reward_weights == env.reward_weights
    a, _ = env.reset(seed=9)
    b, _ = copy.reset(seed=9)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(env.step(FULL_GAS)[0], copy.step(FULL_GAS)[0])
    env.close()
    copy.close()


def test_async_vector_env_steps_in_worker_processes() -> None:
    envs = gym.make_vec(ENV_ID, num_envs=2, vectorization_mode="async")
    try:
        obs, _ = envs.reset(seed=[1, 2])
        assert obs.shape == (2, envs.single_observation_space.shape[0])
        for _ in range(30):
            obs, reward, _, _, _ = envs.step(np.tile(FULL_GAS, (2, 1)))
        assert np.all(reward > 0) and obs in envs.observation_space
    finally:
        envs.close()


def test_a_reset_after_driving_starts_the_same_episode_as_a_fresh_env() -> None:
    """The simulator is restarted, not rebuilt: nothing of the last episode may remain."""
    def drive(env: RacingEnv, seed: int) -> np.ndarray:
        env.reset(seed=seed)
        return np.array([env.step(np.array([0.4 * np.sin(i / 7), 1.0, 0.0],
                                           dtype=np.float32))[0] for i in range(120)])

    fresh = RacingEnv()
    used = RacingEnv()
    drive(used, 0)  # off the track and into the gravel
    np.testing.assert_array_equal(drive(fresh, 5), drive(used, 5))
    fresh.close()
    used.close()


def test_a_flying_start_is_anywhere_on_the_lap_and_rolling() -> None:
    env = RacingEnv(start="flying")
    names = env.observation_names
    starts = []
    for seed in (1, 2, 3):
        obs, info = env.reset(seed=seed)
        assert obs[names.index("speed_ms")] > 10.0 and obs[names.index("gear")] >= 2
        starts.append(info["lap_fraction"])
        obs, reward, *_ = env.step(keep_to_the_centre(env, obs, gas=0.5))
        assert reward > 0.0  # it rolls on
    assert len(set(starts)) == 3
    _, info = env.reset(seed=2)
    assert info["lap_fraction"] == starts[1]
    env.close()
    with pytest.raises(UsageError, match="flying"):
        RacingEnv(backend="live", controls="pad:/nonexistent", start="flying")


def test_docs_name_every_observation_reward_term_and_action() -> None:
    from pathlib import Path

    from actelemetry.gym import ACTION_NAMES, TERMS

    doc = (Path(__file__).resolve().parents[2] / "docs" / "rl.md").read_text(encoding="utf-8")
    env = RacingEnv()
    for name in env.observation_names:
        if not name.startswith(("wheel_slip_", "curvature_", "gas", "brake")):
            assert f"`{name}`" in doc, name
    assert "`wheel_slip_fl` .. `_rr`" in doc and "`curvature_{d}m`" in doc
    for term in TERMS:
        assert f"| `{term}` |" in doc, term
    assert "**steer** -1..1 (+ right; full lock at +-1), **gas** 0..1,\n**brake** 0..1" in doc
    assert ACTION_NAMES == ("steer", "gas", "brake")
    env.close()
