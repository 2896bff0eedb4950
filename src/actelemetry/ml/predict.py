"""Live prediction: a sink that predicts the driver's inputs from the car's state.

It needs only sessions and samples of the shapes below (a capture's fit), so ML does not
depend on capture: :mod:`actelemetry.app.live_predict` wires the two together.

It keeps a short rolling buffer of samples (enough for the previous-action lag and a
sequence model's window), computes features with the same function the dataset used,
predicts the latest sample, and shows predicted vs actual gas, brake and steer with the
rolling error (Rich). Sequence windows restart at each new lap, as in training.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from actelemetry.channels.decode import StaticInfo
from actelemetry.errors import UsageError
from actelemetry.ml.features import (
    ACTIONS,
    FeatureContext,
    TrackMap,
    channels_needed,
    compute_features,
    session_rate,
    track_key,
)
from actelemetry.ml.models import Model

#: share of the sample period a prediction may take before samples are skipped
LATENCY_SHARE = 0.3


class LiveSession(Protocol):
    """What the predictor reads of a session: its rate and its static page."""

    rate: float
    static: StaticInfo


class LiveSample(Protocol):
    """What the predictor reads of a sample: its catalogue channels."""

    def channels(self) -> dict[str, Any]: ...


@dataclass
class PredictionSummary:
    """Scores of a whole live run (every predicted sample)."""

    model: str
    samples: int = 0
    metrics: dict[str, dict[str, float]] = field(default_factory=dict)
    latency_ms: float = 0.0
    warnings: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        if not self.samples:
            return [f"{self.model}: no samples predicted"]
        out = [f"{self.model}: {self.samples} samples predicted, {self.latency_ms:.2f} ms each"]
        for a, m in self.metrics.items():
            out.append(f"  {a:<5}  RMSE {m['rmse']:.3f}  MAE {m['mae']:.3f}  R² {m['r2']:.3f}")
        return out + [f"  note: {w}" for w in self.warnings]


class _Running:
    """Sums for RMSE, MAE and R² over a whole run, without keeping the samples."""

    def __init__(self) -> None:
        k = len(ACTIONS)
        self.n = 0
        self.sq, self.ab, self.y, self.y2 = (np.zeros(k) for _ in range(4))

    def add(self, actual: np.ndarray, pred: np.ndarray) -> None:
        err = pred - actual
        self.n += 1
        self.sq += err ** 2
        self.ab += np.abs(err)
        self.y += actual
        self.y2 += actual ** 2

    def metrics(self) -> dict[str, dict[str, float]]:
        if not self.n:
            return {}
        var = self.y2 / self.n - (self.y / self.n) ** 2
        out = {}
        for j, a in enumerate(ACTIONS):
            mse = self.sq[j] / self.n
            out[a] = {"rmse": float(np.sqrt(mse)), "mae": float(self.ab[j] / self.n),
                      "r2": float(1 - mse / var[j]) if var[j] > 1e-12 else 0.0}
        return out


class LivePredictor:
    """Capture sink: predicted vs actual actions for every sample, with the rolling error."""

    def __init__(self, model: Model, console: Console | None = None, window_s: float = 5.0,
                 display: bool = True, keep: bool = False) -> None:
        self.model = model
        self.console = console or Console()
        self.window_s = window_s
        self.display = display
        self.keep = keep  # keep every (features, actual, predicted) row, for tests
        self.kept: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.channels = sorted(channels_needed(model.features) | set(ACTIONS)
                               | {"current_lap", "speed_ms"})
        self.maps = {k: TrackMap.from_dict(v)
                     for k, v in model.info.get("track_maps", {}).items()}
        self.total = _Running()
        self.latency = 0.0
        self.warnings: list[str] = []
        self._live: Live | None = None
        self._last: dict[str, Any] = {}
        self.seen = 0
        self.every = 1
        self.period = 0.01
        self.ctx = FeatureContext()
        self.track = ""

    # --- the sink protocol ---------------------------------------------------------------
    def open(self, session: LiveSession) -> None:
        rate = session_rate(session.rate)
        model_rate = float(self.model.info.get("sample_rate_hz") or rate)
        self.step = max(1, int(round(rate / model_rate)))
        track = track_key(session.static.track, session.static.track_config)
        self.ctx = FeatureContext(rate, float(self.model.info.get("prev_lag_s", 0.2)),
                                  self.maps.get(track))
        if self.maps and track not in self.maps:
            self.ctx.warnings.append(f"no track map for {track} in the model (it was trained "
                                     f"on {', '.join(self.maps)}): curvature features are 0")
        size = (self.model.history - 1) * self.step + self.ctx.lag_samples + 2
        self.buffer: deque[dict[str, Any]] = deque(maxlen=size)
        self.recent: deque[np.ndarray] = deque(maxlen=max(int(self.window_s * rate), 1))
        self.track = track
        self.period = 1.0 / rate
        if self.display and self._live is None:
            self._live = Live(get_renderable=self._render, console=self.console,
                              refresh_per_second=8, transient=False)
            self._live.start()

    def write(self, sample: LiveSample) -> None:
        ch = sample.channels()
        self.buffer.append({k: ch[k] for k in self.channels})
        self.seen += 1
        if self.seen % self.every:
            return  # a slow model predicts every Nth sample so the capture keeps its rate
        t0 = time.perf_counter()
        rows = self._rows()
        pred = self.model.predict_latest(rows)
        spent = time.perf_counter() - t0
        self.latency += spent
        if self.seen == 50 * self.every:  # judge the cost once it has settled
            self.every = max(1, int(np.ceil(self.latency / max(self.total.n, 1)
                                            / (LATENCY_SHARE * self.period))))
        actual = np.array([float(ch[a]) for a in ACTIONS])
        self.total.add(actual, pred.astype(np.float64))
        self.recent.append(pred - actual)
        self._last = {"actual": actual, "pred": pred, "lap": ch["current_lap"],
                      "speed": ch["speed_ms"]}
        if self.keep:
            self.kept.append((rows[-1], actual, pred))

    def close(self, session: LiveSession | None) -> None:
        if self._live is not None:
            self._live.refresh()
            self._live.stop()
            self._live = None

    # --- features of the latest sample -------------------------------------------------------
    def _rows(self) -> np.ndarray:
        """Feature rows ending at the latest sample, at the model's rate, inside this lap."""
        buf = list(self.buffer)
        cols = {k: np.array([b[k] for b in buf]) for k in self.channels}
        feats = compute_features(cols, self.model.features, self.ctx)
        x = np.column_stack([feats[f] for f in self.model.features])
        lap = cols["current_lap"]
        start = len(lap) - 1
        while start > 0 and lap[start - 1] == lap[-1]:
            start -= 1
        idx = np.arange(len(lap) - 1, start - 1, -self.step)[::-1][-self.model.history:]
        return x[idx]

    # --- display -----------------------------------------------------------------------------
    def summary(self) -> PredictionSummary:
        n = self.total.n
        warnings = list(self.warnings)
        if n and self.ctx.warnings:
            warnings += self.ctx.warnings
        if self.every > 1:
            warnings.append(f"the model was too slow for every sample: every {self.every}th "
                            "was predicted")
        return PredictionSummary(self.model.info.get("name", self.model.label), n,
                                 self.total.metrics(), 1e3 * self.latency / max(n, 1),
                                 warnings)

    def _render(self) -> Any:
        name = f"{self.model.info.get('name', self.model.label)}-" \
               f"{self.model.info.get('variant', '')}"
        if not self._last:
            return Text(f"{name}: waiting for samples...")
        recent = np.array(self.recent) if self.recent else np.zeros((1, len(ACTIONS)))
        rmse = np.sqrt((recent ** 2).mean(axis=0))
        mae = np.abs(recent).mean(axis=0)
        table = Table("action", "actual", "predicted", "", "error",
                      f"RMSE {self.window_s:g}s", f"MAE {self.window_s:g}s",
                      title=f"{name}: predicted vs actual")
        for j, a in enumerate(ACTIONS):
            act, pred = float(self._last["actual"][j]), float(self._last["pred"][j])
            table.add_row(a, f"{act:+.3f}", f"{pred:+.3f}", _bars(act, pred, a == "steer"),
                          f"{pred - act:+.3f}", f"{rmse[j]:.3f}", f"{mae[j]:.3f}")
        n = self.total.n
        every = f" (every {self.every}th sample)" if self.every > 1 else ""
        foot = Text(f"lap {self._last['lap']}  {self._last['speed'] * 3.6:5.1f} km/h  "
                    f"{n} predictions{every}  {1e3 * self.latency / max(n, 1):.2f} ms each  "
                    f"track {self.track}\n")
        return Group(table, foot)


