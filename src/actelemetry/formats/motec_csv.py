"""MoTeC i2 CSV exports ("MoTeC CSV File"): read them, and write the same layout.

Why one module of about 530 lines: the reader and the writer are one layout (header keys,
name and unit rows, beacons, number formats) read and written; split, both would hold it.

Implemented from ``shared/spec/motec_csv.md``. The header block, name row and unit row are
small and parsed line by line; the numeric block can be hundreds of megabytes and is parsed
by pyarrow's multi-threaded CSV reader, which is why reading stays above 50 MB/s.

Metadata keys (``ForeignLog.meta``) use the same lower-case names as the ``.ld`` reader
(``venue``, ``vehicle``, ``driver``, ``date``, ``time``, ...; see :data:`HEADER_KEYS`), so
the importer handles both alike. Keys this module does not know are kept, snake-cased.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from actelemetry.errors import SessionFileError, one_line
from actelemetry.formats.log import ForeignLog, LogChannel, unique_names
from actelemetry.store.output import atomic_file

#: header key as i2 writes it -> meta key (shared with the ``.ld`` reader where they overlap)
HEADER_KEYS: dict[str, str] = {
    "Format": "format", "Venue": "venue", "Vehicle": "vehicle", "Driver": "driver",
    "Device": "device_type", "Comment": "comment", "Log Date": "date", "Log Time": "time",
    "Sample Rate": "sample_rate", "Duration": "duration", "Range": "range",
    "Beacon Markers": "beacon_markers", "Workbook": "workbook", "Worksheet": "worksheet",
    "Vehicle Desc": "vehicle_description", "Engine ID": "engine_id", "Session": "session",
    "Origin Time": "origin_time", "Start Time": "start_time", "End Time": "end_time",
    "Start Distance": "start_distance", "End Distance": "end_distance",
    "Segment Times": "segment_times",
}
_SIGNATURES = ("MoTeC CSV File", "AiM CSV File")  # AiM's Race Studio copies the layout
_MAX_HEADER = 64 << 20  # bytes before the first data row; more is not an export
_MAX_COLUMNS = 100_000
_SPEED_UNITS = {"km/h": 1 / 3.6, "kph": 1 / 3.6, "m/s": 1.0, "mph": 0.44704}


def looks_like_motec_csv(first_bytes: bytes) -> bool:
    """True when the bytes start like an i2 export: first record ``Format``,``MoTeC CSV File``."""
    text = first_bytes[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    line = text.split(b"\n", 1)[0].decode("latin-1")
    cells = _cells(line)
    return len(cells) >= 2 and cells[0] == "Format" and cells[1] in _SIGNATURES


def _cells(line: str) -> list[str]:
    """One CSV record (quotes honoured), trailing CR dropped; a malformed line is one cell."""
    line = line.rstrip("\r")
    try:
        return next(csv.reader([line]), [])
    except csv.Error:
        return [line]


def _decode(raw: bytes) -> str:
    """Header text: UTF-8 when it is, else the Windows code page i2 exports with."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _meta_key(key: str) -> str:
    return HEADER_KEYS.get(key) or re.sub(r"[^0-9a-z]+", "_", key.lower()).strip("_")


@dataclass
class _Header:
    meta: dict[str, str]
    names: list[str]
    units: list[str]
    data_offset: int  # byte offset of the first data row
    samples: list[list[str]]  # up to 20 data rows as text, to learn each column's decimals


