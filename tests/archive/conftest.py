"""Simulator sessions of two tracks and two cars (and one ACC session: another game, other
channels), and an archive of them, shared by the archive tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from built_once import build_once

#: (game, track, car, timed laps): 2 tracks x 2 cars of AC, and ACC's layout once
SESSIONS = (("ac", "monza", "actelemetry_gt3", 2), ("ac", "monza", "actelemetry_gt4", 2),
            ("ac", "silverstone", "actelemetry_gt3", 2),
            ("ac", "silverstone", "actelemetry_gt4", 2), ("acc", "monza", "actelemetry_gt3", 1))


@pytest.fixture(scope="session")
def archive_specs() -> tuple[tuple[str, str, str, int], ...]:
    return SESSIONS


@pytest.fixture(scope="session")
def archive_sessions(make_sim_session: Callable[..., Path]) -> list[Path]:
    return [make_sim_session(game=game, laps=laps, seed=5, rate=50, track=track, car=car)
            for game, track, car, laps in SESSIONS]


@pytest.fixture(scope="session")
def built_archive(archive_sessions: list[Path], tmp_path_factory: pytest.TempPathFactory
                  ) -> Path:
    """An archive of every session of :data:`SESSIONS` (do not write to it)."""
    from actelemetry.archive.store import archive_add

    def build(out: Path) -> Path:
        archive_add(archive_sessions, out / "team")
        return out / "team"

    return build_once(tmp_path_factory, f"archive of {archive_sessions}", build)
