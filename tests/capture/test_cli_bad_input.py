"""Bad input through the real CLI: one line on stderr, a non-zero exit where the run
cannot go on, and everything captured so far kept."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from cli_helpers import finish, one_line_error, run_cli, start_cli
from test_sessions import start_game

from actelemetry.store.session import recover_folder, session_metadata
from scripted_game import ScriptedGame


def test_no_pages(tmp_path: Path) -> None:
    proc = run_cli("capture", "--shm-dir", str(tmp_path), "--no-wait", "-o", str(tmp_path / "o"))
    assert proc.returncode == 2
    assert "Assetto Corsa shared memory not found" in one_line_error(proc)


def test_pages_too_small(tmp_path: Path) -> None:
    for name in ("acpmf_physics", "acpmf_graphics", "acpmf_static"):
        (tmp_path / name).write_bytes(bytes(100))
    proc = run_cli("capture", "--shm-dir", str(tmp_path), "-o", str(tmp_path / "o"))
    assert proc.returncode == 2
    assert "holds 100 bytes" in one_line_error(proc)


def test_zeroed_pages(tmp_path: Path) -> None:
    ScriptedGame(tmp_path).close()  # what a bridge shows before the game starts
    proc = run_cli("capture", "--shm-dir", str(tmp_path), "--no-wait", "-o", str(tmp_path / "o"))
    assert proc.returncode == 2
    assert "no live session" in one_line_error(proc)


@pytest.mark.parametrize("how", ["off", "remove"])
def test_game_quitting_keeps_the_session(tmp_path: Path, how: str) -> None:
    end = [("off", 3.0, {})] if how == "off" else [("remove", 0, {})]
    enough = tmp_path / "enough"
    game = start_game(tmp_path / "shm", [("live", 120.0, {"until": str(enough)}), *end])
    running = start_cli("capture", "--shm-dir", str(tmp_path / "shm"), "--no-wait",
                        "-o", str(tmp_path / "o"))
    deadline = time.monotonic() + 60  # however long a busy machine takes to start it
    while not list((tmp_path / "o").glob("*.spool")):
        assert running.poll() is None and time.monotonic() < deadline, running.poll()
        time.sleep(0.05)
    time.sleep(1.0)  # the capture records a second of the game, then the game quits
    enough.touch()
    proc = finish(running)
    game.join(60)
    assert proc.returncode == 2
    assert "quit; the session was saved" in one_line_error(proc)
    (path,) = (tmp_path / "o").glob("*.parquet")
    assert pq.read_metadata(path).num_rows > 10
    assert "Capture:" in proc.stdout  # the summary was printed


def _limit_file_size() -> None:
    import resource

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (12_000, 12_000))


@pytest.mark.skipif(sys.platform == "win32",
                    reason="a file-size limit (RLIMIT_FSIZE, SIGXFSZ) is POSIX's; Windows "
                           "has no per-process one to set")
def test_write_error_keeps_what_was_written(tmp_path: Path) -> None:
    # live until the test ends it: the file-size limit stops the capture, however late
    # a busy machine starts it
    game = start_game(tmp_path / "shm", [("live", 120.0, {}), ("off", 1.0, {})])
    proc = run_cli("capture", "--shm-dir", str(tmp_path / "shm"), "--no-wait", "--duration",
                   "5", "-o", str(tmp_path / "o"), preexec=_limit_file_size)
    game.terminate()
    assert proc.returncode == 2
    assert "File too large" in one_line_error(proc)
    recover_folder(tmp_path / "o")  # what the next run (or any reading command) does
    (path,) = (tmp_path / "o").glob("*.parquet")
    rows = pq.read_metadata(path).num_rows
    assert rows > 20
    assert session_metadata(path)["quality"]["samples"] == rows


@pytest.fixture
def tiny_tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A real 8 KiB tmpfs (mounting needs root; elsewhere the size limit above stands in)."""
    folder = tmp_path / "tiny"
    folder.mkdir()
    if sys.platform != "linux":
        pytest.skip("tmpfs is Linux's")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8k", "tmpfs", str(folder)],
                             capture_output=True)
    if mounted.returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def test_a_full_tmpfs_keeps_what_was_written(tmp_path: Path, tiny_tmpfs: Path) -> None:
    # live until the test ends it: the file-size limit stops the capture, however late
    # a busy machine starts it
    game = start_game(tmp_path / "shm", [("live", 120.0, {}), ("off", 1.0, {})])
    proc = run_cli("capture", "--shm-dir", str(tmp_path / "shm"), "--no-wait", "--duration",
                   "5", "-o", str(tiny_tmpfs))
    game.terminate()
    assert proc.returncode == 2
    error = one_line_error(proc)
    assert "No space left on device" in error
    said = re.search(r"the (\d+) samples written before stay", error)
    assert said, error
    kept = int(said.group(1))
    # the user makes room; the next run (or any reading command) recovers the session
    subprocess.run(["mount", "-o", "remount,size=4m", str(tiny_tmpfs)], check=True)
    (path,) = recover_folder(tiny_tmpfs)
    rows = pq.read_metadata(path).num_rows
    assert rows == kept > 20
    assert session_metadata(path)["quality"]["samples"] == rows
