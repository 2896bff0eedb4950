"""Checked session sources for analysis: files, folders and globs -> a list of checked sources.

Finding files and reading their headers is :mod:`actelemetry.store.files` (shared with ML);
here each file is also held to the seed's columns and its metadata read, so a bad file is
refused with one line naming it before any query runs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from actelemetry.channels.catalogue import SEED_COLUMN_NAMES
from actelemetry.errors import SessionFileError
from actelemetry.store.files import FORMATS, column_names, session_format
from actelemetry.store.files import find_session_files as resolve_inputs
from actelemetry.store.session import session_metadata

__all__ = ["FORMATS", "REQUIRED", "SessionSource", "inspect_source", "open_sources",
           "resolve_inputs"]
#: what every session must carry: the seed's 38 CSV columns
REQUIRED = tuple(SEED_COLUMN_NAMES)


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
    """Check one file: known format, not empty, readable header, the seed's columns present."""
    fmt = session_format(path)
    columns = column_names(path)
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5
                                          else "")
        raise SessionFileError(f"{path}: missing columns {shown}")
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
