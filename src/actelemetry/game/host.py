"""The operating system's own ways, kept here so the rest of the package is the same on
Linux and Windows: which signals ask a run to stop, how a child process is started so that
it can be stopped cleanly (and dies with its parent where the platform allows), and
replacing a file another program may be reading.

Why each differs: Windows has no SIGTERM from outside (``terminate`` is TerminateProcess,
which no handler sees) and delivers Ctrl+Break as SIGBREAK to a process group; and it
refuses to rename onto a file another process holds open. (Whether a process lives is
psutil's ``pid_exists``: on Windows ``os.kill(pid, 0)`` would send Ctrl+C, CTRL_C_EVENT
being 0.)
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

WINDOWS = sys.platform == "win32"
LINUX = sys.platform.startswith("linux")

#: how long a replacement waits for a reader to close the file it replaces (Windows)
REPLACE_RETRY_S = 5.0
_PR_SET_PDEATHSIG = 1


def stop_signals() -> tuple[signal.Signals, ...]:
    """Signals that ask a long run to stop between two steps (Ctrl+C aside): SIGTERM, and
    on Windows SIGBREAK (Ctrl+Break, or CTRL_BREAK_EVENT from a parent)."""
    if sys.platform == "win32":
        return (signal.SIGTERM, signal.SIGBREAK)
    return (signal.SIGTERM,)


def ignored_signals() -> tuple[signal.Signals, ...]:
    """Signals that must not kill a run silently: SIGXFSZ (a file-size limit then becomes a
    write error with a message). Windows has none."""
    if sys.platform == "win32":
        return ()
    return (signal.SIGXFSZ,)


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    """Linux: the child gets SIGTERM when its parent dies, even by SIGKILL."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def child_options() -> dict[str, Any]:
    """``subprocess.Popen`` options for a child the parent will ask to stop with
    :func:`ask_to_stop`: on Linux it dies with its parent (prctl); on Windows it gets a
    process group of its own, so that CTRL_BREAK_EVENT reaches it and only it."""
    if sys.platform == "win32":
        return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
    if LINUX:
        return {"preexec_fn": _die_with_parent}
    return {}


def ask_to_stop(proc: subprocess.Popen[Any]) -> None:
    """Ask a child started with :func:`child_options` to stop cleanly (it handles
    :func:`stop_signals`): SIGTERM, or CTRL_BREAK_EVENT on Windows."""
    if sys.platform == "win32":
        try:
            proc.send_signal(signal.CTRL_BREAK_EVENT)
        except OSError:  # no console to carry the event: end it the hard way
            proc.terminate()
    else:
        proc.send_signal(signal.SIGTERM)


def replace_file(src: Path | str, dst: Path | str, retry_s: float = REPLACE_RETRY_S) -> None:
    """``os.replace(src, dst)``, and on Windows patient with readers: Windows refuses to
    replace a file another process holds open (PermissionError), so the swap is retried
    until the reader lets go, for up to ``retry_s``; then the error is raised. POSIX swaps
    at once, an open reader keeping the old file."""
    if sys.platform != "win32":
        os.replace(src, dst)
        return
    deadline = time.monotonic() + retry_s
    pause = 0.01
    while True:
        try:
            os.replace(src, dst)
            return
        except PermissionError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 0.2)


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MiB (what the benchmarks report).

    POSIX keeps it in ``getrusage`` (``ru_maxrss``: KiB on Linux, bytes on macOS);
    Windows calls it the peak working set, which psutil reads (``peak_wset``).
    """
    if sys.platform == "win32":
        import psutil

        return float(psutil.Process().memory_info().peak_wset) / 2**20
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 2**10
