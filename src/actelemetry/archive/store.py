"""A team archive: sessions in one Hive-partitioned Parquet dataset that other engines read.

Layout (docs/scale.md)::

    ARCHIVE/data/game=ac/track=monza/car=actelemetry_gt3/date=2026-12-04/<session>.parquet
    ARCHIVE/sessions.parquet     one row per session (metadata and totals)

Each data file holds one session's rows: its ``telemetry`` view (catalogue channels, plus
those the analysis derives, such as ``session_time`` and ``current_lap``) with a ``session``
column, the session's id. The id is the SHA-256 of the session file's bytes, so adding
the same file twice stores it once.

Why crash-safe: a data file is written under a temporary name and renamed onto its place
(on an object store a PUT is whole or absent), and ``sessions.parquet`` is replaced last.
Readers only see sessions the sessions table names, so a data file a crash left without
its row is invisible until the next ``add`` of that session writes it again.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from actelemetry.errors import StorageError, UsageError
from actelemetry.store.session import META_KEY, parquet_options

DATA_DIR = "data"
SESSIONS_FILE = "sessions.parquet"
#: the partition keys, in folder order
PARTITIONS = ("game", "track", "car", "date")
ARCHIVE_VERSION = "1"

#: the sessions table: the columns the ``session_files`` table of the analysis has (so the
#: same ``sessions`` view runs over it), then the archive's own
SESSIONS_SCHEMA = pa.schema([
    ("session", pa.string()), ("name", pa.string()), ("path", pa.string()),
    ("format", pa.string()), ("game", pa.string()), ("car", pa.string()),
    ("track", pa.string()), ("driver", pa.string()), ("start_time", pa.float64()),
    ("rate_hz", pa.float64()), ("track_length_m", pa.float64()),
    ("achieved_rate_hz", pa.float64()), ("duplicates_refused", pa.int64()),
    ("has_metadata", pa.bool_()), ("date", pa.string()), ("data_file", pa.string()),
    ("samples", pa.int64()), ("bytes", pa.int64()), ("added_at", pa.float64()),
    ("metadata", pa.string()),
])


@dataclass(frozen=True)
class ArchiveLocation:
    """Where an archive lives: a pyarrow file system and the root path on it."""

    fs: pafs.FileSystem
    root: str
    uri: str

    def join(self, *parts: str) -> str:
        return "/".join([self.root.rstrip("/"), *parts])

    @property
    def local(self) -> bool:
        return isinstance(self.fs, pafs.LocalFileSystem)

    @property
    def data_root(self) -> str:
        return self.join(DATA_DIR)

    @property
    def sessions_path(self) -> str:
        return self.join(SESSIONS_FILE)


def locate(archive: str | Path) -> ArchiveLocation:
    """A local folder, or a URL pyarrow knows (``s3://``, ``gs://``, ``hdfs://``,
    ``file://``) or fsspec does (any protocol an installed fsspec package serves)."""
    text = str(archive)
    if "://" not in text:
        return ArchiveLocation(pafs.LocalFileSystem(), str(Path(text).absolute()), text)
    try:
        fs, root = pafs.FileSystem.from_uri(text)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError):
        try:
            import fsspec
            from pyarrow.fs import FSSpecHandler, PyFileSystem

            ffs, root = fsspec.core.url_to_fs(text)
            fs = PyFileSystem(FSSpecHandler(ffs))
        except (ImportError, ValueError, OSError) as exc:
            raise UsageError(f"{text}: not an archive location pyarrow or fsspec can open "
                             f"({exc})") from None
    return ArchiveLocation(fs, root, text)


def is_archive(path: str | Path) -> bool:
    """Whether ``path`` is an archive (it holds the sessions table)."""
    try:
        loc = locate(path)
        return loc.fs.get_file_info(loc.sessions_path).type == pafs.FileType.File
    except (UsageError, OSError, pa.ArrowException):
        return False


