"""Plotly figures for drivers, written as self-contained HTML that opens offline.

Every trace is handed NumPy arrays already thinned to what a screen shows (min-max per
pixel column over time, per lap on a distance grid); long series use WebGL traces.
plotly.js is embedded (``include_plotlyjs=True``) so no file needs the network.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from actelemetry.plots.thin import minmax_indices, minmax_union

#: a trace longer than this is drawn with WebGL
WEBGL_POINTS = 20_000
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf")


def _scatter(n: int) -> type:
    return go.Scattergl if n > WEBGL_POINTS else go.Scatter


def speed_trace(series: Sequence[dict[str, Any]]) -> go.Figure:
    """Speed over session time per session, with a dotted line where each lap starts."""
    fig = go.Figure()
    for k, s in enumerate(series):
        keep = minmax_indices(s["speed_kmh"])
        t, v = s["speed_kmh_t"][keep], s["speed_kmh"][keep]
        fig.add_trace(_scatter(len(t))(x=t, y=v, mode="lines", name=f"{s['name']} speed",
                                       line={"width": 1, "color": COLOURS[k % len(COLOURS)]}))
        starts = s["lap_starts"]
        if len(starts):
            top = float(np.nanmax(v)) if len(v) else 1.0
            xs = np.repeat(starts, 3)
            ys = np.tile([0.0, top, np.nan], len(starts))
            xs[2::3] = np.nan
            fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", name=f"{s['name']} lap starts",
                                     line={"width": 1, "dash": "dot", "color": "#888"},
                                     hoverinfo="skip"))
    fig.update_layout(title="Speed trace", xaxis_title="session time (s)",
                      yaxis_title="speed (km/h)", template="plotly_white")
    return fig


def control_inputs(series: Sequence[dict[str, Any]]) -> go.Figure:
    """Throttle, brake and steering over session time (one row each)."""
    fig = make_subplots(rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.04,
                        subplot_titles=("throttle", "brake", "steering"))
    for k, s in enumerate(series):
        colour = COLOURS[k % len(COLOURS)]
        for row, name in enumerate(("gas", "brake", "steer"), start=1):
            keep = minmax_indices(s[name])
            fig.add_trace(_scatter(len(keep))(
                x=s[f"{name}_t"][keep], y=s[name][keep], mode="lines",
                name=f"{s['name']} {name}", line={"width": 1, "color": colour}),
                row=row, col=1)
    fig.update_layout(title="Control inputs", template="plotly_white", height=750)
    fig.update_xaxes(title_text="session time (s)", row=3, col=1)
    return fig


def acceleration(cells: dict[str, np.ndarray]) -> go.Figure:
    """G-G diagram: every distinct 0.02 g cell visited, coloured by mean speed."""
    n = len(cells["lat_g"])
    fig = go.Figure(_scatter(n)(
        x=cells["lat_g"], y=cells["long_g"], mode="markers", name="samples",
        marker={"size": 4, "color": cells["speed_kmh"], "colorscale": "Viridis",
                "colorbar": {"title": {"text": "km/h"}}},
        customdata=cells["samples"],
        hovertemplate="lat %{x:.2f} g<br>long %{y:.2f} g<br>%{customdata} samples"))
    fig.update_layout(title="G-G diagram", template="plotly_white",
                      xaxis={"title": "lateral (g)", "constrain": "domain"},
                      yaxis={"title": "longitudinal (g)", "scaleanchor": "x", "scaleratio": 1})
    return fig


def track_map(x: np.ndarray, z: np.ndarray, speed: np.ndarray, title: str,
              corners: Sequence[Any] = (), d: np.ndarray | None = None) -> go.Figure:
    """The driven line in world x/z coloured by speed, corners labelled.

    Seen from above: the games' world is left-handed (y up), so z points up the page.
    """
    step = max(1, len(x) // 1500)
    fig = go.Figure(go.Scatter(
        x=x[::step], y=z[::step], mode="markers", name="line",
        marker={"size": 5, "color": speed[::step], "colorscale": "Turbo",
                "colorbar": {"title": {"text": "km/h"}}},
        hovertemplate="%{marker.color:.0f} km/h<extra></extra>"))
    if d is not None and len(corners):
        apex = np.array([c.apex_m for c in corners])
        fig.add_trace(go.Scatter(
            x=np.interp(apex, d, x), y=np.interp(apex, d, z), mode="text",
            text=[f"T{c.number}" for c in corners], textposition="top center",
            name="corners"))
    fig.update_layout(title=title, template="plotly_white", showlegend=False,
                      xaxis={"title": "x (m)", "constrain": "domain"},
                      yaxis={"title": "z (m)", "scaleanchor": "x", "scaleratio": 1})
    return fig


def lap_comparison(cmp: Any) -> go.Figure:
    """Speed, throttle, brake, steering, gear and delta over distance for two laps."""
    rows = ("speed_kmh", "gas", "brake", "steer", "gear")
    titles = ("speed (km/h)", "throttle", "brake", "steering", "gear",
              "delta (s, + = compared lap slower)")
    fig = make_subplots(rows=6, cols=1, shared_xaxes=True, vertical_spacing=0.025,
                        subplot_titles=titles,
                        row_heights=[0.28, 0.12, 0.12, 0.12, 0.1, 0.26])
    ref, other = cmp.reference, cmp.compared
    for lap, colour in ((ref, COLOURS[0]), (other, COLOURS[1])):
        keep = minmax_union([lap.ch[r] for r in rows], 1500)
        for i, name in enumerate(rows, start=1):
            fig.add_trace(go.Scatter(x=lap.d[keep], y=lap.ch[name][keep], mode="lines",
                                     name=lap.label, legendgroup=lap.label,
                                     showlegend=i == 1, line={"width": 1, "color": colour}),
                          row=i, col=1)
    keep = minmax_indices(cmp.delta_s, 1500)
    delta = np.round(cmp.delta_s[keep], 6)  # float noise of identical laps is not a delta
    fig.add_trace(go.Scatter(x=cmp.d[keep], y=delta, mode="lines", name="delta",
                             line={"width": 1.5, "color": "#333"}), row=6, col=1)
    # corner apexes: one layout update (add_vline per corner re-validates the whole figure)
    apexes = [(r.name, r.corner.apex_m) for r in cmp.corners if r.corner is not None]
    shapes = [{"type": "line", "xref": "x", "yref": "paper", "x0": x, "x1": x, "y0": 0,
               "y1": 1, "line": {"width": 1, "dash": "dot", "color": "#bbb"}}
              for _, x in apexes]
    labels = [{"x": x, "xref": "x", "y": 1.0, "yref": "paper", "text": name,
               "showarrow": False, "font": {"size": 10}} for name, x in apexes]
    fig.update_layout(shapes=shapes, annotations=[*fig.layout.annotations, *labels])
    err = cmp.line_error_s
    note = (f"delta at the line {cmp.line_delta_s:+.3f} s; game's lap times differ by "
            f"{cmp.game_delta_s:+.3f} s (error {err * 1000:.1f} ms)" if err is not None
            else f"delta at the line {cmp.line_delta_s:+.3f} s (game's lap times unknown)")
    fig.update_layout(title=f"{other.label} against {ref.label}<br><sup>{note}</sup>",
                      template="plotly_white", height=1100)
    fig.update_xaxes(title_text="distance from the line (m)", row=6, col=1)
    return fig


def _fmt(v: Any, spec: str = ".1f") -> str:
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return "–"
    return format(v, spec) if isinstance(v, int | float) else str(v)


def corner_table_html(cmp: Any) -> str:
    """The corner table as an HTML table (reference / compared per column)."""
    head = ("corner", "apex (m)", "braking point (m)", "entry (km/h)", "apex (km/h)",
            "exit (km/h)", "throttle (m)", "time (s)")
    out = ["<table class='corners'><thead><tr>"]
    out += [f"<th>{html.escape(h)}</th>" for h in head]
    out.append("</tr></thead><tbody>")
    for r in cmp.corners:
        def pair(attr: str, spec: str = ".0f", row: Any = r) -> str:
            if row.ref is None:
                return "–"
            return (f"{_fmt(getattr(row.ref, attr), spec)} / "
                    f"{_fmt(getattr(row.cmp, attr), spec)}")
        cls = "lost" if r.time_s > 0.0005 else "gained" if r.time_s < -0.0005 else ""
        cells = [r.name, _fmt(r.corner.apex_m, ".0f") if r.corner else "–",
                 pair("brake_point_m"), pair("entry_kmh", ".1f"), pair("apex_kmh", ".1f"),
                 pair("exit_kmh", ".1f"), pair("throttle_m"), f"{r.time_s:+.3f}"]
        out.append(f"<tr class='{cls}'>" + "".join(f"<td>{html.escape(c)}</td>" for c in cells)
                   + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def table_html(rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str, str]]) -> str:
    """A list of dicts as an HTML table; ``columns`` are (key, heading, format spec)."""
    out = ["<table><thead><tr>"]
    out += [f"<th>{html.escape(h)}</th>" for _, h, _ in columns]
    out.append("</tr></thead><tbody>")
    for row in rows:
        out.append("<tr>" + "".join(f"<td>{html.escape(_fmt(row.get(k), spec))}</td>"
                                    for k, _, spec in columns) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: right; }
th { background: #f3f3f3; }
tr.lost td:last-child { color: #b00; } tr.gained td:last-child { color: #070; }
pre { background: #f7f7f7; padding: 0.8em; }
"""


def write_figure(fig: go.Figure, path: Path) -> Path:
    """One figure as a self-contained HTML file (plotly.js embedded)."""
    fig.write_html(path, include_plotlyjs=True, full_html=True)
    return path


def write_report(path: Path, title: str, blocks: Sequence[str | go.Figure]) -> Path:
    """One self-contained page: HTML blocks and figures in order, plotly.js embedded once."""
    parts: list[str] = []
    first = True
    for block in blocks:
        if isinstance(block, go.Figure):
            parts.append(block.to_html(full_html=False, include_plotlyjs=first))
            first = False
        else:
            parts.append(block)
    page = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
            f"</title><style>{STYLE}</style></head><body>{''.join(parts)}</body></html>")
    path.write_text(page, encoding="utf-8")
    return path
