"""read and stream turn their flags into capture options: plain values, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from actelemetry.cli.bridge import LiveSource, capture_options
from actelemetry.errors import UsageError
from actelemetry.game.names import Game

FLAGS = {"shm_dir": None, "rate": 10.0, "duration": None, "wait": True, "track": "monza",
         "sim_laps": 3, "seed": 0, "speed": 1.0}


def test_the_game_is_passed_as_its_plain_name() -> None:
    opts = capture_options(LiveSource.sim, None, game=Game.acc, **FLAGS)
    assert opts.game == "acc" and type(opts.game) is str and f"{opts.game}" == "acc"
    assert capture_options(LiveSource.shm, None, game=None, **FLAGS).game is None


def test_a_session_file_goes_with_replay_only(tmp_path: Path) -> None:
    session = tmp_path / "s.parquet"
    assert capture_options(LiveSource.replay, session, game=None, **FLAGS).replay_path == session
    with pytest.raises(UsageError, match="needs the session file"):
        capture_options(LiveSource.replay, None, game=None, **FLAGS)
    with pytest.raises(UsageError, match="only for --source replay"):
        capture_options(LiveSource.sim, session, game=None, **FLAGS)
