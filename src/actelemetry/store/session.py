"""Session files: turning a spool into Parquet (default), CSV or JSONL, and reading them back.

The schema comes from the channel catalogue; the session's metadata (game, layout, car,
track, driver, start time, rate, catalogue version, capture quality) travels inside the
Parquet file under the ``actelemetry`` key, and beside CSV/JSONL files as ``NAME.meta.json``;
a Parquet file also carries what the writer's ``footer`` makes of its table (the capture
and the importers add the analysis's per-lap summary: :mod:`actelemetry.analysis.summary`).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from actelemetry.channels.catalogue import (
    BY_NAME,
    CATALOGUE_VERSION,
    DEFAULT_SMOOTHING,
    SEED_COLUMN_NAMES,
    names_for,
)
from actelemetry.errors import SessionFileError, StorageError
from actelemetry.game.host import replace_file
from actelemetry.store.spool import SUFFIX, read_spool, spool_writer_alive

FORMATS = ("parquet", "csv", "jsonl")
META_KEY = b"actelemetry"
LAYOUT_VERSIONS = {"ac": "ac-1.7", "acc": "acc-1.8.12"}

_ARROW_TYPES: dict[str, pa.DataType] = {
    "float64": pa.float64(), "float32": pa.float32(), "int32": pa.int32(), "int8": pa.int8(),
    "bool": pa.bool_(), "string": pa.string(),
}


def arrow_schema(game: str, raw: bool = False) -> pa.Schema:
    """The Parquet schema of a ``game`` session, from the catalogue."""
    fields = [pa.field(n, _ARROW_TYPES[BY_NAME[n].dtype]) for n in names_for(game)]
    if raw:
        fields += [pa.field("raw_physics", pa.binary()), pa.field("raw_graphics", pa.binary())]
    return pa.schema(fields)


def column_order(game: str) -> list[str]:
    """Seed's 38 columns first (the CSV contract), then the rest in catalogue order."""
    names = names_for(game)
    return SEED_COLUMN_NAMES + [n for n in names if n not in SEED_COLUMN_NAMES]


def decode_records(header: dict[str, Any], records: np.ndarray,
                   smoothing: int = DEFAULT_SMOOTHING) -> dict[str, np.ndarray]:
    """Every catalogue channel of the spooled samples."""
    from actelemetry.channels.decode import as_records, decode_pages, decode_static
    from actelemetry.channels.derive import derive_session

    game = header["game"]
    physics = as_records(game, "physics", np.ascontiguousarray(records["physics"]))
    graphics = as_records(game, "graphics", np.ascontiguousarray(records["graphics"]))
    static = decode_static(game, base64.b64decode(header["static_page"]))
    raw = decode_pages(game, physics, graphics)
    return derive_session(game, physics, raw, records["t"], header["start_wall"], static,
                          records["skipped"], records["gap"], smoothing)


def capture_quality(header: dict[str, Any], records: np.ndarray,
                    duplicates: int) -> dict[str, Any]:
    """Achieved rate over recorded time, packets skipped, duplicates refused."""
    n = len(records)
    span = float(records["t"][-1] - records["t"][0]) if n > 1 else 0.0
    recorded = max(span - float(records["gap"][1:].sum()) if n > 1 else 0.0, 0.0)
    return {
        "samples": n,
        "target_rate_hz": header.get("rate"),
        "achieved_rate_hz": round((n - 1) / recorded, 3) if recorded > 0 else 0.0,
        "packets_skipped": int(records["skipped"][1:].sum()) if n > 1 else 0,
        "duplicates_refused": int(duplicates),
        "recorded_seconds": round(recorded, 3),
        "gaps": int((records["gap"] > 0).sum()),
    }


def _unique(path: Path) -> Path:
    candidate, k = path, 2
    while candidate.exists():
        candidate = path.with_name(f"{path.stem}_{k}{path.suffix}")
        k += 1
    return candidate


