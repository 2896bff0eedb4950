"""Scores on held-out laps: RMSE, MAE and R² per action, and the comparison across models.

Scores are only ever computed on rows of laps the model never saw (the dataset's split),
next to the baselines: a constant predictor (the training mean), the floor any real model
must beat, and persistence (the last action) where past actions are features.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from actelemetry.ml.features import ACTIONS

#: the seed's published MLP (128, 64, 32) R², measured with no lap split
SEED_CLAIMED_R2 = {"gas": 0.923, "brake": 0.891, "steer": 0.856}


def action_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, dict[str, float]]:
    """Per action: rmse, mae, r2 (1 - SS_res / SS_tot; 0 for the mean, negative is worse)."""
    out = {}
    for j, a in enumerate(ACTIONS):
        t = np.asarray(y_true[:, j], np.float64)
        p = np.asarray(y_pred[:, j], np.float64)
        err = p - t
        ss_tot = float(((t - t.mean()) ** 2).sum())
        r2 = 1.0 - float((err ** 2).sum()) / ss_tot if ss_tot > 0 else 0.0
        out[a] = {"rmse": float(np.sqrt((err ** 2).mean())), "mae": float(np.abs(err).mean()),
                  "r2": r2}
    return out


@dataclass
class ModelResult:
    """One trained model's record: what it saw and how it scored on held-out laps."""

    name: str  # registry name, e.g. mlp_128_64_32
    variant: str  # feature set, e.g. seed or seed-no_abs_steer
    features: list[str]
    metrics: dict[str, dict[str, float]]
    train_seconds: float
    path: str = ""
    device: str = "cpu"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.name}-{self.variant}"

    @property
    def with_abs_steer(self) -> bool:
        return "abs_steer" in self.features

    def r2(self, action: str) -> float:
        return self.metrics[action]["r2"]

    @property
    def mean_r2(self) -> float:
        return float(np.mean([self.r2(a) for a in ACTIONS]))

    def beats(self, other: ModelResult) -> bool:
        """Lower RMSE than ``other`` on every action."""
        return all(self.metrics[a]["rmse"] < other.metrics[a]["rmse"] for a in ACTIONS)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "variant": self.variant, "features": self.features,
                "metrics": self.metrics, "train_seconds": self.train_seconds,
                "path": self.path, "device": self.device, **self.extra}


def fmt3(v: float) -> str:
    """Three decimals, without a "-0.000" for a value that rounds to zero."""
    return f"{round(v, 3) + 0.0:.3f}"


def signed3(v: float) -> str:
    """Three decimals with a sign: a gain or a loss."""
    return f"{round(v, 3) + 0.0:+.3f}"


def gain_text(gain: dict[str, float] | None) -> str:
    """``+0.012/-0.003/+0.100`` (gas/brake/steer), or "baseline" for a baseline's row."""
    return "baseline" if not gain else "/".join(signed3(gain[a]) for a in ACTIONS)


def comparison_rows(results: list[ModelResult]) -> list[list[str]]:
    """Header plus one row per result: model, features, abs_steer, R²/RMSE/MAE per action."""
    header = ["model", "features", "abs_steer"]
    for a in ACTIONS:
        header += [f"{a} R²", f"{a} RMSE", f"{a} MAE"]
    header += ["R² gain over best baseline (gas/brake/steer)", "train s", "device"]
    rows = [header]
    for r in results:
        row = [r.name, r.variant.removesuffix("-no_abs_steer"),
               "with" if r.with_abs_steer else "without"]
        for a in ACTIONS:
            m = r.metrics[a]
            row += [fmt3(m["r2"]), fmt3(m["rmse"]), fmt3(m["mae"])]
        row += [gain_text(r.extra.get("gain_r2")), f"{r.train_seconds:.1f}", r.device]
        rows.append(row)
    return rows
