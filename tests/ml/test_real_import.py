"""`ml prepare` over the real ACC recording (tests/data/real, Apache-2.0), imported with the
project's own importer: a state-only dataset from the channels it has, or one line naming
what it lacks; its irregular 10 Hz samples put on a stated grid."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from actelemetry.imports.files import import_file
from actelemetry.ml.dataset import load_dataset, prepare_dataset
from actelemetry.ml.features import FEATURE_SETS
from actelemetry.ml.train import train_models
from ml.helpers import one_line_error, run_cli

REAL = Path(__file__).parents[1] / "data" / "real" / "acc_spa_aston.jsonl"


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path, _, _ = import_file(REAL, tmp_path_factory.mktemp("imported"))
    return path


def test_a_state_only_dataset_from_what_the_recording_carries(imported: Path,
                                                             tmp_path: Path) -> None:
    data = prepare_dataset([imported], tmp_path / "d", features="state", keep_partial=True,
                           rate_hz=20.0, seq_len=10, seq_stride=5)
    ds = load_dataset(data)
    card = ds.card
    # the log has speed, gear and lap position, no accelerations, velocities or positions
    assert card["features"] == ["speed_ms", "gear", "lap_fraction"]
    assert set(card["features"]) < set(FEATURE_SETS["state"])
    assert {"yaw_rate", "accel_lateral", "curvature_0m"} <= set(card["left_out"])
    assert card["left_out"]["body_slip"] == ["local_vx", "local_vz"]
    # no past action among the features: nothing of the target leaks in
    assert not any(f.startswith("prev_") for f in card["features"])
    # put on the stated 20 Hz grid (the recording steps about 102 ms, irregularly)
    assert card["sample_rate_hz"] == 20.0 and card["resampled"] == [imported.name]
    steps = np.diff(ds.table["session_time"][ds.table["lap_id"] == 0])
    np.testing.assert_allclose(steps, 0.05, atol=1e-9)
    # its two partial laps: one trains, one is held out
    assert len(card["split"]["train_laps"]) == 1 and len(card["split"]["test_laps"]) == 1
    result = train_models(data, tmp_path / "r", ["linear"], quick=True,
                          feature_sets=["state"], threads=1, report=False)
    assert result.must_beat("state").name == "constant"
    assert np.isfinite(result.results[0].mean_r2)


def test_features_it_lacks_are_one_line(imported: Path, tmp_path: Path) -> None:
    line = one_line_error(run_cli("ml", "prepare", str(imported), "-o", str(tmp_path / "d"),
                                  "--features", "speed_ms,gear,yaw_rate,accel_lateral",
                                  "--keep-partial"))
    assert "missing channel(s) accel_lateral, yaw_rate" in line
    line = one_line_error(run_cli("ml", "prepare", str(imported), "-o", str(tmp_path / "d"),
                                  "--features", "state", "--split", "driver",
                                  "--keep-partial"))
    assert "does not say its driver" in line
    line = one_line_error(run_cli("ml", "prepare", str(imported), "-o", str(tmp_path / "d"),
                                  "--features", "state"))
    assert "no usable laps in 1 session(s) (2 partial)" in line


def test_the_cli_builds_it_and_says_what_it_left_out(imported: Path, tmp_path: Path) -> None:
    proc = run_cli("ml", "prepare", str(imported), "-o", str(tmp_path / "d"), "--features",
                   "state", "--keep-partial", "--rate", "20")
    assert proc.returncode == 0, proc.stderr
    assert "3 features" in proc.stdout
    assert "skipped: feature yaw_rate (needs yaw_rate)" in proc.stdout
    assert "resampled onto a regular grid at the stated 20 Hz" in proc.stdout
