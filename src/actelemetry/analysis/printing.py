"""Printing analysis results to a Rich console (kept apart from computing them)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from rich.console import Console

from actelemetry.analysis.compare import Comparison
from actelemetry.analysis.present import Skipped
from actelemetry.analysis.report import AnalysisResult
from actelemetry.analysis.tables import Format, TextTable, render
from actelemetry.capture.summary import quality_line
from actelemetry.plots.terminal import gg_diagram, line_graph
from actelemetry.timefmt import lap_time_s


def fmt(v: Any, spec: str = ".1f") -> str:
    """A value as text: none as –, NaN as nan, infinities as inf and -inf, never an error."""
    if isinstance(v, np.generic):
        v = v.item()
    if v is None:
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float) and not math.isfinite(v):
        return "nan" if v != v else ("inf" if v > 0 else "-inf")
    if isinstance(v, float) and abs(v) >= 1e15 and spec.endswith("f"):
        return f"{v:.6g}"  # 1e+308, not three hundred digits
    if isinstance(v, int | float):
        try:
            return format(v, spec)
        except (ValueError, OverflowError):  # a format for ints given a float, or too big
            return repr(v)
    return str(v)


def exact(v: Any) -> str:
    """A value with all it holds (a query's result): floats to 6 decimals, no exponent
    below 10^15, so no digit a person needs is rounded away."""
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and math.isfinite(v) and abs(v) < 1e15:
        text = f"{v:.6f}".rstrip("0").rstrip(".")
        return text if text not in ("-0", "") else "0"
    if isinstance(v, int) and not isinstance(v, bool):
        return str(v)
    return repr(v) if isinstance(v, float) and math.isfinite(v) else fmt(v)


def _table(title: str, rows: Sequence[dict[str, Any]],
           columns: Sequence[tuple[str, str, str]], keys: int = 1) -> TextTable:
    """A table of the ``columns`` the rows have (a column left out for lack of a channel
    is named in a ``skipped:`` line instead)."""
    columns = [c for c in columns if not rows or c[0] in rows[0]]
    t = TextTable(title, [heading for _, heading, _ in columns], keys=keys)
    for r in rows:
        t.add(*(fmt(r.get(k), spec) for k, _, spec in columns))
    return t


def _lap_time(v: float | None) -> str:
    return lap_time_s(v)


def _join(parts: Sequence[str | None]) -> str:
    return ", ".join(p for p in parts if p)


def print_summary(result: AnalysisResult, console: Console) -> None:
    for s in result.sessions:
        console.print(f"[bold]{s['name']}[/]  {s.get('car') or '?'} at {s.get('track') or '?'}"
                      f"  ({s['format']}, {s['samples']} samples)")
        has = s.keys().__contains__
        line = _join([
            f"Top speed {fmt(s['max_speed_kmh'])} km/h, average {fmt(s['avg_speed_kmh'])} "
            "km/h" if has("max_speed_kmh") else None,
            f"distance {fmt((s['distance_m'] or 0) / 1000, '.2f')} km"
            if has("distance_m") else None,
            f"duration {fmt(s['duration_s'])} s",
            f"{s['timed_laps'] or 0} timed laps"
            + (f" (+{s['other_laps']} out, in or partial)" if s["other_laps"] else "")])
        console.print(f"  {line[0].upper()}{line[1:]}", highlight=False)
        best = "best valid lap" if result.validity_known else "best lap (validity not recorded)"
        line = _join([
            f"max accel {fmt(s['max_accel_g'], '.2f')} g, max braking "
            f"{fmt(abs(s['max_brake_g'] or 0), '.2f')} g" if has("max_accel_g") else None,
            f"max lateral {fmt(s['max_lat_g'], '.2f')} g" if has("max_lat_g") else None,
            f"{best} {_lap_time(s['best_valid_lap_s'])} (lap {fmt(s['best_valid_lap'], 'd')})"])
        console.print(f"  {line[0].upper()}{line[1:]}", highlight=False)
        if has("packets_skipped"):  # captured by us (an imported log's losses are unknown)
            console.print(
                "  Capture: " + quality_line({
                    "target_rate_hz": s["rate_hz"], "achieved_rate_hz": s["achieved_rate_hz"],
                    "packets_skipped": s["packets_skipped"], "gaps": s.get("gaps")}))


def _inputs_line(i: dict[str, Any]) -> str:
    """The inputs summary, of the inputs the files have."""
    parts = []
    if "gas_mean" in i:
        mean = i["gas_mean"] * 100 if i["gas_mean"] is not None else None
        parts.append(f"throttle mean {fmt(mean)} %, full {fmt(i['gas_full_pct'])} %, "
                     f"off {fmt(i['gas_off_pct'])} %")
    if "braking_pct" in i:
        parts.append(f"braking {fmt(i['braking_pct'])} % of samples "
                     f"(max {fmt(i['brake_max'], '.2f')})")
    if "coasting_pct" in i:
        parts.append(f"coasting {fmt(i['coasting_pct'])} %; both pedals "
                     f"{fmt(i['overlap_pct'])} %")
    if "steer_abs_mean" in i:
        parts.append(f"|steer| mean {fmt(i['steer_abs_mean'], '.3f')}, max "
                     f"{fmt(i['steer_abs_max'], '.3f')}")
    return "; ".join(parts)


def print_analysis(result: AnalysisResult, console: Console, graphs: bool = True,
                   fmt_: Format = Format.table) -> None:
    """The terminal report of ``actelemetry analyze`` (``fmt_``: how tables print); every
    table or graph left out for lack of a channel is named in a ``skipped:`` line."""
    print_summary(result, console)
    rows = [{**r, "game": _lap_time(r["game_time_s"]), "samples_t": _lap_time(
        r["sample_time_s"])} for r in result.laps]
    render(_table("Laps", rows, (
        ("session", "sess", "d"), ("lap", "lap", "d"), ("kind", "kind", ""),
        ("game", "game time", ""), ("samples_t", "from samples", ""), ("valid", "valid", ""),
        ("top_speed_kmh", "top km/h", ".1f"), ("min_speed_kmh", "min km/h", ".1f"),
        ("max_lat_g", "lat g", ".2f"), ("max_brake_g", "brake g", ".2f"),
        ("full_throttle_pct", "full thr %", ".1f"), ("braking_pct", "braking %", ".1f"),
        ("coasting_pct", "coast %", ".1f"), ("tyres_out_samples", "tyres out", "d")), keys=2),
        console, fmt_)
    if result.inputs:
        console.print(f"[bold]Inputs[/]: {_inputs_line(result.inputs)}")
    present = [(n, label) for n, label in (("gas", "throttle"), ("brake", "brake"),
                                           ("steer", "steering"))
               if any(r["input"] == n for r in result.input_distribution)]
    if present:
        dist = TextTable("Input distribution (% of samples per tenth of travel; steering "
                         "from -1 to 1)",
                         ["input", *(f"{b / 10:.1f}" if b else "0" for b in range(10))])
        for name, label in present:
            counts = {int(r["bin"]): r["samples"] for r in result.input_distribution
                      if r["input"] == name and r["bin"] is not None
                      and math.isfinite(r["bin"])}  # -inf: in no tenth of the travel
            total = sum(counts.values()) or 1
            dist.add(label, *(fmt(100 * counts.get(b, 0) / total) for b in range(10)))
        render(dist, console, fmt_)
    if result.wheels:
        render(_table("Wheels", result.wheels, (
            ("wheel", "wheel", ""), ("slip_mean", "slip mean", ".3f"),
            ("slip_p95", "slip p95", ".3f"), ("slip_max", "slip max", ".3f"),
            ("load_mean", "load mean N", ".0f"), ("load_min", "min", ".0f"),
            ("load_max", "max", ".0f"), ("lockups", "lock-ups", "d"),
            ("locked_samples", "locked samples", "d"))), console, fmt_)
    if graphs:
        for s in result.series:
            if "speed_kmh" not in s:
                continue
            for line in line_graph(s["speed_kmh_t"], s["speed_kmh"],
                                   width=max(20, min(100, console.width - 12)),
                                   label=f"Speed trace, {s['name']} (km/h)"):
                console.print(line, highlight=False)
        if result.gg is not None:
            for line in gg_diagram(result.gg["lat_g"], result.gg["long_g"],
                                   result.gg["samples"]):
                console.print(line, highlight=False)
    if result.comparison is not None:
        print_comparison(result.comparison, console, fmt_, skipped=False)
    elif result.comparison_note:
        console.print(f"No lap comparison: {result.comparison_note}.")
    print_skipped(result.skipped, console)
    for name, path in result.files.items():
        console.print(f"wrote {name}: {path}")


def print_skipped(skipped: Sequence[Skipped], console: Console) -> None:
    """One line per table, plot or feature left out, naming the channel it needs."""
    seen: set[str] = set()
    for item in skipped:
        line = str(item)
        if line not in seen:
            seen.add(line)
            console.print(line, highlight=False, markup=False, soft_wrap=True)


def print_comparison(cmp: Comparison, console: Console, fmt_: Format = Format.table,
                     skipped: bool = True) -> None:
    """Corner table (a row per corner and lap), the accuracy at the line and the three
    corners losing most; then (``skipped``) what was left out for lack of a channel."""
    console.print(f"reference: {cmp.reference.label}, compared: {cmp.compared.label}",
                  highlight=False, markup=False)
    if cmp.corners:  # none: the corner table needs speed_kmh (named below)
        t = TextTable("Corners (time: the compared lap's loss (+) or gain (-) there)",
                      ["corner", "lap", "apex m", "brake pt m", "entry km/h", "apex km/h",
                       "exit km/h", "throttle m", "time s"], keys=2)
        for r in cmp.corners:
            apex = fmt(r.corner.apex_m, ".0f") if r.corner else "–"
            sides = ((f"{cmp.reference.ref.lap} (reference)", r.ref),
                     (f"{cmp.compared.ref.lap} (compared)", r.cmp))
            for k, (which, side) in enumerate(sides):
                values = ["–"] * 5 if side is None else [
                    fmt(side.brake_point_m, ".0f"), fmt(side.entry_kmh), fmt(side.apex_kmh),
                    fmt(side.exit_kmh), fmt(side.throttle_m, ".0f")]
                t.add(r.name, which, apex, *values, f"{r.time_s:+.3f}" if k else "")
        render(t, console, fmt_)
    err = cmp.line_error_s
    if err is None:
        console.print(f"Delta at the line {cmp.line_delta_s:+.3f} s (the game's lap times "
                      "are not in the file, so it cannot be checked).")
    else:
        console.print(f"Delta at the line {cmp.line_delta_s:+.3f} s; the game's lap times "
                      f"differ by {cmp.game_delta_s:+.3f} s: error {err * 1000:.1f} ms.")
    for line in cmp.summary:
        console.print(line, highlight=False)
    if skipped:
        print_skipped(cmp.skipped, console)
