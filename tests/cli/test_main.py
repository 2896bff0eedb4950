"""The CLI's one contract for every command: user mistakes are one line and exit 2."""

from __future__ import annotations

import subprocess
import sys

import pytest

from actelemetry.cli import main


def test_usage_error_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["export", "no_such_session.parquet"])  # -o is required
    assert exit_info.value.code == 2
    assert "Missing option" in capsys.readouterr().err


def test_unknown_option_has_no_traceback() -> None:
    proc = subprocess.run([sys.executable, "-m", "actelemetry", "capture", "--nope"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "No such option" in proc.stderr
    assert "Traceback" not in proc.stderr + proc.stdout


def test_every_command_of_the_guide_is_there(capsys: pytest.CaptureFixture[str]) -> None:
    main(["--help"])  # help is not an error: no exit code
    text = capsys.readouterr().out
    for command in ("capture", "read", "stream", "sim", "replay", "analyze", "compare", "sql",
                    "export", "ml", "demo", "channels"):
        assert command in text, command


def test_busy_poll_below_the_physics_rate_is_a_usage_error(
        capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["capture", "--busy-poll", "--rate", "100", "--no-wait"])
    assert exit_info.value.code == 2
    assert "--busy-poll is for every physics step: use it with --rate 333" in (
        capsys.readouterr().err)
