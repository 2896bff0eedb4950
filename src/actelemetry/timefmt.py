"""Lap times as people read them, one way everywhere: ``m:ss.mmm`` (``1:48.836``).

The games' own text fields use ``m:ss:mmm``; that is kept where the pages are written
(the simulator), and never shown to a person.
"""

from __future__ import annotations

import math

#: what a missing time shows
NO_TIME = "–"
#: the games' "no time yet" (INT_MAX)
_GAME_NO_TIME = 2147483647


def lap_time_ms(ms: float | None) -> str:
    """``m:ss.mmm`` for milliseconds; :data:`NO_TIME` for none, zero or the games' INT_MAX."""
    if ms is None or not math.isfinite(ms) or ms <= 0 or ms >= _GAME_NO_TIME:
        return NO_TIME
    ms = int(round(ms))
    return f"{ms // 60000}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


def lap_time_s(seconds: float | None) -> str:
    """``m:ss.mmm`` for seconds."""
    if seconds is None or not math.isfinite(seconds):
        return NO_TIME
    return lap_time_ms(seconds * 1000.0)
