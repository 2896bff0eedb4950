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
    assert "<td class='lap'>lap " in text  # the corner table says which lap is which


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
    assert titles == ["throttle (%)", "brake (%)", "steering (%)"]
    throttle = np.asarray(fig.data[0].y, dtype="f8")
    assert np.nanmax(throttle) == pytest.approx(100, abs=1)  # shown in its unit, %


def _figures(result: AnalysisResult) -> list:
    from actelemetry.plots import html as figs

    cmp = result.comparison
    assert cmp is not None and result.best is not None
    lap = result.best
    return [figs.speed_trace(result.series), figs.control_inputs(result.series),
            figs.acceleration(result.gg), figs.lap_comparison(cmp),
            figs.track_map(lap.ch["x"], lap.ch["z"], lap.ch["speed_kmh"], "map",
                           [r.corner for r in cmp.corners if r.corner], lap.d)]


def test_every_axis_names_its_unit(written: AnalysisResult) -> None:
    for fig in _figures(written):
        layout = fig.to_plotly_json()["layout"]
        axes = {k: v for k, v in layout.items() if k.startswith(("xaxis", "yaxis"))}
        ys = [v.get("title", {}).get("text") for k, v in axes.items() if k[0] == "y"]
        xs = [v.get("title", {}).get("text") for k, v in axes.items() if k[0] == "x"]
        assert ys and all(ys), (fig.layout.title.text, ys)
        assert any(xs), fig.layout.title.text  # shared x axes: the bottom one is titled
        for title in [*ys, *filter(None, xs)]:
            assert title == "gear" or "(" in title, title  # a unit in brackets


def test_each_channel_keeps_its_colour_in_every_figure(written: AnalysisResult) -> None:
    from actelemetry.plots.html import CHANNEL_COLOURS

    assert len(set(CHANNEL_COLOURS.values())) == len(CHANNEL_COLOURS)
    speed, inputs, _, comparison, _ = _figures(written)
    seen: dict[str, set[str]] = {}
    for fig in (speed, inputs, comparison):
        for trace in fig.data:
            axis = fig.layout[f"yaxis{(trace.yaxis or 'y')[1:]}"].title.text or ""
            if trace.line.color != "#888":  # lap starts
                seen.setdefault(axis.split(" (")[0], set()).add(trace.line.color)
    for word, key in (("speed", "speed_kmh"), ("throttle", "gas"), ("brake", "brake"),
                      ("steering", "steer"), ("gear", "gear"), ("delta", "delta")):
        assert seen[word] == {CHANNEL_COLOURS[key]}, word
    # the two laps differ by line width, and the legend says which is which
    names = [t.name for t in comparison.data if t.showlegend is not False]
    cmp = written.comparison
    assert names[:2] == [f"reference: {cmp.reference.label}", f"compared: {cmp.compared.label}"]


def test_the_corner_table_names_the_lap_of_every_row(written: AnalysisResult) -> None:
    from actelemetry.plots.html import corner_table_html

    cmp = written.comparison
    text = corner_table_html(cmp)
    for role, lap in (("reference", cmp.reference), ("compared", cmp.compared)):
        assert text.count(f"<td class='lap'>lap {lap.ref.lap} ({role})</td>") == len(cmp.corners)
        assert f"{role}: {lap.label}" in text
    braking = [r.ref.brake_point_m for r in cmp.corners if r.ref and r.ref.brake_point_m]
    assert braking and f"<td>{braking[0]:.0f}</td>" in text


def test_corner_names_over_the_traces_do_not_overlap() -> None:
    from actelemetry.plots.html import label_levels

    xs = [930, 970, 1440, 2142, 2194, 2230, 2566, 5000]
    levels = label_levels(xs, 100)
    assert levels[:3] == [0, 1, 0]
    assert len({levels[3], levels[4], levels[5]}) == 3  # three within 100 m: three rows
    for i in range(len(xs)):
        for j in range(i):
            if levels[i] == levels[j]:
                assert abs(xs[i] - xs[j]) >= 100


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
