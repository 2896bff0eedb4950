"""Finding session files and reading their channels: one discovery for analysis and ML.

Inputs are files, folders (their session files, sorted) and globs. A folder a killed capture
left a spool in is recovered first, so its samples are found like any finished session.
Header checks are cheap (a Parquet footer, a CSV header line, a JSONL first line), so a bad
file is refused with one line naming it before anything reads its rows.
"""

from __future__ import annotations

import functools
import glob
import json
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from actelemetry.errors import ActelemetryError, SessionFileError, UsageError
from actelemetry.store.session import recover_folder, recover_spool
from actelemetry.store.spool import SUFFIX

#: session file suffixes and the format each names
FORMATS = {".parquet": "parquet", ".csv": "csv", ".jsonl": "jsonl"}
SESSION_SUFFIXES = tuple(FORMATS)
_FORMAT_NAMES = {"parquet": "Parquet", "csv": "CSV", "jsonl": "JSONL"}


def is_session_file(path: Path) -> bool:
    """A file with a session suffix (a ``.meta.json`` sidecar is not one)."""
    return path.is_file() and path.suffix in FORMATS and not path.name.endswith(".meta.json")


def _imported(path: Path) -> Path:
    """A session file as given; another tool's log (a .ld, a MoTeC or foreign CSV, JSON)
    imported on the fly into the user cache, once per file version (actelemetry.imports).
    A CSV/JSONL no mapping knows is left to the session checks, which say what it lacks."""
    if path.suffix.lower() == ".parquet":  # ours: no importer to load
        return path
    from actelemetry.formats.motec_csv import looks_like_motec_csv
    from actelemetry.imports.files import (
        FOREIGN_SUFFIXES,
        cached_import,
        first_bytes,
        is_foreign,
    )

    if not is_foreign(path):
        return path
    if path.suffix.lower() in FOREIGN_SUFFIXES or looks_like_motec_csv(first_bytes(path)):
        return cached_import(path)
    try:
        return cached_import(path)
    except ActelemetryError:
        return path


def _foreign_suffix(path: Path) -> bool:
    from actelemetry.imports.files import FOREIGN_SUFFIXES

    return (path.is_file() and path.suffix.lower() in FOREIGN_SUFFIXES
            and not path.name.endswith(".meta.json"))


def find_session_files(inputs: Iterable[str | Path]) -> list[Path]:
    """Files as given, folders' session files (sorted), globs expanded; duplicates dropped.
    Other tools' logs given as files or globs are imported on the fly (cached)."""
    found: list[Path] = []
    for item in inputs:
        text = str(item)
        path = Path(text)
        if path.is_dir():
            recover_folder(path)  # a capture that was killed left its samples in a spool
            inside = sorted(p for p in path.iterdir() if is_session_file(p))
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
            found.append(_imported(path) if path.is_file() else path)
        elif glob.has_magic(text):
            matches = sorted(Path(m) for m in glob.glob(text)
                             if is_session_file(Path(m)) or _foreign_suffix(Path(m)))
            if not matches:
                raise SessionFileError(f"{text}: no session files match")
            found += [_imported(m) for m in matches]
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


def session_format(path: Path) -> str:
    """``parquet``, ``csv`` or ``jsonl`` from the suffix; anything else is refused."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise SessionFileError(f"{path}: not a session file (expected .parquet, .csv or .jsonl)")
    return fmt


@functools.lru_cache(maxsize=64)
def _footer(path: str, mtime_ns: int, size: int) -> pq.FileMetaData:
    return pq.ParquetFile(path).metadata


def parquet_footer(path: Path) -> pq.FileMetaData:
    """A Parquet file's footer, read once per version of the file: the checks, the
    metadata and the stored summary all need it, and a long session's footer is large."""
    st = path.stat()
    return _footer(str(path.resolve()), st.st_mtime_ns, st.st_size)


def column_names(path: Path) -> tuple[str, ...]:
    """The channels a session file holds, in its order, without reading its rows."""
    fmt = session_format(path)
    try:
        if path.stat().st_size == 0:
            raise SessionFileError(f"{path}: empty file")
        if fmt == "parquet":
            return tuple(parquet_footer(path).schema.to_arrow_schema().names)
        with open(path, "rb") as fh:
            first = fh.readline().decode("utf-8", "replace").strip()
    except (pa.ArrowException, OSError) as exc:
        raise SessionFileError(f"{path}: not a readable {_FORMAT_NAMES[fmt]} file "
                               f"(truncated or foreign: {_first_line(exc)})") from exc
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


def read_columns(path: Path, names: Iterable[str]) -> dict[str, np.ndarray]:
    """Only the named channels of a session file, as NumPy arrays; text is refused."""
    names = list(dict.fromkeys(names))
    fmt = session_format(path)
    try:
        if fmt == "parquet":
            table = pq.read_table(path, columns=names)
        elif fmt == "csv":
            import pyarrow.csv as pacsv

            table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
                include_columns=names))
        else:
            import pyarrow.json as pajson

            table = pajson.read_json(path).select(names)
    except (pa.ArrowException, OSError, KeyError) as exc:
        raise SessionFileError(f"{path}: cannot read channels ({_first_line(exc)})") from exc
    if table.num_rows == 0:
        raise SessionFileError(f"{path}: the session holds no samples")
    wrong = [n for n in names if not _numeric(table.schema.field(n).type)]
    if wrong:
        raise SessionFileError(f"{path}: channel(s) {', '.join(wrong[:5])} hold text, not "
                               "numbers")
    return {n: table.column(n).to_numpy(zero_copy_only=False) for n in names}


def _numeric(kind: pa.DataType) -> bool:
    return bool(pa.types.is_integer(kind) or pa.types.is_floating(kind)
                or pa.types.is_boolean(kind))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
