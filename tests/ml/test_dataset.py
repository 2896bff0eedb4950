"""Datasets: lap splits, training-only normaliser, exclusions, windows inside laps."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from actelemetry.ml.dataset import load_dataset, prepare_dataset
from actelemetry.ml.features import SEED_FEATURES, FeatureContext, TrackMap
from actelemetry.ml.windows import window_indices
from ml.helpers import RATE, SEEDS


def _laps(card: dict, split: str) -> set[tuple[str, int]]:
    return {(t["session"], t["lap"]) for t in card["split"][f"{split}_laps"]}


def test_no_lap_in_both_train_and_test(ml_data: Path) -> None:
    ds = load_dataset(ml_data)
    train, test = _laps(ds.card, "train"), _laps(ds.card, "test")
    assert train and test and not train & test
    rows = {s: set(zip(ds.table["session"][ds.table["split"] == s],
                       ds.table["lap"][ds.table["split"] == s], strict=True))
            for s in ("train", "test")}
    assert rows["train"] == train and rows["test"] == test
    assert not rows["train"] & rows["test"]


def test_session_split_keeps_sessions_apart(ml_sessions: list[Path], tmp_path: Path) -> None:
    out = prepare_dataset(ml_sessions, tmp_path / "d", split="session", write_sequences=False)
    t = load_dataset(out).table
    train = set(t["session"][t["split"] == "train"])
    test = set(t["session"][t["split"] == "test"])
    assert train and test and not train & test


def test_normaliser_sees_training_rows_only(ml_data: Path) -> None:
    ds = load_dataset(ml_data)
    x = np.load(ml_data / "X_states.npy")
    train = ds.train
    np.testing.assert_array_equal(np.load(ml_data / "normalization_min.npy"),
                                  x[train].min(axis=0))
    np.testing.assert_array_equal(np.load(ml_data / "normalization_max.npy"),
                                  x[train].max(axis=0))
    # the held-out laps do reach outside the training range somewhere: a real check
    assert (x[~train].max(axis=0) > x[train].max(axis=0)).any() or \
        (x[~train].min(axis=0) < x[train].min(axis=0)).any()


def test_seed_files_and_card(ml_data: Path) -> None:
    card = json.loads((ml_data / "dataset_card.json").read_text())
    x = np.load(ml_data / "X_states.npy")
    assert x.shape == (card["rows"], len(card["features"]))
    assert card["features"][:13] == list(SEED_FEATURES)
    assert np.load(ml_data / "y_actions.npy").shape == (card["rows"], 3)
    assert np.load(ml_data / "X_states_normalized.npy").shape == x.shape
    md = (ml_data / "dataset_card.md").read_text()
    assert "abs_steer" in md and "leaks the target" in md and "by **lap**" in md
    cols = pq.read_schema(ml_data / "dataset.parquet").names
    assert {"session", "lap", "lap_id", "split", "y_gas", "prev_steer"} <= set(cols)


def test_out_laps_excluded_by_default(ml_data: Path, ml_sessions: list[Path],
                                      tmp_path: Path) -> None:
    card = json.loads((ml_data / "dataset_card.json").read_text())
    assert card["exclusions"]["out lap"] == len(ml_sessions)
    out = prepare_dataset(ml_sessions, tmp_path / "d", keep_out_laps=True, keep_partial=True,
                          write_sequences=False)
    kept = json.loads((out / "dataset_card.json").read_text())
    excl = card["exclusions"]
    assert kept["laps_kept"] == card["laps_kept"] + excl["out lap"] + excl["partial"]
    assert kept["exclusions"]["invalid"] == excl["invalid"]


def test_sequences_never_cross_laps(ml_data: Path) -> None:
    ds = load_dataset(ml_data)
    seq = np.load(ml_data / "X_sequences.npy")
    ends = np.load(ml_data / "sequence_rows.npy")
    length = ds.card["sequences"]["length"]
    assert seq.shape == (len(ends), length, len(ds.card["features"]))
    idx = window_indices(ds.groups, ends, length)
    lap = ds.table["lap_id"]
    assert (lap[idx] == lap[ends][:, None]).all()
    assert (np.diff(idx, axis=1) == 1).all()  # full windows, no padding in the files
    xn = np.load(ml_data / "X_states_normalized.npy")
    np.testing.assert_array_equal(seq, xn[idx])


def test_track_map_curvature_of_a_circle() -> None:
    radius, length = 100.0, 2 * np.pi * 100.0
    s = np.linspace(0, length, 5000, endpoint=False)
    m = TrackMap.build("ring", length, s, radius * np.cos(s / radius),
                       radius * np.sin(s / radius))
    k = m.ahead(np.array([10.0, 300.0]), 50.0)
    np.testing.assert_allclose(np.abs(k), 1 / radius, rtol=0.02)
    assert FeatureContext(rate_hz=20, prev_lag_s=0.2).lag_samples == 4


def test_csv_sessions_give_the_same_dataset(make_sim_session, ml_sessions: list[Path],
                                            tmp_path: Path) -> None:
    csv = make_sim_session(laps=2, seed=SEEDS[1], fmt="csv", rate=RATE)
    a = prepare_dataset([ml_sessions[1]], tmp_path / "p", features="rich", write_sequences=False)
    b = prepare_dataset([csv], tmp_path / "c", features="rich", write_sequences=False)
    xa, xb = np.load(a / "X_states.npy"), np.load(b / "X_states.npy")
    ahead = np.array([f.startswith("curvature_") for f in load_dataset(a).card["features"]])
    np.testing.assert_allclose(xb[:, ~ahead], xa[:, ~ahead], atol=1e-4)
    # the curvature ahead comes from the laps' mean path binned every 2 m: Parquet keeps
    # lap distance as float32 (0.25 mm at 5 km), CSV as float64, so a sample that close
    # to a bin's edge may average into its neighbour; a few rows' curvature moves by ~2e-4
    off = np.abs(xb[:, ahead] - xa[:, ahead])
    assert off.max() < 1e-3 and (off > 1e-4).mean() < 1e-3
    np.testing.assert_array_equal(np.load(b / "y_actions.npy"), np.load(a / "y_actions.npy"))


def test_previous_actions_look_back_the_lag(ml_data: Path) -> None:
    t = load_dataset(ml_data).table
    lag = int(round(load_dataset(ml_data).card["prev_lag_s"] * RATE))
    i = np.flatnonzero(t["frame"] >= lag + 1)
    i = i[t["lap_id"][i - lag] == t["lap_id"][i]]
    np.testing.assert_array_equal(t["prev_steer"][i], t["y_steer"][i - lag])
