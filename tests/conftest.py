"""Shared fixtures: real session files made by the simulator through the real capture.

Sessions are made once per test run and per parameter set (the simulator is
deterministic), so many tests can share a few laps without paying for them again: once
for all the run's processes (:func:`build_once`), not once in each.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from actelemetry.app.capture_session import summary_footer
from actelemetry.capture.loop import CaptureOptions, run_capture
from actelemetry.capture.sinks import SessionFileSink
from built_once import build_once


@pytest.fixture(scope="session")
def make_sim_session(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """``make_sim_session(game="ac", laps=2, seed=1, fmt="parquet", raw=False, rate=100,
    track="monza", skill=0.9, car="actelemetry_gt3")``:
    the path of a session file captured from the simulator in fast mode."""

    def make(game: str = "ac", laps: int = 2, seed: int = 1, fmt: str = "parquet",
             raw: bool = False, rate: float = 100.0, track: str = "monza",
             skill: float = 0.9, car: str = "actelemetry_gt3") -> Path:
        key = (game, laps, seed, fmt, raw, rate, track, skill, car)

        def capture(out: Path) -> Path:
            sink = SessionFileSink(out, fmt, raw, footer=summary_footer)  # as a capture does
            opts = CaptureOptions(source="sim", fast=True, game=game, sim_laps=laps, seed=seed,
                                  rate=rate, track=track, skill=skill, car=car)
            run_capture(opts, [sink])
            assert len(sink.paths) == 1, sink.paths
            return sink.paths[0]

        return build_once(tmp_path_factory, f"sim session {key}", capture)

    return make


@pytest.fixture(scope="session")
def sim_session(make_sim_session: Callable[..., Path]) -> Path:
    """An AC session of two timed laps (plus the out lap) at Monza, Parquet, 100 Hz."""
    return make_sim_session()


@pytest.fixture(autouse=True, scope="session")
def _import_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Files imported on the fly (actelemetry.imports) go to a temporary cache, never the
    user's ~/.cache, in every test."""
    os.environ["ACTELEMETRY_CACHE_DIR"] = str(tmp_path_factory.mktemp("import_cache"))
