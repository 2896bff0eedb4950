"""JSONL export for training pipelines: one JSON object per sample, one line each.

Keys are the session's catalogue channels (``docs/channels.md``), in catalogue order.
Each line is flushed as it is written, so ``tail -f`` or a training loop can follow the
file live; a reader that sees a partial last line should wait for its newline.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import IO

from actelemetry.bridge.protocol import finite
from actelemetry.capture.sinks import Sample, Session
from actelemetry.errors import StorageError


class JsonlSink:
    """Appends every sample to ``path`` as one line of JSON (NaN written as null)."""

    def __init__(self, path: Path, append: bool = False) -> None:
        self.path = Path(path)
        self.append = append
        self.lines = 0
        self._fh: IO[str] | None = None
        self._carried: tuple[str, ...] | None = None

    def open(self, session: Session) -> None:
        self._carried = session.channels if session is not None else None
        if self._fh is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._fh = open(self.path, "a" if self.append else "w",  # noqa: SIM115
                                encoding="utf-8", buffering=1)
            except OSError as exc:
                raise StorageError(f"cannot write {self.path}: {exc.strerror or exc}") from exc

    def write(self, sample: Sample) -> None:
        assert self._fh is not None
        c = sample.channels()
        if self._carried is not None:  # a source that carries only some (UDP): only those
            c = {k: c[k] for k in self._carried if k in c}
        try:
            line = json.dumps(c, separators=(",", ":"), allow_nan=False)
        except ValueError:
            line = json.dumps(finite(c), separators=(",", ":"))
        try:
            self._fh.write(line + "\n")  # line buffered: flushed at the newline
        except OSError as exc:
            raise StorageError(f"writing {self.path} failed: {exc.strerror or exc}") from exc
        self.lines += 1

    def close(self, session: Session) -> None:
        if self._fh is not None:
            self._fh.flush()

    def finish(self) -> None:
        """Close the file (sessions may come and go; the file lives for the command)."""
        if self._fh is not None:
            self._fh.close()
            self._fh = None
