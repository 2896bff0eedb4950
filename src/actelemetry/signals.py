"""Stopping a long run cleanly: SIGTERM sets an event the run checks between steps."""

from __future__ import annotations

import signal
import threading
from types import FrameType


def stop_on_sigterm(ctrl_c: bool = False) -> threading.Event:
    """An event set by SIGTERM (Ctrl+C arrives as KeyboardInterrupt and is handled by the
    caller, unless ``ctrl_c``: then the first Ctrl+C sets the event too, so a capture ends
    between two samples and closes its session, and a second one interrupts at once).

    A handler that only sets an event cannot be lost the way an exception raised in the
    middle of library code can. SIGXFSZ is ignored too, so a file-size limit is a write
    error with a message, not a silent death. Handlers can only be set from the main
    thread; elsewhere the event is only set by the caller.
    """
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        if ctrl_c:
            def on_ctrl_c(signum: int, frame: FrameType | None) -> None:
                if stop.is_set():
                    signal.default_int_handler(signum, frame)
                stop.set()

            signal.signal(signal.SIGINT, on_ctrl_c)
        if hasattr(signal, "SIGXFSZ"):
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    return stop