def _parse_header(path: Path, head: bytes, whole: bool) -> _Header | None:
    """The header block, name and unit rows from the file's first bytes; None when ``head``
    ends before the unit row and more of the file exists."""
    lines = head.split(b"\n")
    if not whole:
        lines = lines[:-1]  # the last piece may be a cut line
    offset = 0
    meta: dict[str, str] = {}
    names: list[str] | None = None
    units: list[str] | None = None
    stage = "signature"
    samples: list[list[str]] = []
    data_offset = -1
    for number, raw in enumerate(lines, start=1):
        offset += len(raw) + 1
        line = _decode(raw).lstrip("\ufeff")
        if stage != "data" and line.count('"') % 2:
            raise SessionFileError(f"{path}: line {number} has a quoted value that runs past "
                                   f"the line end (i2 writes one record a line)")
        cells = _cells(line)
        empty = not line.replace(",", "").strip()  # truly empty, as i2 writes gaps
        if stage == "signature":
            if empty:
                continue
            if len(cells) < 2 or cells[0] != "Format" or cells[1] not in _SIGNATURES:
                raise SessionFileError(one_line(
                    f"{path}: not a MoTeC CSV file (its first record is not "
                    f"\"Format\",\"MoTeC CSV File\")"))
            stage = "header"
        if stage == "header":
            if empty:
                stage = "gap"
                continue
            if cells[0] in ("Time", "TIME") and cells[0] not in HEADER_KEYS:
                stage = "gap"  # a writer without the empty lines: this is the name row
            else:
                _header_pairs(cells, meta)
                continue
        if stage == "gap":
            if empty:
                continue
            names = cells
            stage = "units"
            continue
        if stage == "units":
            if not line.strip():
                continue
            units = cells
            data_offset = offset
            stage = "data"
            continue
        if stage == "data" and not empty:
            samples.append(cells)
            if len(samples) >= 20:
                break
    if stage == "signature" and whole:
        raise SessionFileError(f"{path}: not a MoTeC CSV file (it holds no records)")
    if units is None or names is None:
        if not whole:
            return None
        what = "a name row" if names is None else "a unit row"
        raise SessionFileError(f"{path}: MoTeC CSV header without {what}")
    return _Header(meta, names, units, min(data_offset, len(head)), samples)


def _header_pairs(cells: list[str], meta: dict[str, str]) -> None:
    """Left pair in cells 1-2 (unit in 3), right pair in cells 5-6 (unit in 7)."""
    if cells and cells[0] in ("Segment Times", "Beacon Markers") and len(cells) > 2:
        meta[_meta_key(cells[0])] = " ".join(c.strip() for c in cells[1:] if c.strip())
        return
    for at in (0, 4):
        if len(cells) > at and cells[at].strip():
            key = _meta_key(cells[at].strip())
            meta[key] = cells[at + 1] if len(cells) > at + 1 else ""
            if len(cells) > at + 2 and cells[at + 2].strip():
                meta[f"{key}_unit"] = cells[at + 2].strip()


def _number(meta: dict[str, str], key: str) -> float | None:
    try:
        value = float(meta.get(key, "").strip())
    except ValueError:
        return None
    return value if np.isfinite(value) else None


def _decimals(samples: list[list[str]], column: int) -> int | None:
    """Decimal places the file prints a column with (the most seen in the first rows)."""
    best: int | None = None
    for row in samples:
        if column < len(row):
            text = row[column].strip()
            if not text:
                continue
            if not re.fullmatch(r"-?\d+(\.\d*)?", text):
                return None
            places = len(text.split(".", 1)[1]) if "." in text else 0
            best = places if best is None else max(best, places)
    return best


