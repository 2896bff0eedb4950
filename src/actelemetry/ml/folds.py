"""Cross-validation over groups: every fold of a dataset made with ``ml prepare --folds K``
trained and scored as one dataset, then each metric summarised as mean and range.

One held-out split of a few drivers says little: with six drivers the folds of a real
dataset ranged from below zero to 0.95. The range is the finding, so every number here is
``mean (min..max)`` over folds, next to the same summary of the baselines.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from actelemetry.errors import UsageError
from actelemetry.ml.dataset import FOLDS_FILE
from actelemetry.ml.evaluate import ModelResult, fmt3, signed3
from actelemetry.ml.features import ACTIONS
from actelemetry.ml.train import TrainingResult, machine_summary, train_models

CV_REPORT = "cv_report.md"
CV_RESULTS = "cv_results.json"
BASELINE_NAMES = ("constant", "persistence")


def is_folded(data_dir: Path) -> bool:
    """Whether ``data_dir`` holds folds (``ml prepare --folds``) rather than one dataset."""
    return (Path(data_dir) / FOLDS_FILE).exists()


def read_plan(data_dir: Path) -> dict[str, Any]:
    """``folds.json``: what the folds hold out."""
    try:
        plan = json.loads((Path(data_dir) / FOLDS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"{data_dir}: cannot read {FOLDS_FILE} ({exc})") from None
    return dict(plan)


@dataclass
class Summary:
    """One model (or baseline) on one feature variant across folds."""

    name: str
    variant: str
    r2: dict[str, list[float]]  # action -> R² per fold
    gain: dict[str, list[float]] = field(default_factory=dict)  # action -> gain per fold

    @property
    def is_baseline(self) -> bool:
        return self.name in BASELINE_NAMES

    def mean(self, action: str) -> float:
        return float(np.mean(self.r2[action]))

    @property
    def mean_r2(self) -> float:
        return float(np.mean([self.mean(a) for a in ACTIONS]))

    def cell(self, action: str) -> str:
        """``mean (min..max)`` of R² over folds."""
        v = self.r2[action]
        return f"{fmt3(float(np.mean(v)))} ({fmt3(min(v))}..{fmt3(max(v))})"

    def gain_cell(self, action: str) -> str:
        return signed3(float(np.mean(self.gain[action]))) if self.gain else "baseline"

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "variant": self.variant, "r2": self.r2, "gain_r2": self.gain}


@dataclass
class CrossValidation:
    """Every fold's training result and the summaries across them."""

    output_dir: Path
    by: str
    plan: list[dict[str, Any]]  # per fold: folder, test_groups
    runs: list[TrainingResult]
    report_md: Path | None = None

    def summaries(self) -> list[Summary]:
        """Baselines first, then models, per variant in the order trained."""
        out: dict[tuple[str, str], Summary] = {}
        for run in self.runs:
            rows: list[ModelResult] = [*run.baselines.values(), *run.persistence.values(),
                                       *run.results]
            for r in rows:
                s = out.setdefault((r.variant, r.name), Summary(r.name, r.variant,
                                                                {a: [] for a in ACTIONS}))
                for a in ACTIONS:
                    s.r2[a].append(r.r2(a))
                gain = r.extra.get("gain_r2")
                if gain:
                    for a in ACTIONS:
                        s.gain.setdefault(a, []).append(float(gain[a]))
        variants = list(dict.fromkeys(v for v, _ in out))
        rank = {n: i for i, n in enumerate(BASELINE_NAMES)}
        return sorted(out.values(), key=lambda s: (variants.index(s.variant),
                                                   rank.get(s.name, len(rank))))

    def must_beat(self, variant: str) -> Summary:
        """The baseline with the best mean R² over folds, for a variant."""
        bars = [s for s in self.summaries() if s.variant == variant and s.is_baseline]
        return max(bars, key=lambda s: s.mean_r2)

    def first_line(self) -> str:
        variants = list(dict.fromkeys(s.variant for s in self.summaries()))
        parts = [f"{v.removesuffix('-no_abs_steer')}: {self.must_beat(v).name} "
                 f"(mean R² {self.must_beat(v).mean_r2:.3f})" for v in variants]
        return "Baseline a model must beat: " + "; ".join(parts) + "."

    def table_rows(self) -> list[list[str]]:
        """Header plus a row per summary: R² mean (range) per action and the mean gain."""
        rows = [["features", "model", *(f"{a} R² mean (range)" for a in ACTIONS),
                 "gain over best baseline (gas/brake/steer)"]]
        for s in self.summaries():
            rows.append([s.variant.removesuffix("-no_abs_steer"), s.name,
                         *(s.cell(a) for a in ACTIONS),
                         "/".join(s.gain_cell(a) for a in ACTIONS) if s.gain else "baseline"])
        return rows

    def fold_rows(self) -> list[list[str]]:
        """Header plus a row per fold and model: what it held out and its R² there."""
        rows = [["fold", f"held-out {self.by}(s)", "features", "model",
                 *(f"{a} R²" for a in ACTIONS)]]
        for k, (fold, run) in enumerate(zip(self.plan, self.runs, strict=True), 1):
            for r in [*run.baselines.values(), *run.persistence.values(), *run.results]:
                rows.append([str(k), ", ".join(fold["test_groups"]),
                             r.variant.removesuffix("-no_abs_steer"), r.name,
                             *(fmt3(r.r2(a)) for a in ACTIONS)])
        return rows

    def to_dict(self) -> dict[str, Any]:
        return {"by": self.by, "folds": self.plan,
                "summaries": [s.to_dict() for s in self.summaries()],
                "runs": [str(r.output_dir) for r in self.runs], "machine": machine_summary()}


