"""Sequence models train on the GPU when PyTorch sees one, on the CPU otherwise, and the two
agree within the tolerance docs/ml.md states (checked only where a GPU is present)."""

from __future__ import annotations

from pathlib import Path

import pytest

from actelemetry.errors import UsageError
from actelemetry.ml.dataset import load_dataset
from actelemetry.ml.evaluate import action_metrics
from actelemetry.ml.features import ACTIONS
from actelemetry.ml.models import SequenceModel, load_model, make_model, torch_available
from actelemetry.ml.train import TrainingResult

pytestmark = pytest.mark.skipif(not torch_available(), reason="PyTorch is not installed")
#: docs/ml.md: CPU and GPU training of the same seed agree to this in held-out R², per action
R2_TOLERANCE = 0.01


def _gru_r2(ml_data: Path, device: str) -> tuple[dict[str, float], str]:
    ds = load_dataset(ml_data)
    feats = list(ds.card["features"])
    model = make_model("gru", feats, 0, True, seq_len=10, stride=3, epochs=3, device=device)
    x, train, test = ds.x(feats), ds.train, ds.test
    model.fit(x[train], ds.y[train], ds.groups[train], lambda f: None)
    m = action_metrics(ds.y[test], model.predict(x[test], ds.groups[test]))
    return {a: m[a]["r2"] for a in ACTIONS}, model.info["device"]


def test_auto_is_the_gpu_when_there_is_one(ml_trained: TrainingResult) -> None:
    import torch

    for name in ("gru", "lstm"):
        res = ml_trained.result(f"{name}-rich-no_abs_steer")
        assert res.device == ("cuda" if torch.cuda.is_available() else "cpu")
        assert load_model(Path(res.path)).info["device"] == res.device


def test_asking_for_a_gpu_that_is_not_there_is_one_line() -> None:
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    model = make_model("gru", ["speed_ms"], 0, True, device="cuda")
    with pytest.raises(UsageError, match="PyTorch sees no GPU"):
        model.device()
    assert isinstance(model, SequenceModel)
    assert make_model("gru", ["speed_ms"], 0, True, device="cpu").device() == "cpu"


def test_cpu_and_gpu_agree_within_the_stated_tolerance(ml_data: Path) -> None:
    import torch

    if not torch.cuda.is_available():
        pytest.skip("no GPU: the CPU result stands alone")
    cpu, _ = _gru_r2(ml_data, "cpu")
    gpu, device = _gru_r2(ml_data, "cuda")
    assert device == "cuda"
    for a in ACTIONS:
        assert abs(cpu[a] - gpu[a]) <= R2_TOLERANCE, (a, cpu, gpu)
