"""The HTML files: written, light, offline (plotly.js shared beside them or embedded once),
and error-free in headless Chromium."""

from __future__ import annotations

import numpy as np
import pytest

from actelemetry.analysis.report import AnalysisResult, analyze
from actelemetry.plots.thin import minmax_indices
from browser import open_page, require_chromium

PAGES = ("speed_trace", "control_inputs", "acceleration", "track_map", "lap_comparison")
#: what one analysis may write by default
MAX_HTML_BYTES = 6 * 2**20


@pytest.fixture(scope="module")
def written(make_sim_session, tmp_path_factory: pytest.TempPathFactory) -> AnalysisResult:
    """The default: one self-contained report."""
    out = tmp_path_factory.mktemp("plots")
    return analyze([make_sim_session(laps=3)], out, plots=True)


@pytest.fixture(scope="module")
def split(make_sim_session, tmp_path_factory: pytest.TempPathFactory) -> AnalysisResult:
    """--split-plots: every figure as its own page too, sharing one plotly.min.js."""
    out = tmp_path_factory.mktemp("split")
    return analyze([make_sim_session(laps=3)], out, plots=True, split_plots=True)


def test_by_default_one_self_contained_report_under_6_mb(written: AnalysisResult) -> None:
    assert set(written.files) == {"report"}
    path = written.files["report"]
    assert [p.name for p in path.parent.iterdir()] == ["report.html"]
    assert path.stat().st_size <= MAX_HTML_BYTES, f"{path.stat().st_size / 2**20:.1f} MB"
    text = path.read_text(encoding="utf-8")
    assert '<script src="' not in text  # nothing fetched: plotly.js is inside, once
    assert text.count("Plotly.newPlot") == 5  # speed, inputs, G-G, map, comparison
    assert "corners" in text and "loses" in text
    assert "each pair: " in text  # the corner table says which lap is which


def test_split_pages_share_one_script_offline(split: AnalysisResult) -> None:
    assert set(split.files) == {*PAGES, "report", "plotly.js"}
    folder = split.files["report"].parent
    for name in PAGES:
        text = split.files[name].read_text(encoding="utf-8")
        assert '<script charset="utf-8" src="plotly.min.js">' in text, name
        assert "http" not in text.split("Plotly.newPlot")[0].split("plotly.min.js")[0], name
        assert "Plotly.newPlot" in text, name
    assert (folder / "plotly.min.js").stat().st_size > 1_000_000


def test_inputs_have_their_own_colours_names_and_units(written: AnalysisResult) -> None:
    from actelemetry.plots.html import control_inputs

    fig = control_inputs(written.series)
    names = {t.name for t in fig.data}
    colours = {t.name: t.line.color for t in fig.data}
    assert names == {"throttle", "brake", "steering"}
    assert len(set(colours.values())) == 3
    titles = [fig.layout[f"yaxis{i}"].title.text for i in ("", 2, 3)]
    assert titles == ["throttle (0-1)", "brake (0-1)", "steering (-1 left .. 1 right)"]


def test_corner_labels_do_not_overlap() -> None:
    from actelemetry.plots.html import corner_label_positions

    theta = np.linspace(0, 2 * np.pi, 400)
    x, z = 1000 * np.cos(theta), 600 * np.sin(theta)
    ax, az = x[[10, 12, 14, 200, 201]], z[[10, 12, 14, 200, 201]]  # apexes close together
    lx, lz = corner_label_positions(ax, az, x, z)
    gap = 0.035 * 2000
    for i in range(len(lx)):
        for j in range(i):
            assert np.hypot(lx[i] - lx[j], lz[i] - lz[j]) >= gap - 1e-6


@pytest.mark.parametrize("page", ["report", "speed_trace"])  # the report holds every figure
def test_opens_in_headless_chromium_without_errors(written: AnalysisResult,
                                                   split: AnalysisResult, page: str) -> None:
    require_chromium()
    path = written.files["report"] if page == "report" else split.files[page]
    opened = open_page(path.resolve().as_uri())
    try:
        opened.pump(0.5)
        plots = opened.evaluate("document.querySelectorAll('.js-plotly-plot').length")
        has_plotly = opened.evaluate("typeof Plotly !== 'undefined'")
        drawn = opened.evaluate("document.querySelectorAll('.main-svg').length")
        assert opened.console_errors == []
        assert has_plotly and plots >= 1 and drawn >= plots
    finally:
        opened.close()


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
