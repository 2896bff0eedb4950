"""ML fixtures: a few simulator sessions, one prepared dataset and one trained set of models,
made once per test run and shared (the simulator is deterministic)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from actelemetry.ml.dataset import prepare_dataset
from actelemetry.ml.train import TrainingResult, train_models
from built_once import build_once
from ml.helpers import RATE, SEEDS, TEST_PARAMS, model_names


@pytest.fixture(scope="session")
def ml_sessions(make_sim_session: Callable[..., Path]) -> list[Path]:
    return [make_sim_session(laps=2, seed=s, rate=RATE) for s in SEEDS]


@pytest.fixture(scope="session")
def ml_data(ml_sessions: list[Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_once(tmp_path_factory, f"ml_data {ml_sessions}", lambda out: prepare_dataset(
        ml_sessions, out, features="rich", seq_len=10, seq_stride=5))


@pytest.fixture(scope="session")
def ml_trained(ml_data: Path, tmp_path_factory: pytest.TempPathFactory) -> TrainingResult:
    """Every model (the sequence ones when PyTorch is there) on the honest variant."""
    return build_once(tmp_path_factory, f"ml_trained {ml_data} {model_names()}",
                      lambda out: train_models(ml_data, out, model_names(), seed=0, quick=True,
                                               feature_sets=["rich"], abs_steer="without",
                                               params=TEST_PARAMS, threads=1))
