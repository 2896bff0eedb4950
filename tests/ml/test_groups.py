"""Group splits over simulator "drivers" at three skill levels: no group on both sides of any
fold, windows inside groups, the normaliser from training groups only, and a
leave-one-driver-out evaluation that reports each metric as mean and range over folds."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from actelemetry.ml.dataset import FOLDS_FILE, load_dataset, prepare_dataset
from actelemetry.ml.features import ACTIONS, FEATURE_SETS
from actelemetry.ml.folds import cross_validate
from actelemetry.store.session import session_metadata
from ml.helpers import RATE, one_line_error, run_cli

#: three skill levels (novice, club, pro), one session each: three simulated drivers
SKILLS = (0.1, 0.45, 0.9)
DRIVERS = ("sim-novice-s1", "sim-club-s1", "sim-pro-s1")


@pytest.fixture(scope="module")
def skill_sessions(make_sim_session: Callable[..., Path]) -> list[Path]:
    return [make_sim_session(laps=2, seed=1, rate=RATE, skill=k) for k in SKILLS]


@pytest.fixture(scope="module")
def driver_folds(skill_sessions: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("driver_folds")
    return prepare_dataset(skill_sessions, out, features="state+actions", split="driver",
                           folds=3, seq_len=10, seq_stride=5, keep_invalid=True)


def test_the_simulator_names_one_driver_per_skill_and_seed(skill_sessions: list[Path]) -> None:
    assert [session_metadata(p)["driver"] for p in skill_sessions] == list(DRIVERS)


def test_no_driver_is_on_both_sides_and_windows_stay_in_their_group(
        driver_folds: Path) -> None:
    plan = json.loads((driver_folds / FOLDS_FILE).read_text())
    assert plan["by"] == "driver"
    held = [f["test_groups"] for f in plan["folds"]]
    assert sorted(g for h in held for g in h) == sorted(DRIVERS)  # each held out once
    for fold in plan["folds"]:
        data = load_dataset(driver_folds / fold["folder"])
        group, split = data.table["group"], data.table["split"]
        assert set(group[split == "test"]) == set(fold["test_groups"])
        assert not set(group[split == "train"]) & set(group[split == "test"])
        # the normaliser saw training rows only (the held-out driver is often out of range)
        x = np.load(driver_folds / fold["folder"] / "X_states.npy")
        np.testing.assert_array_equal(
            np.load(driver_folds / fold["folder"] / "normalization_min.npy"),
            np.nanmin(x[split == "train"], axis=0))
        # every sequence window lies inside one lap of one driver
        ends = np.load(driver_folds / fold["folder"] / "sequence_rows.npy")
        laps = data.table["lap_id"]
        for end in ends:
            rows = slice(max(end - 9, 0), end + 1)
            assert len(set(laps[rows])) == 1 and len(set(group[rows])) == 1
        card = data.card
        assert card["split"]["test_groups"] == fold["test_groups"]
        assert card["features"] == list(FEATURE_SETS["state+actions"])


def test_leave_one_driver_out_reports_mean_and_range(driver_folds: Path,
                                                     tmp_path: Path) -> None:
    cv = cross_validate(driver_folds, tmp_path / "cv", models=["linear"], quick=True,
                        feature_sets=["state", "state+actions"], threads=1)
    assert len(cv.runs) == 3 and cv.by == "driver"
    rows = {(s.variant, s.name): s for s in cv.summaries()}
    assert set(rows) == {("state", "constant"), ("state", "linear"),
                         ("state+actions", "constant"), ("state+actions", "persistence"),
                         ("state+actions", "linear")}
    for (variant, name), s in rows.items():
        per_fold = [next(r for r in [*run.baselines.values(), *run.persistence.values(),
                                     *run.results] if r.name == name and r.variant == variant)
                    for run in cv.runs]
        for a in ACTIONS:
            values = [r.r2(a) for r in per_fold]
            assert s.r2[a] == values
            lo, hi = min(values), max(values)
            assert s.cell(a) == f"{round(float(np.mean(values)), 3) + 0.0:.3f} " \
                f"({round(lo, 3) + 0.0:.3f}..{round(hi, 3) + 0.0:.3f})"
    # the bar: persistence where past actions are features, the constant where not
    assert cv.must_beat("state").name == "constant"
    assert cv.must_beat("state+actions").name == max(
        (rows[("state+actions", n)] for n in ("constant", "persistence")),
        key=lambda s: s.mean_r2).name
    report = (tmp_path / "cv" / "cv_report.md").read_text()
    assert report.splitlines()[0].startswith("Baseline a model must beat: state: constant")
    assert "state+actions: persistence" in report.splitlines()[0]
    saved = json.loads((tmp_path / "cv" / "cv_results.json").read_text())
    assert [f["test_groups"] for f in saved["folds"]] == [f["test_groups"] for f in cv.plan]
    # the held-out driver of each fold is named next to its scores
    assert all(any(d in line for line in report.splitlines()) for d in DRIVERS)


def test_group_split_errors_are_one_line(skill_sessions: list[Path], tmp_path: Path) -> None:
    line = one_line_error(run_cli("ml", "prepare", *map(str, skill_sessions), "-o",
                                  str(tmp_path / "d"), "--split", "track", "--folds", "2"))
    assert "track split needs at least 2 tracks" in line
    line = one_line_error(run_cli("ml", "prepare", *map(str, skill_sessions), "-o",
                                  str(tmp_path / "d"), "--split", "driver", "--folds", "4"))
    assert "--folds must be 2..3" in line


def test_driver_folds_from_the_cli(skill_sessions: list[Path], tmp_path: Path) -> None:
    data, res = tmp_path / "d", tmp_path / "r"
    proc = run_cli("ml", "prepare", *map(str, skill_sessions), "-o", str(data), "--split",
                   "driver", "--folds", "3", "--features", "state", "--keep-invalid",
                   "--seq-len", "10", "--seq-stride", "5")
    assert proc.returncode == 0, proc.stderr
    assert "3 folds by driver" in proc.stdout
    assert all(f"held out: {d}" in proc.stdout for d in DRIVERS)
    proc = run_cli("ml", "train", "--data", str(data), "-o", str(res), "--models", "linear",
                   timeout=300)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout.splitlines()
    first = next(i for i, line in enumerate(out) if line.startswith("Baseline a model must"))
    assert "state: constant" in out[first]
    assert "R² over 3 folds by driver: mean (min..max)" in proc.stdout
    assert (res / "cv_report.md").exists() and (res / "fold_3" / "training_report.md").exists()
    assert pq.read_table(data / "fold_1" / "dataset.parquet").num_rows > 0
