"""Sessions shared by the analysis and plot tests, and an independent NumPy reading of them.

Everything here comes from real simulator sessions (``make_sim_session``); ``load_numpy``
reads a file with pyarrow (not DuckDB) so the tests' expected numbers are computed apart
from the code under test.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pyarrow.csv as pacsv
import pytest

from actelemetry.channels.catalogue import SEED_COLUMN_NAMES


@pytest.fixture(scope="session")
def three_laps(make_sim_session: Callable[..., Path]) -> Path:
    """Out lap + three timed laps at Monza (laps 2, 3 and 4), then the cool-down."""
    return make_sim_session(laps=3)


@pytest.fixture(scope="session")
def csv_session(make_sim_session: Callable[..., Path]) -> Path:
    return make_sim_session(laps=2, fmt="csv", seed=3, rate=25)


@pytest.fixture(scope="session")
def jsonl_session(make_sim_session: Callable[..., Path]) -> Path:
    return make_sim_session(laps=1, fmt="jsonl", seed=4, rate=25)


@pytest.fixture(scope="session")
def seed_csv(csv_session: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A foreign CSV: only the seed's 38 columns and no metadata side file."""
    table = pacsv.read_csv(csv_session).select(SEED_COLUMN_NAMES)
    out = tmp_path_factory.mktemp("seed") / "session.csv"
    pacsv.write_csv(table, out)
    return out


@pytest.fixture(scope="session")
def session_folder(three_laps: Path, csv_session: Path,
                   tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("folder")
    for p in (three_laps, csv_session):
        shutil.copy(p, folder / p.name)
        side = p.with_name(p.name + ".meta.json")
        if side.exists():
            shutil.copy(side, folder / side.name)
    return folder
