"""Frame models: one row of state in, one row of actions out (scikit-learn)."""

from __future__ import annotations

from typing import Any

import numpy as np

from actelemetry.ml.models.base import Model


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
