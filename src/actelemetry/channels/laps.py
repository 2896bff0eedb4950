"""What a lap is, once for files, SQL and live events.

A lap runs from one crossing of the line to the next (``completed_laps`` going up). Its
kind is the first of these that holds:

- ``out``: it left the pits (in the pit lane at its first sample), or the recording's first
  lap began at a standstill (a car on the grid or in its garage);
- ``in``: it ended in the pit lane;
- ``partial``: the recording saw only part of it (it began after the line, or had not
  reached the line when the recording ended);
- ``timed``: a whole lap from line to line, the only kind that is valid or invalid.

Validity, one rule for AC and ACC (:func:`lap_valid`): an out lap never is; a lap is
invalid once any of its samples has more than :data:`MAX_TYRES_OUT` tyres off the track,
or where the game keeps its own flag (ACC ``isValidLap``, which also knows cuts and
penalties) once that flag drops. Files, live samples and imports all use it.
"""

from __future__ import annotations

from typing import Any

from actelemetry.game.validity import MAX_TYRES_OUT, lap_valid

__all__ = ["KINDS", "MAX_TYRES_OUT", "lap_event", "lap_kind", "lap_valid", "sample_valid",
           "starts_out"]

#: a lap seen from below this lap fraction was seen from its start
START_EDGE = 0.02
#: the recording's first lap beginning slower than this (m/s) began at a standstill
STANDSTILL_MS = 5.0
KINDS = ("out", "in", "partial", "timed")


def lap_kind(out: bool, ends_in_pit_lane: bool, partial: bool) -> str:
    """The kind of a lap from its three facts (see the module's text)."""
    if out:
        return "out"
    if ends_in_pit_lane:
        return "in"
    if partial:
        return "partial"
    return "timed"


def starts_out(first: dict[str, Any], first_of_recording: bool) -> bool:
    """Whether a lap is an out lap, from its first sample's channels."""
    return bool(first["in_pit_lane"]) or (first_of_recording
                                          and float(first["speed_ms"]) < STANDSTILL_MS)


def sample_valid(game: str, c: dict[str, Any]) -> bool:
    """Whether this sample leaves its lap valid (out or not aside): :func:`lap_valid` for
    one sample; the game's flag counts where the game keeps one (ACC)."""
    flag = bool(c["game_lap_valid"]) if game == "acc" and "game_lap_valid" in c else None
    tyres = c.get("tyres_out")
    return lap_valid(False, None if tyres is None else int(tyres), flag)


def lap_event(lap: int, time_ms: int, last: dict[str, Any],
              best_ms: int | None) -> dict[str, Any]:
    """The ``lap_completed`` event of a lap whose last sample's channels are ``last`` (its
    flags "so far" then hold for the whole lap); ``best_ms`` the best before it."""
    kind = lap_kind(bool(last.get("out_lap")), bool(last.get("in_pit_lane")),
                    bool(last.get("partial_lap")))
    valid = bool(last.get("lap_valid", True)) if kind == "timed" else None
    best = bool(valid) and time_ms > 0 and (best_ms is None or time_ms < best_ms)
    return {"event": "lap_completed", "lap": lap, "kind": kind, "time_ms": time_ms,
            "valid": valid, "best": best, "best_ms": time_ms if best else best_ms}


class LapFlags:
    """A lap's flags "so far", one sample at a time (sans-I/O): what is knowable live. At a
    lap's last sample they equal :func:`actelemetry.channels.derive.lap_flags` for that lap
    (bar ``partial`` of the recording's last lap, which only its end can tell)."""

    def __init__(self, game: str) -> None:
        self.game = game
        self._lap: int | None = None
        self.valid, self.out, self.partial = True, False, False

    def feed(self, c: dict[str, Any]) -> tuple[bool, bool, bool]:
        """``lap_valid``, ``out_lap``, ``partial_lap`` after the sample with channels ``c``."""
        if c["completed_laps"] != self._lap:
            first = self._lap is None
            self._lap = c["completed_laps"]
            self.out = starts_out(c, first)
            self.valid = lap_valid(self.out)
            self.partial = first and float(c["lap_fraction"]) > START_EDGE
        self.valid &= sample_valid(self.game, c)
        return self.valid, self.out, self.partial


class LapCounter:
    """Counts completed laps by kind from a few raw values per sample (sans-I/O: the
    capture feeds it what it read; no clock, no pages). Validity is not needed to count."""

    def __init__(self) -> None:
        self.timed = 0
        self.other = 0
        self._lap: int | None = None
        self._out = self._partial = False
        self._in_pit = False

    def feed(self, completed_laps: int, fraction: float, in_pit_lane: bool,
             speed_ms: float) -> str | None:
        """The kind of the lap this sample completed, or None."""
        done = None
        if self._lap is not None and completed_laps > self._lap:
            done = lap_kind(self._out, self._in_pit, self._partial)
            if done == "timed":
                self.timed += 1
            else:
                self.other += 1
        if completed_laps != self._lap:
            first = self._lap is None
            self._out = starts_out({"in_pit_lane": in_pit_lane, "speed_ms": speed_ms}, first)
            self._partial = first and fraction > START_EDGE
            self._lap = completed_laps
        self._in_pit = in_pit_lane
        return done
