"""Foreign files in, session files out: format detection, the best mapping, the cache.

:func:`import_file` reads one file (any reader of :mod:`actelemetry.formats`, or Parquet
here), picks the shipped mapping whose fields best match it unless one is given, converts
it and writes a session file atomically. :func:`cached_import` does the same into a user
cache keyed by the file's path, size and modification time, for commands that read foreign
files directly.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from actelemetry.errors import SessionFileError, UsageError
from actelemetry.formats.log import ForeignLog, LogChannel
from actelemetry.formats.motec_csv import looks_like_motec_csv
from actelemetry.imports.convert import Summary, convert
from actelemetry.imports.mapping import Mapping, shipped_mappings
from actelemetry.store.output import atomic_file, ensure_folder

FORMATS = ("auto", "ld", "motec-csv", "csv", "jsonl", "json", "parquet")
#: where `actelemetry import` writes by default (inside the capture folder)
DEFAULT_IMPORT_DIR = Path("telemetry_logs") / "imported"
#: a file's fields must match at least this many of a mapping's for it to be picked
MIN_FIELDS = 2
_SUFFIXES = {".ld": "ld", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json",
             ".parquet": "parquet", ".csv": "csv", ".txt": "csv"}


@dataclass
class Fit:
    """How well a mapping fits a file."""

    mapping: Mapping
    found: int
    wanted: int

    def describe(self, chosen_by: str) -> str:
        return (f"mapping {self.mapping.name} ({chosen_by}: {self.found} of its "
                f"{self.wanted} fields in the file)")


def first_bytes(path: Path, size: int = 4096) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read(size)
    except OSError as exc:
        raise SessionFileError(f"{path}: cannot be read ({exc.strerror or exc})") from exc


def detect_format(path: Path) -> str:
    """The format of a file from its name and first bytes."""
    start = first_bytes(path)
    if start.startswith(b"PAR1"):
        return "parquet"
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt") and looks_like_motec_csv(start):
        return "motec-csv"
    fmt = _SUFFIXES.get(suffix)
    if fmt is None:
        if looks_like_motec_csv(start):
            return "motec-csv"
        raise SessionFileError(f"{path}: unknown format (give --format ld, motec-csv, csv, "
                               "jsonl or json)")
    return fmt


def read_log(path: Path, fmt: str = "auto") -> ForeignLog:
    """Any supported file as a :class:`ForeignLog` (one-line error if it cannot be read)."""
    path = Path(path)
    if not path.is_file():
        raise SessionFileError(f"{path}: no such file")
    if fmt == "auto":
        fmt = detect_format(path)
    try:
        log = _read(path, fmt)
    except ModuleNotFoundError as exc:  # a reader this installation does not have
        raise SessionFileError(f"{path}: no reader for {fmt} files here ({exc.name})") from exc
    _add_session_meta(path, log)
    return log


def _read(path: Path, fmt: str) -> ForeignLog:
    if fmt == "ld":
        from actelemetry.formats.motec_ld import read_ld

        log = read_ld(path)
    elif fmt == "motec-csv":
        from actelemetry.formats.motec_csv import read_motec_csv

        log = read_motec_csv(path)
    elif fmt in ("csv", "jsonl", "json"):
        from actelemetry.formats import plain

        log = {"csv": plain.read_csv, "jsonl": plain.read_jsonl,
               "json": plain.read_json}[fmt](path)
    elif fmt == "parquet":
        log = read_parquet(path)
    else:
        raise UsageError(f"--format {fmt}: one of {', '.join(FORMATS)}")
    return log


def read_parquet(path: Path) -> ForeignLog:
    """A Parquet file (a session written by this project or anything columnar)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except (pa.ArrowException, OSError) as exc:
        raise SessionFileError(f"{path}: not a readable Parquet file") from exc
    log = ForeignLog(path, "parquet")
    for name in table.column_names:
        col = table.column(name)
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            log.texts[name] = ["" if v is None else v for v in col.to_pylist()]
        elif pa.types.is_integer(col.type) or pa.types.is_floating(col.type) or \
                pa.types.is_boolean(col.type):
            values = col.cast(pa.float64()).to_numpy(zero_copy_only=False)
            log.channels[name] = LogChannel(name, "", np.asarray(values, dtype="f8"))
    return log


def _add_session_meta(path: Path, log: ForeignLog) -> None:
    """A session file of this project keeps its metadata (track, car, ...) on import."""
    from actelemetry.store.session import session_metadata

    if path.suffix.lower() not in (".parquet", ".csv", ".jsonl"):
        return
    try:
        meta = session_metadata(path)
    except SessionFileError:
        return
    for key in ("game", "track", "car", "driver", "track_config", "track_length_m"):
        value = meta.get(key)
        if value not in (None, "") and key not in log.meta:
            log.meta[key] = str(value)


