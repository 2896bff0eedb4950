"""Offline RL and imitation datasets from recorded driving, in Minari's format.

Any recorded session (the simulator's, the live game's, an imported file) is read at the
env's control rate and turned into the env's own terms: the observation vector of
:class:`~actelemetry.gym.observation.ObservationSpec` (computed from the recorded
channels, track features from the recorded position and heading), the driver's steer, gas
and brake as the action, and the env's reward terms and weights. Each lap is an episode:
terminated at the line, truncated where the session ends inside it. Minari is imported
only here.
"""

from __future__ import annotations

import dataclasses
import os
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from actelemetry.errors import SessionFileError, UsageError
from actelemetry.gym.observation import ObservationSpec, Observer, TrackGeometry
from actelemetry.gym.reward import DEFAULT_REWARD, StepFacts, check_weights, reward, terms
from actelemetry.ml.timebase import clock
from actelemetry.sim.track import BUILTIN_TRACKS, Track, load_track
from actelemetry.store.files import column_names, find_session_files, read_columns
from actelemetry.store.session import session_metadata

ACTIONS = ("steer", "gas", "brake")
#: what the episodes, rewards and track features need besides the observation channels
NEEDED = ("completed_laps", "lap_fraction", "tyres_out", "pos_x", "pos_z", "heading",
          *ACTIONS)


@dataclass
class Episode:
    """One lap in the env's terms: N+1 observations, N actions, rewards and flags."""

    observations: np.ndarray
    actions: np.ndarray
    rewards: np.ndarray
    terminated: bool
    lap: int
    source: str

    @property
    def steps(self) -> int:
        return len(self.actions)


@dataclass
class ExportSummary:
    dataset_id: str
    path: Path
    episodes: int
    steps: int
    sessions: int
    track: str


def session_episodes(path: Path, spec: ObservationSpec, track: Track | None,
                     control_hz: float, weights: Mapping[str, float]) -> list[Episode]:
    """The laps of one session file as episodes of the env at ``control_hz``."""
    names = check_channels(path, spec)
    wanted = (*spec.channels, *NEEDED)
    cols = read_columns(path, [c for c in dict.fromkeys((*wanted, "session_time", "timestamp"))
                               if c in names])
    t = clock(cols)
    if t is None or len(t) < 2:
        raise SessionFileError(f"{path}: no clock (session_time or timestamp)")
    grid = np.arange(t[0], t[-1], 1.0 / control_hz)
    rows = np.minimum(np.searchsorted(t, grid), len(t) - 1)
    meta = session_metadata(path)
    length = float(meta.get("track_length_m") or (track.length if track else 0.0))
    if length <= 0:
        raise SessionFileError(f"{path}: the track's length is unknown: name the track")
    observer = Observer(spec, TrackGeometry(track) if track is not None else None)
    dt = 1.0 / control_hz
    laps = np.asarray(cols["completed_laps"])[rows]
    frac = np.asarray(cols["lap_fraction"], np.float64)[rows] * length
    tyres = np.asarray(cols["tyres_out"])[rows]
    # the pages show the inputs the car is applying, so the action taken after sample j is
    # what sample j + 1 shows, as in the env, where step(a) returns an observation with a
    inputs = np.stack([np.asarray(cols[a], np.float64)[rows] for a in ACTIONS], axis=1)
    inputs = np.clip(inputs, [-1.0, 0.0, 0.0], [1.0, 1.0, 1.0]).astype(np.float32)
    obs = np.empty((len(rows), len(spec.names)), np.float32)
    offsets = np.empty(len(rows))
    for k, r in enumerate(rows):
        obs[k] = observer.vector({c: cols[c][r] for c in (*spec.channels, "pos_x", "pos_z",
                                                             "heading")})
        offsets[k] = observer.offset_m
    # a lap's episode runs from its first sample to the first of the next lap
    starts = np.flatnonzero(np.concatenate(([True], np.diff(laps) != 0)))
    episodes = []
    for i, a in enumerate(starts):
        b = starts[i + 1] if i + 1 < len(starts) else len(rows) - 1
        if b - a < 2:
            continue
        rewards = np.empty(b - a, np.float32)
        for j in range(a, b):
            gained = (frac[j + 1] - frac[j] + length / 2) % length - length / 2
            change = float(inputs[j + 1, 0] - inputs[j, 0])
            facts = StepFacts(gained, dt, int(tyres[j + 1]), offsets[j + 1], change, False)
            rewards[j - a] = reward(weights, terms(facts))
        episodes.append(Episode(obs[a:b + 1], inputs[a + 1:b + 1], rewards, i + 1 < len(starts),
                                int(laps[a]), path.name))
    return episodes


