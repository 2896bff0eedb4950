"""A foreign log and a mapping -> the columns and metadata of a session, and one summary.

Why one module of about 670 lines: the conversion is one ordered pass over one table (time
axis, values, laps, derived channels, checks) whose steps all report into one Summary.

One table: when a mapping names a time column every row of the file is a row of the
session (irregular and distance-sampled logs stay as they are); otherwise the channels'
own time axes are used, and channels of different rates (a ``.ld``) become one table on the
fastest channel's grid, each slower channel holding its last value until its next sample
(never interpolated, never before its first sample). Rows are sorted by time, stably.
Channels the file lacks are absent from the session, never zeros.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from actelemetry.channels.catalogue import BY_NAME, CATALOGUE_VERSION, G
from actelemetry.channels.derive import DEFAULT_SMOOTHING
from actelemetry.channels.laps import START_EDGE, lap_valid, starts_out
from actelemetry.channels.plausible import NUMERIC, range_of
from actelemetry.errors import SessionFileError
from actelemetry.formats.log import ForeignLog, LogChannel
from actelemetry.imports import clean, units
from actelemetry.imports import laps as lapmod
from actelemetry.imports.mapping import Mapping, Source
from actelemetry.timefmt import lap_time_s

_NP = {"float64": "f8", "float32": "f4", "int32": "f8", "int8": "f8", "bool": "f8",
       "string": "O"}
_G_CHANNELS = ("accel_lateral", "accel_longitudinal")
_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M:%S", "%m/%d/%Y %H:%M:%S",
                 "%Y-%m-%d %I:%M:%S %p", "%d/%m/%Y %I:%M:%S %p", "%m/%d/%Y %I:%M:%S %p",
                 "%d.%m.%Y %H:%M:%S", "%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y")


@dataclass
class Summary:
    """Everything the import found, said once."""

    source: str
    fmt: str
    mapping: str
    rows: int = 0
    mapped: list[str] = field(default_factory=list)  # "channel <- field [unit -> unit]"
    derived: list[str] = field(default_factory=list)
    unmapped_fields: list[str] = field(default_factory=list)
    laps: str = ""
    notes: list[str] = field(default_factory=list)
    implausible: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """The summary as printed lines."""
        out = [f"{self.source}: {self.fmt}, mapping {self.mapping}, {self.rows} rows, "
               f"{len(self.mapped)} channels mapped, {len(self.derived)} derived",
               f"  laps: {self.laps}"]
        if self.unmapped_fields:
            shown = ", ".join(self.unmapped_fields[:8])
            more = len(self.unmapped_fields) - 8
            out.append(f"  fields not mapped: {shown}" + (f" and {more} more" if more > 0
                                                          else ""))
        out += [f"  {n}" for n in self.notes]
        if self.implausible:
            bad = ", ".join(f"{k} {v}" for k, v in sorted(self.implausible.items()))
            out.append(f"  implausible values kept (outside the catalogue's ranges): {bad}")
        else:
            out.append("  implausible values: none")
        return out

    def as_dict(self) -> dict[str, Any]:
        return {"source": self.source, "format": self.fmt, "mapping": self.mapping,
                "rows": self.rows, "mapped": self.mapped, "derived": self.derived,
                "laps": self.laps, "notes": self.notes}


@dataclass
class Imported:
    """What :func:`convert` makes: columns under catalogue names, metadata, summary."""

    columns: dict[str, np.ndarray]
    meta: dict[str, Any]
    summary: Summary


def _find(log: ForeignLog, fields: tuple[str, ...]) -> str | None:
    for f in fields:
        if f in log.channels or f in log.texts:
            return f
    return None


def _hold(ch: LogChannel, t: np.ndarray) -> np.ndarray:
    """A channel on the times ``t`` (s from the log's start), each value held until the
    next; NaN before its first sample."""
    vals = np.asarray(ch.values, dtype="f8")
    if ch.times is None and ch.rate_hz:  # regular: the index is the time times the rate
        idx = np.floor(t * ch.rate_hz + 1e-6).astype("i8")
        idx = np.minimum(idx, len(vals) - 1)
    else:
        idx = np.searchsorted(ch.time_axis(), t + 1e-9, side="right") - 1
    out = np.full(len(t), np.nan)
    ok = idx >= 0
    out[ok] = vals[idx[ok]]
    return out


def _time_axis(log: ForeignLog, mapping: Mapping, summary: Summary) -> tuple[
        np.ndarray, str | None, bool]:
    """Row times (s) before sorting, the time field used, and whether channels share rows."""
    name = _find(log, mapping.time_fields)
    if name is not None and name in log.channels:
        ch = log.channels[name]
        unit = ch.unit if units.factor_offset(ch.unit or "x", "s") else mapping.time_unit
        t = units.convert(np.asarray(ch.values, "f8"), unit, "s")
        return np.asarray(t, "f8"), name, True
    chans = list(log.channels.values())
    if not chans:
        raise SessionFileError(f"{log.source}: holds no channels")
    lengths = {len(c.values) for c in chans}
    axes_equal = len(lengths) == 1 and all(
        c.times is None and c.rate_hz == chans[0].rate_hz for c in chans)
    if axes_equal and chans[0].rate_hz:
        return chans[0].time_axis(), None, True
    first_times = chans[0].times
    if len(lengths) == 1 and first_times is not None and all(
            c.times is not None and np.array_equal(c.times, first_times) for c in chans):
        return np.asarray(first_times, "f8"), None, True
    rated = [c for c in chans if c.rate_hz]
    if not rated:
        if len(lengths) == 1:
            summary.notes.append("no time in the file: rows numbered at 1 s steps")
            return np.arange(lengths.pop(), dtype="f8"), None, True
        raise SessionFileError(f"{log.source}: channels of different lengths and no time")
    fastest = max(rated, key=lambda c: c.rate_hz or 0.0)
    end = max(float(c.time_axis()[-1]) for c in chans if len(c.values))
    rate = float(fastest.rate_hz or 1.0)
    n = int(math.floor(end * rate + 1e-6)) + 1
    rates = sorted({c.rate_hz for c in rated if c.rate_hz}, reverse=True)
    if len(rates) > 1:
        summary.notes.append(
            f"channels at {len(rates)} rates ({', '.join(f'{r:g}' for r in rates)} Hz): one "
            f"table at the fastest, {rate:g} Hz; slower channels hold their last value")
    return np.arange(n, dtype="f8") / rate, None, False


_WORDS = {"true": 1.0, "false": 0.0, "yes": 1.0, "no": 0.0, "on": 1.0, "off": 0.0}


def _number(text: str) -> float:
    word = _WORDS.get(text.strip().lower())
    if word is not None:
        return word
    try:
        return float(text)
    except ValueError:
        return math.nan


def _values(log: ForeignLog, name: str, t: np.ndarray, shared_rows: bool) -> np.ndarray:
    if name not in log.channels:  # a text field read as numbers (true/false, or numbers)
        return np.asarray([_number(x) for x in log.texts[name]], dtype="f8")
    ch = log.channels[name]
    if shared_rows and len(ch.values) == len(t):
        return np.asarray(ch.values, dtype="f8")
    if ch.times is None and ch.rate_hz and len(ch.values) == len(t) and len(t) > 1 and (
            abs((t[1] - t[0]) * ch.rate_hz - 1.0) < 1e-9 and t[0] == 0.0):
        return np.asarray(ch.values, dtype="f8")  # already on the table's grid
    return _hold(ch, t)


def _convert_source(log: ForeignLog, channel: str, src: Source, name: str,
                    raw: np.ndarray, summary: Summary) -> np.ndarray:
    target = BY_NAME[channel].unit
    v = np.array(raw, dtype="f8", copy=True)
    if src.none:
        hit = np.zeros(len(v), bool)
        for s in src.none:
            with np.errstate(invalid="ignore"):
                hit |= np.isclose(v, s, rtol=1e-6, atol=0.0)
        if hit.any():
            summary.notes.append(f"{channel}: {int(hit.sum())} sentinel values "
                                 f"({', '.join(f'{s:g}' for s in src.none)}) read as no value")
            v[hit] = np.nan
    file_unit = log.channels[name].unit.strip() if name in log.channels else ""
    unit = src.unit if src.unit is not None else target
    described = f"{channel} <- {name}"
    if file_unit and units.known(file_unit):
        if units.factor_offset(file_unit, unit) is not None:
            v = units.convert(v, file_unit, unit)
        elif units.normal(file_unit) != units.normal(unit):
            summary.notes.append(f"{channel}: {name} is in {file_unit!r}, which does not "
                                 f"convert to the mapping's {unit!r}; read as {unit!r}")
    elif file_unit:
        summary.notes.append(f"{channel}: unit {file_unit!r} of {name} unknown; read as "
                             f"{unit!r}")
    elif unit == "%" and np.nanmax(np.abs(v), initial=0.0) <= 1.0:
        summary.notes.append(f"{channel}: {name} states no unit and stays within 0..1; "
                             "read as 0..1, not %")
        unit = ""
    if units.factor_offset(unit, target) is not None:
        v = units.convert(v, unit, target)
        if units.normal(unit) != units.normal(target):
            described += f" [{unit} -> {target}]"
    if src.scale != 1.0 or src.offset != 0.0:
        v = v * src.scale + src.offset
        described += f" [x{src.scale:g}{src.offset:+g}]" if src.offset else \
            f" [x{src.scale:g}]"
    if src.gear == "ac":
        v = v - 1.0
        described += " [gear 0=R,1=N -> -1=R,0=N]"
    summary.mapped.append(described)
    return v


def _text(log: ForeignLog, name: str, order: np.ndarray, n: int) -> np.ndarray:
    texts = log.texts.get(name)
    if texts is not None and len(texts) == n:
        return np.asarray(texts, dtype=object)[order]
    vals = np.asarray(log.channels[name].values, dtype="f8")[order]
    return np.asarray([("" if not np.isfinite(x) else f"{x:g}") for x in vals], dtype=object)


def _meta_value(log: ForeignLog, names: tuple[str, ...]) -> str | None:
    for n in names:
        if log.meta.get(n):
            return str(log.meta[n])
        texts = log.texts.get(n)
        if texts:
            for s in texts:
                if s:
                    return str(s)
    return None


def _start_time(log: ForeignLog) -> float | None:
    date = (log.meta.get("date") or log.meta.get("log_date") or "").strip()
    time = (log.meta.get("time") or log.meta.get("log_time") or "").strip()
    for text in (f"{date} {time}".strip(), date):
        for fmt in _DATE_FORMATS:
            try:
                return datetime.strptime(text, fmt).replace(tzinfo=UTC).timestamp()
            except ValueError:
                continue
    return None


def _only_samples(log: ForeignLog, mapping: Mapping, t: np.ndarray, time_field: str | None,
                  shared: bool, summary: Summary) -> tuple[np.ndarray, ForeignLog]:
    """Rows that are samples: a row with neither a time nor any field of the mapping is
    another kind of record (a JSONL file's session header) and is left out, counted."""
    if not shared or time_field is None:
        return t, log
    fields = [f for f in mapping.fields() if f in log.channels and f != time_field]
    has = np.isfinite(t)
    for f in fields:
        values = log.channels[f].values
        if len(values) == len(t):
            has |= np.isfinite(np.asarray(values, dtype="f8"))
    if has.all():
        return t, log
    if not has.any():
        raise SessionFileError(f"{log.source}: no row holds a time or a field of mapping "
                               f"{mapping.name}")
    keep = np.flatnonzero(has)
    summary.notes.append(f"{_count(len(t) - len(keep), 'row')} with no time and no mapped field "
                         "(other records, such as a session header): not samples, left out")
    n = len(t)
    channels = {k: LogChannel(c.name, c.unit, np.asarray(c.values)[keep], c.rate_hz,
                              None if c.times is None else np.asarray(c.times)[keep],
                              c.decimals) if len(c.values) == n else c
                for k, c in log.channels.items()}
    texts = {k: [v[i] for i in keep] if len(v) == n else v for k, v in log.texts.items()}
    kept = ForeignLog(log.source, log.fmt, channels, dict(log.meta), list(log.lap_marks),
                      texts)
    kept.texts.update({k: v for k, v in log.texts.items() if k not in kept.texts})
    # metadata held in the left-out rows (a header record's track name) stays readable
    kept.meta.update({k: next((s for s in v if s), "") for k, v in log.texts.items()
                      if any(v) and not any(kept.texts[k])})
    return t[keep], kept


def _fill_time_gaps(t: np.ndarray, summary: Summary) -> np.ndarray:
    bad = ~np.isfinite(t)
    if not bad.any():
        return t
    if bad.all():
        raise SessionFileError(f"{summary.source}: no row has a time")
    idx = np.arange(len(t))
    t = t.copy()
    t[bad] = np.interp(idx[bad], idx[~bad], t[~bad])
    summary.notes.append(f"{int(bad.sum())} rows without a time: time taken between their "
                         "neighbours")
    return t


def _find_laps(log: ForeignLog, mapping: Mapping, cols: dict[str, np.ndarray],
               raw_lap: np.ndarray | None, session_t: np.ndarray, file_t: np.ndarray,
               summary: Summary) -> np.ndarray:
    n = len(session_t)
    for method in mapping.lap_methods:
        if method == "marks" and log.lap_marks:
            laps = lapmod.from_marks(file_t, log.lap_marks)
            summary.laps = f"from {len(log.lap_marks)} lap marks (beacons)"
            return laps
        if method == "column" and raw_lap is not None:
            laps, nulls, back = lapmod.from_column(raw_lap, mapping.lap_first)
            summary.laps = "from the lap column"
            if nulls:
                summary.notes.append(f"lap column: {nulls} empty values took the lap before")
            if back:
                summary.notes.append(f"lap column went back {back} times: counted on")
            return laps
        if method == "time_reset" and raw_lap is not None:
            summary.laps = "from the lap time restarting"
            return lapmod.from_time_reset(raw_lap)
        if method == "position_wrap" and "lap_fraction" in cols:
            summary.laps = "from the position wrapping at the line"
            return lapmod.from_position(cols["lap_fraction"])
        if method == "none":
            summary.laps = "none found: one lap"
            return np.zeros(n, "i8")
    summary.laps = "none found: one lap"
    return np.zeros(n, "i8")


def _lap_flags(cols: dict[str, np.ndarray], laps: np.ndarray,
               paused_start: int = 0) -> dict[str, np.ndarray]:
    """lap_valid (only where the file says), out_lap and partial_lap, per lap. A recording
    that begins paused (``paused_start`` frozen rows) is judged from its first live row: a
    game paused mid-lap is not a car standing on the grid."""
    n = len(laps)
    out: dict[str, np.ndarray] = {}
    segments = lapmod.segments(laps)
    frac = cols.get("lap_fraction")
    speed = cols.get("speed_ms")
    pit = cols.get("in_pit_lane")
    if "out_lap" not in cols and (speed is not None or pit is not None):
        o = np.zeros(n, bool)
        for k, (a, b) in enumerate(segments):
            if k == 0 and paused_start < b:
                a = paused_start
            first = {"in_pit_lane": bool(pit[a]) if pit is not None and np.isfinite(pit[a])
                     else False,
                     "speed_ms": float(speed[a]) if speed is not None and np.isfinite(speed[a])
                     else math.inf}
            o[segments[k][0]:b] = starts_out(first, k == 0)
        out["out_lap"] = o
    if "partial_lap" not in cols and frac is not None:
        p = np.zeros(n, bool)
        for k, (a, b) in enumerate(segments):
            f = frac[a:b]
            late = k == 0 and not (np.isfinite(f[0]) and f[0] <= START_EDGE)
            early = k == len(segments) - 1 and not (np.isfinite(f[-1])
                                                    and f[-1] >= 1 - START_EDGE)
            p[a:b] = late or early
        out["partial_lap"] = p
    if "lap_valid" not in cols:
        # the one rule (channels.laps.lap_valid): out laps never, tyres out, the game's flag
        source = cols.get("game_lap_valid")
        tyres = cols.get("tyres_out")
        outs = cols.get("out_lap", out.get("out_lap"))
        if source is not None or tyres is not None:
            valid = np.ones(n, bool)
            for a, b in segments:
                flag = (bool(np.nan_to_num(source[a:b], nan=1.0).all())
                        if source is not None else None)
                most = float(np.nanmax(tyres[a:b], initial=0)) if tyres is not None else None
                valid[a:b] = lap_valid(bool(outs[a]) if outs is not None else False, most, flag)
            out["lap_valid"] = valid
    return out


def _nan_trailing_mean(x: np.ndarray, window: int) -> np.ndarray:
    ok = np.isfinite(x)
    c = np.cumsum(np.concatenate(([0.0], np.where(ok, x, 0.0))))
    k = np.cumsum(np.concatenate(([0], ok.astype("i8"))))
    n = np.arange(1, len(x) + 1)
    lo = np.maximum(n - window, 0)
    cnt = k[n] - k[lo]
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(cnt > 0, (c[n] - c[lo]) / np.maximum(cnt, 1), np.nan)


def _derive(cols: dict[str, np.ndarray], laps: np.ndarray, t: np.ndarray,
            track_length: float | None, summary: Summary, paused_start: int = 0) -> None:
    """Channels the catalogue derives, from what the file has (nothing from nothing)."""
    def add(name: str, values: np.ndarray, why: str) -> None:
        if name not in cols:
            cols[name] = values
            summary.derived.append(f"{name} ({why})")

    if "speed_kmh" in cols:
        add("speed_ms", cols["speed_kmh"] / 3.6, "speed_kmh / 3.6")
    if "speed_ms" in cols:
        add("speed_kmh", cols["speed_ms"] * 3.6, "speed_ms * 3.6")
    for g_name, si in (("accel_lateral", "ax"), ("accel_longitudinal", "az")):
        if g_name in cols:
            add(si, cols[g_name] * G, f"{g_name} * g")
        if si in cols:
            add(g_name, cols[si] / G, f"{si} / g")
    if "steer" in cols:
        add("abs_steer", np.abs(cols["steer"]), "|steer|")
    for name in ("gas", "brake", "steer"):
        if name in cols:
            add(f"{name}_smooth", _nan_trailing_mean(cols[name], DEFAULT_SMOOTHING),
                f"trailing mean of {name}")
    if "game_lap_ms" in cols:
        add("lap_time_sec", cols["game_lap_ms"] / 1000.0, "game_lap_ms / 1000")
    if "lap_time_sec" in cols:
        add("game_lap_ms", np.rint(cols["lap_time_sec"] * 1000.0), "lap_time_sec * 1000")
        add("lap_time_str", np.asarray([lap_time_s(x) if np.isfinite(x) and x > 0 else ""
                                        for x in cols["lap_time_sec"]], dtype=object),
            "lap_time_sec as m:ss.mmm")
    if "lap_fraction" in cols and track_length:
        add("lap_distance_m", cols["lap_fraction"] * track_length, "lap_fraction * length")
    elif "speed_ms" in cols and "lap_distance_m" not in cols:
        dist = np.zeros(len(t))
        speed = np.nan_to_num(cols["speed_ms"], nan=0.0)
        for a, b in lapmod.segments(laps):
            dt = np.diff(t[a:b], prepend=t[a])
            dist[a:b] = np.cumsum(speed[a:b] * dt)
        add("lap_distance_m", dist, "speed integrated over each lap")
    for name, values in _lap_flags(cols, laps, paused_start).items():
        add(name, values, "the lap rules of channels/laps.py")


def _checks(cols: dict[str, np.ndarray], raws: dict[str, np.ndarray], t: np.ndarray,
            summary: Summary) -> dict[str, Any]:
    found: dict[str, Any] = {}
    mapped = [v for k, v in cols.items() if BY_NAME[k].dtype != "string"]
    stretches = clean.frozen_stretches(mapped, t)
    if stretches:
        rows = sum(b - a for a, b in stretches)
        zeros = sum(1 for a, b in stretches if "speed_ms" in cols
                    and np.nan_to_num(cols["speed_ms"][a:b]).max(initial=0) == 0)
        summary.notes.append(
            f"{_count(len(stretches), 'frozen stretch', 'es')} kept ({_count(rows, 'row')} "
            f"where no channel changes "
            f"for {clean.FROZEN_MIN_S:g} s or more, {zeros} of them at speed 0: paused or "
            f"switched off): rows " + ", ".join(f"{a}-{b - 1}" for a, b in stretches[:5]))
        found["frozen_rows"] = [[a, b - 1] for a, b in stretches]
    for name in _G_CHANNELS:
        if name in cols:
            count, worst = clean.spikes(cols[name])
            if count:
                summary.notes.append(f"{name}: {count} one-sample spikes kept (up to "
                                     f"{worst:.1f} g)")
                found.setdefault("spikes", {})[name] = count
    for name, raw in raws.items():
        if name in clean.NATURAL_LIMITS or not BY_NAME[name].dtype.startswith("float"):
            continue
        for limit, held in clean.clipped(raw):
            summary.notes.append(f"{name}: {held} samples at {limit:g} in the file (clipped "
                                 "there?)")
            found.setdefault("clipped", {})[name] = limit
    return found


def convert(log: ForeignLog, mapping: Mapping) -> Imported:
    """The session columns, metadata and summary of ``log`` read through ``mapping``.
    (Arithmetic on a file's infinities and huge values stays quiet: they are counted.)"""
    with np.errstate(all="ignore"):
        return _convert(log, mapping)


def _convert(log: ForeignLog, mapping: Mapping) -> Imported:
    summary = Summary(str(log.source), log.fmt, mapping.name)
    t_raw, time_field, shared = _time_axis(log, mapping, summary)
    n = len(t_raw)
    if n == 0:
        raise SessionFileError(f"{log.source}: holds no rows")
    t_raw, log = _only_samples(log, mapping, t_raw, time_field, shared, summary)
    n = len(t_raw)
    t_raw = _fill_time_gaps(t_raw, summary)
    back = int(np.count_nonzero(np.diff(t_raw) < 0))
    order = np.argsort(t_raw, kind="stable") if back else np.arange(n)
    if back:
        moved = int(np.count_nonzero(order != np.arange(n)))
        summary.notes.append(f"rows out of time order: {back} steps back in time, {moved} rows "
                             "moved (sorted by time, stably)")
    t_file = t_raw[order]
    epoch = mapping.epoch
    if epoch == "auto":
        epoch = time_field is not None and float(t_file[0]) > 1e8
    start = float(t_file[0]) if epoch else (_start_time(log) or 0.0)
    session_t = t_file - t_file[0] if epoch else t_file - min(float(t_file[0]), 0.0)
    used: set[str] = {time_field} if time_field else set()
    cols: dict[str, np.ndarray] = {}
    raws: dict[str, np.ndarray] = {}
    empty: list[str] = []
    for channel, sources in mapping.channels.items():
        for src in sources:
            name = _find(log, src.fields)
            if name is None:
                continue
            used.add(name)
            if BY_NAME[channel].dtype == "string":
                cols[channel] = _text(log, name, order, n)
                summary.mapped.append(f"{channel} <- {name}")
                break
            raw = _values(log, name, t_raw, shared)[order]
            if not np.isfinite(raw).any():
                empty.append(f"{channel} ({name})")
                break
            raws[channel] = raw
            cols[channel] = _convert_source(log, channel, src, name, raw, summary)
            break
    if empty:
        summary.notes.append("empty in every row, so absent: " + ", ".join(empty))
    if not cols:
        wanted = sorted(mapping.fields())[:6]
        raise SessionFileError(f"{log.source}: no field of mapping {mapping.name} is in the "
                               f"file (it looks for {', '.join(wanted)}, ...); see "
                               "actelemetry import --show-columns")
    lap_name = _find(log, mapping.lap_fields)
    raw_lap = None
    if lap_name is not None and lap_name in log.channels:
        used.add(lap_name)
        raw_lap = _values(log, lap_name, t_raw, shared)[order]
        if "time_reset" in mapping.lap_methods and lap_name in log.channels:
            unit = log.channels[lap_name].unit or mapping.time_unit
            if units.factor_offset(unit, "s") is not None:
                raw_lap = units.convert(raw_lap, unit, "s")
    laps = _find_laps(log, mapping, cols, raw_lap, session_t, t_file - (t_file[0] if epoch
                                                                          else 0.0), summary)
    if "lap_fraction" in cols and not summary.laps.startswith("from the position"):
        laps, moved, worst = lapmod.align_to_wraps(laps, cols["lap_fraction"], session_t)
        if moved:
            summary.notes.append(f"lap changes moved onto the position wrap at "
                                 f"{_count(moved, 'crossing')} (up to {worst:.2f} s apart)")
    lap_time_name = _find(log, mapping.lap_time_fields)
    if lap_time_name is not None and lap_time_name in log.channels:
        used.add(lap_time_name)
        lt = units.convert(_values(log, lap_time_name, t_raw, shared)[order],
                           log.channels[lap_time_name].unit or mapping.time_unit, "s")
        session_t = _per_lap_time(lt, laps)
        start = _start_time(log) or 0.0
        summary.notes.append("time from the per-lap time (distance-sampled log): laps "
                             "laid end to end")
    for key in ("lap_time_sec",):
        if key in cols:
            cols[key], stale = clean.stale_lap_times(cols[key], laps, session_t)
            if stale:
                summary.notes.append(f"{key}: {stale} laps' first samples carried the "
                                     "previous lap's time: set from the next sample")
    if "game_lap_ms" in cols and "lap_time_sec" not in cols:
        fixed, stale = clean.stale_lap_times(cols["game_lap_ms"] / 1000.0, laps, session_t)
        if stale:
            cols["game_lap_ms"] = np.rint(fixed * 1000.0)
            summary.notes.append(f"game_lap_ms: {stale} laps' first samples carried the "
                                 "previous lap's time: set from the next sample")
    cols["timestamp"] = t_file.copy() if epoch and lap_time_name is None else start + session_t
    if "session_time" not in cols:
        cols["session_time"] = session_t
    cols["completed_laps"] = laps.astype("f8")
    cols["current_lap"] = laps.astype("f8") + 1
    track_length = _track_length(log)
    found = _checks({k: v for k, v in cols.items() if k in raws}, raws, session_t, summary)
    frozen = found.get("frozen_rows") or [[-1, -1]]
    _derive(cols, laps, session_t, track_length, summary,
            frozen[0][1] + 1 if frozen[0][0] == 0 else 0)
    summary.rows = n
    summary.unmapped_fields = sorted(set(log.channels) - used)
    columns = {k: _typed(k, v, summary) for k, v in cols.items()}
    summary.implausible = _implausible(columns)
    nulls = {k: int(np.count_nonzero(~np.isfinite(v))) for k, v in columns.items()
             if k in raws and v.dtype.kind == "f" and not np.isfinite(v).all()}
    if nulls:
        summary.notes.append("rows without a value (null, empty or a sentinel; kept as no "
                             "value): " + ", ".join(f"{k} {v}" for k, v in sorted(nulls.items())))
    summary.mapped.sort()
    meta = _metadata(log, mapping, summary, start, session_t, track_length, found)
    return Imported(columns, meta, summary)


def _implausible(columns: dict[str, np.ndarray]) -> dict[str, int]:
    """Per channel, values outside the catalogue's physical range (no value is not one)."""
    counts: dict[str, int] = {}
    for name, v in columns.items():
        bounds = range_of(name) if name in NUMERIC else None
        if bounds is None or v.dtype.kind not in "fiu":
            continue
        with np.errstate(invalid="ignore"):
            bad = int(np.count_nonzero(np.isfinite(v) & ~((v >= bounds[0]) & (v <= bounds[1]))))
        if bad:
            counts[name] = bad
    return counts


def _per_lap_time(lt: np.ndarray, laps: np.ndarray) -> np.ndarray:
    """Session time from a lap time that restarts each lap: a lap's first sample comes one
    sample step (the median step of the timer) after the previous lap's last sample."""
    t = np.nan_to_num(lt, nan=0.0)
    steps = np.diff(t)
    steps = steps[steps > 0]
    step = float(np.median(steps)) if len(steps) else 0.0
    out = np.empty(len(t))
    line = -float(t[0]) if len(t) else 0.0
    for k, (a, b) in enumerate(lapmod.segments(laps)):
        if k:
            line = float(out[a - 1]) + step - float(t[a])
        out[a:b] = line + t[a:b]
    return out


def _track_length(log: ForeignLog) -> float | None:
    for key in ("track_length_m", "track_length", "venue_length"):
        try:
            value = float(log.meta.get(key, "") or "nan")
        except ValueError:
            continue
        if math.isfinite(value) and value > 0:
            return value
    return None


_INT_RANGE = {"int32": (-2**31, 2**31 - 1), "int8": (-128, 127)}


def _typed(name: str, v: np.ndarray, summary: Summary) -> np.ndarray:
    """The column in its catalogue type; an integer channel's values that no integer of its
    width holds (infinities, 1e300) become no value, counted."""
    dtype = BY_NAME[name].dtype
    if dtype == "string":
        return np.asarray(v, dtype=object)
    if dtype == "bool":
        v = np.asarray(v, dtype="f8")
        return np.where(np.isnan(v), np.nan, (v != 0).astype("f8"))
    if dtype in ("int32", "int8"):
        v = np.rint(np.asarray(v, dtype="f8"))
        lo, hi = _INT_RANGE[dtype]
        wide = ~np.isnan(v) & ~((v >= lo) & (v <= hi))
        if wide.any():
            v = np.where(wide, np.nan, v)
            summary.notes.append(f"{name}: {int(wide.sum())} values beyond a {dtype} read "
                                 "as no value")
        if np.isfinite(v).all():
            return np.rint(v).astype({"int32": "i4", "int8": "i1"}[dtype])
        return np.rint(v)
    return np.asarray(v, dtype=_NP[dtype])


def _metadata(log: ForeignLog, mapping: Mapping, summary: Summary, start: float,
              t: np.ndarray, track_length: float | None, found: dict[str, Any]) -> dict[str, Any]:
    steps = np.diff(t)
    steps = steps[steps > 0]
    rate = round(1.0 / float(np.median(steps)), 3) if len(steps) else None
    meta: dict[str, Any] = {
        "game": mapping.game or (log.meta.get("game", "") if log.meta.get("game") in (
            "ac", "acc") else ""),
        "source": f"import:{log.fmt}",
        "start_time": start,
        "rate_hz": rate,
        "catalogue_version": CATALOGUE_VERSION,
        "implausible": summary.implausible,
        "imported": {**summary.as_dict(), **found, "file": str(log.source)},
    }
    defaults = {"track": ("venue", "track"), "car": ("vehicle", "car"),
                "driver": ("driver",), "track_config": ("track_config",)}
    for key, names in {**defaults, **mapping.meta}.items():
        value = _meta_value(log, names)
        if value is not None:
            meta[key] = value
    if track_length:
        meta["track_length_m"] = track_length
    for key in ("date", "time", "comment", "event", "session", "device"):
        if log.meta.get(key):
            meta.setdefault("file_meta", {})[key] = log.meta[key]
    return meta


def _count(n: int, noun: str, plural: str = "s") -> str:
    """'1 row', '3 rows': the summary reads as a sentence whatever the count."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}{plural}"
