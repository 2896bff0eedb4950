"""Every numeric channel has a physical range; real sessions stay inside, garbage does not."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from actelemetry.channels.catalogue import CATALOGUE
from actelemetry.channels.plausible import NUMERIC, count_implausible, look_plausible, range_of
from actelemetry.game.layouts import LAYOUTS
from actelemetry.store.session import session_metadata


def test_every_numeric_channel_has_a_range() -> None:
    assert NUMERIC
    for ch in CATALOGUE:
        bounds = range_of(ch.name)
        if ch.dtype in ("bool", "string"):
            continue
        assert bounds is not None, ch.name
        assert bounds[0] < bounds[1], ch.name


def test_a_simulated_session_is_plausible_throughout(sim_session: Path) -> None:
    meta = session_metadata(sim_session)
    assert meta["implausible"] == {}


def test_values_outside_their_range_are_counted() -> None:
    cols = {"rpm": np.array([5000, 2.9e8, 7000]), "gear": np.array([3, 101, -1]),
            "speed_kmh": np.array([np.nan, np.inf, 100.0]), "lap_time_str": np.array(["x"] * 3)}
    assert count_implausible(cols) == {"rpm": 1, "gear": 1, "speed_kmh": 2}


def test_a_zeroed_page_is_plausible_and_random_ones_are_not() -> None:
    rng = np.random.default_rng(0)
    for game in ("ac", "acc"):
        physics = LAYOUTS[(game, "physics")]()
        graphics = LAYOUTS[(game, "graphics")]()
        physics.gear, physics.rpms, physics.gas, physics.speedKmh = 4, 7000, 0.8, 210.0
        graphics.status, graphics.normalizedCarPosition = 2, 0.4
        assert look_plausible(game, bytes(physics), bytes(graphics))
        size_p, size_g = len(bytes(physics)), len(bytes(graphics))
        passed = sum(look_plausible(game, rng.bytes(size_p), bytes(graphics))
                     for _ in range(1000))
        assert passed <= 5  # random bytes almost never look like a car
        passed = sum(look_plausible(game, bytes(physics), rng.bytes(size_g))
                     for _ in range(1000))
        assert passed <= 5
