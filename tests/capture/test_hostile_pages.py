"""Pages a crashed game, a broken bridge or another local user could leave: the capture
says what is wrong in one line, keeps what it recorded, and never dies of a signal."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pyarrow.parquet as pq
from cli_helpers import one_line_error, run_cli

from scripted_game import ScriptedGame, scripted_values


def publish(game: ScriptedGame, stop: threading.Event, seconds: float | None = None) -> None:
    """A live game: a physics step every 3 ms until ``stop`` (or ``seconds``)."""
    pid, t0 = 1, time.monotonic()
    while not stop.is_set() and (seconds is None or time.monotonic() - t0 < seconds):
        game.graphics.normalizedCarPosition = (pid % 400) / 400.0
        game.step(pid, **scripted_values(pid))
        pid += 1
        time.sleep(0.003)


def test_page_truncated_to_zero_is_one_line_and_keeps_the_session(tmp_path: Path) -> None:
    shm, logs = tmp_path / "shm", tmp_path / "logs"
    game = ScriptedGame(shm)
    stop = threading.Event()

    def play_then_truncate() -> None:
        publish(game, stop, 1.5)
        game.close()  # our own writer lets go of its mapping first
        os.truncate(shm / "acpmf_physics", 0)

    writer = threading.Thread(target=play_then_truncate, daemon=True)
    writer.start()
    try:
        proc = run_cli("capture", "--shm-dir", str(shm), "-o", str(logs), timeout=120)
    finally:
        stop.set()
        writer.join()
    line = one_line_error(proc)
    assert proc.returncode == 2 and "shrank" in line
    files = list(logs.glob("*.parquet"))
    assert len(files) == 1 and pq.read_metadata(files[0]).num_rows > 10
