"""Stopping a long run cleanly: SIGTERM (on Windows also Ctrl+Break) sets an event the run
checks between steps."""

from __future__ import annotations

import signal
import threading
from types import FrameType

from actelemetry.game.host import ignored_signals, stop_signals


def stop_on_sigterm(ctrl_c: bool = False) -> threading.Event:
    """An event set by SIGTERM, and on Windows by SIGBREAK (Ctrl+Break, which a parent
    sends as CTRL_BREAK_EVENT). Ctrl+C arrives as KeyboardInterrupt and is handled by the
    caller, unless ``ctrl_c``: then the first Ctrl+C sets the event too, so a capture ends
    between two samples and closes its session, and a second one interrupts at once.

    A handler that only sets an event cannot be lost the way an exception raised in the
    middle of library code can. SIGXFSZ (POSIX) is ignored too, so a file-size limit is a write
    error with a message, not a silent death. Handlers can only be set from the main
    thread; elsewhere the event is only set by the caller.
    """
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        for stop_signal in stop_signals():
            signal.signal(stop_signal, lambda *_: stop.set())
        if ctrl_c:
            def on_ctrl_c(signum: int, frame: FrameType | None) -> None:
                if stop.is_set():
                    signal.default_int_handler(signum, frame)
                stop.set()

            signal.signal(signal.SIGINT, on_ctrl_c)
        for ignored in ignored_signals():
            signal.signal(ignored, signal.SIG_IGN)
    return stop