def read_motec_csv(path: Path | str) -> ForeignLog:
    """Every column of an i2 CSV export as a channel with its unit, rows as they are.

    Per-lap exports, whose ``Time`` and ``Distance`` restart at 0, are re-based onto the
    outing with the header's ``Start Time`` / ``Start Distance`` (``meta["time_offset"]``,
    ``meta["distance_offset"]`` say by how much). ``Beacon Markers`` become ``lap_marks``.
    Empty or non-numeric cells are NaN. Bad input raises one-line :class:`SessionFileError`.
    """
    import pyarrow as pa

    path = Path(path)
    try:
        with open(path, "rb") as fh:
            size = fh.seek(0, 2)
            chunk = 1 << 16
            while True:
                fh.seek(0)
                head = fh.read(chunk)
                header = _parse_header(path, head, whole=len(head) >= size)
                if header is not None:
                    break
                if chunk >= _MAX_HEADER:
                    raise SessionFileError(f"{path}: no MoTeC CSV unit row in the first "
                                           f"{_MAX_HEADER >> 20} MB")
                chunk *= 4
        if len(header.names) > _MAX_COLUMNS:
            raise SessionFileError(f"{path}: {len(header.names)} columns, more than "
                                   f"{_MAX_COLUMNS} (not a MoTeC export)")
        table = _read_numbers(path, header.data_offset, len(header.names))
    except OSError as exc:
        raise SessionFileError(one_line(f"{path}: cannot read: {exc.strerror or exc}")) from exc
    except pa.ArrowException as exc:
        raise SessionFileError(one_line(f"{path}: bad MoTeC CSV data: {exc}")[:300]) from exc
    if not len(table[0]):
        raise SessionFileError(f"{path}: MoTeC CSV without data rows")
    return _build(path, header, table)


def _read_numbers(path: Path, offset: int, ncols: int) -> list[np.ndarray]:
    """The data rows as one float64 array per column (NaN for empty or non-numeric cells)."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    names = [f"c{i}" for i in range(ncols)]

    def body() -> pa.NativeFile:
        """The file from its first data row. Read, not mapped: the file's pages then stay
        in the page cache instead of counting as this process's memory."""
        stream = pa.OSFile(str(path))
        stream.seek(min(offset, stream.size()))
        return stream

    read = pcsv.ReadOptions(column_names=names, use_threads=True, block_size=4 << 20)
    parse = pcsv.ParseOptions(newlines_in_values=False)
    try:
        with body() as stream:
            table = pcsv.read_csv(stream, read_options=read, parse_options=parse,
                                  convert_options=pcsv.ConvertOptions(
                                      column_types=dict.fromkeys(names, pa.float64())))
    except pa.ArrowInvalid as exc:
        text = str(exc)
        if "Empty CSV file" in text:
            return [np.empty(0) for _ in names]
        ragged = re.search(r"Expected (\d+) columns, got (\d+)", text)
        if ragged:
            raise SessionFileError(f"{path}: a data row has {ragged.group(2)} cells where the "
                                   f"name row has {ragged.group(1)}") from exc
        if "conversion error" not in text:
            raise
        with body() as stream:
            table = _read_lenient(stream, names, read, parse)
    out = []
    for _ in range(ncols):  # column by column, freeing each from the table: peak ~ 1x data
        values = table.column(0).to_numpy()
        out.append(values if values.flags.writeable else values.copy())
        table = table.remove_column(0)
    return out


