"""The racing environment: one contract, two backends (docs/rl.md).

Observations are read the way the capture reads the game: consistent snapshots of the
published pages, decoded by the channel catalogue (:mod:`actelemetry.gym.observation`).
Actions are steer (-1..1, + right), gas and brake (0..1), sent through a
:class:`~actelemetry.game.controls.Controls`: the simulator's own seat, or a virtual pad on
the real game. Reward: named terms (:mod:`actelemetry.gym.reward`). An episode starts from
the session's start and ends (terminated) after ``laps`` timed laps, after ``off_track_s``
with four wheels off, after ``stuck_s`` below 1 m/s, or when the simulator has to put the
car back on the track; it is truncated after ``max_episode_s``, or when live pages stop.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.envs.registration import EnvSpec

from actelemetry.channels.catalogue import Values
from actelemetry.errors import UsageError
from actelemetry.game.controls import NEUTRAL, Controls
from actelemetry.game.mapping import PageLocation
from actelemetry.gym.backends import Backend, SimBackend
from actelemetry.gym.observation import (
    DEFAULT_CURVATURE_AHEAD_M,
    DEFAULT_OBSERVATION,
    ObservationSpec,
    Observer,
    TrackGeometry,
)
from actelemetry.gym.reward import DEFAULT_REWARD, StepFacts, check_weights, reward, terms

#: the action's order and ranges
ACTION_NAMES: tuple[str, ...] = ("steer", "gas", "brake")
ACTION_LOW = np.array([-1.0, 0.0, 0.0], dtype=np.float32)
ACTION_HIGH = np.array([1.0, 1.0, 1.0], dtype=np.float32)
#: the registered id of the live backend (actelemetry.gym registers it)
LIVE_SPEC_ID = "actelemetry/RacingLive-v0"
#: below this speed (m/s) the car counts as stopped
STOPPED_MS = 1.0
#: AC's rule: a lap is invalid once more than this many tyres are out
VALID_TYRES_OUT = 2


class RacingEnv(gym.Env):
    """Drive a GT3 car round a circuit: the built-in simulator (``backend="sim"``) or the
    game through a virtual controller (``backend="live"``, see :mod:`actelemetry.gym.live`).
    """

    metadata = {"render_modes": []}  # noqa: RUF012 - Gymnasium's convention
    action_space: spaces.Box
    observation_space: spaces.Box

    def __init__(self, backend: str = "sim", track: str | None = "monza", game: str = "ac",
                 control_hz: float = 20.0,
                 observation: Sequence[str] = DEFAULT_OBSERVATION,
                 curvature_ahead_m: Sequence[float] = DEFAULT_CURVATURE_AHEAD_M,
                 track_features: bool = True, normalize: bool = False,
                 ranges: Mapping[str, tuple[float, float]] | None = None,
                 action_rate: Sequence[float] | float | None = None,
                 reward: Mapping[str, float] | None = None, laps: int = 1,
                 max_episode_s: float = 300.0, off_track_s: float = 2.0,
                 stuck_s: float = 5.0, start: str = "grid",
                 controls: str | Controls | None = None,
                 shm_dir: str | Path | PageLocation | None = None,
                 reset_mode: str = "restart", stale_s: float = 1.0) -> None:
        self._config = {k: v for k, v in locals().items() if k not in ("self", "__class__")}
        if control_hz <= 0:
            raise UsageError("control_hz must be positive")
        if laps < 1:
            raise UsageError("laps must be at least 1")
        self.backend_name = backend
        self.game = game
        self.control_hz = control_hz
        self.laps = laps
        self.max_episode_s = max_episode_s
        self.off_track_s = off_track_s
        self.stuck_s = stuck_s
        self.obs_spec = ObservationSpec(tuple(observation), tuple(curvature_ahead_m),
                                        track_features, normalize, dict(ranges or {}))
        #: the name of every observation element, in order (also in the reset's info)
        self.observation_names: tuple[str, ...] = self.obs_spec.names
        self.observation_space = self.obs_spec.space()
        self.action_space = spaces.Box(ACTION_LOW, ACTION_HIGH, dtype=np.float32)
        self.reward_weights = check_weights(DEFAULT_REWARD if reward is None else reward)
        if action_rate is None:
            self.action_rate: np.ndarray | None = None
        else:
            rate = np.broadcast_to(np.asarray(action_rate, dtype=np.float64), (3,))
            if np.any(rate <= 0):
                raise UsageError("action_rate must be positive (units per second)")
            self.action_rate = rate.copy()
        self._backend: Backend
        if backend == "sim":
            if controls is not None or shm_dir is not None:
                raise UsageError("controls and shm_dir are for backend='live'")
            self._backend = SimBackend(track or "monza", game, control_hz, start)
        elif backend == "live":
            from actelemetry.gym.live import LiveBackend

            if start != "grid":
                raise UsageError("start='flying' is the simulator's: the live game starts "
                                 "where its restart puts the car")
            self._backend = LiveBackend(game, controls, shm_dir, control_hz, track,
                                        reset_mode, stale_s)
        else:
            raise UsageError(f"backend must be 'sim' or 'live', not {backend!r}")
        if backend == "live":
            # the game runs on its own clock: the same seed and actions never give the same
            # observations, and Gymnasium's checker must know (gym.make replaces this spec)
            self.spec = EnvSpec(LIVE_SPEC_ID, entry_point="actelemetry.gym.env:RacingEnv",
                                nondeterministic=True, kwargs=self._config)
        self._observer: Observer | None = None
        self._ready = False

    # ------------------------------------------------------------------ pickling
    def __getstate__(self) -> dict[str, Any]:
        """The configuration only: a copy is a fresh env that must be reset."""
        return {"config": self._config}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(RacingEnv(**state["config"]).__dict__)

    # ------------------------------------------------------------------ gymnasium API
    def reset(self, *, seed: int | None = None,
              options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict[str, Any]]:
        super().reset(seed=seed)
        if self.backend_name == "live" and self.spec is not None and not self.spec.nondeterministic:
            self.spec = dataclasses.replace(self.spec, nondeterministic=True)
        values = self._backend.reset(int(self.np_random.integers(0, 2**31 - 1)))
        if self._observer is None:
            track = self._backend.track()
            geometry = TrackGeometry(track) if track is not None else None
            self._observer = Observer(self.obs_spec, geometry)
        elif self._observer.geometry is not None:
            self._observer.geometry.forget()
        self._ready = True
        self._t = 0.0
        self._action = np.array(NEUTRAL, dtype=np.float64)
        self._length = self._track_length()
        self._last_progress = float(values["lap_fraction"]) * self._length
        self._progress = 0.0
        self._laps_seen = int(values["completed_laps"])
        self._crossings = 0
        self._lap_times: list[int] = []
        self._lap_valid: list[bool] = []
        self._valid_now = True
        self._off_time = self._stopped_time = 0.0
        self._recoveries = self._recovery_count()
        obs = self._observer.vector(values)
        info = self._info(values, {k: 0.0 for k in self.reward_weights}, "")
        info["observation_names"] = list(self.observation_names)
        return obs, info

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        if not self._ready:
            raise gym.error.ResetNeeded("call reset() before step()")
        dt = 1.0 / self.control_hz
        a = np.clip(np.asarray(action, dtype=np.float64).reshape(3), ACTION_LOW, ACTION_HIGH)
        if self.action_rate is not None:
            a = self._action + np.clip(a - self._action, -self.action_rate * dt,
                                       self.action_rate * dt)
        steer_change = float(a[0] - self._action[0])
        self._action = a
        try:
            self._backend.send(float(a[0]), float(a[1]), float(a[2]))
            values = self._backend.advance()
        except BaseException:
            self._backend.release()
            raise
        assert self._observer is not None
        obs = self._observer.vector(values)
        self._t += dt
        gained = self._gain(values)
        tyres_out = int(values["tyres_out"])
        self._off_time = self._off_time + dt if tyres_out == 4 else 0.0
        slow = float(values["speed_ms"]) < STOPPED_MS
        self._stopped_time = self._stopped_time + dt if slow else 0.0
        self._count_laps(values, tyres_out)
        end = ""
        if len(self._lap_times) >= self.laps:
            end = "laps"
        elif self._off_time >= self.off_track_s:
            end = "off_track"
        elif self._stopped_time >= self.stuck_s:
            end = "stopped"
        elif self._recovery_count() != self._recoveries:
            end = "recovered"
        elif values.get("stalled"):
            end = "stalled"
        terminated = end in ("laps", "off_track", "stopped", "recovered")
        truncated = not terminated and (end == "stalled" or self._t >= self.max_episode_s - 1e-9)
        if truncated and not end:
            end = "time"
        facts = StepFacts(gained, dt, tyres_out, self._observer.offset_m, steer_change,
                          end in ("off_track", "stopped", "recovered"))
        step_terms = terms(facts)
        r = reward(self.reward_weights, step_terms)
        if terminated or truncated:
            self._backend.release()
        return obs, r, terminated, truncated, self._info(values, step_terms, end)

    def close(self) -> None:
        self._ready = False
        self._backend.close()

    # ------------------------------------------------------------------ internals
    def _track_length(self) -> float:
        """The lap's length as the static page says (the track's own where it says 0)."""
        length = self._backend.track_length_m()
        track = self._backend.track()
        if length <= 0 and track is not None:
            length = track.length
        if length <= 0:
            raise UsageError("the track's length is unknown: name the track")
        return length

    def _gain(self, values: Values) -> float:
        """Metres gained along the lap since the last step, across the line too."""
        pos = float(values["lap_fraction"]) * self._length
        length = self._length
        gained = (pos - self._last_progress + length / 2) % length - length / 2
        self._last_progress = pos
        self._progress += gained
        return gained

    def _count_laps(self, values: Values, tyres_out: int) -> None:
        """Line crossings: the first ends the lap the episode started in, each later one a
        timed lap (its time is the game's; valid unless more than two tyres were out)."""
        laps = int(values["completed_laps"])
        if tyres_out > VALID_TYRES_OUT:
            self._valid_now = False
        if laps > self._laps_seen:
            self._laps_seen = laps
            self._crossings += 1
            if self._crossings > 1:
                self._lap_times.append(int(values["game_last_lap_ms"]))
                self._lap_valid.append(self._valid_now)
            self._valid_now = tyres_out <= VALID_TYRES_OUT

    def _recovery_count(self) -> int:
        return int(getattr(self._backend, "recoveries", 0))

    def _info(self, values: Values, step_terms: dict[str, float], end: str) -> dict[str, Any]:
        return {"progress_m": self._progress, "lap_fraction": float(values["lap_fraction"]),
                "laps": len(self._lap_times), "lap_times_ms": list(self._lap_times),
                "lap_valid": list(self._lap_valid), "lap_time_ms": int(values["game_lap_ms"]),
                "tyres_out": int(values["tyres_out"]),
                "speed_kmh": float(values["speed_kmh"]),
                "action": [float(x) for x in self._action],
                "reward_terms": dict(step_terms), "end": end}


#: the old name, kept for callers of the first version
SimRacingEnv = RacingEnv
