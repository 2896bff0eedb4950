"""One range for the capture rate, checked once, with the help that says it."""

from __future__ import annotations

import pytest

from actelemetry.capture.options import CaptureOptions
from actelemetry.capture.rate import MAX_RATE_HZ, MIN_RATE_HZ, RATE_HELP, check_rate
from actelemetry.errors import UsageError
from actelemetry.game.constants import PHYSICS_HZ


@pytest.mark.parametrize("rate", [MIN_RATE_HZ, 60.0, float(PHYSICS_HZ)])
def test_rates_in_the_range_are_taken(rate: float) -> None:
    assert check_rate(rate) == rate
    assert CaptureOptions(rate=rate).rate == rate


@pytest.mark.parametrize("rate", [0.0, -5.0, 0.5, PHYSICS_HZ + 1.0, 1000.0, float("nan")])
def test_rates_outside_the_range_are_one_line_errors(rate: float) -> None:
    with pytest.raises(UsageError, match=r"--rate must be between 1 and 333 Hz") as err:
        CaptureOptions(rate=rate)
    assert "\n" not in str(err.value)


def test_the_help_says_the_range() -> None:
    assert f"{MIN_RATE_HZ:g} to {MAX_RATE_HZ:g}" in RATE_HELP
    assert MAX_RATE_HZ == PHYSICS_HZ
