"""The base class every model shares: features and normaliser, clipping, timing, saving.

A new model is a short subclass: ``_fit`` and ``_predict`` on normalised inputs, and
``_state``/``_restore`` when it is not plain picklable.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from actelemetry.errors import UsageError
from actelemetry.ml.features import ACTION_RANGES, ACTIONS, Normaliser

#: called with the fraction of training done (0..1)
Progress = Callable[[float], None]
#: 2: scikit-learn estimators saved with skops (data, not code); 1 was a pickle
FORMAT_VERSION = 2
#: what a saved estimator may be made of beyond skops' own safe defaults
TRUSTED_TYPES = {"sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
                 "sklearn.neural_network._stochastic_optimizers.SGDOptimizer",
                 "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor"}
#: every Model subclass by class name (filled in as subclasses are defined)
MODEL_CLASSES: dict[str, type[Model]] = {}


def torch_available() -> bool:
    """Whether the optional PyTorch extra is installed."""
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


NO_TORCH = ("the sequence models (lstm, gru) need PyTorch, the optional extra: "
            "pip install 'actelemetry[torch]'")


class Model:
    """Base class: state features in, (gas, brake, steer) out."""

    kind: ClassVar[str] = "frame"  # frame | sequence
    label: ClassVar[str] = "model"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        MODEL_CLASSES[cls.__name__] = cls  # so load_model finds every subclass

    def __init__(self, features: list[str], seed: int = 0, quick: bool = False,
                 **params: Any) -> None:
        self.features = list(features)
        self.seed = seed
        self.quick = quick
        self.params: dict[str, Any] = params
        self.normaliser: Normaliser | None = None
        self.y_mean = np.zeros(len(ACTIONS))
        self.y_std = np.ones(len(ACTIONS))
        self.info: dict[str, Any] = {}  # what the trainer wants saved alongside
        self.train_seconds = 0.0

    # --- what a subclass writes ---------------------------------------------------------
    def _fit(self, x: np.ndarray, y: np.ndarray, groups: np.ndarray,
             progress: Progress) -> None:
        raise NotImplementedError

    def _predict(self, x: np.ndarray, groups: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _state(self) -> bytes:
        import skops.io as sio

        return sio.dumps(self.__dict__.get("estimator"))

    def _restore(self, blob: bytes) -> None:
        """Rebuild the estimator from data (skops), never by running code from the file:
        only the scikit-learn types our models are made of are accepted."""
        import skops.io as sio

        try:
            unknown = set(sio.get_untrusted_types(data=blob)) - TRUSTED_TYPES
            if unknown:
                raise UsageError(f"the saved model holds types this program does not make "
                                 f"({', '.join(sorted(unknown))}); refusing to load it")
            self.estimator = sio.loads(blob, trusted=sorted(TRUSTED_TYPES))
        except UsageError:
            raise
        except Exception as exc:  # a damaged or foreign file: skops names what it found
            raise UsageError(f"the saved model cannot be read ({exc})") from exc

    # --- the shared part ---------------------------------------------------------------------
    def fit(self, x: np.ndarray, y: np.ndarray, groups: np.ndarray | None = None,
            progress: Progress | None = None) -> Model:
        """Fit on training rows only (the normaliser too). ``groups`` labels laps."""
        groups = np.zeros(len(x), np.int64) if groups is None else np.asarray(groups)
        t0 = time.perf_counter()
        self.normaliser = Normaliser.fit(np.asarray(x, dtype=np.float64))
        # standardised targets: steer's small spread would otherwise vanish in gas's loss
        y = np.asarray(y, dtype=np.float64)
        self.y_mean, self.y_std = y.mean(axis=0), np.where(y.std(axis=0) > 0, y.std(axis=0), 1)
        self._fit(self.normaliser.transform(x), self._scale_y(y), groups,
                  progress or (lambda f: None))
        self.train_seconds = time.perf_counter() - t0
        return self

    def predict(self, x: np.ndarray, groups: np.ndarray | None = None) -> np.ndarray:
        """One (gas, brake, steer) row per input row, clipped to each action's range."""
        if self.normaliser is None:
            raise UsageError(f"{self.label}: the model is not trained")
        x = np.asarray(x)
        groups = np.zeros(len(x), np.int64) if groups is None else np.asarray(groups)
        if len(x) == 0:
            return np.zeros((0, len(ACTIONS)), np.float32)
        return self._unscale_y(self._predict(self.normaliser.transform(x), groups))

    def _scale_y(self, y: np.ndarray) -> np.ndarray:
        return ((y - self.y_mean) / self.y_std).astype(np.float32)

    def _unscale_y(self, out: np.ndarray) -> np.ndarray:
        """Back to action units, clipped to each action's range."""
        return _clip(np.asarray(out, np.float64) * self.y_std + self.y_mean)

    def predict_latest(self, rows: np.ndarray) -> np.ndarray:
        """The actions for the last of ``rows`` (raw features, oldest first, at the model's
        sample rate, all from one lap): what live prediction calls on every sample."""
        return self.predict(np.asarray(rows)[-1:])[0]

    @property
    def history(self) -> int:
        """Rows of history a prediction needs (1 for frame models)."""
        return 1

    def save(self, folder: Path) -> Path:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        assert self.normaliser is not None
        meta = {"format_version": FORMAT_VERSION, "class": type(self).__name__,
                "label": self.label, "kind": self.kind, "features": self.features,
                "actions": list(ACTIONS), "seed": self.seed, "quick": self.quick,
                "params": self.params, "normaliser": self.normaliser.to_dict(),
                "targets": {"mean": self.y_mean.tolist(), "std": self.y_std.tolist()},
                "train_seconds": self.train_seconds, **self.info}
        (folder / "model.json").write_text(json.dumps(meta, indent=1, default=_jsonable),
                                           encoding="utf-8")
        (folder / "model.bin").write_bytes(self._state())
        return folder


def _clip(out: np.ndarray) -> np.ndarray:
    lo = np.array([ACTION_RANGES[a][0] for a in ACTIONS])
    hi = np.array([ACTION_RANGES[a][1] for a in ACTIONS])
    return np.clip(np.asarray(out, np.float64), lo, hi).astype(np.float32)


def _jsonable(v: object) -> object:
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, np.ndarray):
        return v.tolist()
    if isinstance(v, tuple):
        return list(v)
    raise TypeError(type(v))
