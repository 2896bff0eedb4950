"""Pages that run far faster than real time (``sim --fast``) are refused, not half-recorded."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pyarrow.parquet as pq
from cli_helpers import one_line_error, run_cli

from scripted_game import ScriptedGame, scripted_values

#: packet ids per write: a game publishing 1000 physics steps in the time of one
STRIDE = 1000


def test_pages_far_faster_than_real_time_are_refused(tmp_path: Path) -> None:
    shm, logs = tmp_path / "shm", tmp_path / "logs"
    game = ScriptedGame(shm)
    stop = threading.Event()

    def publish() -> None:
        pid = 1
        while not stop.is_set():
            game.graphics.normalizedCarPosition = (pid // STRIDE % 400) / 400.0
            game.step(pid, **scripted_values(pid))
            pid += STRIDE
            time.sleep(0.003)

    writer = threading.Thread(target=publish, daemon=True)
    writer.start()
    try:
        proc = run_cli("capture", "--shm-dir", str(shm), "-o", str(logs), timeout=120)
    finally:
        stop.set()
        writer.join()
        game.close()
    line = one_line_error(proc)
    assert proc.returncode == 2
    assert "faster than real time" in line and "capture --source sim --fast" in line
    # what was recorded before the refusal is a finished session file
    files = list(logs.glob("*.parquet"))
    assert len(files) == 1 and pq.read_metadata(files[0]).num_rows > 0


def test_laps_counts_timed_laps_the_same_for_capture_and_the_simulator(tmp_path: Path) -> None:
    """`capture --source sim --laps 1`: the driver drives one timed lap after its out lap,
    and the capture stops when that timed lap is done (not after the out lap)."""
    from actelemetry.analysis.query import run_query

    logs = tmp_path / "logs"
    proc = run_cli("capture", "--source", "sim", "--fast", "--laps", "1", "--rate", "20",
                   "-o", str(logs), timeout=300)
    assert proc.returncode == 0, proc.stderr
    (path,) = logs.glob("*.parquet")
    kinds = [r["kind"] for r in run_query(
        "SELECT kind FROM laps WHERE game_time_s IS NOT NULL ORDER BY lap", [path]).rows()]
    assert kinds == ["out", "timed"]
    assert "Timed laps:       1 (+1 out or partial)" in proc.stdout
