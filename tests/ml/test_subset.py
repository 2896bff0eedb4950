"""``ml prepare`` and ``ml train`` on sessions that carry only some channels: real files
written with a subset of the simulator sessions' columns."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from actelemetry.errors import SessionFileError
from actelemetry.ml.dataset import load_dataset, prepare_dataset
from actelemetry.ml.features import SEED_FEATURES
from actelemetry.ml.timebase import is_irregular
from actelemetry.ml.train import train_models
from ml.helpers import one_line_error, run_cli

#: what an imported log might have: no velocities, no wheels, no lap flags
SOME = ("timestamp", "current_lap", "speed_ms", "gear", "gas", "brake", "steer",
        "accel_lateral", "lap_fraction")


def write_subset(src: Path, out: Path, columns: Sequence[str],
                 rows: np.ndarray | None = None) -> Path:
    """``columns`` (and only ``rows``) of the session ``src`` as a new file ``out``."""
    table = pq.read_table(src).select(list(columns))
    if rows is not None:
        table = table.take(pa.array(rows))
    if out.suffix == ".csv":
        pacsv.write_csv(table, out)
    else:
        pq.write_table(table.replace_schema_metadata(None), out)
    return out


@pytest.fixture(scope="module")
def some_channels(ml_sessions: list[Path], tmp_path_factory: pytest.TempPathFactory
                  ) -> list[Path]:
    folder = tmp_path_factory.mktemp("ml_subset")
    return [write_subset(p, folder / f"s{k}.parquet", SOME) for k, p in enumerate(ml_sessions)]


def test_default_features_are_what_the_sessions_have(some_channels: list[Path],
                                                      tmp_path: Path) -> None:
    data = prepare_dataset(some_channels, tmp_path / "d", seq_len=10, seq_stride=5)
    card = json.loads((data / "dataset_card.json").read_text())
    expected = [f for f in SEED_FEATURES if f in SOME]  # in the seed's order
    assert card["features"] == expected and len(expected) == 4
    assert card["left_out"]["vx"] == ["vx"] and "speed_ms" not in card["left_out"]
    assert set(card["left_out"]) == set(SEED_FEATURES) - set(expected)
    assert card["resampled"] == []  # a regular capture is kept as it is
    x = np.load(data / "X_states.npy")
    assert x.shape[1] == len(expected) and np.isfinite(x).all()
    # the features are the file's own values, row for row (nothing filled in or moved)
    ds = load_dataset(data)
    src = pq.read_table(some_channels[0]).to_pydict()
    t0 = src["timestamp"][0]
    by_time = {round(t - t0, 6): v for t, v in zip(src["timestamp"], src["speed_ms"],
                                                    strict=True)}
    first = ds.table["session"] == some_channels[0].name
    for t, v in zip(ds.table["session_time"][first][:200], ds.table["speed_ms"][first][:200],
                    strict=True):
        assert v == pytest.approx(by_time[round(float(t), 6)], rel=1e-6)
    # without lap flags: every session's first and last laps are partial, none is invalid
    assert card["exclusions"]["partial"] == 2 * len(some_channels)
    assert card["exclusions"]["invalid"] == 0 and card["exclusions"]["out lap"] == 0
    assert np.isnan(ds.table["lap_distance_m"]).all()  # absent, not zero


def test_training_on_the_features_that_exist(some_channels: list[Path], tmp_path: Path
                                             ) -> None:
    data = prepare_dataset(some_channels, tmp_path / "d", seq_len=10, seq_stride=5)
    result = train_models(data, tmp_path / "r", ["linear"], quick=True, threads=1)
    card = json.loads((data / "dataset_card.json").read_text())
    trained = [r for r in result.results if r.name == "linear"]
    assert trained and all(set(r.features) <= set(card["features"]) for r in trained)
    assert all(np.isfinite(v) for r in trained for m in r.metrics.values() for v in m.values())


def test_cli_names_the_features_left_out(some_channels: list[Path], tmp_path: Path) -> None:
    proc = run_cli("ml", "prepare", *map(str, some_channels), "-o", str(tmp_path / "d"),
                   "--seq-len", "10")
    assert proc.returncode == 0, proc.stderr
    assert "skipped: feature vx (needs vx)" in proc.stdout
    assert "skipped: feature wheel_slip_fl (needs wheel_slip_fl)" in proc.stdout
    assert "skipped: feature speed_ms" not in proc.stdout


@pytest.mark.parametrize("args, needle", [
    (("--features", "speed_ms,vx"), "missing channel(s) vx (needed for features speed_ms,vx)"),
    ((), "missing brake: a dataset needs the driver's actions gas, brake, steer"),
])
def test_what_cannot_be_made_is_a_one_line_error(ml_sessions: list[Path], tmp_path: Path,
                                                 args: tuple[str, ...], needle: str) -> None:
    columns = [c for c in SOME if not (needle.startswith("missing brake") and c == "brake")]
    path = write_subset(ml_sessions[0], tmp_path / "s.parquet", columns)
    line = one_line_error(run_cli("ml", "prepare", str(path), "-o", str(tmp_path / "d"),
                                  *args))
    assert needle in line and "s.parquet" in line


def test_no_clock_is_not_a_session(ml_sessions: list[Path], tmp_path: Path) -> None:
    path = write_subset(ml_sessions[0], tmp_path / "s.csv", [c for c in SOME
                                                             if c != "timestamp"])
    with pytest.raises(SessionFileError, match="not a session: missing timestamp or "
                                               "session_time"):
        prepare_dataset([path], tmp_path / "d")


def test_an_irregular_log_is_resampled_for_ml_only(ml_sessions: list[Path], tmp_path: Path
                                                   ) -> None:
    """Two samples of three dropped at random, laps from the lap timer: the dataset is on a
    regular grid (sequence windows count rows), the file is untouched."""
    columns = ("timestamp", "lap_time_sec", "speed_ms", "gear", "gas", "brake", "steer")
    paths, kept = [], []
    for k, p in enumerate(ml_sessions):
        n = pq.read_metadata(p).num_rows
        kept.append(np.sort(np.random.default_rng(k).choice(n, n // 3, replace=False)))
        paths.append(write_subset(p, tmp_path / f"irr{k}.csv", columns, kept[-1]))
    t = pacsv.read_csv(paths[0]).column("timestamp").to_numpy()
    assert is_irregular(t)
    assert not is_irregular(pq.read_table(ml_sessions[0]).column("session_time").to_numpy())
    data = prepare_dataset(paths, tmp_path / "d", seq_len=10, seq_stride=5)
    card = json.loads((data / "dataset_card.json").read_text())
    assert card["resampled"] == [p.name for p in paths]
    ds = load_dataset(data)
    one = (ds.table["session"] == paths[0].name) & (ds.table["lap"] == ds.table["lap"][0])
    steps = np.diff(ds.table["session_time"][one])
    assert np.allclose(steps, steps[0]) and steps[0] > 1.5 / 20.0  # about 3 of 20 Hz
    assert card["sequences"]["windows"] > 0
    assert len(pacsv.read_csv(paths[0])) == len(kept[0])  # the file keeps its samples
    # laps counted from the lap timer: each session's two timed laps are kept
    assert card["laps_kept"] == 2 * len(paths)
