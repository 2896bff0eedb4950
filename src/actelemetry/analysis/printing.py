"""Printing analysis results to a Rich console (kept apart from computing them)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

from actelemetry.analysis.compare import Comparison
from actelemetry.analysis.report import AnalysisResult
from actelemetry.plots.terminal import gg_diagram, line_graph


def fmt(v: Any, spec: str = ".1f") -> str:
    if v is None:
        return "–"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float) and v != v:
        return "–"
    return format(v, spec) if isinstance(v, int | float) else str(v)


def _table(title: str, rows: Sequence[dict[str, Any]],
           columns: Sequence[tuple[str, str, str]]) -> Table:
    t = Table(title=title, title_justify="left", header_style="bold")
    for _, heading, _ in columns:
        t.add_column(heading, justify="right")
    for r in rows:
        t.add_row(*(fmt(r.get(k), spec) for k, _, spec in columns))
    return t


def _lap_time(v: float | None) -> str:
    if v is None:
        return "–"
    m, s = divmod(v, 60)
    return f"{int(m)}:{s:06.3f}"


def print_summary(result: AnalysisResult, console: Console) -> None:
    for s in result.sessions:
        console.print(f"[bold]{s['name']}[/]  {s.get('car') or '?'} at {s.get('track') or '?'}"
                      f"  ({s['format']}, {s['samples']} samples)")
        console.print(
            f"  Top speed {fmt(s['max_speed_kmh'])} km/h, average {fmt(s['avg_speed_kmh'])} "
            f"km/h, distance {fmt((s['distance_m'] or 0) / 1000, '.2f')} km, duration "
            f"{fmt(s['duration_s'])} s, laps {s['laps_completed']}")
        console.print(
            f"  Max accel {fmt(s['max_accel_g'], '.2f')} g, max braking "
            f"{fmt(abs(s['max_brake_g'] or 0), '.2f')} g, max lateral "
            f"{fmt(s['max_lat_g'], '.2f')} g; best valid lap "
            f"{_lap_time(s['best_valid_lap_s'])} (lap {fmt(s['best_valid_lap'], 'd')})")
        console.print(
            f"  Capture: {fmt(s['achieved_rate_hz'])} Hz achieved of {fmt(s['rate_hz'], '.0f')}"
            f", {fmt(s['packets_skipped'], '.0f')} physics steps not sampled, "
            f"{fmt(s['duplicates_refused'], 'd')} duplicates refused, {s['gaps']} gaps")


def print_analysis(result: AnalysisResult, console: Console, graphs: bool = True) -> None:
    """The terminal report of ``actelemetry analyze``."""
    print_summary(result, console)
    rows = [{**r, "game": _lap_time(r["game_time_s"]), "samples_t": _lap_time(
        r["sample_time_s"]), "flags": " ".join(f for f, on in (
            ("out", r["out_lap"]), ("partial", r["partial"])) if on)} for r in result.laps]
    console.print(_table("Laps", rows, (
        ("session", "sess", "d"), ("lap", "lap", "d"), ("game", "game time", ""),
        ("samples_t", "from samples", ""), ("valid", "valid", ""), ("flags", "", ""),
        ("top_speed_kmh", "top km/h", ".1f"), ("min_speed_kmh", "min km/h", ".1f"),
        ("max_lat_g", "lat g", ".2f"), ("max_brake_g", "brake g", ".2f"),
        ("full_throttle_pct", "full thr %", ".1f"), ("braking_pct", "braking %", ".1f"),
        ("coasting_pct", "coast %", ".1f"), ("tyres_out_samples", "tyres out", "d"))))
    i = result.inputs
    console.print(
        f"[bold]Inputs[/]: throttle mean {fmt(i['gas_mean'] * 100)} %, full "
        f"{fmt(i['gas_full_pct'])} %, off {fmt(i['gas_off_pct'])} %; braking "
        f"{fmt(i['braking_pct'])} % of samples (max {fmt(i['brake_max'], '.2f')}); coasting "
        f"{fmt(i['coasting_pct'])} %; both pedals {fmt(i['overlap_pct'])} %; |steer| mean "
        f"{fmt(i['steer_abs_mean'], '.3f')}, max {fmt(i['steer_abs_max'], '.3f')}")
    dist = Table(title="Input distribution (% of samples per tenth of travel)",
                 title_justify="left", header_style="bold")
    dist.add_column("input")
    for b in range(10):
        dist.add_column(f"{b / 10:.1f}" if b else "0", justify="right")
    for name in ("gas", "brake", "steer"):
        counts = {int(r["bin"]): r["samples"] for r in result.input_distribution
                  if r["input"] == name and r["bin"] is not None}
        total = sum(counts.values()) or 1
        dist.add_row(name + (" (-1..1)" if name == "steer" else ""),
                     *(fmt(100 * counts.get(b, 0) / total) for b in range(10)))
    console.print(dist)
    console.print(_table("Wheels", result.wheels, (
        ("wheel", "wheel", ""), ("slip_mean", "slip mean", ".3f"),
        ("slip_p95", "slip p95", ".3f"), ("slip_max", "slip max", ".3f"),
        ("load_mean", "load mean N", ".0f"), ("load_min", "min", ".0f"),
        ("load_max", "max", ".0f"), ("lockups", "lock-ups", "d"),
        ("locked_samples", "locked samples", "d"))))
    if graphs:
        for s in result.series:
            for line in line_graph(s["session_time"], s["speed_kmh"],
                                   width=max(20, min(100, console.width - 12)),
                                   label=f"Speed trace, {s['name']} (km/h)"):
                console.print(line, highlight=False)
        for line in gg_diagram(result.gg["lat_g"], result.gg["long_g"], result.gg["samples"]):
            console.print(line, highlight=False)
    if result.comparison is not None:
        print_comparison(result.comparison, console)
    elif result.comparison_note:
        console.print(f"No lap comparison: {result.comparison_note}.")
    for name, path in result.files.items():
        console.print(f"wrote {name}: {path}")


def print_comparison(cmp: Comparison, console: Console) -> None:
    """Corner table, the accuracy at the line and the three corners losing most."""
    t = Table(title=f"{cmp.compared.label} against {cmp.reference.label} (reference)",
              title_justify="left", header_style="bold")
    for h in ("corner", "apex m", "brake pt m ref/cmp", "entry km/h", "apex km/h",
              "exit km/h", "throttle m", "time s"):
        t.add_column(h, justify="right")
    for r in cmp.corners:
        def pair(attr: str, spec: str = ".0f", row: Any = r) -> str:
            if row.ref is None:
                return "–"
            return f"{fmt(getattr(row.ref, attr), spec)} / {fmt(getattr(row.cmp, attr), spec)}"
        colour = "red" if r.time_s > 0.0005 else "green" if r.time_s < -0.0005 else "white"
        t.add_row(r.name, fmt(r.corner.apex_m, ".0f") if r.corner else "–",
                  pair("brake_point_m"), pair("entry_kmh", ".1f"), pair("apex_kmh", ".1f"),
                  pair("exit_kmh", ".1f"), pair("throttle_m"),
                  f"[{colour}]{r.time_s:+.3f}[/]")
    console.print(t)
    err = cmp.line_error_s
    if err is None:
        console.print(f"Delta at the line {cmp.line_delta_s:+.3f} s (the game's lap times "
                      "are not in the file, so it cannot be checked).")
    else:
        console.print(f"Delta at the line {cmp.line_delta_s:+.3f} s; the game's lap times "
                      f"differ by {cmp.game_delta_s:+.3f} s: error {err * 1000:.1f} ms.")
    for line in cmp.summary:
        console.print(line, highlight=False)