def _bars(actual: float, pred: float, signed: bool, width: int = 20) -> Text:
    """Two short bars: actual (white) over predicted (cyan)."""
    def bar(v: float) -> str:
        if signed:
            half = width // 2
            k = int(round(abs(v) * half))
            return (" " * (half - k) + "█" * k + "|" + " " * half) if v < 0 else \
                (" " * half + "|" + "█" * k + " " * (half - k))
        k = int(round(max(min(v, 1.0), 0.0) * width))
        return "█" * k + "·" * (width - k)

    t = Text(bar(actual), style="white")
    t.append("\n" + bar(pred), style="cyan")
    return t


def best_model(results: Path) -> Path:
    """The model folder ``ml train`` noted as the best in ``results/best.json``."""
    import json

    note = Path(results) / "best.json"
    try:
        best = json.loads(note.read_text(encoding="utf-8"))
        # the folder beside the note first: the results folder may have moved since
        path = Path(results) / best["model"]
        if not (path / "model.json").is_file():
            path = Path(best["path"])
    except FileNotFoundError:
        raise UsageError(f"no model given and no {note}: run `actelemetry ml train` first, "
                         "or give --model FOLDER") from None
    except (ValueError, KeyError, TypeError, OSError) as exc:
        raise UsageError(f"{note}: not a note of the best model ({exc})") from exc
    if not (path / "model.json").is_file():
        raise UsageError(f"{note} names {path}, which holds no saved model any more; "
                         "train again or give --model FOLDER")
    return path
