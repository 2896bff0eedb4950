"""Plotly figures for drivers, written as HTML that opens offline.

Why one module of about 360 lines: the figures share one style, one thinning and one way of
writing offline pages; each figure is a short function that the report picks from.

Every trace is handed NumPy arrays already thinned to what a screen shows (min-max per
pixel column over time, per lap on a distance grid); long series use WebGL traces.
plotly.js (4.8 MB) is never fetched from the network: a folder of pages shares one
``plotly.min.js`` beside them, and a single page embeds it once.
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
#: one colour per channel, the same in every figure; sessions and laps differ by line style
CHANNEL_COLOURS = {"speed_kmh": "#9467bd", "gas": "#2ca02c", "brake": "#d62728",
                   "steer": "#1f77b4", "gear": "#8c564b", "delta": "#333333"}
#: the words for the channels everywhere a person reads them
CHANNEL_NAMES = {"speed_kmh": "speed", "gas": "throttle", "brake": "brake",
                 "steer": "steering", "gear": "gear", "delta": "delta"}
#: each channel's axis title with its unit, and the factor from the stored value to it
AXIS_TITLES = {"speed_kmh": "speed (km/h)", "gas": "throttle (%)", "brake": "brake (%)",
               "steer": "steering (%)", "gear": "gear", "delta": "delta (s)"}
#: a row's title where the axis title needs a word more
ROW_TITLES = {**CHANNEL_NAMES, "steer": "steering (% of full lock, + right)",
              "delta": "delta (+ = compared lap slower)"}
SCALE = {"gas": 100.0, "brake": 100.0, "steer": 100.0}
#: the driver's inputs, in the order they are drawn
INPUTS = ("gas", "brake", "steer")
#: the colour scale of speed, in the G-G diagram and on the track map
SPEED_SCALE = "Turbo"
#: line styles that tell sessions apart in one figure
DASHES = ("solid", "dot", "dash", "dashdot")
#: the script file a folder of pages shares
PLOTLY_JS = "plotly.min.js"


def _shown(name: str, values: np.ndarray) -> np.ndarray:
    """A channel in the unit its axis names (fractions of pedal travel as %)."""
    factor = SCALE.get(name)
    return values * factor if factor else values


def _scatter(n: int) -> type:
    return go.Scattergl if n > WEBGL_POINTS else go.Scatter


def speed_trace(series: Sequence[dict[str, Any]]) -> go.Figure:
    """Speed over session time per session, with a dotted line where each lap starts."""
    fig = go.Figure()
    for k, s in enumerate(series):
        if "speed_kmh" not in s:  # a session without speed
            continue
        keep = minmax_indices(s["speed_kmh"])
        t, v = s["speed_kmh_t"][keep], s["speed_kmh"][keep]
        label = "speed" if len(series) == 1 else f"{s['name']} speed"
        fig.add_trace(_scatter(len(t))(x=t, y=v, mode="lines", name=label,
                                       line={"width": 1, "color": CHANNEL_COLOURS["speed_kmh"],
                                             "dash": DASHES[k % len(DASHES)]}))
        starts = s["lap_starts"]
        if len(starts):
            top = float(np.nanmax(v)) if len(v) else 1.0
            xs = np.repeat(starts, 3)
            ys = np.tile([0.0, top, np.nan], len(starts))
            xs[2::3] = np.nan
            fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines",
                                     name="lap starts" if len(series) == 1
                                     else f"{s['name']} lap starts",
                                     line={"width": 1, "dash": "dot", "color": "#888"},
                                     hoverinfo="skip"))
    fig.update_layout(title="Speed trace", xaxis_title="session time (s)",
                      yaxis_title=AXIS_TITLES["speed_kmh"], template="plotly_white")
    return fig


def control_inputs(series: Sequence[dict[str, Any]]) -> go.Figure:
    """Throttle, brake and steering over session time (one row each, of those the
    sessions have)."""
    inputs = [n for n in INPUTS if any(n in s for s in series)]
    fig = make_subplots(rows=len(inputs), cols=1, shared_xaxes=True, vertical_spacing=0.04,
                        subplot_titles=tuple(ROW_TITLES[n] for n in inputs))
    for k, s in enumerate(series):
        for row, name in enumerate(inputs, start=1):
            if name not in s:
                continue
            keep = minmax_indices(s[name])
            word = CHANNEL_NAMES[name]
            fig.add_trace(_scatter(len(keep))(
                x=s[f"{name}_t"][keep], y=_shown(name, s[name][keep]), mode="lines",
                name=word if len(series) == 1 else f"{s['name']} {word}",
                line={"width": 1, "color": CHANNEL_COLOURS[name],
                      "dash": DASHES[k % len(DASHES)]}),
                row=row, col=1)
            fig.update_yaxes(title_text=AXIS_TITLES[name], row=row, col=1)
    fig.update_layout(title="Control inputs", template="plotly_white",
                      height=250 * len(inputs))
    fig.update_xaxes(title_text="session time (s)", row=len(inputs), col=1)
    return fig


def acceleration(cells: dict[str, np.ndarray]) -> go.Figure:
    """G-G diagram: every distinct 0.02 g cell visited, coloured by mean speed (where the
    sessions have speed)."""
    n = len(cells["lat_g"])
    speed = np.asarray(cells["speed_kmh"], "f8")
    marker: dict[str, Any] = {"size": 4}
    if np.isfinite(speed).any():
        marker.update(color=speed, colorscale=SPEED_SCALE,
                      colorbar={"title": {"text": "speed (km/h)"}})
    fig = go.Figure(_scatter(n)(
        x=cells["lat_g"], y=cells["long_g"], mode="markers", name="samples", marker=marker,
        customdata=cells["samples"],
        hovertemplate="lat %{x:.2f} g<br>long %{y:.2f} g<br>%{customdata} samples"))
    fig.update_layout(title="G-G diagram", template="plotly_white",
                      xaxis={"title": "lateral (g)", "constrain": "domain"},
                      yaxis={"title": "longitudinal (g)", "scaleanchor": "x", "scaleratio": 1})
    return fig


def track_map(x: np.ndarray, z: np.ndarray, speed: np.ndarray | None, title: str,
              corners: Sequence[Any] = (), d: np.ndarray | None = None) -> go.Figure:
    """The driven line in world x/z coloured by speed (when the lap has it), corners
    labelled.

    Seen from above: the games' world is left-handed (y up), so z points up the page.
    """
    step = max(1, len(x) // 1500)
    if speed is not None:
        line = go.Scatter(
            x=x[::step], y=z[::step], mode="markers", name="line",
            marker={"size": 5, "color": speed[::step], "colorscale": SPEED_SCALE,
                    "colorbar": {"title": {"text": "speed (km/h)"}}},
            hovertemplate="%{marker.color:.0f} km/h<extra></extra>")
    else:
        line = go.Scatter(x=x[::step], y=z[::step], mode="markers", name="line",
                          marker={"size": 5})
    fig = go.Figure(line)
    xs, zs = [x], [z]
    if d is not None and len(corners):
        apex = np.array([c.apex_m for c in corners])
        ax, az = np.interp(apex, d, x), np.interp(apex, d, z)
        lx, lz = corner_label_positions(ax, az, x, z)
        xs, zs = [x, lx], [z, lz]
        fig.add_trace(go.Scatter(
            x=lx, y=lz, mode="text", text=[f"T{c.number}" for c in corners],
            textposition="middle center", name="corners", hoverinfo="skip"))
        fig.add_trace(go.Scatter(  # a thin leader from each label to its apex
            x=np.column_stack([ax, lx, np.full(len(ax), np.nan)]).ravel(),
            y=np.column_stack([az, lz, np.full(len(az), np.nan)]).ravel(),
            mode="lines", line={"width": 0.5, "color": "#999"}, hoverinfo="skip"))
    # the labels stand outside the line: the axes reach round them (autorange ignores text)
    allx, allz = np.concatenate(xs), np.concatenate(zs)
    pad = 0.05 * max(float(np.ptp(allx)), float(np.ptp(allz)), 1.0)
    fig.update_layout(title=title, template="plotly_white", showlegend=False, height=750,
                      xaxis={"title": "x (m)", "constrain": "domain",
                             "range": [float(allx.min()) - pad, float(allx.max()) + pad]},
                      yaxis={"title": "z (m)", "scaleanchor": "x", "scaleratio": 1,
                             "range": [float(allz.min()) - pad, float(allz.max()) + pad]})
    return fig


def corner_label_positions(ax: np.ndarray, az: np.ndarray, x: np.ndarray, z: np.ndarray,
                           ) -> tuple[np.ndarray, np.ndarray]:
    """Where each corner's label goes: pushed away from the track's centre, further for
    a label that would land on one already placed, so no two labels overlap."""
    span = max(float(np.ptp(x)), float(np.ptp(z)), 1.0)
    gap = 0.035 * span  # about the size of a label at the usual zoom
    cx, cz = float(np.mean(x)), float(np.mean(z))
    placed: list[tuple[float, float]] = []
    for px, pz in zip(ax, az, strict=True):
        dx, dz = px - cx, pz - cz
        norm = float(np.hypot(dx, dz)) or 1.0
        for step in range(1, 12):
            lx, lz = px + dx / norm * gap * step, pz + dz / norm * gap * step
            if all(np.hypot(lx - qx, lz - qz) >= gap for qx, qz in placed):
                break
        placed.append((lx, lz))
    arr = np.array(placed)
    return arr[:, 0], arr[:, 1]


def label_levels(xs: Sequence[float], min_gap: float) -> list[int]:
    """A text row for each label along an axis (0 = the first row): a label closer than
    ``min_gap`` to one already on a row goes to the next free row, so none overlap."""
    last: list[float] = []  # the position of the last label on each row
    levels = []
    for x in xs:
        row = next((i for i, at in enumerate(last) if x - at >= min_gap), len(last))
        if row == len(last):
            last.append(x)
        last[row] = x
        levels.append(row)
    return levels


def lap_comparison(cmp: Any) -> go.Figure:
    """Speed, throttle, brake, steering, gear and delta over distance for two laps.

    Each channel keeps its colour; the reference lap is the wide pale line, the compared
    lap the thin dark one over it.
    """
    ref, other = cmp.reference, cmp.compared
    heights = {"speed_kmh": 0.28, "gas": 0.12, "brake": 0.12, "steer": 0.12, "gear": 0.1}
    rows = tuple(r for r in heights if r in ref.ch or r in other.ch)
    fig = make_subplots(rows=len(rows) + 1, cols=1, shared_xaxes=True,
                        vertical_spacing=0.025,
                        subplot_titles=[ROW_TITLES[r] for r in (*rows, "delta")],
                        row_heights=[*(heights[r] for r in rows), 0.26])
    styles = ((ref, f"reference: {ref.label}", {"width": 4}, 0.35),
              (other, f"compared: {other.label}", {"width": 1.2}, 1.0))
    for lap, name, line, opacity in styles:
        have = [r for r in rows if r in lap.ch]
        keep = (minmax_union([lap.ch[r] for r in have], 1500) if have
                else np.arange(len(lap.d)))
        for i, ch in enumerate(rows, start=1):
            if ch not in lap.ch:
                continue
            fig.add_trace(go.Scatter(x=lap.d[keep], y=_shown(ch, lap.ch[ch][keep]),
                                     mode="lines", name=name, legendgroup=name,
                                     showlegend=ch == have[0], opacity=opacity,
                                     line={**line, "color": CHANNEL_COLOURS[ch]}),
                          row=i, col=1)
    keep = minmax_indices(cmp.delta_s, 1500)
    delta = np.round(cmp.delta_s[keep], 6)  # float noise of identical laps is not a delta
    last = len(rows) + 1
    fig.add_trace(go.Scatter(x=cmp.d[keep], y=delta, mode="lines", name="delta",
                             line={"width": 1.5, "color": CHANNEL_COLOURS["delta"]}),
                  row=last, col=1)
    for i, ch in enumerate((*rows, "delta"), start=1):
        fig.update_yaxes(title_text=AXIS_TITLES[ch], row=i, col=1)
    # corner names above the first row's title, in one layout update (add_vline per corner
    # re-validates the whole figure)
    apexes = [(r.name, r.corner.apex_m) for r in cmp.corners if r.corner is not None]
    levels = label_levels([x for _, x in apexes], 0.025 * float(ref.length_m or 1.0))
    shapes = [{"type": "line", "xref": "x", "yref": "paper", "x0": x, "x1": x, "y0": 0,
               "y1": 1, "line": {"width": 1, "dash": "dot", "color": "#bbb"}}
              for _, x in apexes]
    labels = [{"x": x, "xref": "x", "y": 1.0, "yref": "paper", "yanchor": "bottom",
               "yshift": 24 + 12 * level, "text": name, "showarrow": False,
               "font": {"size": 10}} for (name, x), level in zip(apexes, levels, strict=True)]
    fig.update_layout(shapes=shapes, annotations=[*fig.layout.annotations, *labels])
    err = cmp.line_error_s
    note = (f"delta at the line {cmp.line_delta_s:+.3f} s; game's lap times differ by "
            f"{cmp.game_delta_s:+.3f} s (error {err * 1000:.1f} ms)" if err is not None
            else f"delta at the line {cmp.line_delta_s:+.3f} s (game's lap times unknown)")
    top = 130 + 12 * max(levels, default=0)
    fig.update_layout(title=f"{other.label} against {ref.label}<br><sup>{note}</sup>",
                      template="plotly_white", height=max(500, 1100 * (len(rows) + 1) // 6),
                      margin={"t": top},
                      legend={"orientation": "h", "y": -0.06})
    fig.update_xaxes(title_text="distance from the line (m)", row=last, col=1)
    return fig


def _fmt(v: Any, spec: str = ".1f") -> str:
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return "–"
    return format(v, spec) if isinstance(v, int | float) else str(v)


def corner_table_html(cmp: Any) -> str:
    """The corner table as HTML: a row per corner and lap, each naming its lap."""
    if not cmp.corners:  # the comparison had no speed: its skipped lines say so
        return ""
    head = ("corner", "lap", "apex (m)", "braking point (m)", "entry (km/h)", "apex (km/h)",
            "exit (km/h)", "throttle (m)", "time (s)")
    ref, other = cmp.reference, cmp.compared
    caption = (f"reference: {ref.label}; compared: {other.label}. Time: what the compared "
               "lap lost (+) or gained (-) in the corner")
    out = [f"<table class='corners'><caption>{html.escape(caption)}</caption><thead><tr>"]
    out += [f"<th>{html.escape(h)}</th>" for h in head]
    out.append("</tr></thead><tbody>")
    for r in cmp.corners:
        cls = "lost" if r.time_s > 0.0005 else "gained" if r.time_s < -0.0005 else ""
        span = "<td rowspan='2'>{}</td>"
        for k, (lap, side, role) in enumerate(((ref, r.ref, "reference"),
                                               (other, r.cmp, "compared"))):
            cells = ["–"] * 5 if side is None else [
                _fmt(side.brake_point_m, ".0f"), _fmt(side.entry_kmh), _fmt(side.apex_kmh),
                _fmt(side.exit_kmh), _fmt(side.throttle_m, ".0f")]
            row = [f"<td class='lap'>{html.escape(f'lap {lap.ref.lap} ({role})')}</td>"]
            row += [f"<td>{html.escape(c)}</td>" for c in cells]
            if k == 0:
                apex = _fmt(r.corner.apex_m, ".0f") if r.corner else "–"
                row = [span.format(html.escape(r.name)), row[0],
                       span.format(html.escape(apex)), *row[1:],
                       f"<td rowspan='2' class='time'>{r.time_s:+.3f}</td>"]
            out.append(f"<tr class='{cls}'>" + "".join(row) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def table_html(rows: Sequence[dict[str, Any]], columns: Sequence[tuple[str, str, str]]) -> str:
    """A list of dicts as an HTML table; ``columns`` are (key, heading, format spec), those
    the rows have (a column left out for lack of a channel is listed under "Left out")."""
    columns = [c for c in columns if not rows or c[0] in rows[0]]
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
tr.lost td.time { color: #b00; } tr.gained td.time { color: #070; }
td.lap { text-align: left; } caption { text-align: left; }
pre { background: #f7f7f7; padding: 0.8em; }
"""


