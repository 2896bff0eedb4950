"""``analyze``: the tables, the comparison of the best lap with another, and the HTML files.

:func:`analyze` computes and writes; :func:`print_analysis` prints what it computed to a
Rich console. The demo and the CLI both call them, so the figures a user sees in the
terminal are the ones in the files.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from actelemetry.analysis import sql
from actelemetry.analysis.compare import Comparison, best_lap, compare_laps, timed_laps
from actelemetry.analysis.dataset import Dataset, open_dataset
from actelemetry.analysis.laps import LapRef, LapTrace, load_lap
from actelemetry.analysis.present import Skipped, absent
from actelemetry.errors import ActelemetryError, SessionFileError, UsageError
from actelemetry.plots.thin import SCREEN_BUCKETS
from actelemetry.store.output import moved, staged_folder

#: the seed's three files, then ours
SEED_FILES = ("speed_trace.html", "control_inputs.html", "acceleration.html")
REPORT_FILE = "report.html"
TRACK_MAP_FILE = "track_map.html"
COMPARISON_FILE = "lap_comparison.html"
PLOTTED = sql.SERIES_CHANNELS
#: the plots over session time and the channel each needs
PLOT_NEEDS = (("speed_kmh", "speed trace"), ("gas", "throttle trace"),
              ("brake", "brake trace"), ("steer", "steering trace"))


@dataclass
class AnalysisResult:
    """Everything ``analyze`` computed, and the files it wrote (name -> path)."""

    sessions: list[dict[str, Any]]
    laps: list[dict[str, Any]]
    inputs: dict[str, Any]
    input_distribution: list[dict[str, Any]]
    wheels: list[dict[str, Any]]
    series: list[dict[str, Any]]  # thinned per-session series (plots, ASCII graphs)
    gg: dict[str, np.ndarray] | None
    comparison: Comparison | None = None
    comparison_note: str = ""
    best: LapTrace | None = None
    files: dict[str, Path] = field(default_factory=dict)
    #: each table, plot or comparison left out, with the absent channel it needed
    skipped: list[Skipped] = field(default_factory=list)
    validity_known: bool = True  # the files record each lap's validity (lap_valid)


def thinned_series(ds: Dataset, session: int, laps: Sequence[dict[str, Any]],
                   buckets: int = SCREEN_BUCKETS) -> dict[str, Any]:
    """Per-bucket min and max of the plotted channels the files have, computed by DuckDB
    (time buckets: an irregular log is thinned as it is, never resampled)."""
    ends = [r["t_last"] for r in laps if r["session"] == session]
    span = max(ends) if ends else ds.rows(sql.SESSION_SPAN, [session])[0]["span"] or 0.0
    width = sql.bucket_width(float(span), buckets)
    plotted = [c for c in PLOTTED if ds.has(c)]
    out: dict[str, Any] = {"name": ds.source(session).name, "session": session}
    tab = _stored_series(ds, session, plotted, width)
    if tab is None:
        tab = ds.table(sql.time_buckets(plotted), [width, session]).data if plotted else {}
    for name in plotted:
        # every bucket's extremes, and the session's first and last samples
        t = np.concatenate((tab[f"{name}_t_lo"], tab[f"{name}_t_hi"], tab["t_first"][:1],
                            tab["t_last"][-1:])).astype("f8")
        v = np.concatenate((tab[f"{name}_lo"], tab[f"{name}_hi"], tab[f"{name}_first"][:1],
                            tab[f"{name}_last"][-1:])).astype("f8")
        order = np.argsort(t, kind="stable")
        t, v = t[order], v[order]
        first = np.concatenate(([True], np.diff(t) > 0))  # lo and hi at the same sample
        keep = first & np.isfinite(v)  # a session without the channel another has
        out[f"{name}_t"], out[name] = t[keep], v[keep]
    # each channel has its own times: NAME_t
    out["session_time"] = out.get("speed_kmh_t", np.zeros(0))
    out["lap_starts"] = np.array([r["t_first"] for r in laps if r["session"] == session][1:],
                                 dtype="f8")
    return out


def _stored_series(ds: Dataset, session: int, plotted: list[str],
                   width: float) -> dict[str, np.ndarray] | None:
    """The buckets the store computed for this session, when they are these (same channels,
    same bucket width); None otherwise."""
    stored = ds.stored(session, "series") if plotted else None
    if stored is None or not len(stored) or stored.column("bucket_width")[0] != width:
        return None
    if {c for c in PLOTTED if f"{c}_lo" in stored.columns} != set(plotted):
        return None
    return stored.data


def _pick_comparison(ds: Dataset) -> tuple[LapRef, LapRef] | str:
    """Best valid lap against the next best timed lap, or why there is no comparison."""
    rows = timed_laps(ds)
    if len(rows) < 2:
        return "a lap comparison needs two laps driven from line to line"
    ref = best_lap(ds)
    other = next(r for r in rows if (r["session"], r["lap"]) != (ref.session, ref.lap))
    return ref, LapRef(int(other["session"]), int(other["lap"]))


def analyze(paths: Sequence[str | Path], out_dir: Path | None = None, plots: bool = True,
            downsample: int = 1, split_plots: bool = False) -> AnalysisResult:
    """Analyse sessions (files, folders, globs) and write the HTML plots to ``out_dir``.

    ``downsample`` N draws N times fewer points per trace (the plots are already thinned to
    the screen; this makes the files smaller still). Returns the tables and written files.
    """
    if downsample < 1:
        raise UsageError(f"--downsample must be at least 1 (got {downsample})")
    with open_dataset(paths) as ds:
        if not ds.rows("SELECT count(*) AS n FROM telemetry")[0]["n"]:
            names = ", ".join(str(src.path) for src in ds.sources)
            raise SessionFileError(f"{names}: holds no samples to analyse")
        ds.settle()
        have = set(ds.columns)
        skipped = list(ds.skipped)
        sessions = ds.rows(sql.SESSION_SUMMARY)
        laps = ds.lap_rows()
        summary, lacks = sql.input_summary(have)
        skipped += lacks
        inputs = ds.rows(summary)[0] if summary else {}
        dist_sql = sql.input_distribution(have)
        dist = ds.rows(dist_sql) if dist_sql else []
        if dist_sql is None:
            skipped.append(Skipped("input distribution", ("gas", "brake", "steer"), True))
        wheel_sql, lacks = sql.wheel_table(have, len(ds.sources))
        skipped += lacks
        wheels = ds.rows(wheel_sql) if wheel_sql else []
        buckets = max(50, SCREEN_BUCKETS // downsample)
        series = [thinned_series(ds, s.session, laps, buckets) for s in ds.sources]
        skipped += [Skipped(what, (c,)) for c, what in PLOT_NEEDS if not ds.has(c)]
        gg = _gg_all(ds)
        if gg is None:
            skipped.append(Skipped("G-G diagram", absent(have, ("accel_lateral",
                                                                "accel_longitudinal"))))
        result = AnalysisResult(sessions, laps, inputs, dist, wheels, series, gg,
                                skipped=skipped, validity_known=ds.has("lap_valid"))
        picked = _pick_comparison(ds)
        if isinstance(picked, str):
            result.comparison_note = picked
            rows = timed_laps(ds)
            if rows:
                try:
                    result.best = load_lap(ds, LapRef(int(rows[0]["session"]),
                                                      int(rows[0]["lap"])))
                except ActelemetryError as exc:  # no way to place it along the lap
                    result.comparison_note += f"; no track map: {exc}"
        else:
            try:
                result.comparison = compare_laps(ds, *picked)
                result.best = result.comparison.reference
                result.skipped += result.comparison.skipped
            except ActelemetryError as exc:  # e.g. a lap with samples on one side only
                result.comparison_note = str(exc)
        if result.best is not None and "x" not in result.best.ch:
            result.skipped.append(Skipped("track map", ("pos_x", "pos_z")))
    if plots:
        if out_dir is None:
            raise UsageError("--plots needs an output folder")
        from actelemetry.plots.report import write_plots

        with staged_folder(Path(out_dir)) as stage:
            files = write_plots(result, stage, split=split_plots)
        result.files = moved(files, stage, Path(out_dir))
    return result


def _gg_all(ds: Dataset) -> dict[str, np.ndarray] | None:
    query = sql.gg_cells(set(ds.columns))
    if query is None:
        return None
    parts = []
    for s in ds.sources:
        stored = ds.stored(s.session, "gg")
        parts.append(stored.data if stored is not None else ds.table(query, [s.session]).data)
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
