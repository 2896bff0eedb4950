"""The HTML files: written, self-contained (offline), and error-free in headless Chromium."""

from __future__ import annotations

import numpy as np
import pytest

from actelemetry.analysis.report import AnalysisResult, analyze
from actelemetry.plots.thin import minmax_indices
from browser import open_page, require_chromium

EXPECTED = ("speed_trace", "control_inputs", "acceleration", "track_map", "lap_comparison",
            "report")


@pytest.fixture(scope="module")
def written(make_sim_session, tmp_path_factory: pytest.TempPathFactory) -> AnalysisResult:
    out = tmp_path_factory.mktemp("plots")
    return analyze([make_sim_session(laps=3)], out, plots=True)


def test_every_file_is_written_and_self_contained(written: AnalysisResult) -> None:
    assert set(written.files) == set(EXPECTED)
    for name, path in written.files.items():
        text = path.read_text(encoding="utf-8")
        assert "<script src=\"http" not in text and "cdn.plot.ly" not in text.split(
            "</script>")[-1], name  # plotly.js inline, nothing fetched
        assert "Plotly.newPlot" in text, name
        assert path.stat().st_size < 12_000_000, name
    report = written.files["report"].read_text(encoding="utf-8")
    assert report.count("Plotly.newPlot") == 5  # speed, inputs, G-G, map, comparison
    assert "corners" in report and "loses" in report


@pytest.mark.parametrize("name", ["report", "speed_trace"])  # the report holds every figure
def test_opens_in_headless_chromium_without_errors(written: AnalysisResult, name: str) -> None:
    require_chromium()
    page = open_page(written.files[name].resolve().as_uri())
    try:
        page.pump(0.5)
        plots = page.evaluate("document.querySelectorAll('.js-plotly-plot').length")
        has_plotly = page.evaluate("typeof Plotly !== 'undefined'")
        drawn = page.evaluate("document.querySelectorAll('.main-svg').length")
        assert page.console_errors == []
        assert has_plotly and plots >= 1 and drawn >= plots
    finally:
        page.close()


def test_minmax_thinning_keeps_peaks() -> None:
    rng = np.random.default_rng(0)
    y = rng.normal(size=100_000)
    y[12_345], y[67_890] = 50.0, -50.0
    keep = minmax_indices(y, 500)
    assert len(keep) <= 1002
    assert 12_345 in keep and 67_890 in keep
    assert np.all(np.diff(keep) > 0) and keep[0] == 0 and keep[-1] == len(y) - 1
    short = np.arange(10.0)
    assert np.array_equal(minmax_indices(short, 500), np.arange(10))


def test_traces_span_the_session(written: AnalysisResult) -> None:
    from actelemetry.plots.html import control_inputs, speed_trace

    end = written.sessions[0]["duration_s"]
    for fig in (speed_trace(written.series), control_inputs(written.series)):
        for trace in fig.data:
            if "lap starts" in (trace.name or ""):
                continue
            x = np.asarray(trace.x, dtype="f8")
            assert len(x) == len(trace.y)
            assert np.nanmax(x) == pytest.approx(end, abs=0.1), trace.name
