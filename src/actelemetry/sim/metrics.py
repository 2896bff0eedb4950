"""Figures that tell a driver's hands and feet, and a car's pace, from a trace: pedal
reversals, braking zones with hysteresis, full-throttle share. Pure functions on arrays,
used by the simulator's tests and by ``benchmarks/sim.py`` and ``benchmarks/realism.py``
(which apply them to simulated and real laps alike).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: a pedal change smaller than this is not a reversal (the issue's threshold)
REVERSAL_STEP = 0.05
#: a braking zone starts when the brake pedal rises above ON and ends below OFF
BRAKE_ON = 0.2
BRAKE_OFF = 0.05
#: pedal share counted as "braking" time and as full throttle
BRAKING_PEDAL = 0.02
FULL_THROTTLE = 0.98


def reversals(x: np.ndarray | list[float], step: float = REVERSAL_STEP) -> int:
    """Direction changes of a pedal trace, each at least ``step`` from the last extreme
    (hysteresis, so noise below ``step`` never counts)."""
    a = np.asarray(x, dtype=float)
    if a.size < 2:
        return 0
    count = 0
    direction = 0  # +1 rising, -1 falling, 0 not yet known
    hi = lo = float(a[0])
    for v in a[1:].tolist():
        if direction >= 0 and v > hi:
            hi = v
        if direction <= 0 and v < lo:
            lo = v
        if direction >= 0 and hi - v >= step:
            if direction == 1:
                count += 1
            direction = -1
            lo = v
        elif direction <= 0 and v - lo >= step:
            if direction == -1:
                count += 1
            direction = 1
            hi = v
    return count


def reversal_rate(brake: np.ndarray | list[float], dt: float,
                  step: float = REVERSAL_STEP) -> float:
    """Brake-pedal reversals per second of braking (pedal above :data:`BRAKING_PEDAL`)."""
    b = np.asarray(brake, dtype=float)
    seconds = float((b > BRAKING_PEDAL).sum()) * dt
    return reversals(b, step) / seconds if seconds > 0 else 0.0


@dataclass(frozen=True)
class BrakingZone:
    start: int  # sample index where the pedal rose above BRAKE_ON
    end: int  # first sample below BRAKE_OFF
    peak: float  # highest pedal in the zone


def braking_zones(brake: np.ndarray | list[float], on: float = BRAKE_ON,
                  off: float = BRAKE_OFF) -> list[BrakingZone]:
    """Braking zones with hysteresis: from the pedal above ``on`` until it is below
    ``off``; a zone still open at the end closes there."""
    b = np.asarray(brake, dtype=float)
    zones: list[BrakingZone] = []
    start = -1
    for k, v in enumerate(b.tolist()):
        if start < 0 and v > on:
            start = k
        elif start >= 0 and v < off:
            zones.append(BrakingZone(start, k, float(b[start:k].max())))
            start = -1
    if start >= 0:
        zones.append(BrakingZone(start, len(b), float(b[start:].max())))
    return zones


def full_throttle_share(gas: np.ndarray | list[float]) -> float:
    """Share of samples at full throttle."""
    g = np.asarray(gas, dtype=float)
    return float((g >= FULL_THROTTLE).mean()) if g.size else 0.0
