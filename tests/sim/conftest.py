"""Simulator sessions shared by the sim tests (the simulator is deterministic, so one
recording serves many checks)."""

from __future__ import annotations

import pytest
from sim_recording import Recording, record


@pytest.fixture(scope="session")
def ac_run(tmp_path_factory: pytest.TempPathFactory) -> Recording:
    """Two timed AC laps of Monza (plus the out lap), seed 0."""
    return record(tmp_path_factory.mktemp("sim_ac"), "ac", laps=2, seed=0)


@pytest.fixture(scope="session")
def acc_run(tmp_path_factory: pytest.TempPathFactory) -> Recording:
    """One timed ACC lap of Monza, seed 3."""
    return record(tmp_path_factory.mktemp("sim_acc"), "acc", laps=1, seed=3)