def _read_lenient(stream: object, names: list[str], read: object, parse: object) -> object:
    """Slow path for files with text in number cells: those cells become missing."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pcsv

    table = pcsv.read_csv(stream, read_options=read, parse_options=parse,
                          convert_options=pcsv.ConvertOptions(
                              column_types=dict.fromkeys(names, pa.string())))
    pattern = r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$|^\s*[-+]?(inf|nan)\s*$"
    columns = []
    for col in table.columns:
        ok = pc.match_substring_regex(col, pattern, ignore_case=True)
        kept = pc.if_else(ok, pc.utf8_trim_whitespace(col), None)
        columns.append(pc.cast(kept, pa.float64()))
    return pa.table(columns, names=names)


def _build(path: Path, header: _Header, columns: list[np.ndarray]) -> ForeignLog:
    """The ForeignLog: time axis from ``Time`` (re-based for per-lap exports), lap marks from
    ``Beacon Markers``, one channel per column."""
    meta = {k: v for k, v in header.meta.items() if v.strip()}
    names = unique_names(header.names)
    units = [header.units[i].strip() if i < len(header.units) else "" for i in range(len(names))]
    rate = _number(meta, "sample_rate")
    rate = rate if rate and rate > 0 else None
    n = len(columns[0]) if columns else 0
    start = _number(meta, "start_time") or 0.0
    times: np.ndarray | None = None
    time_col = next((i for i, name in enumerate(header.names) if name.strip() == "Time"), None)
    if time_col is not None:
        times = columns[time_col]
        first = float(times[0]) if n and np.isfinite(times[0]) else None
        if start > 0 and first is not None and abs(first) < abs(first - start):
            places = max(_decimals(header.samples, time_col) or 0, _places(meta["start_time"]))
            times = np.round(times + start, places)  # a per-lap export restarts at 0
            columns[time_col] = times
            meta["time_offset"] = f"{start:g}"
    elif rate is None:
        raise SessionFileError(f"{path}: MoTeC CSV with neither a Time column nor a Sample Rate")
    dist_col = next((i for i, name in enumerate(header.names) if name.strip() == "Distance"), None)
    start_d = _number(meta, "start_distance") or 0.0
    if dist_col is not None and start_d > 0 and n:
        first_d = columns[dist_col][0]
        if np.isfinite(first_d) and abs(first_d) < abs(first_d - start_d):
            places = max(_decimals(header.samples, dist_col) or 0,
                         _places(meta["start_distance"]))
            columns[dist_col] = np.round(columns[dist_col] + start_d, places)
            meta["distance_offset"] = f"{start_d:g}"
    channels = {
        name: LogChannel(name=name, unit=units[i], values=columns[i], rate_hz=rate,
                         times=times,
                         decimals=_decimals(header.samples, i))
        for i, name in enumerate(names)}
    if times is None and start and rate is not None:  # no Time column: a Sample Rate
        times = start + np.arange(n) / rate
        for ch in channels.values():
            ch.times = times
    return ForeignLog(source=path, fmt="motec-csv", channels=channels, meta=meta,
                      lap_marks=_beacons(meta.get("beacon_markers", "")))


def _places(text: str) -> int:
    """Decimal places of a number as written (``24.324`` -> 3)."""
    text = text.strip()
    return len(text.split(".", 1)[1]) if "." in text else 0


def _beacons(text: str) -> list[float]:
    """``Beacon Markers``: seconds, space-separated (each followed by a space)."""
    marks = []
    for item in text.split():
        try:
            value = float(item)
        except ValueError:
            continue
        if np.isfinite(value) and value >= 0:
            marks.append(value)
    return sorted(set(marks))


# --- writing -------------------------------------------------------------------------------


def write_motec_csv(path: Path | str, log: ForeignLog, rate_hz: float | None = None) -> Path:
    """Write ``log`` as i2 writes an export (``motec_csv.md`` section 9), atomically.

    One table at one rate: when the channels share one time axis their rows are written as
    they are; otherwise every channel is sampled at ``rate_hz`` (default: the fastest
    channel's rate), holding each channel's last value at or before the output time, as
    i2 does for whole-number rate ratios. ``Time`` has 3 decimals; a channel with
    ``decimals`` set is printed with that many, others with the shortest text that reads
    back to the same float. ``Distance`` is the log's own ``Distance`` channel or, failing
    that, integrated from a speed channel (unit km/h, m/s or mph); otherwise empty.
    Dates are written as the log's meta holds them, ISO ``YYYY-MM-DD`` when it is
    ``DD/MM/YYYY`` (the ``.ld`` form).
    """
    import pyarrow as pa
    import pyarrow.csv as pcsv

    path = Path(path)
    time, columns = _grid(log, rate_hz)
    rate = _rate_of(time, log, rate_hz)
    distance, dist_dec = _distance(log, time, columns)
    columns.pop("Distance", None)
    names = ["Time", "Distance"] + [n for n in columns]
    units = ["s", "m"] + [log.channels[n].unit for n in columns]
    arrays = [_format(time, 3), _format(distance, dist_dec)]
    arrays += [_format(values, log.channels[n].decimals) for n, values in columns.items()]
    text = io.StringIO()
    for row in _header_rows(log, time, distance, rate):
        text.write(row + "\r\n")
    text.write("\r\n\r\n")
    text.write(",".join(_quote(n) for n in names) + "\r\n")
    text.write(",".join(_quote(u) for u in units) + "\r\n")
    text.write("\r\n\r\n")
    table = pa.table(arrays, names=[f"c{i}" for i in range(len(arrays))])
    with atomic_file(path) as tmp, open(tmp, "wb") as fh:
        fh.write(text.getvalue().encode("utf-8"))
        if len(time):
            pcsv.write_csv(table, fh, pcsv.WriteOptions(
                include_header=False, quoting_style="all_valid", eol="\r\n"))
    return path


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _axis(ch: LogChannel, time: LogChannel | None) -> np.ndarray | None:
    """A channel's times: its own, else the log's ``Time`` channel when as long, else its rate."""
    if ch.times is None and time is not None and len(time.values) == len(ch.values):
        return np.asarray(time.values, dtype=np.float64)
    try:
        return np.asarray(ch.time_axis(), dtype=np.float64)
    except ValueError:
        return None


def _grid(log: ForeignLog, rate_hz: float | None) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The output times and every channel's values on them (Time left out)."""
    chans = {n: c for n, c in log.channels.items() if n != "Time"}
    shared: dict[tuple, np.ndarray | None] = {}  # channels on one grid share one axis array
    axes = {}
    for n, c in log.channels.items():
        key = (id(c.times), len(c.values), c.rate_hz)
        if key not in shared:
            shared[key] = _axis(c, log.channels.get("Time"))
        axes[n] = shared[key]
    known = {n: a for n, a in axes.items() if a is not None}
    if not known:
        raise SessionFileError(f"{log.source}: no channel has a time axis to write")
    ref = known.get("Time", next(iter(known.values())))
    same = rate_hz is None and all(
        len(a) == len(ref) and (a is ref or np.array_equal(a, ref)) for a in known.values())
    same = same and all(len(c.values) == len(ref) for c in log.channels.values())
    if same:
        return ref, {n: np.asarray(c.values, dtype=np.float64) for n, c in chans.items()}
    rate = rate_hz or max((c.rate_hz or 0.0) for c in log.channels.values()) or None
    if not rate:
        steps = [np.median(np.diff(a)) for a in known.values() if len(a) > 1]
        steps = [s for s in steps if s > 0]
        rate = 1.0 / min(steps) if steps else 1.0
    lo = min(float(a[0]) for a in known.values() if len(a))
    hi = max(float(a[-1]) for a in known.values() if len(a))
    count = int(np.floor((hi - lo) * rate + 1e-6)) + 1
    time = lo + np.arange(count) / rate
    out = {}
    for n, c in chans.items():
        axis = axes.get(n)
        values = np.asarray(c.values, dtype=np.float64)
        if axis is None or not len(values):
            out[n] = np.full(count, np.nan)
            continue
        idx = np.searchsorted(axis, time + 1e-9, side="right") - 1
        held = values[np.clip(idx, 0, len(values) - 1)]
        out[n] = np.where(idx >= 0, held, np.nan)
    return time, out


def _rate_of(time: np.ndarray, log: ForeignLog, rate_hz: float | None) -> float | None:
    if rate_hz:
        return rate_hz
    rates = {c.rate_hz for c in log.channels.values() if c.rate_hz}
    if len(rates) == 1:
        return rates.pop()
    if len(time) > 1:
        step = float(np.median(np.diff(time)))
        return 1.0 / step if step > 0 else None
    return None


def _distance(log: ForeignLog, time: np.ndarray,
              columns: dict[str, np.ndarray]) -> tuple[np.ndarray, int | None]:
    """The Distance column: the log's own, or integrated from a speed channel (metres)."""
    if "Distance" in columns:
        return columns["Distance"], log.channels["Distance"].decimals
    speeds = [n for n in columns if log.channels[n].unit.strip().lower() in _SPEED_UNITS]
    speeds.sort(key=lambda n: "speed" not in n.lower())
    if not speeds or len(time) == 0:
        return np.full(len(time), np.nan), None
    ms = columns[speeds[0]] * _SPEED_UNITS[log.channels[speeds[0]].unit.strip().lower()]
    ms = np.nan_to_num(ms, nan=0.0)
    steps = np.diff(time) * (ms[1:] + ms[:-1]) / 2
    return np.concatenate([[0.0], np.cumsum(steps)]), 0


def _format(values: np.ndarray, decimals: int | None) -> object:
    """Column text: ``decimals`` fixed places, or the shortest round-trip form; NaN empty."""
    import pyarrow as pa
    import pyarrow.compute as pc

    values = np.asarray(values, dtype=np.float64)
    bad = ~np.isfinite(values)
    if decimals is None or decimals < 0 or decimals > 9 or (
            len(values) and np.nanmax(np.abs(np.where(bad, 0, values))) * 10 ** decimals > 2**52):
        return pa.array(values, mask=bad).cast(pa.string())
    scaled = np.round(np.where(bad, 0, values) * 10 ** decimals).astype(np.int64)
    digits = pa.array(np.abs(scaled)).cast(pa.string())
    if decimals:
        digits = pc.utf8_lpad(digits, width=decimals + 1, padding="0")
        whole = pc.utf8_slice_codeunits(digits, 0, -decimals)
        frac = pc.utf8_slice_codeunits(digits, -decimals)
        digits = pc.binary_join_element_wise(whole, frac, ".")
    sign = pa.array(np.where(scaled < 0, "-", ""))
    text = pc.binary_join_element_wise(sign, digits, "")
    return pc.if_else(pa.array(bad), pa.scalar(None, pa.string()), text)


def _iso_date(text: str) -> str:
    m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text.strip())
    return f"{m.group(3)}-{int(m.group(2)):02d}-{int(m.group(1)):02d}" if m else text


