"""SIGTERM stops every long-running command promptly, with no traceback (on Windows the
same handler gets CTRL_BREAK_EVENT, sent to the command's own process group)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from actelemetry.game.host import ask_to_stop, child_options

pytestmark = pytest.mark.slow

#: the promise is 1 s; the margin is for a machine busy with other work
BOUND_S = 5.0


def commands(tmp: Path, raw: Path) -> dict[str, list[str]]:
    return {
        "capture": ["capture", "--source", "sim", "-o", str(tmp / "logs")],
        "read": ["read", "--source", "sim", "--rate", "10"],
        "stream": ["stream", "--source", "sim", "--port", "0"],
        "sim": ["sim", "--shm-dir", str(tmp / "shm"), "--laps", "5", "--quiet"],
        "replay": ["replay", str(raw), "--shm-dir", str(tmp / "shm2"), "--speed", "0.05",
                   "--quiet"],
        "capture shm (waiting)": ["capture", "--shm-dir", str(tmp / "nothing"), "-o",
                                  str(tmp / "logs2")],
    }


@pytest.fixture(scope="module")
def raw(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from actelemetry.capture.loop import CaptureOptions, run_capture
    from actelemetry.capture.sinks import SessionFileSink

    sink = SessionFileSink(tmp_path_factory.mktemp("raw"), raw=True)
    run_capture(CaptureOptions(source="sim", fast=True, duration=2.0, seed=3), [sink])
    return sink.paths[0]


@pytest.mark.parametrize("name", ["capture", "read", "stream", "sim", "replay",
                                  "capture shm (waiting)"])
def test_sigterm_stops_the_command(name: str, tmp_path: Path, raw: Path) -> None:
    args = commands(tmp_path, raw)[name]
    proc = subprocess.Popen([sys.executable, "-m", "actelemetry", *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            **child_options())
    time.sleep(4.0)  # started and busy
    assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
    sent = time.monotonic()
    ask_to_stop(proc)  # SIGTERM; CTRL_BREAK_EVENT on Windows
    try:
        proc.wait(60)
    finally:
        if proc.poll() is None:
            proc.kill()
    took = time.monotonic() - sent
    err = proc.stderr.read() if proc.stderr else ""
    print(f"{name}: stopped {took:.2f} s after SIGTERM (exit {proc.returncode})")
    assert "Traceback" not in err, err
    assert proc.returncode in (0, -signal.SIGTERM), (proc.returncode, err)
    assert took < BOUND_S