def check_channels(path: Path, spec: ObservationSpec) -> set[str]:
    """The session's channel names; an error naming what the env needs and it lacks."""
    names = set(column_names(path))
    missing = sorted({c for c in (*spec.channels, *NEEDED) if c not in names})
    if missing:
        raise SessionFileError(f"{path}: lacks {', '.join(missing)} for the env's "
                               "observation and reward")
    return names


def _track_for(meta: dict[str, Any], track: str | None) -> Track | None:
    name = track or str(meta.get("track") or "").strip().lower()
    if track is None and name not in BUILTIN_TRACKS:
        return None
    return load_track(name)


def export_rl(paths: Iterable[str | Path], out: Path, dataset_id: str | None = None,
              control_hz: float = 20.0, track: str | None = None,
              reward_weights: Mapping[str, float] | None = None) -> ExportSummary:
    """Write the laps of ``paths`` as a Minari dataset under the datasets folder ``out``."""
    try:
        import minari
        from minari.data_collector import EpisodeBuffer
    except ImportError:
        raise UsageError("export-rl needs Minari: pip install 'actelemetry[rl]'") from None
    import gymnasium as gym

    import actelemetry.gym  # noqa: F401 - registers the env ids
    from actelemetry.gym import ENV_ID

    files = find_session_files(list(paths))
    weights = check_weights(DEFAULT_REWARD if reward_weights is None else reward_weights)
    spec = ObservationSpec()
    episodes: list[Episode] = []
    track_name = ""
    for path in files:
        check_channels(path, spec)
        meta = session_metadata(path)
        geometry = _track_for(meta, track)
        if geometry is None:
            raise UsageError(f"{path}: track {meta.get('track') or '(unnamed)'} is not "
                             "built in: give its centre line with --track FILE.csv")
        track_name = track_name or geometry.name
        episodes += session_episodes(path, spec, geometry, control_hz, weights)
    if not episodes:
        raise UsageError("no lap long enough for an episode in these sessions")
    dataset_id = dataset_id or f"actelemetry/{track_name.lower()}-v0"
    buffers = [EpisodeBuffer(id=i, observations=e.observations, actions=e.actions,
                             rewards=list(map(float, e.rewards)),
                             terminations=[False] * (e.steps - 1) + [e.terminated],
                             truncations=[False] * (e.steps - 1) + [not e.terminated])
               for i, e in enumerate(episodes)]
    env_spec = dataclasses.replace(gym.spec(ENV_ID), kwargs={
        "track": track or track_name.lower(), "control_hz": control_hz,
        "reward": dict(weights)})
    out = Path(out)
    before = os.environ.get("MINARI_DATASETS_PATH")
    os.environ["MINARI_DATASETS_PATH"] = str(out)
    try:
        with warnings.catch_warnings():
            # Minari advises a code link, an e-mail and an evaluation env: none is needed
            warnings.simplefilter("ignore", UserWarning)
            minari.create_dataset_from_buffers(
                dataset_id, buffers, env=env_spec, algorithm_name="recorded driving",
                author="actelemetry export-rl", data_format="arrow",
                description=f"{len(episodes)} laps from {len(files)} recorded session(s), "
                            f"at {control_hz:g} Hz, in the {ENV_ID} env's observation, "
                            "action and reward (docs/rl.md)")
    except ValueError as exc:
        raise UsageError(str(exc).splitlines()[0]) from None
    finally:
        if before is None:
            del os.environ["MINARI_DATASETS_PATH"]
        else:
            os.environ["MINARI_DATASETS_PATH"] = before
    return ExportSummary(dataset_id, out / dataset_id, len(episodes),
                         sum(e.steps for e in episodes), len(files), track_name)
