"""Models that map a car's state to the driver's actions, behind one small base class.

A model owns its feature list and its normaliser (fitted on the training rows it is
given), clips predictions to each action's range, and saves itself to a folder that
:func:`load_model` reads back. A new model is a short subclass: ``_fit`` and ``_predict``
on normalised inputs, and ``_state``/``_restore`` when it is not plain picklable.

Frame models see one row at a time. Sequence models (LSTM, GRU; PyTorch, optional) see
the window of ``seq_len`` rows ending at each row, cut at the row's lap (the lap's first
row repeats before it), so they predict for exactly the same rows as frame models.

``base`` holds the base class, ``frame`` the scikit-learn models, ``sequence`` the PyTorch
ones; this module names them (:data:`MODELS`), makes them and loads them back.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from actelemetry.errors import UsageError
from actelemetry.ml.features import Normaliser
from actelemetry.ml.models.base import (
    FORMAT_VERSION,
    MODEL_CLASSES,
    NO_TORCH,
    TRUSTED_TYPES,
    Model,
    Progress,
    torch_available,
)
from actelemetry.ml.models.frame import BoostingModel, ConstantModel, LinearModel, MLPModel
from actelemetry.ml.models.sequence import GRUModel, LSTMModel, SequenceModel

__all__ = [
    "CORE_MODELS", "DEFAULT_MODELS", "FORMAT_VERSION", "MODELS", "MODEL_CLASSES", "NO_TORCH",
    "QUICK_MODELS", "TRUSTED_TYPES", "BoostingModel", "ConstantModel", "GRUModel",
    "LSTMModel", "LinearModel", "MLPModel", "Model", "Progress", "SequenceModel",
    "load_model", "make_model", "torch_available",
]


#: the models ``ml train`` knows by name: (class, extra parameters)
MODELS: dict[str, tuple[type[Model], dict[str, Any]]] = {
    "linear": (LinearModel, {}),
    "mlp_32": (MLPModel, {"hidden": (32,)}),
    "mlp_64_32": (MLPModel, {"hidden": (64, 32)}),
    "mlp_128_64_32": (MLPModel, {"hidden": (128, 64, 32)}),
    "hgb": (BoostingModel, {}),
    "lstm": (LSTMModel, {}),
    "gru": (GRUModel, {}),
}
DEFAULT_MODELS = list(MODELS)  # --all
#: what `ml train` trains by default: a linear baseline, a small network and boosting
#: (the strongest of the frame models), at full size, in well under a minute on 2 cores
CORE_MODELS = ["linear", "mlp_32", "hgb"]
QUICK_MODELS = ["linear", "mlp_32", "hgb"]  # the same, small (--quick, the demo, CI)


def make_model(name: str, features: list[str], seed: int = 0, quick: bool = False,
               **overrides: Any) -> Model:
    """A fresh model by its registry name."""
    if name not in MODELS:
        raise UsageError(f"unknown model {name!r}; known: {', '.join(MODELS)}")
    cls, params = MODELS[name]
    model = cls(features, seed, quick, **{**params, **overrides})
    model.info["name"] = name
    return model


def load_model(folder: Path, trust_pickle: bool = False) -> Model:
    """A saved model, ready to predict: features, normaliser and weights as trained.

    Models of format 1 hold a pickle, which runs code when loaded: they are refused unless
    ``trust_pickle`` says the folder comes from someone you trust.
    """
    folder = Path(folder)
    meta_path = folder / "model.json"
    if not meta_path.exists():
        raise UsageError(f"{folder}: no saved model here (model.json missing)")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (ValueError, OSError) as exc:
        raise UsageError(f"{meta_path}: not a readable model description") from exc
    if not isinstance(meta, dict):
        raise UsageError(f"{meta_path}: not a model description")
    version = meta.get("format_version")
    if version == 1 and not trust_pickle:
        raise UsageError(f"{folder}: saved as a pickle (format 1), which runs code when "
                         "loaded; retrain it, or pass --trust-pickle if you trust its source")
    if version not in (1, FORMAT_VERSION):
        raise UsageError(f"{folder}: model format {version!r} is not one this program reads")
    cls = MODEL_CLASSES.get(meta.get("class", ""))
    if cls is None:
        raise UsageError(f"{folder}: unknown model class {meta.get('class')!r}")
    if issubclass(cls, SequenceModel) and not torch_available():
        raise UsageError(NO_TORCH)
    model = cls.__new__(cls)
    try:
        Model.__init__(model, list(meta["features"]), int(meta["seed"]), bool(meta["quick"]),
                       **dict(meta["params"]))
        if isinstance(model, SequenceModel):
            model.net = None
        model.normaliser = Normaliser.from_dict(meta["normaliser"])
        model.y_mean = np.asarray(meta["targets"]["mean"], np.float64)
        model.y_std = np.asarray(meta["targets"]["std"], np.float64)
    except (KeyError, TypeError, ValueError) as exc:
        raise UsageError(f"{meta_path}: a field is missing or wrong ({exc})") from exc
    model.train_seconds = meta.get("train_seconds", 0.0)
    known = {"format_version", "class", "label", "kind", "features", "actions", "seed",
             "quick", "params", "normaliser", "targets", "train_seconds"}
    model.info = {k: v for k, v in meta.items() if k not in known}
    blob = (folder / "model.bin").read_bytes()
    if version == 1 and not issubclass(cls, SequenceModel):
        import pickle

        model.estimator = pickle.loads(blob)  # asked for with trust_pickle
    else:
        model._restore(blob)
    return model
