"""The commands end to end through ``actelemetry.cli.main`` on a real session."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from actelemetry.analysis.report import analyze
from actelemetry.cli import main
from actelemetry.errors import UsageError
from actelemetry.plots.terminal import gg_diagram, line_graph


def test_analyze_prints_every_table(three_laps: Path, capsys: pytest.CaptureFixture[str]
                                    ) -> None:
    main(["analyze", str(three_laps)])
    out = capsys.readouterr().out
    for needle in ("Top speed", "Capture:", "Laps", "Inputs", "Input distribution", "Wheels",
                   "Speed trace", "G-G diagram", "Delta at the line", "loses"):
        assert needle in out, needle


def test_compare_and_sql_commands(three_laps: Path, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    main(["compare", f"{three_laps}:2", f"{three_laps}:3", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert "error" in out and "ms" in out and (tmp_path / "lap_comparison.html").exists()
    main(["sql", "SELECT count(*) AS n FROM telemetry WHERE current_lap = ?", "-p", "2",
          str(three_laps)])
    assert "n" in capsys.readouterr().out
    main(["export", str(three_laps), "--columns", "speed_kmh", "--laps", "3",
          "-o", str(tmp_path / "l3.csv")])
    assert "rows x 1 columns" in capsys.readouterr().out


def test_ascii_graphs() -> None:
    t = np.linspace(0, 100, 5000)
    v = 150 + 100 * np.sin(t / 5)
    lines = line_graph(t, v, width=60, height=10, label="speed")
    assert len(lines) == 1 + 10 + 2
    assert all(len(ln) <= 60 + 9 for ln in lines[1:-1])
    assert "250" in lines[1] and "50" in lines[10]
    gg = gg_diagram(np.array([0.0, 1.5, -1.5]), np.array([-2.0, 0.0, 0.5]), size=11)
    assert len(gg) == 12 and all(len(ln) == 2 * 11 + 4 for ln in gg[1:])


def test_downsample_draws_fewer_points(three_laps: Path) -> None:
    full = analyze([three_laps], None, plots=False)
    thin = analyze([three_laps], None, plots=False, downsample=8)
    assert len(thin.series[0]["speed_kmh"]) < len(full.series[0]["speed_kmh"]) / 4
    assert thin.series[0]["speed_kmh"].max() == full.series[0]["speed_kmh"].max()
    with pytest.raises(UsageError):
        analyze([three_laps], None, plots=False, downsample=0)
