"""The baselines every report carries: the constant (training mean) and persistence (each
action as it was the dataset's lag earlier) wherever past actions are features, and each
model's gain over the best of them, said as it is."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from actelemetry.ml.dataset import load_dataset, prepare_dataset
from actelemetry.ml.evaluate import action_metrics
from actelemetry.ml.features import ACTIONS
from actelemetry.ml.models import load_model
from actelemetry.ml.train import train_models
from actelemetry.store.files import read_columns
from ml.helpers import RATE


@pytest.mark.parametrize("lag_s", [0.05, 0.5])
def test_persistence_is_each_action_the_datasets_lag_earlier(
        ml_sessions: list[Path], tmp_path: Path, lag_s: float) -> None:
    data = prepare_dataset(ml_sessions, tmp_path / "d", features="state+actions",
                           prev_lag_s=lag_s, write_sequences=False)
    ds = load_dataset(data)
    lag = int(round(lag_s * RATE))  # rows at the sessions' 20 Hz
    t = ds.table
    # prev_* is the session's own action ``lag`` samples back (sim sessions have no gaps)
    for path in ml_sessions:
        raw = read_columns(path, ["session_time", *ACTIONS])
        mine = t["session"] == path.name
        at = np.searchsorted(raw["session_time"], t["session_time"][mine])
        np.testing.assert_array_equal(raw["session_time"][at], t["session_time"][mine])
        for a in ACTIONS:
            np.testing.assert_array_equal(t[f"prev_{a}"][mine],
                                          raw[a][np.maximum(at - lag, 0)].astype(np.float32))

    result = train_models(data, tmp_path / "r", ["linear", "hgb"], quick=True,
                          feature_sets=["state", "state+actions"],
                          params={"hgb": {"max_iter": 40}}, threads=1)
    test = ds.test
    pred = np.column_stack([t[f"prev_{a}"][test] for a in ACTIONS])
    expected = action_metrics(ds.y[test], pred)
    assert set(result.persistence) == {"state+actions"}  # only where past actions are features
    persist = result.persistence["state+actions"]
    assert persist.metrics == expected and persist.extra["lag_s"] == lag_s
    saved = json.loads((tmp_path / "r" / "results.json").read_text())
    assert saved["persistence"]["state+actions"]["metrics"] == expected

    report = (tmp_path / "r" / "training_report.md").read_text().splitlines()
    bar = result.must_beat("state+actions")
    assert bar.mean_r2 >= result.baselines["state+actions"].mean_r2
    assert report[0].startswith("Baseline a model must beat: state: constant")
    assert f"state+actions: {bar.name}" in report[0]
    for r in result.results:
        bars = result.bars(r.variant)
        for a in ACTIONS:
            assert r.extra["gain_r2"][a] == pytest.approx(r.r2(a) - max(b.r2(a) for b in bars))
    # the report and each model say what their feature set leaks
    assert "Feature set state+actions leaks the driver's own inputs a lag earlier" in \
        "\n".join(report)
    model = load_model(Path(result.result("linear-state+actions").path))
    assert model.info["feature_set"]["good_for"].startswith("next-step prediction")
    # beaten or not, as reported
    short = [r.key for r in result.results if r.variant == "state+actions"
             and not r.beats(persist)]
    text = "\n".join(report)
    if short:
        assert f"Not better than persistence on every action: {', '.join(short)}." in text
    else:
        assert "Every model with past actions beats persistence on every action." in text