def content_id(path: Path) -> str:
    """The session's id: SHA-256 of the file's bytes (first 24 hex digits)."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    except OSError as exc:
        raise StorageError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    return digest.hexdigest()[:24]


def partition_value(value: Any) -> str:
    """A metadata value as a folder name: letters, digits, ``_ . -`` (the real value is in
    the sessions table); a missing one is ``unknown``."""
    text = re.sub(r"[^A-Za-z0-9_.-]", "_", str(value or "").strip())
    return text.strip(".") or "unknown"


def session_date(start_time: float | None) -> str:
    """The UTC day a session started on, YYYY-MM-DD."""
    if start_time is None:
        return "unknown"
    return datetime.fromtimestamp(float(start_time), tz=UTC).strftime("%Y-%m-%d")


@dataclass(frozen=True)
class Added:
    """What ``add`` did with one session file."""

    source: Path
    session: str
    data_file: str  # relative to the archive root
    added: bool  # False: it was already there
    samples: int


def read_sessions(loc: ArchiveLocation) -> pa.Table:
    """The sessions table (empty when the archive is new)."""
    info = loc.fs.get_file_info(loc.sessions_path)
    if info.type != pafs.FileType.File:
        return SESSIONS_SCHEMA.empty_table()
    try:
        table = pq.read_table(loc.sessions_path, filesystem=loc.fs)
    except (pa.ArrowException, OSError) as exc:
        raise StorageError(f"{loc.uri}/{SESSIONS_FILE}: not a readable sessions table "
                           f"({exc})") from exc
    return table.select(SESSIONS_SCHEMA.names).cast(SESSIONS_SCHEMA)


def _write_atomically(loc: ArchiveLocation, table: pa.Table, target: str,
                      options: dict[str, Any]) -> None:
    """Write ``table`` to ``target``: a temporary file renamed onto it where renames are
    atomic (local); straight to the key on an object store (a PUT is whole or absent)."""
    parent = target.rsplit("/", 1)[0]
    try:
        loc.fs.create_dir(parent, recursive=True)
        if loc.local:
            tmp = f"{parent}/.{target.rsplit('/', 1)[1]}.{uuid.uuid4().hex[:8]}.tmp"
            try:
                pq.write_table(table, tmp, filesystem=loc.fs, **options)
                loc.fs.move(tmp, target)
            except BaseException:
                if loc.fs.get_file_info(tmp).type == pafs.FileType.File:
                    loc.fs.delete_file(tmp)
                raise
        else:
            pq.write_table(table, target, filesystem=loc.fs, **options)
    except (OSError, pa.ArrowException) as exc:
        raise StorageError(f"cannot write {target}: {exc}") from exc


def session_rows(path: Path) -> tuple[pa.Table, dict[str, Any]]:
    """One session's ``telemetry`` rows (catalogue and derived channels, in time order)
    and its metadata, read with the analysis' own view (so an import's derived channels
    are stored, not left to each reader)."""
    from actelemetry.analysis.dataset import open_dataset

    with open_dataset([path]) as ds:
        cols = ", ".join(f'"{c}"' for c in ds.columns)
        table = ds.con.sql(f"SELECT {cols} FROM telemetry ORDER BY session_time") \
            .to_arrow_table()
        return table, dict(ds.sources[0].meta)


def add_sessions(paths: Sequence[Path], archive: str | Path) -> list[Added]:
    """Store each session file in the archive once; the sessions table is written last,
    once for the whole call."""
    loc = locate(archive)
    existing = read_sessions(loc)
    #: session -> (data file, samples) of what is stored, or added by this call
    known = {r["session"]: (r["data_file"], int(r["samples"]))
             for r in existing.select(["session", "data_file", "samples"]).to_pylist()}
    rows: list[dict[str, Any]] = []
    done: list[Added] = []
    for path in paths:
        sid = content_id(path)
        if sid in known:
            data_file, samples = known[sid]
            done.append(Added(path, sid, data_file, False, samples))
            continue
        table, meta = session_rows(path)
        row = _session_row(path, sid, meta, table)
        meta_out = {**meta, "archive": {"session": sid, "version": ARCHIVE_VERSION,
                                        "source_name": path.name}}
        table = table.add_column(0, "session", pa.array([sid] * table.num_rows, pa.string()))
        table = table.replace_schema_metadata({META_KEY: json.dumps(meta_out).encode()})
        _write_atomically(loc, table, loc.join(row["data_file"]), parquet_options(table))
        info = loc.fs.get_file_info(loc.join(row["data_file"]))
        row["bytes"] = int(info.size or 0)
        rows.append(row)
        known[sid] = (row["data_file"], table.num_rows)
        done.append(Added(path, sid, row["data_file"], True, table.num_rows))
    if rows:
        new = pa.Table.from_pylist(rows, schema=SESSIONS_SCHEMA)
        merged = pa.concat_tables([existing, new]).sort_by([("start_time", "ascending"),
                                                             ("session", "ascending")])
        merged = merged.replace_schema_metadata(
            {b"actelemetry_archive": json.dumps({"version": ARCHIVE_VERSION,
                                                 "partitions": list(PARTITIONS)}).encode()})
        _write_atomically(loc, merged, loc.sessions_path, {"compression": "zstd"})
    return done


def _session_row(path: Path, sid: str, meta: dict[str, Any], table: pa.Table) -> dict[str, Any]:
    quality = meta.get("quality") or {}
    date = session_date(meta.get("start_time"))
    parts = {"game": partition_value(meta.get("game")),
             "track": partition_value(meta.get("track")),
             "car": partition_value(meta.get("car")), "date": date}
    folder = "/".join(f"{k}={parts[k]}" for k in PARTITIONS)
    span = table.column("session_time") if "session_time" in table.column_names else None
    duration = (float(pc.max(span).as_py() or 0.0)
                - float(pc.min(span).as_py() or 0.0)) if span is not None else None
    return {
        "session": sid, "name": path.stem, "path": str(path), "format": path.suffix.lstrip("."),
        "game": meta.get("game"), "car": meta.get("car"), "track": meta.get("track"),
        "driver": meta.get("driver"), "start_time": meta.get("start_time"),
        "rate_hz": meta.get("rate_hz"), "track_length_m": meta.get("track_length_m"),
        "achieved_rate_hz": quality.get("achieved_rate_hz"),
        "duplicates_refused": quality.get("duplicates_refused"), "has_metadata": bool(meta),
        "date": date, "data_file": f"{DATA_DIR}/{folder}/{sid}.parquet",
        "samples": table.num_rows, "bytes": 0, "added_at": time.time(),
        "metadata": json.dumps({**meta, "duration_s": duration}),
    }


def archive_add(inputs: Iterable[str | Path], archive: str | Path) -> list[Added]:
    """``actelemetry archive add``: files, folders and globs, checked like any analysis
    input, into the archive."""
    from actelemetry.analysis.sources import open_sources

    sources = open_sources(inputs)  # every file checked before anything is written
    return add_sessions([s.path for s in sources], archive)
