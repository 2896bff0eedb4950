"""The capture rate a user may ask for, checked in one place with one range.

A rate below :data:`MIN_RATE_HZ` would leave seconds between samples; the physics rate is
the most there is (every step), so it is the top of the range.
"""

from __future__ import annotations

from actelemetry.errors import UsageError
from actelemetry.game.constants import PHYSICS_HZ

MIN_RATE_HZ = 1.0
MAX_RATE_HZ = float(PHYSICS_HZ)
#: help text for any command that takes a capture rate
RATE_HELP = (f"Samples per second, {MIN_RATE_HZ:g} to {MAX_RATE_HZ:g} (the physics rate: "
             "every step)")


def check_rate(rate: float) -> float:
    """``rate`` when it is within the range, else a one-line :class:`UsageError`."""
    if not MIN_RATE_HZ <= rate <= MAX_RATE_HZ:
        raise UsageError(f"--rate must be between {MIN_RATE_HZ:g} and {MAX_RATE_HZ:g} Hz "
                         f"({MAX_RATE_HZ:g}: every physics step), not {rate:g}")
    return rate
