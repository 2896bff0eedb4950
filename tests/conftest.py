"""Shared fixtures: real session files made by the simulator through the real capture.

Sessions are made once per test run and per parameter set (the simulator is
deterministic), so many tests can share a few laps without paying for them again: once
for all the run's processes (:func:`build_once`), not once in each.
"""

from __future__ import annotations

import os

# The suite runs four test processes on two cores (the Makefile's -n 4). Native thread
# pools sized to the machine (OpenMP in scikit-learn's gradient boosting, BLAS, PyTorch)
# then oversubscribe the cores, and OpenMP's waiting threads spin: on a busy 2-core machine
# the ML tests took 136 s instead of 86 s. One thread each, before anything loads them;
# child processes inherit it. (Set to something else to override.)
for _pool in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_pool, "1")
# the imports come after: NumPy sizes its BLAS pool when it loads
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

from actelemetry.app.capture_session import summary_footer  # noqa: E402
from actelemetry.capture.loop import CaptureOptions, run_capture  # noqa: E402
from actelemetry.capture.sinks import SessionFileSink  # noqa: E402
from built_once import build_once  # noqa: E402


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


#: the suite's longest files (seconds of wall time, `-n 2` at load 3-4), first in the run:
#: xdist hands out files in collection order (the test command turns off its reordering
#: by number of tests, which put these one-test files last), so none of them starts near
#: the end while the other processes stand idle. Files not named keep their order after.
LONGEST_FIRST = (
    "tests/archive/test_engines.py",  # 53
    "tests/udp/test_udp_capture.py",  # 46
    "tests/hostile/test_bad_files.py",  # 16-46
    "tests/bridge/test_mqtt.py",  # 28
    "tests/ml/test_seed_workflow.py",  # 28
    "tests/gym/test_rllib.py",  # 27
    "tests/hostile/test_sigterm.py",  # 26
    "tests/bridge/test_hostile_clients.py",  # 25
    "tests/ml/test_models.py",  # 13-27
    "tests/sources/test_hostile_recordings.py",  # 14-30
    "tests/hostile/test_bad_outputs.py",  # 8-24
    "tests/ml/test_cli.py",  # 23
    "tests/cli/test_lazy_imports.py",  # 6-23
    "tests/ml/test_groups.py",  # 19
    "tests/udp/test_udp_matches_shm.py",  # 19
    "tests/store/test_metadata.py",  # 6-19
    "tests/analysis/test_terminal_width.py",  # 7-17
    "tests/imports/test_compare_imported.py",  # 16
    "tests/capture/test_cli_bad_input.py",  # 15
    "tests/capture/test_end_to_end_sim.py",  # 13
    "tests/capture/test_hostile_pages.py",  # 13
    "tests/capture/test_torn_reads.py",  # 12
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest files first (:data:`LONGEST_FIRST`); the sort is stable, so the rest
    and the tests inside each file keep their order."""
    rank = {path: i for i, path in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))
