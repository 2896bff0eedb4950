"""read and stream turn their flags into capture options: plain values, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from actelemetry.cli.bridge import capture_options
from actelemetry.errors import UsageError
from actelemetry.game.names import Game
from actelemetry.sources.base import SourceKind

FLAGS = {"shm_dir": None, "rate": 10.0, "duration": None, "wait": True, "track": "monza",
         "laps": None, "sim_laps": None, "seed": 0, "speed": 1.0}


def test_the_game_is_passed_as_its_plain_name() -> None:
    opts = capture_options(SourceKind.sim, None, game=Game.acc, **FLAGS)
    assert opts.game == "acc" and type(opts.game) is str and f"{opts.game}" == "acc"
    assert capture_options(SourceKind.shm, None, game=None, **FLAGS).game is None


def test_a_session_file_goes_with_replay_only(tmp_path: Path) -> None:
    session = tmp_path / "s.parquet"
    assert capture_options(SourceKind.replay, session, game=None, **FLAGS).replay_path == session
    with pytest.raises(UsageError, match="needs the session file"):
        capture_options(SourceKind.replay, None, game=None, **FLAGS)
    with pytest.raises(UsageError, match="only for --source replay"):
        capture_options(SourceKind.sim, session, game=None, **FLAGS)


@pytest.mark.parametrize(("laps", "sim_laps", "expected"), [
    (None, None, (None, 3)),  # neither: the driver drives 3, recorded until it finishes
    (2, None, (2, 2)),  # one --laps: recorded and driven alike
    (None, 4, (4, 4)),  # the old spelling
    (2, 5, (2, 2)),  # --laps wins
])
def test_one_laps_with_the_simulator_as_for_capture(
        laps: int | None, sim_laps: int | None, expected: tuple[int | None, int]) -> None:
    flags = {**FLAGS, "laps": laps, "sim_laps": sim_laps}
    opts = capture_options(SourceKind.sim, None, game=None, **flags)
    assert (opts.laps, opts.sim_laps) == expected


def test_the_rate_range_is_the_capture_s() -> None:
    with pytest.raises(UsageError, match=r"--rate must be between 1 and 333 Hz"):
        capture_options(SourceKind.shm, None, game=None, **{**FLAGS, "rate": 1000.0})


@pytest.mark.parametrize("source", ["replay", "udp"])
def test_ml_predict_takes_the_game_or_the_simulator_only(
        source: str, capsys: pytest.CaptureFixture[str]) -> None:
    from actelemetry.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["ml", "predict", "--source", source, "--model", "nowhere"])
    assert exit_info.value.code == 2
    assert "ml predict reads the game (--source shm) or the simulator" in capsys.readouterr().err


def test_the_simulated_driver_s_skill_by_name_or_number() -> None:
    assert capture_options(SourceKind.sim, None, game=None, **FLAGS).skill == 0.9  # pro
    for text, value in (("novice", 0.1), ("alien", 1.0), ("0.35", 0.35)):
        opts = capture_options(SourceKind.sim, None, game=None, **FLAGS, skill=text)
        assert opts.skill == value
    with pytest.raises(UsageError, match=r"skill must be 0\.\.1 or one of novice"):
        capture_options(SourceKind.sim, None, game=None, **FLAGS, skill="godlike")


@pytest.mark.parametrize("command", [["capture", "--source", "sim", "--no-wait"],
                                     ["stream", "--source", "sim"], ["demo"],
                                     ["ml", "predict", "--source", "sim", "--model", "x"]])
def test_a_bad_skill_is_a_one_line_error_wherever_the_simulator_drives(
        command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    from actelemetry.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main([*command, "--skill", "1.5"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "skill must be 0..1" in err and "Traceback" not in err
