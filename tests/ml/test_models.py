"""Models: honest scores above a constant predictor, identical reloads, determinism."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from actelemetry.errors import UsageError
from actelemetry.ml import models as models_mod
from actelemetry.ml import train as train_mod
from actelemetry.ml.dataset import load_dataset
from actelemetry.ml.features import ACTIONS
from actelemetry.ml.models import load_model
from actelemetry.ml.train import TrainingResult, train_models
from ml.helpers import TEST_PARAMS, model_names


@pytest.mark.parametrize("name", model_names())
def test_every_model_beats_a_constant_on_held_out_laps(ml_trained: TrainingResult,
                                                       name: str) -> None:
    res = ml_trained.result(f"{name}-rich-no_abs_steer")
    const = ml_trained.baselines[res.variant]
    for a in ACTIONS:
        assert res.metrics[a]["rmse"] < const.metrics[a]["rmse"], (a, res.metrics, const.metrics)
        assert res.metrics[a]["r2"] > 0.0


def test_saved_models_reload_and_predict_identically(ml_trained: TrainingResult,
                                                     ml_data: Path) -> None:
    ds = load_dataset(ml_data)
    test = ds.test
    for res in ml_trained.results:
        model = load_model(Path(res.path))
        assert model.features == res.features
        assert "abs_steer" not in model.features
        x = ds.x(model.features)[test]
        pred = model.predict(x, ds.groups[test])
        again = load_model(Path(res.path)).predict(x, ds.groups[test])
        np.testing.assert_array_equal(pred, again)
        y = ds.y[test]
        for j, a in enumerate(ACTIONS):  # the scores of the in-memory model, exactly
            rmse = float(np.sqrt(((pred[:, j].astype(np.float64) - y[:, j]) ** 2).mean()))
            assert rmse == pytest.approx(res.metrics[a]["rmse"], abs=1e-6), res.key
        train = ds.train
        np.testing.assert_array_equal(model.normaliser.minimum,
                                      ds.x(model.features)[train].min(axis=0))


def test_report_and_plots(ml_trained: TrainingResult) -> None:
    out = ml_trained.output_dir
    md = (out / "training_report.md").read_text()
    txt = (out / "training_report.txt").read_text()
    assert "held-out laps only" in md and "0.923" in md and "constant" in txt
    assert (out / "overlay.html").stat().st_size > 10_000
    assert (out / "overlay_rich-no_abs_steer.png").read_bytes()[:4] == b"\x89PNG"


def test_training_is_deterministic(ml_data: Path, tmp_path: Path) -> None:
    runs = [train_models(ml_data, tmp_path / str(i), ["linear", "mlp_32"], seed=3, quick=True,
                         feature_sets=["seed"], abs_steer="both", report=False,
                         threads=1)
            for i in range(2)]
    assert [r.metrics for r in runs[0].results] == [r.metrics for r in runs[1].results]
    keys = {r.key for r in runs[0].results}
    assert keys == {"linear-seed", "linear-seed-no_abs_steer", "mlp_32-seed",
                    "mlp_32-seed-no_abs_steer"}


def test_without_torch_sequence_models_skip_with_a_message(
        ml_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(train_mod, "torch_available", lambda: False)
    monkeypatch.setattr(models_mod, "torch_available", lambda: False)
    with pytest.raises(UsageError, match="PyTorch"):
        train_models(ml_data, tmp_path / "a", ["gru"], quick=True)
    monkeypatch.setattr(train_mod, "DEFAULT_MODELS", ["linear", "lstm", "gru"])
    res = train_models(ml_data, tmp_path / "b", None, quick=False, feature_sets=["seed"],
                       abs_steer="without", report=False, all_models=True)
    assert [r.name for r in res.results] == ["linear"]
    assert len(res.skipped) == 2 and "PyTorch" in res.skipped[0]


@pytest.mark.skipif(not models_mod.torch_available(), reason="PyTorch not installed")
def test_sequence_model_live_window_matches_batch(ml_trained: TrainingResult,
                                                  ml_data: Path) -> None:
    ds = load_dataset(ml_data)
    res = ml_trained.result("gru-rich-no_abs_steer")
    model = load_model(Path(res.path))
    x = ds.x(model.features)
    groups = ds.groups
    batch = model.predict(x, groups)
    n = model.history
    for row in (0, 3, n - 1, n + 7, len(x) - 1):
        start = np.flatnonzero(groups == groups[row])[0]
        live = model.predict_latest(x[max(start, row - n + 1):row + 1])
        np.testing.assert_allclose(live, batch[row], atol=1e-5)
    assert TEST_PARAMS["gru"]["stride"] == 3


def test_live_single_row_path_matches_batch(ml_trained: TrainingResult, ml_data: Path) -> None:
    ds = load_dataset(ml_data)
    for name in ("linear", "mlp_32", "hgb"):
        model = load_model(Path(ml_trained.result(f"{name}-rich-no_abs_steer").path))
        x = ds.x(model.features)[::97]
        batch = model.predict(x)
        one = np.array([model.predict_latest(x[: i + 1]) for i in range(len(x))])
        np.testing.assert_allclose(one, batch, atol=1e-6, err_msg=name)