def cross_validate(data_dir: Path, output_dir: Path, **train_options: Any) -> CrossValidation:
    """Train and score every fold of ``data_dir`` into ``output_dir/fold_K`` (the options
    are :func:`~actelemetry.ml.train.train_models`'s), then write ``cv_report.md`` and
    ``cv_results.json`` with each metric as mean and range over folds."""
    data_dir, output_dir = Path(data_dir), Path(output_dir)
    plan = read_plan(data_dir)
    folds = list(plan.get("folds", []))
    if len(folds) < 2:
        raise UsageError(f"{data_dir}: {FOLDS_FILE} names fewer than 2 folds")
    console = train_options.get("console")
    runs = []
    for k, f in enumerate(folds, 1):
        if console is not None and not console.quiet:
            console.print(f"fold {k}/{len(folds)}: holding out {', '.join(f['test_groups'])}",
                          highlight=False, markup=False, soft_wrap=True)
        runs.append(train_models(data_dir / f["folder"], output_dir / f["folder"],
                                 **train_options))
    cv = CrossValidation(output_dir, str(plan.get("by", "?")), folds, runs)
    (output_dir / CV_RESULTS).write_text(json.dumps(cv.to_dict(), indent=1), encoding="utf-8")
    cv.report_md = output_dir / CV_REPORT
    cv.report_md.write_text(cv_markdown(cv), encoding="utf-8")
    return cv


def markdown_table(rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0]),
            *("| " + " | ".join(r) + " |" for r in rows[1:])]


def cv_markdown(cv: CrossValidation) -> str:
    """The cross-validation report: the baseline to beat first, then the table."""
    lines = [cv.first_line(), "", "# Cross-validation report", "",
             f"- Split by {cv.by}: {len(cv.runs)} folds, each holding out "
             f"{'one' if all(len(f['test_groups']) == 1 for f in cv.plan) else 'a set of'} "
             f"{cv.by}(s) the models never saw; normaliser and reference line fitted on each "
             "fold's training groups only.",
             "- Each cell: R² mean over folds (min..max). Gain: the model's R² minus the best "
             "baseline's, per action, mean over folds.",
             f"- Machine: {machine_summary()}.", "",
             *markdown_table(cv.table_rows()), "", "## Per fold", "",
             *markdown_table(cv.fold_rows()), ""]
    return "\n".join(lines)