def fits(log: ForeignLog) -> list[Fit]:
    """Every shipped mapping by how well it fits ``log``, best first: most of its fields
    found, then the largest share of its fields found, then one made for the format."""
    have = set(log.channels) | set(log.texts)
    out = []
    for m in shipped_mappings():
        wanted = m.fields()
        out.append(Fit(m, len(wanted & have), len(wanted)))
    return sorted(out, key=lambda f: (-f.found, -f.found / max(f.wanted, 1),
                                      log.fmt not in f.mapping.formats))


def pick_mapping(log: ForeignLog) -> Fit:
    """The shipped mapping that fits best, or a one-line error saying what to do."""
    best = fits(log)[0]
    if best.found < MIN_FIELDS:
        raise SessionFileError(
            f"{log.source}: no shipped mapping fits its fields (best: {best.mapping.name}, "
            f"{best.found} of {best.wanted}); write a mapping file (docs/import_export.md) "
            f"and pass --map; `actelemetry import --show-columns {log.source}` lists them")
    return best


def import_file(path: Path, out_dir: Path, fmt: str = "auto", mapping: Mapping | None = None,
                target: Path | None = None) -> tuple[Path, Summary, str]:
    """Import one file into ``out_dir`` (or exactly ``target``): the session path, the
    summary and how the mapping was chosen."""
    from actelemetry.analysis.summary import summary_footer
    from actelemetry.store.session import write_session

    log = read_log(Path(path), fmt)
    if mapping is None:
        fit = pick_mapping(log)
        how = fit.describe("best fit")
    else:
        have = set(log.channels) | set(log.texts)
        wanted = mapping.fields()
        fit = Fit(mapping, len(wanted & have), len(wanted))
        how = fit.describe("--map")
    imported = convert(log, fit.mapping)
    imported.meta["imported"]["chosen"] = how
    if not imported.meta.get("game") and log.meta.get("game") in ("ac", "acc"):
        imported.meta["game"] = log.meta["game"]
    out = target or ensure_folder(out_dir) / f"{Path(path).stem}.parquet"
    with atomic_file(out) as tmp:
        write_session(imported.columns, "acc", imported.meta, tmp, "parquet",
                      only_present=True, footer=summary_footer)
    return out, imported.summary, how


def cache_dir() -> Path:
    """Where files imported on the fly go: ``$ACTELEMETRY_CACHE_DIR``, else the user's
    cache folder (``$XDG_CACHE_HOME`` or ``~/.cache``) under ``actelemetry/imports``."""
    own = os.environ.get("ACTELEMETRY_CACHE_DIR")
    if own:
        return Path(own)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "actelemetry" / "imports"


def cache_key(path: Path) -> str:
    """The file's resolved path, size and modification time, hashed: a changed file is
    imported again, an unchanged one never."""
    st = path.stat()
    text = json.dumps([str(path.resolve()), st.st_size, st.st_mtime_ns, _mapping_stamp()])
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _mapping_stamp() -> str:
    """Changes when a shipped mapping changes, so the cache follows the mappings."""
    parts: list[Any] = [m.name + repr(sorted(m.channels)) for m in shipped_mappings()]
    return hashlib.sha256("".join(parts).encode()).hexdigest()[:8]


def cached_import(path: Path) -> Path:
    """The session file of a foreign file, imported once into the cache."""
    path = Path(path)
    target = cache_dir() / cache_key(path) / f"{path.stem}.parquet"
    if target.is_file():
        return target
    out, _, _ = import_file(path, target.parent, target=target)
    return out


#: suffixes of files only another tool writes (never a session file of this project)
FOREIGN_SUFFIXES = (".ld", ".json", ".ndjson")


def is_foreign(path: Path) -> bool:
    """A file the reading commands import on the fly rather than read as a session: a
    ``.ld``/``.json`` file, a MoTeC CSV, or a CSV/JSONL with no session metadata beside it
    whose first line names mostly fields that are not catalogue channels (a session file,
    whole or a subset of channels, names catalogue channels)."""
    from actelemetry.channels.catalogue import BY_NAME

    suffix = path.suffix.lower()
    if path.name.endswith(".meta.json"):  # a session file's metadata, never a log
        return False
    if suffix in FOREIGN_SUFFIXES:
        return True
    if suffix not in (".csv", ".jsonl") or not path.is_file():
        return False
    if path.with_name(path.name + ".meta.json").exists():
        return False
    start = first_bytes(path)
    own = set(BY_NAME) | {"raw_physics", "raw_graphics", "session"}
    if suffix == ".csv":
        if looks_like_motec_csv(start):
            return True
        first = start.split(b"\n", 1)[0].decode("utf-8", "replace")
        names = [c.strip().strip('"') for c in first.split(",") if c.strip()]
        return _mostly_foreign(names, own)
    try:
        row = json.loads(start.split(b"\n", 1)[0])
    except ValueError:
        return False  # a partial first line: leave it to the session checks
    return isinstance(row, dict) and _mostly_foreign(list(row), own)


def _mostly_foreign(names: list[str], own: set[str]) -> bool:
    return bool(names) and 2 * sum(1 for n in names if n in own) < len(names)
