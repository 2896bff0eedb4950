"""Lap events, the live delta to the best lap, and the track outline, from live samples.

A lap is completed when ``completed_laps`` goes up: its time is ``game_last_lap_ms`` of
the first sample after the increment (the game publishes it then); its kind and validity
are those of :mod:`actelemetry.channels.laps`, from the flags of the last sample before
(live flags are "so far", so the last sample of a lap knows the whole lap), exactly as the
session file's laps table has them. The delta compares the current lap's timer with the
best valid timed lap's at the same position along the lap.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from actelemetry.channels.laps import START_EDGE, lap_event

OUTLINE_POINTS = 600


class LapTracker:
    """Feed it every sample's channels; it returns the events the sample caused."""

    def __init__(self) -> None:
        self.prev: dict[str, Any] | None = None
        self.best_ms: int | None = None
        self._ref: tuple[np.ndarray, np.ndarray] | None = None
        self._frac: list[float] = []
        self._ms: list[float] = []
        self._xz: list[tuple[float, float]] = []
        self.outline: list[list[float]] | None = None

    def update(self, c: dict[str, Any]) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        prev = self.prev
        if prev is not None and c["completed_laps"] > prev["completed_laps"]:
            events += self._lap_done(c, prev)
        self._trace(c)
        self.prev = c
        return events

    def delta_best_s(self, c: dict[str, Any]) -> float | None:
        """Seconds behind (+) or ahead (-) of the best lap at this point of the lap."""
        if self._ref is None or not self._frac:
            return None
        frac, ms = self._ref
        return (c["game_lap_ms"] - float(np.interp(c["lap_fraction"], frac, ms))) / 1000.0

    def _trace(self, c: dict[str, Any]) -> None:
        f = float(c["lap_fraction"])
        if (not self._frac and f < 0.5) or (self._frac and f >= self._frac[-1]):
            self._frac.append(f)
            self._ms.append(float(c["game_lap_ms"]))
            self._xz.append((float(c["pos_x"]), float(c["pos_z"])))

    def _lap_done(self, c: dict[str, Any], prev: dict[str, Any]) -> list[dict[str, Any]]:
        time_ms = int(c["game_last_lap_ms"])
        # a full lap (usable as the delta's reference) was seen from edge to edge
        full = bool(self._frac) and self._frac[0] < START_EDGE \
            and self._frac[-1] > 1 - START_EDGE
        done = lap_event(int(c["completed_laps"]), time_ms, prev, self.best_ms)
        done["full"] = full
        events: list[dict[str, Any]] = [done]
        if full and self.outline is None:
            step = max(1, len(self._xz) // OUTLINE_POINTS)
            self.outline = [[round(x, 1), round(z, 1)] for x, z in self._xz[::step]]
            events.append({"event": "track_outline", "points": self.outline})
        if done["best"]:
            self.best_ms = time_ms
            if full:  # the delta's reference needs the whole lap's trace
                frac = np.array([*self._frac, 1.0])
                self._ref = (frac, np.array([*self._ms, float(time_ms)]))
        self._frac, self._ms, self._xz = [], [], []
        return events
