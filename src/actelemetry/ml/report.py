"""The training report (Markdown and text) and overlay plots of a held-out lap.

Plots put the actual gas, brake and steer of one held-out lap under every model's
prediction against lap distance: a PNG per feature variant (matplotlib, Agg) and one
self-contained HTML (Plotly, WebGL traces thinned to what a screen shows).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from actelemetry.ml.evaluate import SEED_CLAIMED_R2, ModelResult, comparison_rows
from actelemetry.ml.features import ACTIONS, FEATURE_SET_INFO

if TYPE_CHECKING:
    from actelemetry.ml.dataset import Dataset
    from actelemetry.ml.train import TrainingResult

MAX_POINTS = 2500  # per trace, per lap: more than a screen shows


def write_report(result: TrainingResult, dataset: Dataset,
                 predictions: dict[str, np.ndarray]) -> None:
    """Write training_report.md/.txt and the overlay plots into the result's folder."""
    out = result.output_dir
    result.plots = overlay_plots(result, dataset, predictions, out)
    md, txt = report_texts(result)
    result.report_md = out / "training_report.md"
    result.report_txt = out / "training_report.txt"
    result.report_md.write_text(md, encoding="utf-8")
    result.report_txt.write_text(txt, encoding="utf-8")


def _sorted(result: TrainingResult) -> list[ModelResult]:
    order = {v: i for i, v in enumerate(result.baselines)}
    rows = [*result.baselines.values(), *result.persistence.values(), *result.results]
    rank = {"constant": 0, "persistence": 1}
    return sorted(rows, key=lambda r: (order.get(r.variant, 99), rank.get(r.name, 2)))


def must_beat_line(result: TrainingResult) -> str:
    """The report's first line: per feature variant, the baseline a model has to beat."""
    parts = []
    for variant in result.baselines:
        bar = result.must_beat(variant)
        what = (f"persistence (each action as it was {bar.extra.get('lag_s', 0.2):g} s "
                "earlier)" if bar.name == "persistence" else "constant (the training mean)")
        parts.append(f"{variant.removesuffix('-no_abs_steer')}: {what}, mean R² "
                     f"{bar.mean_r2:.3f}")
    return "Baseline a model must beat: " + "; ".join(parts) + "."


