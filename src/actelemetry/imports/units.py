"""Unit conversion for imports: a foreign unit to the catalogue's unit of a channel.

Every unit is a (quantity, factor, offset) so that ``SI = value * factor + offset``; two
units of one quantity convert through SI. Names are matched case-insensitively after
dropping spaces, so ``km/h``, ``KPH`` and ``kmh`` are one unit. ``%`` and the catalogue's
dimensionless ``""`` are one quantity (0..100 against 0..1).
"""

from __future__ import annotations

import math

import numpy as np

from actelemetry.channels.catalogue import G

_PSI = 6894.757293168

#: name -> (quantity, factor to SI, offset to SI)
UNITS: dict[str, tuple[str, float, float]] = {
    # speed
    "m/s": ("speed", 1.0, 0.0), "mps": ("speed", 1.0, 0.0),
    "km/h": ("speed", 1 / 3.6, 0.0), "kph": ("speed", 1 / 3.6, 0.0),
    "kmh": ("speed", 1 / 3.6, 0.0), "mph": ("speed", 0.44704, 0.0),
    # fraction
    "": ("fraction", 1.0, 0.0), "ratio": ("fraction", 1.0, 0.0),
    "%": ("fraction", 0.01, 0.0), "pct": ("fraction", 0.01, 0.0),
    "percent": ("fraction", 0.01, 0.0), "angle%": ("fraction", 0.01, 0.0),
    # angle
    "rad": ("angle", 1.0, 0.0), "deg": ("angle", math.pi / 180, 0.0),
    "°": ("angle", math.pi / 180, 0.0), "degrees": ("angle", math.pi / 180, 0.0),
    # angular rate
    "rad/s": ("rate", 1.0, 0.0), "rps": ("rate", 1.0, 0.0),
    "deg/s": ("rate", math.pi / 180, 0.0), "°/s": ("rate", math.pi / 180, 0.0),
    # acceleration
    "m/s²": ("accel", 1.0, 0.0), "m/s2": ("accel", 1.0, 0.0), "m/s^2": ("accel", 1.0, 0.0),
    "m/s/s": ("accel", 1.0, 0.0),
    "mps2": ("accel", 1.0, 0.0), "g": ("accel", G, 0.0),
    # time
    "s": ("time", 1.0, 0.0), "sec": ("time", 1.0, 0.0), "ms": ("time", 1e-3, 0.0),
    "min": ("time", 60.0, 0.0), "h": ("time", 3600.0, 0.0),
    # length
    "m": ("length", 1.0, 0.0), "mm": ("length", 1e-3, 0.0), "cm": ("length", 1e-2, 0.0),
    "km": ("length", 1e3, 0.0), "mi": ("length", 1609.344, 0.0),
    # temperature
    "°c": ("temperature", 1.0, 0.0), "c": ("temperature", 1.0, 0.0),
    "degc": ("temperature", 1.0, 0.0), "k": ("temperature", 1.0, -273.15),
    "°f": ("temperature", 5 / 9, -32 * 5 / 9), "f": ("temperature", 5 / 9, -32 * 5 / 9),
    # pressure
    "psi": ("pressure", _PSI, 0.0), "bar": ("pressure", 1e5, 0.0),
    "kpa": ("pressure", 1e3, 0.0), "pa": ("pressure", 1.0, 0.0),
    # engine speed, force, volume
    "rpm": ("rpm", 1.0, 0.0), "n": ("force", 1.0, 0.0), "kn": ("force", 1e3, 0.0),
    "l": ("volume", 1.0, 0.0), "kg": ("mass", 1.0, 0.0),
}


def normal(unit: str) -> str:
    """The lookup form of a unit name."""
    return "".join(unit.split()).lower()


def known(unit: str) -> bool:
    return normal(unit) in UNITS


def factor_offset(source: str, target: str) -> tuple[float, float] | None:
    """``target = source * a + b`` as (a, b); None when the units are of different
    quantities or either is unknown."""
    a, b = UNITS.get(normal(source)), UNITS.get(normal(target))
    if a is None or b is None or a[0] != b[0]:
        return None
    # SI = v * fa + oa ; target = (SI - ob) / fb
    return a[1] / b[1], (a[2] - b[2]) / b[1]


def convert(values: np.ndarray, source: str, target: str) -> np.ndarray:
    """``values`` in ``source`` expressed in ``target`` (ValueError when impossible)."""
    fo = factor_offset(source, target)
    if fo is None:
        raise ValueError(f"cannot convert {source!r} to {target!r}")
    a, b = fo
    if a == 1.0 and b == 0.0:
        return values
    return values * a + b
