"""The capture command as a library call: files written, what to report, one --laps."""

from __future__ import annotations

import threading
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from actelemetry.app.capture_session import record
from actelemetry.capture.options import CaptureOptions, one_laps


def test_a_simulated_session_is_recorded_and_reported(tmp_path: Path) -> None:
    lines: list[str] = []
    opts = CaptureOptions(source="sim", fast=True, sim_laps=1, seed=4, duration=5.0)
    done = record(opts, tmp_path / "logs", view=lines.append)
    assert done.error is None and not done.nothing_recorded and done.recovered == []
    (path,) = done.paths
    assert path.parent == tmp_path / "logs" and path.suffix == ".parquet"
    assert pq.read_metadata(path).num_rows == done.result.stats.samples > 0
    assert lines and lines[0].startswith("Recording AC")  # the live view spoke


def test_a_capture_stopped_before_the_game_went_live_recorded_nothing(tmp_path: Path,
                                                                      ) -> None:
    stop = threading.Event()
    stop.set()  # SIGTERM before the first session
    done = record(CaptureOptions(source="sim", fast=True, sim_laps=1), tmp_path, stop=stop)
    assert done.error is None and done.paths == [] and done.nothing_recorded
    assert done.result is not None and done.result.stats.ended == "stopped"


@pytest.mark.parametrize(("laps", "old", "want"), [
    (None, None, (None, 3)),  # the driver drives the default; the capture runs to its end
    (2, None, (2, 2)),  # one --laps: recorded and driven alike
    (None, 5, (5, 5)),  # the old spelling means the same
    (2, 5, (2, 2)),  # --laps wins
])
def test_one_laps(laps: int | None, old: int | None, want: tuple[int | None, int]) -> None:
    assert one_laps(laps, old, default=3) == want
