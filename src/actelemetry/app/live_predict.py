"""Live prediction: a capture (the game or the simulator) feeding the ML predictor sink."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from actelemetry.capture.loop import run_capture
from actelemetry.capture.options import CaptureOptions
from actelemetry.ml.models import load_model
from actelemetry.ml.predict import LivePredictor, PredictionSummary
from actelemetry.ml.train import limit_threads


def run_live_prediction(model_dir: Path, opts: CaptureOptions, console: Console | None = None,
                        window_s: float = 5.0, display: bool = True,
                        trust_pickle: bool = False) -> PredictionSummary:
    """Capture per ``opts`` and predict every sample with the saved model in ``model_dir``;
    Ctrl-C ends the run with the scores so far."""
    model = load_model(Path(model_dir), trust_pickle=trust_pickle)
    predictor = LivePredictor(model, console, window_s, display)
    try:
        with limit_threads(1):  # one sample at a time: threads only add hand-over latency
            run_capture(opts, [predictor])
    except KeyboardInterrupt:
        predictor.close(None)
    return predictor.summary()
