"""`actelemetry ml export-rl`: laps as a Minari dataset in the env's own terms."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from tests.ml.helpers import one_line_error, run_cli

from actelemetry.store.files import read_columns
from actelemetry.store.session import session_metadata

minari = pytest.importorskip("minari", reason="the rl extra (Minari) is not installed")


def test_round_trip_through_minari(sim_session: Path, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "datasets"
    proc = run_cli("ml", "export-rl", str(sim_session), "-o", str(out), "--id",
                   "test/monza-v0", "--reward", "progress=1")
    assert proc.returncode == 0, proc.stderr
    assert "test/monza-v0" in proc.stdout
    monkeypatch.setenv("MINARI_DATASETS_PATH", str(out))
    ds = minari.load_dataset("test/monza-v0")
    episodes = list(ds.iterate_episodes())
    # the out lap, two timed laps (each ends at the line: terminated) and the cool-down
    # after the flag (the session ends inside it: truncated)
    assert [bool(e.terminations[-1]) for e in episodes] == [True, True, True, False]
    assert all(not e.terminations[:-1].any() for e in episodes)
    assert [bool(e.truncations[-1]) for e in episodes] == [False, False, False, True]
    length = session_metadata(sim_session)["track_length_m"]
    for lap in episodes[1:3]:  # a timed lap's progress is one lap of the track
        assert lap.rewards.sum() == pytest.approx(length, rel=0.005)
        assert len(lap.observations) == len(lap.actions) + 1
    env = ds.recover_environment()
    names = env.unwrapped.observation_names
    assert episodes[1].observations.shape[1] == len(names)
    assert all(row in env.observation_space for e in episodes for row in e.observations)
    # the actions are the driver's pedals and steering, at the env's 20 Hz
    cols = read_columns(sim_session, ["gas", "session_time"])
    assert episodes[1].actions[:, 1].max() == 1.0
    for e in episodes:  # the action taken after an observation shows in the next one
        for k, name in enumerate(("steer", "gas", "brake")):
            np.testing.assert_array_equal(e.actions[:, k],
                                          e.observations[1:, names.index(name)])
    total = sum(len(e.actions) for e in episodes)
    seconds = cols["session_time"][-1] - cols["session_time"][0]
    assert total == pytest.approx(seconds * 20, abs=len(episodes) + 2)
    speed = names.index("speed_ms")
    assert np.max(episodes[1].observations[:, speed]) > 60.0  # a GT3 at Monza
    env.close()


def test_a_session_without_the_channels_is_a_one_line_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("timestamp,speed_kmh\n0,10\n0.01,11\n", encoding="utf-8")
    line = one_line_error(run_cli("ml", "export-rl", str(bad), "-o", str(tmp_path / "o")))
    assert "lacks" in line or "not a session" in line
