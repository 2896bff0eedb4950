"""A session as a :class:`ForeignLog` for MoTeC i2: the conversion both ``.ld`` and MoTeC CSV
exports share, and the ``export --format ld|motec-csv`` entry points.

Every catalogue channel the session holds goes out at the session's rate under its own name,
with its unit in MoTeC's spelling, except two that i2 keeps elsewhere: ``timestamp`` (wall
clock: the header's date and time plus the sample's time) and the text ``lap_time_str``
(``lap_time_sec`` carries the same value).

A MoTeC log has no timestamps: sample k of a channel is at ``k / rate``. A capture's samples
are not that regular (the game's physics steps set when a sample can be taken), so the
session is put on the grid ``first sample + k / rate`` at the session's rate, each grid point
taking the sample nearest in time: every value written is a value the session holds, whole
numbers and flags stay whole, and no sample is more than half a grid step from its place.
The line crossings of the session's laps (the ``laps`` view, whose kinds follow
:mod:`actelemetry.channels.laps`) become lap beacons at their own times, so i2 splits the log
where the session's laps split, with the same lap times.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from actelemetry.analysis.dataset import Dataset, _quote, open_dataset
from actelemetry.channels.catalogue import BY_NAME
from actelemetry.errors import SessionFileError, UsageError
from actelemetry.formats.log import ForeignLog, LogChannel

#: catalogue units as MoTeC writes them (plain ASCII; i2 shows "C", "G", "m/s/s")
MOTEC_UNITS = {"°C": "C", "m/s²": "m/s/s", "g": "G", "l": "L"}
#: channels that do not go into the log as channels (see the module's text)
NOT_CHANNELS = ("timestamp", "lap_time_str")
#: float64 clocks: stored as int32 with this many decimals (50 us, 59 h of range) rather
#: than float32, which would lose milliseconds after an hour
CLOCK_DECIMALS = 4
CLOCKS = ("session_time", "lap_time_sec")


@dataclass(frozen=True)
class MotecExport:
    """What an export wrote: the files, and enough to print a one-line summary."""

    paths: list[Path]
    channels: int
    samples: int
    rate_hz: int
    laps: int


def motec_unit(unit: str) -> str:
    """A catalogue unit in MoTeC's spelling."""
    return MOTEC_UNITS.get(unit, unit)


def _rate(meta: dict, t: np.ndarray, where: Path) -> int:
    """The session's sample rate as a whole number of Hz (the .ld stores an integer): the
    rate the capture asked for, else the samples' typical spacing."""
    rate = meta.get("rate_hz")
    if not rate:
        steps = np.diff(t[np.isfinite(t)])
        steps = steps[steps > 0]
        rate = 1.0 / float(np.median(steps)) if len(steps) else None
    if not rate or not np.isfinite(rate) or not 1 <= round(rate) <= 65535:
        raise SessionFileError(f"{where}: cannot tell the session's sample rate")
    return int(round(rate))


def grid_index(t: np.ndarray, rate: int) -> np.ndarray:
    """For each point of the grid ``t[0] + k / rate`` (to the last sample), the index of the
    sample nearest in time; ``t`` must be finite and non-decreasing."""
    n = int(np.floor((t[-1] - t[0]) * rate + 1e-9)) + 1
    grid = t[0] + np.arange(n, dtype=np.float64) / rate
    right = np.clip(np.searchsorted(t, grid), 0, len(t) - 1)
    left = np.clip(right - 1, 0, len(t) - 1)
    return np.where(np.abs(t[left] - grid) <= np.abs(t[right] - grid), left, right)


def _start(meta: dict, first_timestamp: float | None) -> dt.datetime | None:
    start = meta.get("start_time", first_timestamp)
    if start is None or not np.isfinite(start):
        return None
    try:
        return dt.datetime.fromtimestamp(float(start))
    except (OverflowError, OSError, ValueError):
        return None


def _floats(values: np.ndarray) -> np.ndarray:
    """A column as float64, NULL (masked) as NaN, booleans as 0/1."""
    arr = np.ma.asarray(values)
    return np.ma.filled(arr.astype(np.float64), np.nan)


