"""A capture killed with SIGKILL (on Windows: TerminateProcess, which no handler sees
either) loses at most a second, and the next run recovers it."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
from cli_helpers import run_cli
from test_sessions import start_game

from actelemetry.game.mapping import open_pages
from actelemetry.game.reader import PageReader
from actelemetry.store.session import recover_folder, session_metadata


def test_sigkill_then_recovery(tmp_path: Path) -> None:
    shm, out = tmp_path / "shm", tmp_path / "logs"
    game = start_game(shm, [("live", 120.0, {}), ("off", 1.0, {})])  # ended by the test
    capture = subprocess.Popen(
        [sys.executable, "-m", "actelemetry", "capture", "--shm-dir", str(shm), "--no-wait",
         "--raw", "-o", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    reader = PageReader(open_pages(shm), "ac")
    deadline = time.monotonic() + 60  # however long a busy machine takes to start it
    while not list(out.glob("*.spool")):
        assert capture.poll() is None, capture.stderr.read() if capture.stderr else ""
        assert time.monotonic() < deadline, "the capture never began a session"
        time.sleep(0.05)
    time.sleep(3.0)  # it records for a while
    assert capture.poll() is None, capture.stderr.read() if capture.stderr else ""
    pid_at_kill = reader.packet_id()
    capture.kill()  # SIGKILL; TerminateProcess on Windows
    capture.wait(10)
    game.terminate()
    assert not list(out.glob("*.parquet"))
    # the next run recovers the unfinished session on its own, before anything else
    proc = run_cli("capture", "--shm-dir", str(tmp_path / "none"), "--no-wait", "-o", str(out))
    assert proc.returncode == 2 and "Recovered an unfinished session" in proc.stdout
    (recovered,) = out.glob("*.parquet")
    table = pq.read_table(recovered, columns=["packet_id", "session_time"]).to_pydict()
    pids = np.array(table["packet_id"])
    assert np.all(np.diff(pids) > 0)
    assert pids[-1] >= pid_at_kill - 333, "more than a second (333 physics steps) was lost"
    meta = session_metadata(recovered)
    assert meta["recovered"] is True and meta["quality"]["samples"] == len(pids)
    assert not list(out.glob("*.spool")) and recover_folder(out) == []
