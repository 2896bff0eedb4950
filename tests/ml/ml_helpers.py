"""Settings shared by the ML tests and their fixtures."""

from __future__ import annotations

from actelemetry.ml.models import MODELS, torch_available

#: 20 Hz keeps the tests quick; three seeds give three sessions of two timed laps each
RATE = 20.0
SEEDS = (1, 2, 3)
#: small settings: the tests check honesty and plumbing, not the best scores
TEST_PARAMS = {"hgb": {"max_iter": 40}, "mlp_128_64_32": {"epochs": 4},
               "lstm": {"stride": 3, "epochs": 3}, "gru": {"stride": 3, "epochs": 3}}


def model_names() -> list[str]:
    """Every model; the sequence ones only when PyTorch is installed."""
    return [n for n in MODELS if torch_available() or n not in ("lstm", "gru")]
