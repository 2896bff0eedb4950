"""Pages a crashed game, a broken bridge or another local user could leave: the capture
says what is wrong in one line, keeps what it recorded, and never dies of a signal."""

from __future__ import annotations

import ctypes
import os
import threading
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from cli_helpers import one_line_error, run_cli

from actelemetry.capture.loop import CaptureOptions, run_capture
from actelemetry.capture.sinks import SessionFileSink
from actelemetry.game.layouts import LAYOUTS
from scripted_game import ScriptedGame, scripted_values


def publish(game: ScriptedGame, stop: threading.Event, seconds: float | None = None,
            pid: int = 1) -> int:
    """A live game: a physics step every 3 ms from packet ``pid`` until ``stop`` (or
    ``seconds``); returns the next packetId."""
    t0 = time.monotonic()
    while not stop.is_set() and (seconds is None or time.monotonic() - t0 < seconds):
        game.graphics.normalizedCarPosition = (pid % 400) / 400.0
        game.step(pid, **scripted_values(pid))
        pid += 1
        time.sleep(0.003)
    return pid


def test_page_truncated_to_zero_is_one_line_and_keeps_the_session(tmp_path: Path) -> None:
    shm, logs = tmp_path / "shm", tmp_path / "logs"
    game = ScriptedGame(shm)
    stop = threading.Event()

    def play_then_truncate() -> None:
        pid, deadline = 1, time.monotonic() + 60  # a busy machine may start it slowly
        while not list(logs.glob("*.spool")) and time.monotonic() < deadline \
                and not stop.is_set():
            pid = publish(game, stop, 0.1, pid)
        publish(game, stop, 0.5, pid)  # the capture is recording: more steps, then gone
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


def scribble(game: ScriptedGame, stop: threading.Event, page: str, seconds: float = 20.0
             ) -> None:
    """Random bytes in one page (LIVE status kept), a new packetId each time."""
    rng = np.random.default_rng(1)
    mm = game._maps[page]
    size = ctypes.sizeof(LAYOUTS[(game.game, page)])
    pid, t0 = 1, time.monotonic()
    while not stop.is_set() and time.monotonic() - t0 < seconds:
        pid += 1
        if page == "physics":
            game.graphics.packetId, game.graphics.status = pid, 2
            game.write_page("graphics")
            data = bytearray(rng.bytes(size))
            data[0:4] = pid.to_bytes(4, "little")
        else:
            game.physics.packetId = pid
            game.write_page("physics")
            data = bytearray(rng.bytes(size))
            data[4:8] = (2).to_bytes(4, "little")  # status LIVE
        mm[:size] = bytes(data)
        time.sleep(0.003)


@pytest.mark.parametrize("page", ["physics", "graphics"])
def test_random_bytes_in_a_live_page_stop_the_capture_in_one_line(page: str,
                                                                  tmp_path: Path) -> None:
    shm, logs = tmp_path / "shm", tmp_path / "logs"
    game = ScriptedGame(shm)
    stop = threading.Event()
    writer = threading.Thread(target=scribble, args=(game, stop, page), daemon=True)
    writer.start()
    try:
        proc = run_cli("capture", "--shm-dir", str(shm), "-o", str(logs), "--game", "ac",
                       timeout=120)
    finally:
        stop.set()
        writer.join()
        game.close()
    line = one_line_error(proc)
    assert proc.returncode == 2 and "values no car shows" in line, line
    assert len(list(logs.glob("*.parquet"))) <= 1  # not one session per random page


def test_acc_pages_read_with_game_ac_are_refused(tmp_path: Path) -> None:
    shm = tmp_path / "shm"
    game = ScriptedGame(shm, game="acc")
    stop = threading.Event()
    writer = threading.Thread(target=publish, args=(game, stop), daemon=True)
    writer.start()
    try:
        proc = run_cli("capture", "--shm-dir", str(shm), "-o", str(tmp_path / "logs"),
                       "--game", "ac", "--duration", "5", timeout=120)
    finally:
        stop.set()
        writer.join()
        game.close()
    line = one_line_error(proc)
    assert "--game ac, but the pages are ACC's" in line


def test_a_game_that_dies_with_live_pages_closes_its_session(tmp_path: Path) -> None:
    shm = tmp_path / "shm"
    game = ScriptedGame(shm)
    stop = threading.Event()
    writer = threading.Thread(target=publish, args=(game, stop, 1.5), daemon=True)
    writer.start()  # then the pages stay LIVE with their packetId frozen, and no game runs
    said: list[str] = []
    sink = SessionFileSink(tmp_path / "logs")
    try:
        result = run_capture(CaptureOptions(shm_dir=shm, frozen_after_s=2.0, duration=8.0),
                             [sink], on_wait=said.append)
    finally:
        stop.set()
        writer.join()
        game.close()
    assert len(result.sessions) == 1 and len(sink.paths) == 1
    assert any("stopped publishing" in s for s in said), said
    assert pq.read_metadata(sink.paths[0]).num_rows > 10
