"""Checked session sources for analysis: files, folders and globs -> a list of checked sources.

Finding files and reading their headers is :mod:`actelemetry.store.files` (shared with ML);
here each file is also held to the minimum a session needs (a clock and a way to find laps:
:mod:`actelemetry.analysis.present`) and its metadata read, so a bad file is refused with
one line naming it before any query runs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from actelemetry.analysis.present import missing_minimum
from actelemetry.errors import SessionFileError
from actelemetry.store.files import FORMATS, column_names, session_format
from actelemetry.store.files import find_session_files as resolve_inputs
from actelemetry.store.session import session_metadata

__all__ = ["FORMATS", "SessionSource", "inspect_source", "open_sources", "resolve_inputs"]


@dataclass(frozen=True)
class SessionSource:
    """One checked session file."""

    session: int  # 1-based, in the order given
    path: Path
    fmt: str
    columns: tuple[str, ...]
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.path.stem


def inspect_source(path: Path, session: int) -> SessionSource:
    """Check one file: known format, not empty, readable header, and the minimum a session
    needs (a clock and a way to find laps); every other channel is optional."""
    fmt = session_format(path)
    columns = column_names(path)
    lacks = missing_minimum(columns)
    if lacks:
        raise SessionFileError(f"{path}: not a session: missing {lacks}")
    if fmt == "parquet":
        meta = session_metadata(path)
    else:
        try:
            meta = session_metadata(path)
        except ValueError as exc:
            raise SessionFileError(f"{path}.meta.json: not valid JSON") from exc
    return SessionSource(session, path, fmt, columns, meta)


def open_sources(inputs: Iterable[str | Path]) -> list[SessionSource]:
    """Resolve and check every input; the first bad file stops with its one-line error."""
    return [inspect_source(p, k) for k, p in enumerate(resolve_inputs(inputs), start=1)]
