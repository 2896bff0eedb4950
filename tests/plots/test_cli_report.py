"""What `analyze --plots` and `compare` write, through the command line: one light,
self-contained page by default holding every figure, per-figure pages only when asked."""

from __future__ import annotations

from pathlib import Path

import pytest

from actelemetry.cli import main

#: what one analysis may write by default
MAX_HTML_BYTES = 6 * 2**20
#: the figures of an analysis, by their titles
FIGURES = ("Speed trace", "Control inputs", "G-G diagram", "Track map", " against ")


def _written(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_size for p in folder.rglob("*") if p.is_file()}


def test_analyze_plots_writes_one_report_under_6_mb(make_sim_session, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    session = make_sim_session(laps=3)
    main(["analyze", str(session), "--plots", "--no-graphs", "-o", str(tmp_path)])
    out = capsys.readouterr().out
    sizes = _written(tmp_path)
    assert list(sizes) == ["report.html"]
    assert sum(sizes.values()) <= MAX_HTML_BYTES, f"{sum(sizes.values()) / 2**20:.2f} MiB"
    # the terminal may wrap a long path anywhere: compare without the whitespace
    assert f"wrotereport:{tmp_path / 'report.html'}" in "".join(out.split())
    text = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert text.count("Plotly.newPlot") == len(FIGURES)
    assert text.count("plotly.js v") == 1  # the library once, inside: opens offline
    assert '<script src="' not in text and 'src="plotly.min.js"' not in text
    for title in FIGURES:
        assert title in text, title


def test_split_plots_share_one_script(make_sim_session, tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    session = make_sim_session(laps=3)
    main(["analyze", str(session), "--plots", "--split-plots", "--no-graphs",
          "-o", str(tmp_path)])
    capsys.readouterr()
    sizes = _written(tmp_path)
    pages = {"speed_trace.html", "control_inputs.html", "acceleration.html",
             "track_map.html", "lap_comparison.html"}
    assert set(sizes) == {*pages, "report.html", "plotly.min.js"}
    for name in pages:  # each page loads the shared script, none carries its own
        text = (tmp_path / name).read_text(encoding="utf-8")
        assert '<script charset="utf-8" src="plotly.min.js"></script>' in text, name
        assert "plotly.js v" not in text and sizes[name] < 2**20, name
    assert sizes["plotly.min.js"] > 2**20
    assert sum(sizes.values()) - sizes["report.html"] <= MAX_HTML_BYTES


def test_compare_keeps_the_order_given_and_says_so(make_sim_session, tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    session = make_sim_session(laps=3)
    name = session.stem
    for ref, other in ((3, 2), (2, 3)):  # whichever of the two is faster
        main(["compare", f"{session}:{ref}", f"{session}:{other}", "-o", str(tmp_path)])
        out = " ".join(capsys.readouterr().out.split())
        assert f"reference: {name} lap {ref}, compared: {name} lap {other}" in out
        assert f"T1 {ref} (reference)" in out and f"T1 {other} (compared)" in out
        text = (tmp_path / "lap_comparison.html").read_text(encoding="utf-8")
        assert f"{name} lap {other} against {name} lap {ref}" in text
        assert text.count("plotly.js v") == 1
        assert _written(tmp_path) == {"lap_comparison.html": len(text.encode())}
        assert len(text.encode()) <= MAX_HTML_BYTES