def report_texts(result: TrainingResult) -> tuple[str, str]:
    """The report as Markdown and as plain text (same content)."""
    from actelemetry.ml.train import machine_summary

    d = result.dataset
    rows = comparison_rows(_sorted(result))
    best = result.best(with_abs_steer=False)
    best_abs = result.best(with_abs_steer=True)
    intro = [
        must_beat_line(result),
        f"Dataset: {d['path']}: {d['rows']} rows at {d['sample_rate_hz']} Hz, "
        f"{d['sessions']} session(s), {d['laps_kept']} laps kept "
        f"({', '.join(f'{v} {k}' for k, v in d['exclusions'].items() if v) or 'none'} "
        "excluded).",
        f"Split by {d['split']}: {d['train_laps']} training laps ({d['rows_train']} rows), "
        f"{d['test_laps']} held-out laps ({d['rows_test']} rows). Every score below is on "
        "held-out laps only; the normaliser was fitted on training laps only.",
        f"Machine: {machine_summary()}.",
        "abs_steer is |steer|, the steer target's own magnitude: a leak. Rows marked 'with' "
        "use it (--abs-steer with|both, and --all); trust the 'without' rows.",
        "constant = the training mean of each action: the floor every model must beat. "
        "persistence = each action as it was the dataset's lag earlier, shown wherever past "
        "actions are features: a next-step predictor must beat it. The gain column is each "
        "action's R² minus the best baseline's.",
    ]
    for variant in result.baselines:
        named = variant.removesuffix("-no_abs_steer")
        if named in FEATURE_SET_INFO:
            leaks, good_for = FEATURE_SET_INFO[named]
            intro.append(f"Feature set {named} leaks {leaks}; good for {good_for}.")
    seed_line = ("The seed's claimed MLP (128, 64, 32) R²: gas {gas}, brake {brake}, steer "
                 "{steer}, measured with no lap split (random frames), so not comparable "
                 "to held-out laps.").format(**SEED_CLAIMED_R2)
    tail = []
    if best is not None:
        tail.append(f"Best without abs_steer: {best.key} (mean R² {best.mean_r2:.3f}).")
    if best_abs is not None:
        tail.append(f"Best with abs_steer: {best_abs.key} (mean R² {best_abs.mean_r2:.3f}).")
    tail.append(seed_line)
    beaten = [r.key for r in result.results if not r.beats(result.baselines[r.variant])]
    tail.append("Every model beats the constant predictor on every action."
                if not beaten else f"Not better than constant on every action: "
                f"{', '.join(beaten)}.")
    if result.persistence:
        held = [r for r in result.results if r.variant in result.persistence]
        short = [r.key for r in held if not r.beats(result.persistence[r.variant])]
        tail.append("Every model with past actions beats persistence on every action."
                    if not short else "Not better than persistence on every action: "
                    f"{', '.join(short)}.")
    tail += [f"Skipped: {s}" for s in result.skipped]
    plots = [p.name for p in result.plots]

    md = [intro[0], "", "# Training report", "", *[f"- {line}" for line in intro[1:]], "",
          "## Held-out-lap scores", "",
          "| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    md += ["| " + " | ".join(r) + " |" for r in rows[1:]]
    md += ["", *[f"- {t}" for t in tail], "", "## Models", ""]
    md += [f"- `{r.key}`: {r.path} ({len(r.features)} features)" for r in result.results]
    md += ["", "## Plots", "", *[f"- [{p}]({p})" for p in plots], ""]

    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    fmt = "  ".join(f"{{:<{w}}}" if i < 3 else f"{{:>{w}}}" for i, w in enumerate(widths))
    txt = [intro[0], "", "TRAINING REPORT", "=" * 15, "", *intro[1:], "",
           "Held-out-lap scores", "-" * 19,
           fmt.format(*rows[0]), *(fmt.format(*r) for r in rows[1:]), "", *tail, "",
           "Models:", *[f"  {r.key}: {r.path}" for r in result.results], "",
           "Plots:", *[f"  {p}" for p in plots], ""]
    return "\n".join(md), "\n".join(txt)


def _overlay_lap(dataset: Dataset) -> tuple[np.ndarray, str]:
    """Mask over held-out rows selecting one held-out lap, and its name."""
    test = dataset.test
    lap_ids = dataset.table["lap_id"][test]
    first = int(lap_ids.min())
    lap = dataset.card["split"]["test_laps"]
    name = next((f"{t['session']} lap {t['lap']}" for t in lap if t["lap_id"] == first),
                f"lap {first}")
    return lap_ids == first, name


def _thin(n: int) -> np.ndarray:
    step = max(1, int(np.ceil(n / MAX_POINTS)))
    return np.arange(0, n, step)


def overlay_plots(result: TrainingResult, dataset: Dataset,
                  predictions: dict[str, np.ndarray], out: Path) -> list[Path]:
    """PNG per variant and one HTML: actual vs predicted over one held-out lap."""
    if not predictions:
        return []
    mask, lap_name = _overlay_lap(dataset)
    dist = dataset.table["lap_distance_m"][dataset.test][mask]
    if not np.any(dist):
        dist = np.arange(mask.sum(), dtype=np.float64)
    actual = dataset.y[dataset.test][mask]
    keep = _thin(len(dist))
    paths = []
    variants = list(dict.fromkeys(r.variant for r in result.results))
    for variant in variants:
        paths.append(_png(result, predictions, variant, dist, actual, mask, keep, lap_name, out))
    paths.append(_html(result, predictions, dist, actual, mask, keep, lap_name, out))
    return paths


def _png(result: TrainingResult, predictions: dict[str, np.ndarray], variant: str,
         dist: np.ndarray, actual: np.ndarray, mask: np.ndarray, keep: np.ndarray,
         lap_name: str, out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(3, 1, figsize=(14, 9), sharex=True)
    for j, (ax, a) in enumerate(zip(axes, ACTIONS, strict=True)):
        ax.plot(dist[keep], actual[keep, j], color="black", lw=1.6, label="actual")
        for r in result.results:
            if r.variant == variant:
                ax.plot(dist[keep], predictions[r.key][mask][keep, j], lw=0.9, alpha=0.85,
                        label=f"{r.name} (all held-out laps R² {r.r2(a):.2f})")
        ax.set_ylabel(a)
        ax.legend(loc="upper right", fontsize=7, ncol=4)
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel("lap distance (m)")
    fig.suptitle(f"Held-out {lap_name}: actual vs predicted ({variant})")
    fig.tight_layout()
    path = out / f"overlay_{variant}.png"
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def _html(result: TrainingResult, predictions: dict[str, np.ndarray], dist: np.ndarray,
          actual: np.ndarray, mask: np.ndarray, keep: np.ndarray, lap_name: str,
          out: Path) -> Path:
    """One page, plotly.js embedded once; inputs named, coloured and scaled as in the
    analysis report (actual: the input's colour; each model its own colour)."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    from actelemetry.plots.html import AXIS_TITLES, CHANNEL_COLOURS, ROW_TITLES, SCALE

    fig = make_subplots(rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.05,
                        subplot_titles=[ROW_TITLES[a] for a in ACTIONS])
    x = np.asarray(dist[keep], dtype=np.float32)
    best = result.best(with_abs_steer=False)
    for j, a in enumerate(ACTIONS):
        scale = SCALE.get(a, 1.0)
        fig.add_trace(go.Scattergl(x=x, y=np.asarray(actual[keep, j] * scale, np.float32),
                                   name="actual", legendgroup="actual", showlegend=j == 0,
                                   line={"color": CHANNEL_COLOURS[a], "width": 2}),
                      row=j + 1, col=1)
        for k, r in enumerate(result.results):
            y = np.asarray(predictions[r.key][mask][keep, j] * scale, np.float32)
            fig.add_trace(go.Scattergl(
                x=x, y=y, name=r.key, legendgroup=r.key, showlegend=j == 0,
                visible=True if best is not None and r.key == best.key else "legendonly",
                line={"width": 1, "color": MODEL_COLOURS[k % len(MODEL_COLOURS)]}),
                row=j + 1, col=1)
        fig.update_yaxes(title_text=AXIS_TITLES[a], row=j + 1, col=1)
    fig.update_layout(title=f"Held-out {lap_name}: actual vs predicted (click the legend)",
                      height=900, template="plotly_white")
    fig.update_xaxes(title_text="lap distance (m)", row=3, col=1)
    path = out / "overlay.html"
    fig.write_html(path, include_plotlyjs=True, full_html=True)
    return path


#: the models' colours in the overlay, none of them an input's colour
MODEL_COLOURS = ("#222222", "#ff7f0e", "#17becf", "#e377c2", "#bcbd22", "#7f7f7f",
                 "#8c564b")
