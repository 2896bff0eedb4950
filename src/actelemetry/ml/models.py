"""Models that map a car's state to the driver's actions, behind one small base class.

A model owns its feature list and its normaliser (fitted on the training rows it is
given), clips predictions to each action's range, and saves itself to a folder that
:func:`load_model` reads back. A new model is a short subclass: ``_fit`` and ``_predict``
on normalised inputs, and ``_state``/``_restore`` when it is not plain picklable.

Frame models see one row at a time. Sequence models (LSTM, GRU; PyTorch, optional) see
the window of ``seq_len`` rows ending at each row, cut at the row's lap (the lap's first
row repeats before it), so they predict for exactly the same rows as frame models.
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
from actelemetry.ml.windows import window_indices

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
        (folder / "model.json").write_text(json.dumps(meta, indent=1, default=_jsonable))
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


# --- frame models --------------------------------------------------------------------------
class ConstantModel(Model):
    """The training mean of each action: the floor every real model must beat."""

    label = "constant"

    def _fit(self, x, y, groups, progress):
        self.estimator = y.mean(axis=0)
        progress(1.0)

    def _predict(self, x, groups):
        return np.tile(self.estimator, (len(x), 1))


class LinearModel(Model):
    """Ordinary least squares on the normalised state."""

    label = "linear"

    def _fit(self, x, y, groups, progress):
        from sklearn.linear_model import LinearRegression

        self.estimator = LinearRegression().fit(x, y)
        progress(1.0)

    def _predict(self, x, groups):
        return self.estimator.predict(x)


class MLPModel(Model):
    """A multi-layer perceptron (sklearn), trained epoch by epoch for a progress bar."""

    label = "mlp"

    def __init__(self, features, seed=0, quick=False, hidden=(128, 64, 32), epochs=None,
                 **params):
        epochs = epochs or (6 if quick else 20)
        super().__init__(features, seed, quick, hidden=list(hidden), epochs=epochs, **params)

    def _fit(self, x, y, groups, progress):
        from sklearn.neural_network import MLPRegressor

        est = MLPRegressor(hidden_layer_sizes=tuple(self.params["hidden"]), batch_size=256,
                           learning_rate_init=1e-3, alpha=1e-4, random_state=self.seed,
                           shuffle=True)
        epochs = self.params["epochs"]
        for e in range(epochs):
            est.partial_fit(x, y)
            progress((e + 1) / epochs)
        self.estimator = est

    def _predict(self, x, groups):
        return self.estimator.predict(x)


class BoostingModel(Model):
    """Gradient-boosted trees (sklearn HistGradientBoostingRegressor), one per action.

    Early stopping is off: its validation set would be random frames.
    """

    label = "hgb"
    #: every tree as flat arrays, built on the first live prediction
    _forest: _Forest | None = None

    def __init__(self, features, seed=0, quick=False, max_iter=None, **params):
        max_iter = max_iter or (60 if quick else 300)
        super().__init__(features, seed, quick, max_iter=max_iter, **params)

    def _fit(self, x, y, groups, progress):
        from sklearn.ensemble import HistGradientBoostingRegressor

        total, step = self.params["max_iter"], 25
        ests = []
        for j in range(y.shape[1]):
            est = HistGradientBoostingRegressor(max_iter=step, learning_rate=0.1,
                                                max_leaf_nodes=31, early_stopping=False,
                                                warm_start=True, random_state=self.seed)
            done = 0
            while done < total:
                done = min(done + step, total)
                est.set_params(max_iter=done)
                est.fit(x, y[:, j])
                progress((j + done / total) / y.shape[1])
            ests.append(est)
        self.estimator = ests

    def _predict(self, x, groups):
        return np.column_stack([e.predict(x) for e in self.estimator])

    def predict_latest(self, rows: np.ndarray) -> np.ndarray:
        # sklearn spends milliseconds per call on one row; walking all trees at once in
        # NumPy takes tens of microseconds, which live prediction at 100 Hz needs
        assert self.normaliser is not None
        if self._forest is None:
            self._forest = _Forest(self.estimator)
        x = self.normaliser.transform(np.asarray(rows)[-1:])[0].astype(np.float64)
        return self._unscale_y(self._forest.predict_one(x)[None])[0]

    def _restore(self, blob: bytes) -> None:
        super()._restore(blob)
        self._forest = None


class _Forest:
    """Every tree of per-action HistGradientBoostingRegressors as flat arrays."""

    def __init__(self, estimators: list[Any]) -> None:
        parts, roots, owner, offset = [], [], [], 0
        self.baseline = np.array([float(np.ravel(e._baseline_prediction)[0])
                                  for e in estimators])
        for j, est in enumerate(estimators):
            for (tree,) in est._predictors:
                nodes = tree.nodes
                if nodes["is_categorical"].any():
                    raise ValueError("categorical splits are not supported")
                parts.append(nodes)
                roots.append(offset)
                owner.append(j)
                offset += len(nodes)
        nodes = np.concatenate(parts)
        starts = np.repeat(roots, [len(p) for p in parts])
        self.feature = nodes["feature_idx"].astype(np.int64)
        self.threshold = nodes["num_threshold"]
        self.missing_left = nodes["missing_go_to_left"].astype(bool)
        self.left = nodes["left"].astype(np.int64) + starts
        self.right = nodes["right"].astype(np.int64) + starts
        self.leaf = nodes["is_leaf"].astype(bool)
        self.value = nodes["value"]
        self.roots = np.array(roots, dtype=np.int64)
        self.owner = np.array(owner, dtype=np.int64)
        self.depth = int(nodes["depth"].max()) + 1
        self.n_out = len(estimators)

    def predict_one(self, x: np.ndarray) -> np.ndarray:
        node = self.roots.copy()
        for _ in range(self.depth):
            leaf = self.leaf[node]
            if leaf.all():
                break
            v = x[self.feature[node]]
            left = np.where(np.isnan(v), self.missing_left[node], v <= self.threshold[node])
            node = np.where(leaf, node, np.where(left, self.left[node], self.right[node]))
        return self.baseline + np.bincount(self.owner, weights=self.value[node],
                                           minlength=self.n_out)


# --- sequence models (PyTorch, optional) ---------------------------------------------------
class SequenceModel(Model):
    """A recurrent network over the window of rows ending at each row (never across a lap)."""

    kind = "sequence"
    label = "rnn"
    cell = "gru"

    def __init__(self, features, seed=0, quick=False, seq_len=50, stride=5, hidden_size=64,
                 layers=1, epochs=None, batch_size=256, lr=3e-3, **params):
        if not torch_available():
            raise UsageError(NO_TORCH)
        epochs = epochs or (2 if quick else 8)
        super().__init__(features, seed, quick, seq_len=seq_len, stride=stride,
                         hidden_size=hidden_size, layers=layers, epochs=epochs,
                         batch_size=batch_size, lr=lr, **params)
        self.net: Any = None

    @property
    def history(self) -> int:
        return int(self.params["seq_len"])

    def _build(self, n_features: int) -> Any:
        import torch
        from torch import nn

        cell = nn.LSTM if self.cell == "lstm" else nn.GRU
        p = self.params

        class Net(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.rnn = cell(n_features, p["hidden_size"], num_layers=p["layers"],
                                batch_first=True)
                self.head = nn.Linear(p["hidden_size"], len(ACTIONS))

            def forward(self, x: torch.Tensor) -> torch.Tensor:
                out, _ = self.rnn(x)
                return self.head(out[:, -1])

        return Net()

    @staticmethod
    def device() -> str:
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"

    def _fit(self, x, y, groups, progress):
        import torch

        torch.manual_seed(self.seed)
        p = self.params
        dev = self.device()
        self.info["device"] = dev
        ends = np.arange(0, len(x), p["stride"])
        windows = window_indices(groups, ends, p["seq_len"])
        xt = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32)).to(dev)
        yt = torch.from_numpy(np.ascontiguousarray(y[ends], dtype=np.float32)).to(dev)
        wt = torch.from_numpy(windows).to(dev)
        self.net = self._build(x.shape[1]).to(dev)
        opt = torch.optim.Adam(self.net.parameters(), lr=p["lr"])
        gen = torch.Generator().manual_seed(self.seed)
        n, bs = len(ends), p["batch_size"]
        steps = max((n + bs - 1) // bs, 1) * p["epochs"]
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=p["lr"], total_steps=steps)
        done = 0
        self.net.train()
        for _ in range(p["epochs"]):
            order = torch.randperm(n, generator=gen).to(dev)
            for lo in range(0, n, bs):
                b = order[lo:lo + bs]
                pred = self.net(xt[wt[b]])
                loss = torch.nn.functional.mse_loss(pred, yt[b])
                opt.zero_grad()
                loss.backward()
                opt.step()
                sched.step()
                done += 1
                if done % 20 == 0 or done == steps:
                    progress(done / steps)
        self.net.eval()
        self.net.to("cpu")

    def _predict(self, x, groups):
        import torch

        windows = window_indices(groups, np.arange(len(x)), self.params["seq_len"])
        xt = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
        out = []
        with torch.no_grad():
            for lo in range(0, len(windows), 4096):
                out.append(self.net(xt[torch.from_numpy(windows[lo:lo + 4096])]).numpy())
        return np.concatenate(out)

    def predict_latest(self, rows: np.ndarray) -> np.ndarray:
        import torch

        assert self.normaliser is not None
        n = self.params["seq_len"]
        rows = np.asarray(rows)[-n:]
        if len(rows) < n:  # a lap's first rows: repeat the first, as in training
            rows = np.concatenate([np.repeat(rows[:1], n - len(rows), axis=0), rows])
        xn = self.normaliser.transform(rows)[None]
        with torch.no_grad():
            return self._unscale_y(self.net(torch.from_numpy(xn)).numpy())[0]

    def _state(self) -> bytes:
        import io

        import torch

        buf = io.BytesIO()
        torch.save(self.net.state_dict(), buf)
        return buf.getvalue()

    def _restore(self, blob: bytes) -> None:
        import io

        import torch

        self.net = self._build(len(self.features))
        self.net.load_state_dict(torch.load(io.BytesIO(blob), weights_only=True))
        self.net.eval()


class LSTMModel(SequenceModel):
    """Long short-term memory network over a window of states."""

    label = "lstm"
    cell = "lstm"


class GRUModel(SequenceModel):
    """Gated recurrent unit network over a window of states."""

    label = "gru"
    cell = "gru"


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
        meta = json.loads(meta_path.read_text())
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
