"""Training: every requested model on every feature variant, scored on held-out laps next to
the baselines it must beat.

Baselines: the constant (each action's training mean) always, and persistence (each action
as it was the dataset's lag earlier, the ``prev_*`` columns) whenever past actions are
features: a next-step predictor that does not beat repeating the last input has learnt
nothing. Every model's record carries its gain in R² over the best baseline, per action.

By default each feature set is trained without ``abs_steer`` (the steer target's own
magnitude, a leak); ``abs_steer="both"`` (and the full grid) also trains with it, so the
leak shows in the comparison. Models train on the
dataset's training laps only and are scored on its held-out laps; each is saved with its
feature list, normaliser and (for curvature features) the track's reference line.
"""

from __future__ import annotations

import json
import platform
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from actelemetry.errors import UsageError
from actelemetry.ml.dataset import Dataset, load_dataset
from actelemetry.ml.evaluate import ModelResult, action_metrics
from actelemetry.ml.features import (
    ACTIONS,
    FALLBACK_RATE_HZ,
    FEATURE_SET_INFO,
    FEATURE_SETS,
    LEAKY_FEATURE,
    PREV_ACTIONS,
    resolve_features,
    without_leak,
)
from actelemetry.ml.models import (
    CORE_MODELS,
    DEFAULT_MODELS,
    MODELS,
    NO_TORCH,
    QUICK_MODELS,
    ConstantModel,
    Model,
    SequenceModel,
    make_model,
    torch_available,
)

ABS_STEER_CHOICES = ("both", "with", "without")
#: in the results folder: which model `ml predict` loads when given none
BEST_FILE = "best.json"
RESULTS_FILE = "results.json"


@dataclass
class TrainingResult:
    """What ``train_models`` made: scores, where the models and the report are."""

    output_dir: Path
    results: list[ModelResult]
    baselines: dict[str, ModelResult]  # variant -> constant predictor's scores
    #: variant -> persistence's scores (only variants whose features hold past actions)
    persistence: dict[str, ModelResult] = field(default_factory=dict)
    report_md: Path | None = None
    report_txt: Path | None = None
    plots: list[Path] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # models not trained, and why
    dataset: dict[str, Any] = field(default_factory=dict)

    def best(self, with_abs_steer: bool = False) -> ModelResult | None:
        """The model with the highest mean R² (by default among those without abs_steer)."""
        pool = [r for r in self.results if r.with_abs_steer == with_abs_steer]
        return max(pool, key=lambda r: r.mean_r2, default=None)

    def files(self) -> list[Path]:
        """Every file and model folder the run wrote, in the order a user wants them."""
        out = [p for p in (self.report_md, self.report_txt) if p is not None]
        out += [self.output_dir / n for n in (BEST_FILE, RESULTS_FILE)
                if (self.output_dir / n).exists()]
        return out + list(self.plots) + [Path(r.path) for r in self.results if r.path]

    def bars(self, variant: str) -> list[ModelResult]:
        """The baselines of a variant: constant, and persistence when it applies."""
        return [self.baselines[variant], *([self.persistence[variant]]
                                           if variant in self.persistence else [])]

    def must_beat(self, variant: str) -> ModelResult:
        """The best baseline of a variant (highest mean R²): what a model has to beat."""
        return max(self.bars(variant), key=lambda r: r.mean_r2)

    def result(self, key: str) -> ModelResult:
        for r in self.results:
            if r.key == key:
                return r
        raise KeyError(key)