def _header_rows(log: ForeignLog, time: np.ndarray, distance: np.ndarray,
                 rate: float | None) -> list[str]:
    """The 12 header lines of ``motec_csv.md`` section 2, gap cells and units included."""
    meta = log.meta

    def get(key: str, default: str = "") -> str:
        return _quote(meta.get(key, default))

    t0 = float(time[0]) if len(time) else 0.0
    t1 = float(time[-1]) if len(time) else 0.0
    finite = distance[np.isfinite(distance)] if len(distance) else distance
    d0 = f"{finite[0]:.0f}" if len(finite) else "0"
    d1 = f"{finite[-1]:.0f}" if len(finite) else "0"
    beacons = "".join(f"{m:.3f} " for m in log.lap_marks)
    rate_text = f"{rate:.3f}" if rate else ""
    return [
        f'"Format","MoTeC CSV File",,,"Workbook",{get("workbook")}',
        f'"Venue",{get("venue")},,,"Worksheet",{get("worksheet")}',
        f'"Vehicle",{get("vehicle")},,,"Vehicle Desc",{get("vehicle_description")}',
        f'"Driver",{get("driver")},,,"Engine ID",{get("engine_id")}',
        f'"Device",{get("device_type")}',
        f'"Comment",{get("comment")},,,"Session",{get("session")}',
        f'"Log Date",{_quote(_iso_date(meta.get("date", "")))},,,'
        f'"Origin Time",{get("origin_time", "0.000")},"s"',
        f'"Log Time",{get("time")},,,"Start Time","{t0:.3f}","s"',
        f'"Sample Rate","{rate_text}","Hz",,"End Time","{t1:.3f}","s"',
        f'"Duration","{t1 - t0:.3f}","s",,"Start Distance","{d0}","m"',
        f'"Range",{get("range", "entire outing")},,,"End Distance","{d1}","m"',
        f'"Beacon Markers",{_quote(beacons)}',
    ]

