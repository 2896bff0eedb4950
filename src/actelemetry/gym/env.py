"""A Gymnasium environment: the simulator is the actuator, the real page reader the sensor.

Observations are read the way the capture reads the game: consistent snapshots of the
published pages, decoded by the channel catalogue. Actions (steer, gas, brake) replace the
simulator's own driver; gears shift automatically, as with the game's auto-shifter aid.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from actelemetry.channels.decode import as_records, decode_pages, decode_static
from actelemetry.channels.derive import LiveDeriver
from actelemetry.game.mapping import open_pages
from actelemetry.game.reader import PageReader
from actelemetry.game.writer import PageWriter
from actelemetry.sim import Simulator
from actelemetry.sim.driver import Driver
from actelemetry.sim.vehicle import Vehicle

#: the default observation: what a driver feels and sees, from the catalogue
DEFAULT_OBSERVATION = (
    "speed_ms", "accel_longitudinal", "accel_lateral", "yaw_rate", "local_vx", "local_vz",
    "steer", "gas", "brake", "gear", "rpm", "lap_fraction", "tyres_out",
    "wheel_slip_fl", "wheel_slip_fr", "wheel_slip_rl", "wheel_slip_rr",
)


class _AgentDriver(Driver):
    """The simulator's driver with the hands and feet of an agent (shifting stays automatic)."""

    action = (0.0, 0.0, 0.0)  # steer -1..1 (+ right), gas 0..1, brake 0..1

    def control(self, car: Vehicle, dt: float) -> tuple[float, float, float]:
        steer, gas, brake = self.action
        self.gas = gas
        self._shift(car)
        return steer * self.p.max_steer, gas, brake


class SimRacingEnv(gym.Env):
    """Drive the built-in GT3 car around a real circuit.

    Reward: metres of progress along the lap per step, minus a penalty for each wheel
    off the track. An episode ends when the car leaves the track with all four wheels for
    ``off_track_s`` seconds (terminated) or after ``max_episode_s`` (truncated).
    """

    metadata = {"render_modes": []}  # noqa: RUF012 - Gymnasium's convention
    action_space: spaces.Box
    observation_space: spaces.Box

    def __init__(self, track: str = "monza", game: str = "ac", control_hz: float = 20.0,
                 max_episode_s: float = 120.0, off_track_s: float = 2.0,
                 observation: tuple[str, ...] = DEFAULT_OBSERVATION,
                 off_track_penalty: float = 0.5) -> None:
        self.track, self.game = track, game
        self.control_hz = control_hz
        self.max_episode_s = max_episode_s
        self.off_track_s = off_track_s
        self.channels = tuple(observation)
        self.off_track_penalty = off_track_penalty
        n = len(self.channels)
        self.observation_space = spaces.Box(-np.inf, np.inf, shape=(n,), dtype=np.float32)
        self.action_space = spaces.Box(np.array([-1.0, 0.0, 0.0], dtype=np.float32),
                                       np.array([1.0, 1.0, 1.0], dtype=np.float32))
        self._folder: Path | None = None
        self._publisher: PageWriter | None = None
        self._reader: PageReader | None = None
        self.sim: Simulator | None = None

    # ------------------------------------------------------------------ gymnasium API
    def reset(self, *, seed: int | None = None,
              options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        self._teardown()
        self._folder = Path(tempfile.mkdtemp(prefix="actelemetry-gym-"))
        self._publisher = PageWriter(self._folder, self.game)
        sim_seed = int(self.np_random.integers(0, 2**31 - 1))
        sim = Simulator(game=self.game, track=self.track, laps=1000, seed=sim_seed,
                        publisher=self._publisher)
        self._agent = _AgentDriver(sim.track, sim.params, sim.skill, sim_seed)
        sim.driver = self._agent
        sim.restart()  # the session starts again with the agent at the wheel
        self.sim = sim
        self._reader = PageReader(open_pages(self._folder), self.game)
        self._deriver = LiveDeriver(self.game, decode_static(self.game, self._reader.static()))
        self._off_time = 0.0
        obs, values = self._observe()
        self._last_progress = self._progress(values)
        return obs, self._info(values)

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        assert self.sim is not None, "call reset() first"
        a = np.clip(np.asarray(action, dtype=np.float64), self.action_space.low,
                    self.action_space.high)
        self._agent.action = (float(a[0]), float(a[1]), float(a[2]))
        steps = max(1, round(1.0 / (self.control_hz * self.sim.dt)))
        for k in range(steps):
            self.sim.step(publish=k == steps - 1)
        obs, values = self._observe()
        progress = self._progress(values)
        length = self.sim.track.length
        gained = (progress - self._last_progress + length / 2) % length - length / 2
        self._last_progress = progress
        tyres_out = int(values["tyres_out"])
        reward = float(gained - self.off_track_penalty * tyres_out)
        self._off_time = self._off_time + steps * self.sim.dt if tyres_out == 4 else 0.0
        terminated = self._off_time >= self.off_track_s or self.sim.finished
        truncated = self.sim.time >= self.max_episode_s
        return obs, reward, terminated, truncated, self._info(values)

    def close(self) -> None:
        self._teardown()

    # ------------------------------------------------------------------ internals
    def _observe(self) -> tuple[np.ndarray, dict[str, Any]]:
        """Read the pages through the real reader and decode the observation channels."""
        assert self._reader is not None
        snap = self._reader.snapshot()
        physics = as_records(self.game, "physics", snap.physics)
        graphics = as_records(self.game, "graphics", snap.graphics)
        raw = decode_pages(self.game, physics, graphics)
        assert self.sim is not None
        values = self._deriver.derive(physics, raw, self.sim.time, 0.0, 0, 0.0)
        obs = np.array([values[c] for c in self.channels], dtype=np.float32)
        return obs, values

    def _progress(self, values: dict[str, Any]) -> float:
        assert self.sim is not None
        return float(values["lap_fraction"]) * self.sim.track.length

    def _info(self, values: dict[str, Any]) -> dict[str, Any]:
        return {"completed_laps": int(values["completed_laps"]),
                "lap_time_ms": int(values["game_lap_ms"]),
                "tyres_out": int(values["tyres_out"]),
                "speed_kmh": float(values["speed_kmh"])}

    def _teardown(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        if self._publisher is not None:
            self._publisher.close()
            self._publisher = None
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None
        self.sim = None
