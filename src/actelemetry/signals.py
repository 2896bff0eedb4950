"""Stopping a long run cleanly: SIGTERM sets an event the run checks between steps."""

from __future__ import annotations

import signal
import threading


def stop_on_sigterm() -> threading.Event:
    """An event set by SIGTERM (Ctrl+C arrives as KeyboardInterrupt and is handled by the
    caller).

    SIGXFSZ is ignored too, so a file-size limit is a write error with a message, not a
    silent death. Handlers can only be set from the main thread; elsewhere the event is
    only set by the caller.
    """
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        if hasattr(signal, "SIGXFSZ"):
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    return stop
