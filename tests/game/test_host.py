"""The operating system's ways (game/host.py): stop signals, stopping a child cleanly,
and replacing a file while a reader holds it open."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from actelemetry.game.host import (
    ask_to_stop,
    child_options,
    ignored_signals,
    replace_file,
    stop_signals,
)
from actelemetry.signals import stop_on_sigterm

WINDOWS_ONLY = pytest.mark.skipif(
    sys.platform != "win32",
    reason="Windows only: POSIX renames onto an open file at once (the reader keeps the "
           "old one), so there is no refusal to wait out")


@pytest.mark.parametrize("stop_signal", stop_signals(), ids=lambda s: s.name)
def test_each_stop_signal_sets_the_stop_event(stop_signal: signal.Signals) -> None:
    saved = {s: signal.getsignal(s)
             for s in (*stop_signals(), *ignored_signals(), signal.SIGINT)}
    try:
        stop = stop_on_sigterm()
        assert not stop.is_set()
        signal.raise_signal(stop_signal)
        assert stop.wait(10), f"{stop_signal.name} did not set the stop event"
    finally:
        for s, handler in saved.items():
            signal.signal(s, handler)


def test_windows_stops_a_run_with_ctrl_break_too() -> None:
    assert (signal.SIGTERM in stop_signals())
    assert (getattr(signal, "SIGBREAK", None) in stop_signals()) == (sys.platform == "win32")


CHILD = """
import sys, time
from actelemetry.signals import stop_on_sigterm
stop = stop_on_sigterm()
print("ready", flush=True)
if not stop.wait(120):
    sys.exit(3)
print("stopped cleanly", flush=True)
"""


def test_a_child_is_asked_to_stop_and_stops_cleanly() -> None:
    """SIGTERM on POSIX, CTRL_BREAK_EVENT to its own process group on Windows: either way
    its handler runs (what TerminateProcess would never let it do)."""
    proc = subprocess.Popen([sys.executable, "-c", CHILD], stdout=subprocess.PIPE, text=True,
                            **child_options())
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        ask_to_stop(proc)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0 and "stopped cleanly" in out


def test_a_file_a_reader_holds_open_is_replaced(tmp_path: Path) -> None:
    target, new = tmp_path / "best.json", tmp_path / ".best.json.tmp"
    target.write_bytes(b"old")
    new.write_bytes(b"new")
    reader = open(target, "rb")  # noqa: SIM115 - closed by the timer below
    closer = threading.Timer(0.5, reader.close)  # a reader that lets go soon
    closer.start()
    try:
        replace_file(new, target)
    finally:
        closer.join()
    assert target.read_bytes() == b"new" and not new.exists()


@WINDOWS_ONLY
def test_windows_replacement_waits_for_the_reader_to_let_go(tmp_path: Path) -> None:
    target, new = tmp_path / "report.html", tmp_path / "report.tmp"
    target.write_bytes(b"old")
    new.write_bytes(b"new")
    let_go = threading.Event()
    reader = open(target, "rb")  # noqa: SIM115 - closed by the thread below

    def close_later() -> None:
        time.sleep(0.5)
        let_go.set()
        reader.close()

    worker = threading.Thread(target=close_later)
    worker.start()
    try:
        replace_file(new, target, retry_s=60)
        assert let_go.is_set(), "replaced while the reader still held the file"
    finally:
        worker.join()
    assert target.read_bytes() == b"new"


@WINDOWS_ONLY
def test_windows_a_reader_that_never_lets_go_is_an_error_and_loses_nothing(
        tmp_path: Path) -> None:
    target, new = tmp_path / "session.parquet", tmp_path / "session.tmp"
    target.write_bytes(b"old")
    new.write_bytes(b"new")
    with open(target, "rb"), pytest.raises(PermissionError):
        replace_file(new, target, retry_s=0.3)
    assert target.read_bytes() == b"old" and new.read_bytes() == b"new"


def test_peak_resident_memory_is_at_least_what_is_resident_now() -> None:
    """The benchmarks' peak memory, in MiB on every platform: never below the memory in
    use now (64 MiB just written included), never above the machine's."""
    import psutil

    from actelemetry.game.host import peak_rss_mb

    block = b"\x01" * (64 * 2**20)  # written, so resident
    now = psutil.Process().memory_info().rss / 2**20
    peak = peak_rss_mb()
    assert now - 1 <= peak <= psutil.virtual_memory().total / 2**20
    assert len(block) == 64 * 2**20