def finalize_spool(spool: Path, fmt: str = "parquet", raw: bool = False,
                   recovered: bool = False, extra_quality: dict[str, int] | None = None,
                   extra_meta: dict[str, Any] | None = None,
                   footer: FooterMaker | None = None) -> Path | None:
    """Write the spool's samples as a session file and remove the spool.

    A header naming ``channels`` (a source that carries only some, such as UDP) gets a
    file of just those: the others are absent, never zero-filled. ``extra_quality`` adds
    the source's own counts to the capture quality and ``extra_meta`` its own fields to
    the metadata (a recovered spool has neither).
    Returns the session file, or None when the spool held no sample (it is removed).
    """
    header, records, duplicates = read_spool(spool)
    if len(records) == 0:
        spool.unlink(missing_ok=True)
        return None
    fmt = header.get("format", fmt)
    raw = header.get("raw", raw)
    # the decoder is loaded only where spools are turned into files (analysis never does)
    from actelemetry.channels.decode import decode_static
    from actelemetry.channels.plausible import count_implausible

    columns = decode_records(header, records, header.get("smoothing", DEFAULT_SMOOTHING))
    present = header.get("channels")
    if isinstance(present, list):  # only what the source carries
        columns = {k: v for k, v in columns.items() if k in set(present)}
    static = decode_static(header["game"], base64.b64decode(header["static_page"]))
    meta = {
        "game": header["game"],
        "layout": LAYOUT_VERSIONS[header["game"]],
        "detection": header.get("detection", ""),
        "source": header.get("source", ""),
        "start_time": header["start_wall"],
        "rate_hz": header.get("rate"),
        "catalogue_version": CATALOGUE_VERSION,
        "recovered": recovered,
        "quality": {**capture_quality(header, records, duplicates), **(extra_quality or {})},
        "implausible": count_implausible(columns),
        **static.as_metadata(),
        **(extra_meta or {}),
    }
    if isinstance(present, list):
        meta["channels"] = [n for n in column_order(header["game"]) if n in columns]
    if raw:
        meta["static_page"] = header["static_page"]
        columns["raw_physics"] = np.array([r.tobytes() for r in records["physics"]], dtype=object)
        columns["raw_graphics"] = np.array([r.tobytes() for r in records["graphics"]],
                                           dtype=object)
    target = _unique(spool.with_suffix(f".{fmt}"))
    write_session(columns, header["game"], meta, target, fmt, raw,
                  only_present=isinstance(present, list), footer=footer)
    spool.unlink()
    return target


#: extra key-value pairs for a Parquet file's footer, made from the table written
FooterMaker = Callable[[pa.Table], dict[bytes, bytes]]


