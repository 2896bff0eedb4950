"""The end-of-session summary the seed printed, plus laps and capture quality."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq

from actelemetry.store.session import session_metadata

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
    max_long_g: float
    max_lat_g: float
    laps: int
    best_lap_ms: int | None
    quality: dict[str, Any]

    def lines(self) -> list[str]:
        best = fmt_lap(self.best_lap_ms) if self.best_lap_ms else "-"
        q = self.quality
        return [
            f"Session:          {self.path}",
            f"Top Speed:        {self.top_speed_kmh:.1f} km/h  "
            f"({self.top_speed_kmh / 1.609344:.1f} mph)",
            f"Average Speed:    {self.avg_speed_kmh:.1f} km/h",
            f"Distance:         {self.distance_km:.2f} km",
            f"Max Throttle:     {self.max_gas * 100:.1f}%",
            f"Max Brake:        {self.max_brake * 100:.1f}%",
            f"Max Accel:        {self.max_long_g:.2f} G long, {self.max_lat_g:.2f} G lat",
            f"Laps completed:   {self.laps}",
            f"Best valid lap:   {best}",
            f"Capture quality:  {q.get('achieved_rate_hz', 0):.1f} Hz achieved of "
            f"{q.get('target_rate_hz')} Hz, {q.get('packets_skipped', 0)} physics steps "
            f"not sampled, "
            f"{q.get('duplicates_refused', 0)} duplicates refused",
        ]


def fmt_lap(ms: int | float) -> str:
    """Lap time in the game's m:ss.mmm form."""
    ms = int(round(ms))
    return f"{ms // 60000}:{ms % 60000 // 1000:02d}.{ms % 1000:03d}"


def summarize_session(path: Path) -> SessionSummary:
    """The seed's summary computed over a session file's columns."""
    cols = pq.read_table(path, columns=_COLUMNS).to_pydict() if path.suffix == ".parquet" \
        else _read_other(path)
    c = {k: np.asarray(v) for k, v in cols.items()}
    speed = c["speed_kmh"].astype(float)
    laps = c["completed_laps"]
    # a completed lap's time is the game's iLastTime right after the counter moves
    best = None
    moved = np.flatnonzero(np.diff(laps) > 0) + 1
    for i in moved:
        whole = not c["out_lap"][i - 1] and not c["partial_lap"][i - 1]
        if c["lap_valid"][i - 1] and whole:
            t = int(c["game_last_lap_ms"][i])
            best = t if best is None else min(best, t)
    dist = c["distance_m"].astype(float)
    return SessionSummary(
        path=path,
        top_speed_kmh=float(speed.max(initial=0)),
        avg_speed_kmh=float(speed.mean()) if len(speed) else 0.0,
        distance_km=float((dist.max(initial=0) - dist.min(initial=0)) / 1000.0),
        max_gas=float(c["gas"].max(initial=0)),
        max_brake=float(c["brake"].max(initial=0)),
        max_long_g=float(np.abs(c["accel_longitudinal"]).max(initial=0)),
        max_lat_g=float(np.abs(c["accel_lateral"]).max(initial=0)),
        laps=int(laps.max(initial=0) - laps.min(initial=0)) if len(laps) else 0,
        best_lap_ms=best,
        quality=session_metadata(path).get("quality", {}),
    )


def _read_other(path: Path) -> dict[str, Any]:
    """CSV / JSONL session columns through DuckDB (only the columns the summary needs)."""
    import duckdb

    reader = "read_csv_auto" if path.suffix == ".csv" else "read_json_auto"
    query = f"SELECT {', '.join(_COLUMNS)} FROM {reader}(?)"  # column names are ours
    return duckdb.connect().execute(query, [str(path)]).fetchnumpy()
