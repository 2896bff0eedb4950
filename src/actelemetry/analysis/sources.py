"""Finding and checking session files: files, folders and globs -> a list of checked sources.

Checks here are cheap (a Parquet footer, a CSV header line, a JSONL first line) so that a
bad file is refused with one line naming it before any query runs.
"""

from __future__ import annotations

import glob
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from actelemetry.channels.catalogue import SEED_COLUMN_NAMES
from actelemetry.errors import SessionFileError, UsageError
from actelemetry.store.session import recover_folder, recover_spool, session_metadata
from actelemetry.store.spool import SUFFIX

FORMATS = {".parquet": "parquet", ".csv": "csv", ".jsonl": "jsonl"}
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


def _is_session_file(p: Path) -> bool:
    return p.is_file() and p.suffix in FORMATS and not p.name.endswith(".meta.json")


def resolve_inputs(inputs: Iterable[str | Path]) -> list[Path]:
    """Files as given, folders' session files (sorted), globs expanded; duplicates dropped."""
    found: list[Path] = []
    for item in inputs:
        text = str(item)
        path = Path(text)
        if path.is_dir():
            recover_folder(path)  # a capture that was killed left its samples in a spool
            inside = sorted(p for p in path.iterdir() if _is_session_file(p))
            if not inside:
                spools = sorted(p.name for p in path.glob(f"*{SUFFIX}"))
                raise SessionFileError(
                    f"{path}: folder holds no session files (.parquet, .csv, .jsonl)"
                    + (f"; {spools[0]} is an unfinished capture still running or that "
                       "cannot be recovered here" if spools else ""))
            found += inside
        elif path.suffix == SUFFIX and path.is_file():
            out = recover_spool(path)
            if out is None:
                raise SessionFileError(f"{path}: the unfinished capture holds no samples")
            found.append(out)
        elif path.exists():
            found.append(path)
        elif glob.has_magic(text):
            matches = sorted(Path(m) for m in glob.glob(text) if _is_session_file(Path(m)))
            if not matches:
                raise SessionFileError(f"{text}: no session files match")
            found += matches
        else:
            raise SessionFileError(f"{path}: no such file")
    unique: list[Path] = []
    seen: set[Path] = set()
    for p in found:
        key = p.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(p)
    if not unique:
        raise UsageError("no session files given")
    return unique


def _columns(path: Path, fmt: str) -> tuple[str, ...]:
    if path.stat().st_size == 0:
        raise SessionFileError(f"{path}: empty file")
    if fmt == "parquet":
        try:
            schema = pq.read_schema(path)
        except (pa.ArrowException, OSError) as exc:
            raise SessionFileError(f"{path}: not a readable Parquet file "
                                   f"(truncated or foreign: {_first_line(exc)})") from exc
        return tuple(schema.names)
    with open(path, "rb") as fh:
        first = fh.readline().decode("utf-8", "replace").strip()
    if not first:
        raise SessionFileError(f"{path}: empty file")
    if fmt == "csv":
        return tuple(c.strip().strip('"') for c in first.split(","))
    try:
        row = json.loads(first)
    except ValueError as exc:
        raise SessionFileError(f"{path}: line 1 is not JSON") from exc
    if not isinstance(row, dict):
        raise SessionFileError(f"{path}: line 1 is not a JSON object")
    return tuple(row)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def inspect_source(path: Path, session: int) -> SessionSource:
    """Check one file: known format, not empty, readable header, the seed's columns present."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise SessionFileError(f"{path}: not a session file (expected .parquet, .csv or .jsonl)")
    columns = _columns(path, fmt)
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
