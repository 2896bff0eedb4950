"""`actelemetry demo --quick`: the whole pipeline on the simulator, as the README's first
command runs it."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from actelemetry.cli import main

pytestmark = pytest.mark.slow


def test_demo_quick_runs_every_stage_and_says_where_outputs_are(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["demo", "--quick", "--out", str(tmp_path)])
    printed = capsys.readouterr().out
    sessions = list((tmp_path / "telemetry_logs").glob("ac_session_*.parquet"))
    assert len(sessions) == 1
    laps = pq.read_table(sessions[0], columns=["completed_laps"]).column(0).to_numpy()
    assert laps.max() >= 3  # out lap + the quick demo's timed laps
    for produced in ("reports/report.html",
                     "ml_data/X_states.npy", "ml_data/y_actions.npy",
                     "ml_results/training_report.md"):
        assert (tmp_path / produced).is_file(), produced
    for stage in ("simulate + capture", "analysis report + plots", "ML dataset", "ML models"):
        assert stage in printed
    assert "report.html" in printed