def feature_variants(dataset: Dataset, feature_sets: list[str] | None,
                     abs_steer: str, quick: bool) -> dict[str, list[str]]:
    """Variant name -> feature list, each set with and/or without abs_steer."""
    if abs_steer not in ABS_STEER_CHOICES:
        raise UsageError(f"--abs-steer must be one of {', '.join(ABS_STEER_CHOICES)}")
    card = dataset.card
    if not feature_sets:
        feature_sets = [card["feature_spec"]]
        # the seed's set (or a custom list) is compared with the richer state by default;
        # the sets named by their leak are trained as asked
        if not quick and card["feature_spec"] not in ("rich", "state", "state+history",
                                                      "state+actions") and all(
                f in dataset.table for f in FEATURE_SETS["rich"]):
            feature_sets.append("rich")
    variants: dict[str, list[str]] = {}
    for spec in feature_sets:
        # the dataset's own set: the features it was built with (a named set is cut to
        # what the sessions had)
        feats = list(card["features"]) if spec == card["feature_spec"] else \
            list(resolve_features(spec))
        missing = [f for f in feats if f not in dataset.table]
        if missing:
            raise UsageError(f"{dataset.path}: the dataset lacks feature(s) "
                             f"{', '.join(missing)} of set {spec!r}")
        name = spec if spec in FEATURE_SETS else "custom"
        if abs_steer in ("both", "with") and LEAKY_FEATURE in feats:
            variants[name] = feats
        if LEAKY_FEATURE not in feats:  # a set without the leak keeps its own name
            variants[name] = feats
        elif abs_steer in ("both", "without"):
            variants[f"{name}-no_abs_steer"] = list(without_leak(feats))
    return variants


def train_models(data_dir: Path, output_dir: Path, models: list[str] | None = None,
                 seed: int = 0, quick: bool = False, *, feature_sets: list[str] | None = None,
                 abs_steer: str | None = None, console: Console | None = None,
                 all_models: bool = False,
                 epochs: int | None = None, params: dict[str, dict[str, Any]] | None = None,
                 threads: int | None = None, report: bool = True) -> TrainingResult:
    """Train ``models`` (names from :data:`MODELS`; default :data:`CORE_MODELS` on the
    dataset's feature set, ``all_models``: every model on the dataset's and the rich set,
    ``quick``: small fast versions) on the prepared dataset in ``data_dir``, each feature set
    ``abs_steer`` "without" (default), "with" or "both" (default with ``all_models``); save each
    under ``output_dir/MODEL-VARIANT``, note the best in ``best.json``, and write the
    comparison report and overlay plots. Deterministic for a given ``seed``.

    ``epochs`` sets the MLPs' and sequence models' epochs; ``params`` overrides any model's
    parameters by name (e.g. ``{"hgb": {"max_iter": 50}, "gru": {"stride": 2}}``);
    ``threads`` caps BLAS/OpenMP/PyTorch threads (1 is much faster on a busy machine; the
    default is 1, and the libraries' own choice for ``all_models``).
    Sequence models are skipped with a note when PyTorch is absent (unless asked by name,
    which is an error).
    """
    if abs_steer is None:
        abs_steer = "both" if all_models else "without"
    with limit_threads(threads if threads is not None else (None if all_models else 1)):
        return _train(data_dir, output_dir, models, seed, quick, feature_sets, abs_steer,
                      console, epochs, params, report, all_models)