def session_log(session: str | Path, columns: Sequence[str] = ()) -> ForeignLog:
    """The session file ``session`` as a ForeignLog at its own rate, with lap marks and
    MoTeC metadata (track -> venue, car -> vehicle, driver, start date and time)."""
    with open_dataset([session]) as ds:
        if len(ds.sources) != 1:
            raise UsageError("export takes one session file")
        src = ds.sources[0]
        present = [c for c in src.columns if c in BY_NAME and c not in NOT_CHANNELS]
        for c in columns:
            if c not in BY_NAME:
                raise UsageError(f"{src.path}: unknown channel {c!r} (see `actelemetry "
                                 "channels`)")
            if c not in present:
                raise UsageError(f"{src.path}: the file has no channel {c!r} that an .ld "
                                 "can hold")
        chosen = list(columns) or present
        extra: list[str] = [c for c in ("session_time", "timestamp") if c in ds.columns]
        names = list(dict.fromkeys(chosen + extra))
        tab = ds.table(f"SELECT {', '.join(_quote(c) for c in names)} FROM telemetry")
        if not len(tab):
            raise SessionFileError(f"{src.path}: the session holds no samples")
        t = _floats(tab.data["session_time"]) if "session_time" in tab.data else \
            np.arange(len(tab), dtype=np.float64) / float(src.meta.get("rate_hz") or 1)
        if not np.isfinite(t).all() or (np.diff(t) < 0).any():
            raise SessionFileError(f"{src.path}: session_time is not a clock that runs "
                                   "forward; the samples cannot be placed in time")
        rate = _rate(src.meta, t, src.path)
        stamp = _floats(tab.data["timestamp"]) if "timestamp" in tab.data else None
        marks = lap_marks(ds, float(t[0]))
        pick = grid_index(t, rate)
        channels = {}
        for name in chosen:
            cat = BY_NAME[name]
            channels[name] = LogChannel(
                name=name, unit=motec_unit(cat.unit), values=_floats(tab.data[name])[pick],
                rate_hz=float(rate), decimals=CLOCK_DECIMALS if name in CLOCKS else None)
        meta = src.meta
    start = _start(meta, float(stamp[0]) if stamp is not None and len(stamp) else None)
    track = str(meta.get("track") or "")
    config = str(meta.get("track_config") or "")
    out_meta = {
        "venue": f"{track} {config}".strip() if config and config != track else track,
        "vehicle": str(meta.get("car") or ""),
        "driver": str(meta.get("driver") or ""),
        "date": start.strftime("%d/%m/%Y") if start else "",
        "time": start.strftime("%H:%M:%S") if start else "",
        "event": str(meta.get("game") or "").upper(),
        "comment": src.path.name,
        "long_comment": f"Exported by actelemetry from {src.path.name}",
    }
    return ForeignLog(source=Path(session), fmt="session", channels=channels,
                      meta={k: v for k, v in out_meta.items() if v}, lap_marks=marks)


def lap_marks(ds: Dataset, t0: float) -> list[float]:
    """The session's line crossings, in seconds from its first sample."""
    ends = {float(r["t_line_end"]) for r in ds.lap_rows() if r.get("t_line_end") is not None}
    return sorted(round(e - t0, 6) for e in ends if np.isfinite(e) and e >= t0)


def export_ld(session: str | Path, out: Path, columns: Sequence[str] = ()) -> MotecExport:
    """``export --format ld``: the session as ``out`` (.ld) and its ``.ldx``."""
    from actelemetry.formats.motec_ld import write_ld

    out = Path(out)
    if out.suffix.lower() != ".ld":
        raise UsageError(f"{out}: a MoTeC log must end in .ld (its .ldx goes beside it)")
    log = session_log(session, columns)
    ld, ldx = write_ld(out, log)
    return _summary([ld, ldx], log)


def export_motec_csv(session: str | Path, out: Path,
                     columns: Sequence[str] = ()) -> MotecExport:
    """``export --format motec-csv``: the session as i2 exports a log to CSV (the same
    channels, grid, units, metadata and beacons as the ``.ld``)."""
    from actelemetry.formats.motec_csv import write_motec_csv

    out = Path(out)
    if out.suffix.lower() != ".csv":
        raise UsageError(f"{out}: a MoTeC CSV export must end in .csv")
    log = session_log(session, columns)
    return _summary([write_motec_csv(out, log)], log)


def _summary(paths: list[Path], log: ForeignLog) -> MotecExport:
    first = next(iter(log.channels.values()), None)
    return MotecExport(paths, len(log.channels), len(first.values) if first else 0,
                       int(first.rate_hz or 0) if first else 0, len(log.lap_marks))
