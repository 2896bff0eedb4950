"""The built-in simulator: a GT3-like car, a driver and a real circuit publishing the
same shared-memory pages as Assetto Corsa / ACC, byte for byte.

    from actelemetry.game.writer import PageWriter
    from actelemetry.sim import Simulator, run_realtime
"""

from __future__ import annotations

from actelemetry.sim.realtime import RealtimeStats, run_realtime
from actelemetry.sim.simulator import Simulator
from actelemetry.sim.track import BUILTIN_TRACKS, Track, load_track
from actelemetry.sim.vehicle import CarParams

__all__ = [
    "BUILTIN_TRACKS", "CarParams", "RealtimeStats", "Simulator", "Track",
    "load_track", "run_realtime",
]