def _train(data_dir: Path, output_dir: Path, models: list[str] | None, seed: int, quick: bool,
           feature_sets: list[str] | None, abs_steer: str, console: Console | None,
           epochs: int | None, params: dict[str, dict[str, Any]] | None,
           report: bool, all_models: bool = False) -> TrainingResult:
    dataset = load_dataset(data_dir)
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    names, skipped = _pick_models(models, quick, all_models)
    variants = feature_variants(dataset, feature_sets, abs_steer, quick or not all_models)
    train, test = dataset.train, dataset.test
    if not train.any() or not test.any():
        raise UsageError(f"{data_dir}: the dataset needs both training and held-out laps")
    y = dataset.y
    groups = dataset.groups
    seq = dataset.card.get("sequences", {})

    results: list[ModelResult] = []
    baselines: dict[str, ModelResult] = {}
    persistence: dict[str, ModelResult] = {}
    predictions: dict[str, np.ndarray] = {}
    jobs = [(v, n) for v in variants for n in names]
    done = 0
    with _progress(console) as progress:
        overall = progress.add_task("models", total=len(jobs)) if progress else None
        for variant, feats in variants.items():
            x = dataset.x(feats)
            const = ConstantModel(feats, seed).fit(x[train], y[train])
            baselines[variant] = ModelResult("constant", variant, feats, action_metrics(
                y[test], const.predict(x[test])), const.train_seconds)
            if any(f in PREV_ACTIONS for f in feats):
                persistence[variant] = persistence_result(dataset, variant)
            for name in names:
                overrides: dict[str, Any] = {}
                if issubclass(MODELS[name][0], SequenceModel):
                    overrides["seq_len"] = int(seq.get("length", 50))
                    overrides["stride"] = max(1, overrides["seq_len"] // 10)
                if epochs is not None and name not in ("linear", "hgb"):
                    overrides["epochs"] = epochs
                overrides.update((params or {}).get(name, {}))
                model = make_model(name, feats, seed, quick, **overrides)
                task = progress.add_task(f"{name} · {variant}", total=1.0) if progress else None

                def tick(frac: float, task: TaskID | None = task) -> None:
                    if progress is not None and task is not None:
                        progress.update(task, completed=frac)

                model.fit(x[train], y[train], groups[train], tick)
                pred = model.predict(x[test], groups[test])
                res = ModelResult(name, variant, feats, action_metrics(y[test], pred),
                                  model.train_seconds, device=model.info.get("device", "cpu"))
                folder = output_dir / res.key
                _attach_info(model, dataset, res, variant)
                model.save(folder)
                res.path = str(folder)
                results.append(res)
                predictions[res.key] = pred
                done += 1
                if progress is not None and task is not None and overall is not None:
                    progress.update(task, completed=1.0, visible=False)
                    progress.advance(overall)
                elif console is not None and not console.quiet:  # piped: a line per model
                    console.print(f"model {done}/{len(jobs)} {name} · {variant}: R² "
                                  + " ".join(f"{a} {res.r2(a):.3f}" for a in ACTIONS)
                                  + f" ({res.train_seconds:.1f} s)", highlight=False,
                                  soft_wrap=True)
    result = TrainingResult(output_dir, results, baselines, persistence, skipped=skipped,
                            dataset=_dataset_summary(dataset))
    for r in results:
        r.extra["gain_r2"] = gain_over(r, result.bars(r.variant))
        r.extra["must_beat"] = result.must_beat(r.variant).name
    (output_dir / RESULTS_FILE).write_text(json.dumps({
        "results": [r.to_dict() for r in results],
        "baselines": {k: v.to_dict() for k, v in baselines.items()},
        "persistence": {k: v.to_dict() for k, v in persistence.items()},
        "skipped": skipped, "dataset": result.dataset, "seed": seed, "quick": quick,
        "machine": machine_summary()}, indent=1), encoding="utf-8")
    best = result.best()
    if best is not None:  # what `ml predict` loads when given no --model
        (output_dir / BEST_FILE).write_text(json.dumps(
            {"model": best.key, "path": str(Path(best.path).resolve()),
             "mean_r2": best.mean_r2, "why": "best mean R² on held-out laps without abs_steer"},
            indent=1), encoding="utf-8")
    if report:
        from actelemetry.ml.report import write_report

        write_report(result, dataset, predictions)
    return result


def persistence_result(dataset: Dataset, variant: str) -> ModelResult:
    """Persistence on the held-out rows: each action as it was the dataset's lag earlier
    (its ``prev_*`` column, which never reaches back across a lap start or a gap)."""
    test = dataset.test
    missing = [f for f in PREV_ACTIONS if f not in dataset.table]
    if missing:
        raise UsageError(f"{dataset.path}: the dataset lacks {', '.join(missing)} "
                         "(persistence needs the past actions)")
    pred = np.column_stack([dataset.table[f][test] for f in PREV_ACTIONS])
    lag = float(dataset.card.get("prev_lag_s", 0.2))
    return ModelResult("persistence", variant, list(PREV_ACTIONS),
                       action_metrics(dataset.y[test], pred), 0.0,
                       extra={"lag_s": lag})


def gain_over(result: ModelResult, bars: list[ModelResult]) -> dict[str, float]:
    """Per action: the model's R² minus the best baseline's R² on that action."""
    return {a: result.r2(a) - max(b.r2(a) for b in bars) for a in ACTIONS}


def _pick_models(models: list[str] | None, quick: bool,
                 all_models: bool = False) -> tuple[list[str], list[str]]:
    names = list(models) if models else list(
        DEFAULT_MODELS if all_models else QUICK_MODELS if quick else CORE_MODELS)
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        raise UsageError(f"unknown model(s) {', '.join(unknown)}; known: {', '.join(MODELS)}")
    skipped = []
    if not torch_available():
        seq = [n for n in names if issubclass(MODELS[n][0], SequenceModel)]
        if seq and models:
            raise UsageError(NO_TORCH)
        skipped = [f"{n}: {NO_TORCH}" for n in seq]
        names = [n for n in names if n not in seq]
    if not names:
        raise UsageError("no model to train")
    return names, skipped


def _attach_info(model: Model, dataset: Dataset, res: ModelResult, variant: str) -> None:
    """What inference needs besides weights: rates, lag, the track's reference line."""
    card = dataset.card
    model.info.update({
        "name": res.name, "variant": variant, "metrics": res.metrics,
        "sample_rate_hz": card.get("sample_rate_hz", FALLBACK_RATE_HZ),
        "every": card.get("every", 1),
        "prev_lag_s": card.get("prev_lag_s", 0.2), "dataset": str(dataset.path),
        "test_laps": card["split"]["test_laps"],
    })
    named = variant.removesuffix("-no_abs_steer")
    if named in FEATURE_SET_INFO:  # what the set leaks and what it is good for
        leaks, good_for = FEATURE_SET_INFO[named]
        model.info["feature_set"] = {"name": named, "leaks": leaks, "good_for": good_for}
    if any(f.startswith("curvature_") for f in model.features):
        model.info["track_maps"] = {k: m.to_dict() for k, m in dataset.track_maps.items()}


def _dataset_summary(dataset: Dataset) -> dict[str, Any]:
    c = dataset.card
    return {"path": str(dataset.path), "rows": c["rows"], "rows_train": c["rows_train"],
            "rows_test": c["rows_test"], "laps_kept": c["laps_kept"],
            "sessions": len(c["sessions"]), "split": c["split"]["by"],
            "train_laps": len(c["split"]["train_laps"]),
            "test_laps": len(c["split"]["test_laps"]),
            "sample_rate_hz": c.get("sample_rate_hz"), "exclusions": c["exclusions"]}


def machine_summary() -> str:
    """CPU / GPU the models trained on, for the report."""
    import os

    gpu = "no GPU"
    if torch_available():
        import torch

        if torch.cuda.is_available():
            gpu = f"GPU {torch.cuda.get_device_name(0)}"
    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPU cores, {gpu}"


@contextmanager
def limit_threads(threads: int | None) -> Iterator[None]:
    """Cap the thread pools of NumPy/sklearn (and PyTorch) for the duration."""
    if not threads:
        yield
        return
    from threadpoolctl import threadpool_limits

    torch_threads = None
    if torch_available():
        import torch

        torch_threads = torch.get_num_threads()
        torch.set_num_threads(threads)
    try:
        with threadpool_limits(threads):
            yield
    finally:
        if torch_threads is not None:
            import torch

            torch.set_num_threads(torch_threads)


class _progress:
    """A Rich progress display on a terminal ``console``; None when there is no console or
    it is not a terminal (then the trainer prints a plain line per model)."""

    def __init__(self, console: Console | None) -> None:
        self.console = console
        self.progress: Progress | None = None

    def __enter__(self) -> Progress | None:
        if self.console is None or not self.console.is_terminal:
            return None
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(),
                                 TextColumn("{task.percentage:>3.0f}%"), TimeElapsedColumn(),
                                 console=self.console, transient=False)
        self.progress.start()
        return self.progress

    def __exit__(self, *exc: object) -> None:
        if self.progress is not None:
            self.progress.stop()