def lighten(fig: go.Figure) -> go.Figure:
    """Float32 instead of float64 for every array a trace carries: half the bytes, and
    still finer than a screen (a millimetre at 10 km, 0.01 km/h)."""
    for trace in fig.data:
        for attr in ("x", "y"):
            value = getattr(trace, attr, None)
            if isinstance(value, np.ndarray) and value.dtype == np.float64:
                setattr(trace, attr, value.astype(np.float32))
        marker = getattr(trace, "marker", None)
        colour = getattr(marker, "color", None) if marker is not None else None
        if marker is not None and isinstance(colour, np.ndarray) and colour.dtype == np.float64:
            marker.color = colour.astype(np.float32)
    return fig


def write_figure(fig: go.Figure, path: Path) -> Path:
    """One figure as an HTML page that loads the ``plotly.min.js`` beside it (Plotly
    writes that file into the page's folder if it is not there yet)."""
    lighten(fig).write_html(path, include_plotlyjs="directory", full_html=True)
    return path


def write_report(path: Path, title: str, blocks: Sequence[str | go.Figure],
                 embed: bool = True) -> Path:
    """One page: HTML blocks and figures in order; plotly.js embedded once (``embed``),
    or loaded from the ``plotly.min.js`` beside the page."""
    parts: list[str] = []
    first = True
    for block in blocks:
        if isinstance(block, go.Figure):
            script: bool | str = (True if embed else PLOTLY_JS) if first else False
            parts.append(lighten(block).to_html(full_html=False, include_plotlyjs=script))
            first = False
        else:
            parts.append(block)
    page = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
            f"</title><style>{STYLE}</style></head><body>{''.join(parts)}</body></html>")
    path.write_text(page, encoding="utf-8")
    return path
