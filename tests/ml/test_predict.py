"""Live prediction: a capture sink fed by the simulator, features as in the dataset."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from actelemetry.app.live_predict import run_live_prediction
from actelemetry.capture.loop import CaptureOptions, run_capture
from actelemetry.capture.sinks import SessionFileSink
from actelemetry.ml.features import (
    ACTIONS,
    FeatureContext,
    TrackMap,
    channels_needed,
    compute_features,
)
from actelemetry.ml.models import load_model
from actelemetry.ml.predict import LivePredictor
from actelemetry.ml.train import TrainingResult
from actelemetry.store.files import read_columns
from ml.helpers import RATE


@pytest.fixture(scope="module")
def live_run(ml_trained: TrainingResult, tmp_path_factory: pytest.TempPathFactory):
    """One unseen simulator session (seed 9), recorded and predicted live at once."""
    model = load_model(Path(ml_trained.result("linear-rich-no_abs_steer").path))
    predictor = LivePredictor(model, display=False, keep=True)
    sink = SessionFileSink(tmp_path_factory.mktemp("live"))
    run_capture(CaptureOptions(source="sim", fast=True, sim_laps=1, seed=9, rate=RATE),
                [sink, predictor])
    return model, predictor, sink.paths[0]


def test_live_prediction_scores_an_unseen_session(live_run) -> None:
    _, predictor, _ = live_run
    summary = predictor.summary()
    assert summary.samples > 1000
    for a in ACTIONS:
        assert summary.metrics[a]["r2"] > 0.3, summary.lines()
    assert "RMSE" in "\n".join(summary.lines())


def test_live_features_equal_the_dataset_features(live_run) -> None:
    model, predictor, path = live_run
    cols = read_columns(path, sorted(channels_needed(model.features)))
    maps = {k: TrackMap.from_dict(v) for k, v in model.info["track_maps"].items()}
    ctx = FeatureContext(RATE, model.info["prev_lag_s"], next(iter(maps.values())))
    feats = compute_features(cols, model.features, ctx)
    offline = np.column_stack([feats[f] for f in model.features])
    live = np.array([row for row, _, _ in predictor.kept])
    assert live.shape == offline.shape
    np.testing.assert_allclose(live, offline, rtol=1e-5, atol=1e-5)
    pred = np.array([p for _, _, p in predictor.kept])
    np.testing.assert_allclose(pred, model.predict(offline), atol=1e-4)  # float32 sums


def test_run_live_prediction_from_a_saved_model(ml_trained: TrainingResult) -> None:
    path = Path(ml_trained.result("mlp_32-rich-no_abs_steer").path)
    opts = CaptureOptions(source="sim", fast=True, sim_laps=1, seed=5, rate=RATE, duration=20)
    summary = run_live_prediction(path, opts, display=False)
    assert summary.samples >= 300 and summary.model == "mlp_32"


def test_a_state_history_model_sees_live_what_it_saw_in_training(ml_data: Path,
                                                                 tmp_path: Path) -> None:
    """Past states (prev_speed_ms, ...) come from the same rolling buffer as past actions."""
    from actelemetry.ml.train import train_models

    result = train_models(ml_data, tmp_path / "r", ["linear"], quick=True,
                          feature_sets=["state+history"], threads=1, report=False)
    model = load_model(Path(result.result("linear-state+history").path))
    assert "prev_speed_ms" in model.features and "prev_gas" not in model.features
    predictor = LivePredictor(model, display=False, keep=True)
    sink = SessionFileSink(tmp_path / "live")
    run_capture(CaptureOptions(source="sim", fast=True, sim_laps=1, seed=9, rate=RATE,
                               duration=20), [sink, predictor])
    cols = read_columns(sink.paths[0], sorted(channels_needed(model.features)))
    maps = {k: TrackMap.from_dict(v) for k, v in model.info["track_maps"].items()}
    ctx = FeatureContext(RATE, model.info["prev_lag_s"], next(iter(maps.values())))
    feats = compute_features(cols, model.features, ctx)
    offline = np.column_stack([feats[f] for f in model.features])
    live = np.array([row for row, _, _ in predictor.kept])
    assert live.shape == offline.shape and len(live) > 100
    np.testing.assert_allclose(live, offline, rtol=1e-5, atol=1e-5)
