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
