"""``actelemetry capture`` as a library call: recover what a killed run left, record the
sessions into files with a live view, and report what was written.

The command line parses its options, calls :func:`record` and prints what it returns;
nothing here prints or knows about terminals (``view``, ``on_wait`` and ``on_recovered``
are the caller's).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from actelemetry.capture.loop import run_capture
from actelemetry.capture.options import CaptureOptions, CaptureResult
from actelemetry.capture.sinks import LiveView, SessionFileSink, Sink
from actelemetry.errors import ActelemetryError, GameNotRunning, StorageError
from actelemetry.store.session import recover_folder

if TYPE_CHECKING:
    import pyarrow as pa


def summary_footer(table: pa.Table) -> dict[bytes, bytes]:
    """The analysis's per-lap summary for a session file's footer (the capture layer may not
    import the analysis: the app hands it down). Imported when a session closes, so a
    capture's loop never loads DuckDB."""
    from actelemetry.analysis.summary import summary_footer as make

    return make(table)


@dataclass
class Recorded:
    """What a capture wrote: the session files, the unfinished ones it recovered first,
    the capture's result (None when Ctrl+C stopped it), and the error to report after the
    files are listed (a write failure, or the game quitting under ``--no-wait``)."""

    paths: list[Path] = field(default_factory=list)
    recovered: list[Path] = field(default_factory=list)
    result: CaptureResult | None = None
    error: ActelemetryError | None = None

    @property
    def nothing_recorded(self) -> bool:
        return not self.paths and self.result is not None and self.result.stats.samples == 0


def record(opts: CaptureOptions, out: Path, fmt: str = "parquet", raw: bool = False,
           stop: threading.Event | None = None, view: Callable[[str], None] | None = None,
           on_wait: Callable[[str], None] | None = None,
           on_recovered: Callable[[Path], None] | None = None, sinks: Sequence[Sink] = (),
           ) -> Recorded:
    """Capture into session files under ``out`` until a stop condition; ``view`` gets the
    live status lines, ``on_recovered`` each recovered file before the capture starts,
    and ``sinks`` are fed before the file (a spinner, a bridge)."""
    stop = stop or threading.Event()
    done = Recorded(recovered=recover_folder(out, fmt))
    for path in done.recovered:
        if on_recovered is not None:
            on_recovered(path)
    file_sink = SessionFileSink(out, fmt, raw, footer=summary_footer)
    live: list[Sink] = [LiveView(view)] if view is not None else []
    try:
        done.result = run_capture(opts, [*sinks, file_sink, *live], stop, on_wait)
    except KeyboardInterrupt:
        stop.set()
    except StorageError as exc:
        done.error = StorageError(file_sink.failure or str(exc))
    done.paths = list(file_sink.paths)
    if done.error is None and done.result is not None and done.result.stats.ended == "game quit":
        saved = f": {done.paths[-1]}" if done.paths else ""
        done.error = GameNotRunning(f"Assetto Corsa quit; the session was saved{saved}")
    return done
