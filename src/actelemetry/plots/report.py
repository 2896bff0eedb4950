"""Writing an analysis as HTML: the seed's three files, the track map, the lap comparison
and one self-contained report page holding all of them with the tables."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from actelemetry.plots import html as figs

LAP_COLUMNS = (
    ("session", "session", "d"), ("lap", "lap", "d"), ("kind", "kind", ""),
    ("game_time_s", "game time (s)", ".3f"),
    ("sample_time_s", "from samples (s)", ".3f"), ("valid", "valid", ""),
    ("top_speed_kmh", "top speed", ".1f"), ("min_speed_kmh", "min speed", ".1f"),
    ("max_lat_g", "max lat g", ".2f"), ("max_brake_g", "max brake g", ".2f"),
    ("full_throttle_pct", "full throttle %", ".1f"), ("braking_pct", "braking %", ".1f"),
    ("coasting_pct", "coasting %", ".1f"), ("tyres_out_samples", "tyres-out samples", "d"),
)
SESSION_COLUMNS = (
    ("name", "session", ""), ("car", "car", ""), ("track", "track", ""),
    ("duration_s", "duration (s)", ".1f"), ("distance_m", "distance (m)", ".0f"),
    ("timed_laps", "timed laps", "d"), ("max_speed_kmh", "max speed", ".1f"),
    ("avg_speed_kmh", "avg speed", ".1f"), ("max_accel_g", "max accel g", ".2f"),
    ("max_brake_g", "max brake g", ".2f"), ("max_lat_g", "max lat g", ".2f"),
    ("best_valid_lap_s", "best valid lap (s)", ".3f"),
    ("achieved_rate_hz", "rate (Hz)", ".1f"), ("packets_skipped", "packets skipped", ".0f"),
)
WHEEL_COLUMNS = (
    ("wheel", "wheel", ""), ("slip_mean", "slip mean", ".3f"), ("slip_p95", "slip p95", ".3f"),
    ("slip_max", "slip max", ".3f"), ("load_mean", "load mean (N)", ".0f"),
    ("load_min", "load min", ".0f"), ("load_max", "load max", ".0f"),
    ("lockups", "lock-ups", "d"), ("locked_samples", "locked samples", "d"),
)


def write_plots(result: Any, out_dir: Path, split: bool = False) -> dict[str, Path]:
    """The HTML of an analysis; returns name -> path.

    By default one self-contained ``report.html`` (plotly.js inside, once) holding the
    tables and every figure: the seed's speed trace, control inputs and G-G diagram, the
    track map and the lap comparison (under 6 MB for a session of a few laps). ``split``
    also writes each figure as its own page (``speed_trace.html``, ``control_inputs.html``,
    ``acceleration.html``, ``track_map.html``, ``lap_comparison.html``), all loading one
    shared ``plotly.min.js`` beside them, so they too open offline.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    pages: dict[str, Any] = {}
    if any("speed_kmh" in s for s in result.series):
        pages["speed_trace"] = figs.speed_trace(result.series)
    if any(name in s for s in result.series for name in figs.INPUTS):
        pages["control_inputs"] = figs.control_inputs(result.series)
    if result.gg is not None:
        pages["acceleration"] = figs.acceleration(result.gg)
    blocks: list[Any] = ["<h1>Session analysis</h1>",
                         figs.table_html(result.sessions, SESSION_COLUMNS),
                         "<h2>Laps</h2>", figs.table_html(result.laps, LAP_COLUMNS)]
    if result.wheels:
        blocks += ["<h2>Wheels</h2>", figs.table_html(result.wheels, WHEEL_COLUMNS)]
    blocks += list(pages.values())
    cmp = result.comparison
    best = cmp.corners if cmp else []
    if result.best is not None and "x" in result.best.ch:
        lap = result.best
        corners = [r.corner for r in best if r.corner is not None]
        tmap = figs.track_map(lap.ch["x"], lap.ch["z"], lap.ch.get("speed_kmh"),
                              f"Track map, {lap.label}, coloured by speed", corners, lap.d)
        pages["track_map"] = tmap
        blocks.append(tmap)
    if cmp is not None:
        fig = figs.lap_comparison(cmp)
        pages["lap_comparison"] = fig
        blocks += ["<h2>Lap comparison</h2>",
                   "<pre>" + html.escape("\n".join(cmp.summary)) + "</pre>",
                   figs.corner_table_html(cmp), fig]
    elif result.comparison_note:
        blocks.append(f"<p>No lap comparison: {html.escape(result.comparison_note)}.</p>")
    if result.skipped:
        blocks.append("<h2>Left out</h2><ul>" + "".join(
            f"<li>{html.escape(str(s))}</li>" for s in dict.fromkeys(result.skipped)) + "</ul>")
    if split:
        for name, fig in pages.items():
            files[name] = figs.write_figure(fig, out_dir / f"{name}.html")
        files["plotly.js"] = out_dir / figs.PLOTLY_JS
    files["report"] = figs.write_report(out_dir / "report.html", "actelemetry analysis", blocks)
    return files


def write_comparison(cmp: Any, out_dir: Path) -> dict[str, Path]:
    """The comparison page of ``actelemetry compare``: summary, corner table, traces, map."""
    out_dir.mkdir(parents=True, exist_ok=True)
    fig = figs.lap_comparison(cmp)
    lap = cmp.reference
    corners = [r.corner for r in cmp.corners if r.corner is not None]
    blocks: list[Any] = [
        "<h1>Lap comparison</h1>", "<pre>" + html.escape("\n".join(cmp.summary)) + "</pre>",
        figs.corner_table_html(cmp), fig]
    if "x" in lap.ch:
        blocks.append(figs.track_map(lap.ch["x"], lap.ch["z"], lap.ch.get("speed_kmh"),
                                     f"Track map, {lap.label}", corners, lap.d))
    if cmp.skipped:
        blocks.append("<ul>" + "".join(f"<li>{html.escape(str(s))}</li>"
                                       for s in cmp.skipped) + "</ul>")
    path = figs.write_report(out_dir / "lap_comparison.html", "actelemetry lap comparison",
                             blocks)
    return {"lap_comparison": path}
