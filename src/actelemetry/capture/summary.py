"""The end-of-session summary: distance, speeds, g, laps, the best lap and capture quality."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq

from actelemetry.game.constants import PHYSICS_HZ
from actelemetry.store.session import session_metadata
from actelemetry.timefmt import lap_time_ms

_COLUMNS = ["speed_kmh", "distance_m", "gas", "brake", "accel_longitudinal", "accel_lateral",
            "completed_laps", "game_last_lap_ms", "lap_valid", "out_lap", "partial_lap",
            "session_time"]


@dataclass
class SessionSummary:
    """Figures of one session file."""

    path: Path
    top_speed_kmh: float
    avg_speed_kmh: float
    distance_km: float
    max_gas: float
    max_brake: float
    max_accel_g: float  # speeding up
    max_braking_g: float  # slowing down
    max_lat_g: float
    timed_laps: int  # whole laps line to line, neither out lap nor partial
    other_laps: int  # out laps and partial laps completed
    best_lap_ms: int | None
    quality: dict[str, Any]
    validity_known: bool = True  # False: the source carries no lap validity (UDP)

    def lines(self) -> list[str]:
        others = f" (+{self.other_laps} out or partial)" if self.other_laps else ""
        return [
            f"Session:          {self.path}",
            f"Top speed:        {self.top_speed_kmh:.1f} km/h  "
            f"({self.top_speed_kmh / 1.609344:.1f} mph)",
            f"Average speed:    {self.avg_speed_kmh:.1f} km/h",
            f"Distance:         {self.distance_km:.2f} km",
            f"Max throttle:     {self.max_gas * 100:.1f} %",
            f"Max brake:        {self.max_brake * 100:.1f} %",
            f"Max acceleration: {self.max_accel_g:.2f} g",
            f"Max braking:      {self.max_braking_g:.2f} g",
            f"Max lateral:      {self.max_lat_g:.2f} g",
            f"Timed laps:       {self.timed_laps}{others}",
            f"Best valid lap:   {lap_time_ms(self.best_lap_ms)}" if self.validity_known
            else f"Best lap:         {lap_time_ms(self.best_lap_ms)} (validity not recorded)",
            f"Capture:          {quality_line(self.quality)}",
        ]


def quality_line(q: dict[str, Any]) -> str:
    """The capture quality in words that say what is normal."""
    target = float(q.get("target_rate_hz") or 0)
    achieved = float(q.get("achieved_rate_hz") or 0)
    skipped = int(q.get("packets_skipped") or 0)
    if "datagrams_lost" in q:
        return _udp_quality_line(q, target, achieved)
    text = f"{achieved:.1f} samples/s (asked {target:g}), each a distinct physics step"
    if target and target < PHYSICS_HZ * 0.99:
        text += f"; the game steps {PHYSICS_HZ:g} times a second, so the steps between " \
                "samples are left out, as asked"
    elif skipped:
        text += f"; {skipped} physics steps were missed (the machine held the capture back)"
    else:
        text += "; no physics step missed"
    gaps = int(q.get("gaps") or 0)
    if gaps:
        text += f"; {gaps} pauses"
    return text


def _udp_quality_line(q: dict[str, Any], target: float, achieved: float) -> str:
    """A UDP capture's quality: samples on the game's clock, and the datagrams lost, late,
    repeated or from other senders."""
    text = f"{achieved:.1f} samples/s of game time (asked {target:g}), one per datagram"
    counts = [(int(q.get("datagrams_lost") or 0), "datagrams lost on the way"),
              (int(q.get("duplicates_refused") or 0), "duplicates refused"),
              (int(q.get("datagrams_reordered") or 0), "out of order (refused)"),
              (int(q.get("datagrams_foreign") or 0), "from other senders (ignored)"),
              (int(q.get("datagrams_malformed") or 0), "malformed (ignored)")]
    said = [f"{n} {what}" for n, what in counts if n]
    return text + ("; " + ", ".join(said) if said else "; no datagram lost")


def summarize_session(path: Path) -> SessionSummary:
    """The summary of one session file, computed over its columns."""
    present = set(session_metadata(path).get("channels") or _COLUMNS)
    columns = [n for n in _COLUMNS if n in present]  # a UDP session lacks a few
    cols = pq.read_table(path, columns=columns).to_pydict() if path.suffix == ".parquet" \
        else _read_other(path, columns)
    c = {k: np.asarray(v) for k, v in cols.items()}
    speed = c["speed_kmh"].astype(float)
    validity_known = "lap_valid" in c
    if not validity_known:  # every whole lap counts
        c["lap_valid"] = np.ones(len(speed), dtype=bool)
    if "distance_m" not in c:  # the game's figure is missing: the speed integrated
        dt = np.diff(c["session_time"].astype(float), prepend=0.0) if len(speed) else speed
        c["distance_m"] = np.cumsum(speed / 3.6 * dt)
    laps = c["completed_laps"]
    # a completed lap's time is the game's iLastTime right after the counter moves
    best = None
    timed = others = 0
    moved = np.flatnonzero(np.diff(laps) > 0) + 1
    for i in moved:
        whole = not c["out_lap"][i - 1] and not c["partial_lap"][i - 1]
        timed += whole
        others += not whole
        if c["lap_valid"][i - 1] and whole:
            t = int(c["game_last_lap_ms"][i])
            best = t if best is None else min(best, t)
    long_g = c["accel_longitudinal"].astype(float)
    dist = c["distance_m"].astype(float)
    return SessionSummary(
        path=path,
        top_speed_kmh=float(speed.max(initial=0)),
        avg_speed_kmh=float(speed.mean()) if len(speed) else 0.0,
        distance_km=float((dist.max(initial=0) - dist.min(initial=0)) / 1000.0),
        max_gas=float(c["gas"].max(initial=0)),
        max_brake=float(c["brake"].max(initial=0)),
        max_accel_g=float(long_g.max(initial=0)),
        max_braking_g=float(-long_g.min(initial=0)),
        max_lat_g=float(np.abs(c["accel_lateral"]).max(initial=0)),
        timed_laps=timed,
        other_laps=others,
        best_lap_ms=best,
        quality=session_metadata(path).get("quality", {}),
        validity_known=validity_known,
    )


def _read_other(path: Path, columns: list[str]) -> dict[str, Any]:
    """CSV / JSONL session columns through DuckDB (only the columns the summary needs)."""
    import duckdb

    reader = "read_csv_auto" if path.suffix == ".csv" else "read_json_auto"
    query = f"SELECT {', '.join(columns)} FROM {reader}(?)"  # column names are ours
    return duckdb.connect().execute(query, [str(path)]).fetchnumpy()
