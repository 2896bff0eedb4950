"""The simulator's interactive expert: its labels drive, and it never touches the car."""

from __future__ import annotations

import numpy as np
import pytest

from actelemetry.errors import UsageError
from actelemetry.gym import RacingEnv
from actelemetry.gym.expert import SimExpert


def test_the_experts_labels_drive_a_valid_lap_from_the_grid() -> None:
    env = RacingEnv(control_hz=20.0, laps=1, max_episode_s=240.0)
    expert = SimExpert(env)
    env.reset(seed=0)
    done, info, steps = False, {}, 0
    while not done:
        action = expert.action()
        assert action in env.action_space
        _, _, terminated, truncated, info = env.step(action)
        done = terminated or truncated
        steps += 1
        if steps == 600:  # 30 s: launched, down the straight, through the first chicane
            assert info["progress_m"] > 1200.0
    env.close()
    assert info["end"] == "laps" and info["lap_valid"] == [True]
    # the built-in driver laps in about 109 s; its labels, held for 50 ms, within 15 %
    assert info["lap_times_ms"][0] < 125_000


def test_the_expert_changes_nothing_in_the_episode() -> None:
    """Its actions replayed without it give the same episode, bit for bit: it never
    shifts, steers or brakes the car itself."""
    ridden = RacingEnv(control_hz=20.0)
    expert = SimExpert(ridden)
    obs, _ = ridden.reset(seed=3)
    seen, actions = [obs], []
    for k in range(400):
        action = expert.action()
        if 150 <= k < 170:  # a moment of the agent's own: the expert's hands lag it
            action = np.array([0.4, 0.0, 0.5], dtype=np.float32)
        actions.append(action)
        obs, *_ = ridden.step(action)
        seen.append(obs)
    ridden.close()
    alone = RacingEnv(control_hz=20.0)
    obs, _ = alone.reset(seed=3)
    replay = [obs] + [alone.step(a)[0] for a in actions]
    alone.close()
    np.testing.assert_array_equal(np.array(seen), np.array(replay))
    gear = RacingEnv().observation_names.index("gear")
    assert max(o[gear] for o in seen) >= 3  # the seat shifted, once per shift


def test_the_expert_follows_resets_and_brings_a_wayward_car_back() -> None:
    """Flying starts (a reset each), the agent swerving for half a second first: the
    expert's labels take the car back to its line and on round the lap."""
    env = RacingEnv(control_hz=20.0, start="flying", max_episode_s=30.0)
    offset = env.observation_names.index("track_offset_m")
    expert = SimExpert(env)
    for seed in (1, 4):
        paths = []
        for swerve in (0.0, 0.1):
            obs, _ = env.reset(seed=seed)
            done, info, path = False, {}, []
            while not done:
                action = expert.action()
                if len(path) < 10 and swerve:
                    action = np.array([swerve, 1.0, 0.0], dtype=np.float32)
                obs, _, terminated, truncated, info = env.step(action)
                path.append((info["progress_m"], obs[offset]))
                done = terminated or truncated
            assert info["end"] == "time" and info["progress_m"] > 800.0
            paths.append(np.array(path))
        # the two offsets compared at the same places along the lap
        (s0, off0), (s1, off1) = paths[0].T, paths[1].T
        where = np.linspace(0.0, min(s0[-1], s1[-1]), 400)
        apart = np.abs(np.interp(where, s0, off0) - np.interp(where, s1, off1))
        assert apart.max() > 1.0 and apart[-40:].max() < 0.5  # pushed off it, and back


def test_the_expert_is_the_simulators_only() -> None:
    with pytest.raises(UsageError):
        SimExpert(object())
    env = RacingEnv()
    with pytest.raises(UsageError, match="reset"):
        SimExpert(env).action()
    env.close()
