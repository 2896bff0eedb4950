"""The demo: the whole pipeline on the built-in simulator, stage by stage.

Simulate a few laps and capture them through the real page reader, then run every later
stage (analysis report and plots, ML dataset, models) on the session just recorded.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from actelemetry.app.capture_session import summary_footer
from actelemetry.capture.loop import run_capture
from actelemetry.capture.options import CaptureOptions
from actelemetry.capture.sinks import Sample, Session, SessionFileSink, Sink


@dataclass
class StageResult:
    name: str
    seconds: float
    outputs: list[Path] = field(default_factory=list)
    note: str = ""


@dataclass
class DemoResult:
    session: Path
    stages: list[StageResult]


class _LapProgress:
    """A sink that reports completed laps to a progress callback."""

    def __init__(self, report: Callable[[int], None]) -> None:
        self.report = report
        self._laps = -1

    def open(self, session: Session) -> None: ...

    def write(self, sample: Sample) -> None:
        laps = sample.snapshot.completed_laps
        if laps != self._laps:
            self._laps = laps
            self.report(laps)

    def close(self, session: Session) -> None: ...


def capture_demo_session(logs: Path, laps: int, seed: int, game: str,
                         on_lap: Callable[[int], None] | None = None,
                         skill: float = 0.9) -> Path:
    """Simulate ``laps`` timed laps in fast mode and capture them into ``logs``."""
    sink = SessionFileSink(logs, footer=summary_footer)
    opts = CaptureOptions(source="sim", fast=True, game=game, sim_laps=laps, seed=seed,
                          skill=skill)
    sinks: list[Sink] = [sink]
    if on_lap is not None:
        sinks.append(_LapProgress(on_lap))
    run_capture(opts, sinks)
    if not sink.paths:
        raise RuntimeError("the simulator produced no session")
    return sink.paths[-1]


def run_demo(out: Path = Path("."), quick: bool = False, seed: int = 7, game: str = "ac",
             on_stage: Callable[[str, float], None] | None = None,
             on_lap: Callable[[int], None] | None = None, skill: float = 0.9) -> DemoResult:
    """Run every stage; ``on_stage(name, fraction_done)`` reports progress between stages."""
    laps = 3 if quick else 5
    notify = on_stage or (lambda name, frac: None)
    stages: list[StageResult] = []

    t0 = time.perf_counter()
    notify("simulate + capture", 0.0)
    session = capture_demo_session(out / "telemetry_logs", laps, seed, game, on_lap, skill)
    stages.append(StageResult("simulate + capture", time.perf_counter() - t0, [session]))

    for name, stage in _later_stages(out, quick, seed):
        notify(name, len(stages) / 4)
        t0 = time.perf_counter()
        outputs, note = stage(session)
        stages.append(StageResult(name, time.perf_counter() - t0, outputs, note))
    notify("done", 1.0)
    return DemoResult(session, stages)


def _later_stages(out: Path, quick: bool, seed: int) -> list[tuple[str, Callable]]:
    """The analysis and ML stages, each a function of the captured session."""

    def analysis(session: Path) -> tuple[list[Path], str]:
        from actelemetry.analysis.report import analyze

        result = analyze([session], out / "reports", plots=True)
        return list(result.files.values()), result.comparison_note

    def dataset(session: Path) -> tuple[list[Path], str]:
        from actelemetry.ml.dataset import prepare_dataset

        return [prepare_dataset([session], out / "ml_data")], ""

    def models(session: Path) -> tuple[list[Path], str]:
        from rich.console import Console

        from actelemetry.ml.train import train_models

        # `ml train`'s defaults (small models with --quick); training's own progress bars
        # give way to the demo's stage bars
        result = train_models(out / "ml_data", out / "ml_results", seed=seed, quick=quick,
                              console=Console(quiet=True))
        best = result.best()
        hint = "" if out == Path(".") else f" --model {best.path}" if best else ""
        note = (f"best without abs_steer: {best.key}, mean R² {best.mean_r2:.3f} "
                f"(next: actelemetry ml predict --source sim{hint})") if best else ""
        return result.files(), note

    return [("analysis report + plots", analysis), ("ML dataset", dataset),
            ("ML models", models)]