def write_session(columns: dict[str, np.ndarray], game: str, meta: dict[str, Any],
                  path: Path, fmt: str = "parquet", raw: bool = False,
                  only_present: bool = False, footer: FooterMaker | None = None) -> None:
    """Write channels to ``path`` atomically (temporary file, then rename).

    A capture passes every catalogue channel of ``game`` (a missing one is a bug: KeyError);
    an import passes ``only_present=True`` and the file carries just the channels given, in
    catalogue order, NaN in an integer or boolean channel stored as null (absent, not 0).
    ``footer`` adds its pairs to a Parquet file's footer.
    """
    schema = arrow_schema(game, raw).with_metadata({META_KEY: json.dumps(meta).encode()})
    order = column_order(game) + (["raw_physics", "raw_graphics"] if raw else [])
    if only_present:
        order = [n for n in order if n in columns]
    fields = [schema.field(n) for n in order]
    table = pa.table({f.name: _arrow_column(columns[f.name], f.type) for f in fields},
                     schema=pa.schema(fields, schema.metadata))
    if fmt == "parquet" and footer is not None:
        table = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                               **footer(table)})
    tmp = path.with_name(path.name + ".tmp")
    try:
        if fmt == "parquet":
            pq.write_table(table, tmp, **parquet_options(table))
        elif fmt == "csv":
            import pyarrow.csv as pacsv

            pacsv.write_csv(table, tmp)
        elif fmt == "jsonl":
            _write_jsonl(table, tmp)
        else:
            raise ValueError(f"unknown format {fmt}")
        if fmt != "parquet":
            path.with_name(path.name + ".meta.json").write_text(json.dumps(meta, indent=1),
                                                                encoding="utf-8")
        replace_file(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise StorageError(f"writing {path} failed: {exc.strerror or exc}") from exc


def _arrow_column(values: Any, typ: pa.DataType) -> Any:
    """An array of ``typ``; NaN in a float array meant for integers or booleans is null."""
    if isinstance(values, np.ndarray) and values.dtype.kind == "f" and not (
            pa.types.is_floating(typ)):
        missing = np.isnan(values)
        if missing.any():
            filled = np.where(missing, 0, values)
            if pa.types.is_boolean(typ):
                return pa.array(filled != 0, mask=missing, type=typ)
            return pa.array(np.rint(filled).astype("i8"), mask=missing).cast(typ)
    return values


def parquet_options(table: pa.Table) -> dict[str, Any]:
    """Parquet encodings that suit telemetry: floats change slowly in their high bytes, so
    byte-stream-split then zstd packs them far tighter than dictionaries do. Row groups of
    250,000 samples (about 40 min at 100 Hz): a smaller footer to read on every open and
    faster column scans than 100,000 (5.4 against 7.9 ms for a per-lap aggregate of 1 h),
    while a 10 h session still has 15 groups for DuckDB's threads to share."""
    floats = [f.name for f in table.schema if pa.types.is_floating(f.type)]
    others = [f.name for f in table.schema if not pa.types.is_floating(f.type)]
    return {"compression": "zstd", "row_group_size": 250_000,
            "use_byte_stream_split": floats, "use_dictionary": others}


def _write_jsonl(table: pa.Table, path: Path) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for batch in table.to_batches(10_000):
            for row in batch.to_pylist():
                fh.write(json.dumps(row, allow_nan=False, default=_json_default) + "\n")


def _json_default(value: object) -> object:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    raise TypeError(type(value))


def recover_folder(folder: Path, fmt: str = "parquet") -> list[Path]:
    """Turn every unfinished spool in ``folder`` into a session file (marked recovered).

    A spool whose capture still runs is left alone; one that is damaged or cannot be
    written out (a read-only folder, a full disk) stays where it is for a person to see.
    """
    recovered = []
    for spool in sorted(Path(folder).glob(f"*{SUFFIX}")):
        try:
            out = recover_spool(spool, fmt)
        except (SessionFileError, StorageError):
            continue
        if out is not None:
            recovered.append(out)
    return recovered


def recover_spool(spool: Path, fmt: str = "parquet") -> Path | None:
    """The session file of an unfinished spool (None if it held no sample); refused while
    the capture that writes it is still running."""
    pid = spool_writer_alive(spool)
    if pid is not None:
        raise SessionFileError(f"{spool}: a running capture (process {pid}) is still "
                               "writing it; it becomes a session file when that capture ends")
    try:
        return finalize_spool(spool, fmt, recovered=True)
    except OSError as exc:
        raise StorageError(f"{spool}: cannot be recovered here "
                           f"({exc.strerror or exc})") from exc


#: what each known metadata field must be; unknown fields pass as they are
_NUMBER = (int, float)
META_TYPES: dict[str, tuple[type, ...]] = {
    "game": (str,), "layout": (str,), "detection": (str,), "source": (str,),
    "start_time": _NUMBER, "rate_hz": _NUMBER, "catalogue_version": (str,),
    "recovered": (bool,), "quality": (dict,), "sm_version": (str,), "ac_version": (str,),
    "car": (str,), "track": (str,), "track_config": (str,), "driver": (str,),
    "track_length_m": _NUMBER, "max_rpm": _NUMBER, "max_fuel": _NUMBER,
    "tyre_radius_m": (list,), "sector_count": _NUMBER, "static_page": (str,),
    "implausible": (dict,),
}


def session_metadata(path: Path) -> dict[str, Any]:
    """The metadata of a session file (Parquet key, or the CSV/JSONL side file), checked:
    a JSON object whose known fields have their types (else a one-line SessionFileError)."""
    if path.suffix == ".parquet":
        try:
            from actelemetry.store.files import parquet_footer

            md = parquet_footer(path).metadata or {}
        except (pa.ArrowInvalid, OSError) as exc:
            raise SessionFileError(f"{path}: not a readable Parquet file ({exc})") from exc
        if META_KEY not in md:
            return {}
        return parse_metadata(md[META_KEY], f"{path}: metadata")
    side = path.with_name(path.name + ".meta.json")
    if not side.exists():
        return {}
    try:
        text = side.read_bytes()
    except OSError as exc:
        raise SessionFileError(f"{side}: cannot be read ({exc.strerror or exc})") from exc
    return parse_metadata(text, str(side))


def parse_metadata(text: str | bytes, where: str) -> dict[str, Any]:
    """Session metadata from JSON text; ``where`` names it in the error."""
    try:
        meta = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise SessionFileError(f"{where}: not valid JSON") from exc
    if not isinstance(meta, dict):
        raise SessionFileError(f"{where}: not a JSON object")
    for key, types in META_TYPES.items():
        value = meta.get(key)
        if value is None:
            continue
        if not isinstance(value, types) or (type(value) is bool and bool not in types):
            raise SessionFileError(f"{where}: field {key!r} should be "
                                   f"{' or '.join(t.__name__ for t in types)}, "
                                   f"not {type(value).__name__}")
    counts = meta.get("implausible") or {}
    if not all(isinstance(n, int) and type(n) is not bool for n in counts.values()):
        raise SessionFileError(f"{where}: field 'implausible' should hold counts")
    radii = meta.get("tyre_radius_m") or []
    if not all(isinstance(r, _NUMBER) and type(r) is not bool for r in radii):
        raise SessionFileError(f"{where}: field 'tyre_radius_m' should hold numbers")
    for key, value in (meta.get("quality") or {}).items():
        if value is not None and (not isinstance(value, _NUMBER) or type(value) is bool):
            raise SessionFileError(f"{where}: quality field {key!r} should be a number, "
                                   f"not {type(value).__name__}")
    return meta
