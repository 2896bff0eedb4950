"""Sessions that carry only some channels: real files written with a subset of a simulator
session's columns, read by analyze, compare, sql and export.

Expected numbers come from the full session read with pyarrow (``load_numpy``): the game's
own lap times, which the subset files no longer carry.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from analysis_reference import load_numpy
from test_bad_input import one_line_error, run_cli

from actelemetry.analysis.compare import compare_laps
from actelemetry.analysis.corners import speed_corners
from actelemetry.analysis.dataset import open_dataset
from actelemetry.analysis.export import export_session
from actelemetry.analysis.laps import LapRef, load_lap
from actelemetry.analysis.query import run_query
from actelemetry.analysis.report import analyze
from actelemetry.cli import main
from actelemetry.errors import SessionFileError, UsageError

#: the smallest useful log: a clock, the lap counter, speed and the three inputs
MINIMAL = ("timestamp", "current_lap", "speed_kmh", "gas", "brake", "steer")
#: one sample at 100 Hz: a lap time from samples without lap_fraction is this close
SAMPLE_S = 0.0105

Writer = Callable[..., Path]


@pytest.fixture(scope="module")
def subset(three_laps: Path, tmp_path_factory: pytest.TempPathFactory) -> Writer:
    """``subset(columns, fmt="parquet", rows=None)``: a real file holding only ``columns``
    (and, with ``rows``, only those rows) of the three-lap simulator session."""
    table = pq.read_table(three_laps)
    folder = tmp_path_factory.mktemp("subset")
    made: dict[tuple, Path] = {}

    def write(columns: Sequence[str], fmt: str = "parquet",
              rows: np.ndarray | None = None, name: str | None = None) -> Path:
        key = (tuple(columns), fmt, None if rows is None else rows.tobytes(), name)
        if key not in made:
            part = table.select(list(columns))
            if rows is not None:
                part = part.take(pa.array(rows))
            path = folder / f"{name or '_'.join(c[:4] for c in columns)}.{fmt}"
            if fmt == "parquet":
                pq.write_table(part, path)
            else:
                pacsv.write_csv(part, path)
            made[key] = path
        return made[key]

    return write


def game_lap_times(path: Path) -> dict[int, float]:
    """The game's time of each completed lap: game_last_lap_ms on the next lap's first
    sample (read with pyarrow, apart from the code under test)."""
    d = load_numpy(path)
    lap, last = d["current_lap"], d["game_last_lap_ms"]
    out = {}
    for k in np.unique(lap)[:-1]:
        first_next = np.flatnonzero(lap == k + 1)
        if len(first_next) and last[first_next[0]] > 0:
            out[int(k)] = last[first_next[0]] / 1000.0
    return out


def test_minimal_session_gives_lap_times_delta_and_corners(subset: Writer, three_laps: Path
                                                           ) -> None:
    path = subset(MINIMAL)
    game = game_lap_times(three_laps)
    with open_dataset([path]) as ds:
        laps = {r["lap"]: r for r in ds.lap_rows()}
        for lap in (2, 3, 4):
            assert laps[lap]["kind"] == "timed"
            assert laps[lap]["game_time_s"] is None  # not in the file: not made up
            assert laps[lap]["sample_time_s"] == pytest.approx(game[lap], abs=SAMPLE_S)
        assert laps[2]["valid"] is None  # no lap_valid: unknown, not "valid"
        result = compare_laps(ds, LapRef(1, 4), LapRef(1, 2))
    assert result.line_delta_s == pytest.approx(game[2] - game[4], abs=2 * SAMPLE_S)
    assert np.isfinite(result.delta_s).all() and len(result.delta_s) > 5000
    corners = [r for r in result.corners if r.corner]
    assert len(corners) >= 6
    assert sum(r.time_s for r in result.corners) == pytest.approx(result.line_delta_s)
    assert all(r.ref.apex_kmh < r.ref.entry_kmh or r.ref.apex_kmh < r.ref.exit_kmh
               for r in corners)
    assert any(r.ref.brake_point_m is not None for r in corners)
    skipped = [str(s) for s in result.skipped]
    assert "skipped: gear trace in the comparison (needs gear)" in skipped
    assert any("pos_x" in s for s in skipped)


def test_speed_corners_match_the_line_corners(three_laps: Path) -> None:
    """The speed-only corners of a lap are slow corners the driven line also shows."""
    with open_dataset([three_laps]) as ds:
        lap = load_lap(ds, LapRef(1, 2))
        full = compare_laps(ds, LapRef(1, 2), LapRef(1, 3))
    by_speed = speed_corners(lap.ch["speed_kmh"], lap.d)
    line_apexes = np.array([r.corner.apex_m for r in full.corners if r.corner])
    assert len(by_speed) >= 6
    near = [np.min(np.abs(line_apexes - c.apex_m)) for c in by_speed]
    assert np.median(near) < 40.0, near


def test_views_hold_only_present_channels(subset: Writer, three_laps: Path) -> None:
    path = subset(MINIMAL)
    with open_dataset([path]) as ds:
        cols = ds.table("SELECT * FROM telemetry LIMIT 1").columns
        lap_cols = ds.table("SELECT * FROM laps LIMIT 1").columns
    # the file's channels, the clock since the start and the lap alias: nothing else
    assert set(cols) == {"session", *MINIMAL, "session_time", "lap"}
    assert "max_lat_g" not in lap_cols and "top_speed_kmh" in lap_cols
    # with a full session beside it, the absent channels are NULL there, never zero
    with open_dataset([path, three_laps]) as ds:
        row = ds.rows("SELECT count(rpm) AS rpm, count(accel_lateral) AS g, count(*) AS n "
                      "FROM telemetry WHERE session = 1")[0]
    assert row["rpm"] == 0 and row["g"] == 0 and row["n"] > 1000


def test_sql_on_an_absent_channel_is_duckdbs_error(subset: Writer,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    path = subset(MINIMAL)
    table = run_query("SELECT lap, count(*) AS n FROM telemetry GROUP BY lap ORDER BY lap",
                      [path])
    assert isinstance(table, object) and list(table.column("lap")) == [1, 2, 3, 4, 5]
    code, err = run_cli(["sql", "SELECT max(rpm) FROM telemetry", str(path)], capsys)
    one_line_error(code, err, "query failed", "rpm", "not found")


def test_export_works_on_a_subset(subset: Writer, tmp_path: Path) -> None:
    path = subset(MINIMAL)
    out = export_session(path, tmp_path / "lap3.csv", laps="3", where="speed_kmh > 100")
    assert out.columns == list(MINIMAL)
    back = load_numpy(out.path)
    assert set(back) == set(MINIMAL) and (back["current_lap"] == 3).all()
    assert (back["speed_kmh"] > 100).all()
    with pytest.raises(UsageError, match="the file has no channel 'rpm'"):
        export_session(path, tmp_path / "x.csv", columns=["rpm"])
    with pytest.raises(UsageError, match="--where: the file has no channel 'rpm'"):
        export_session(path, tmp_path / "x.csv", where="rpm > 5000")


def test_analyze_names_what_it_skips(subset: Writer, tmp_path: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    path = subset(MINIMAL)
    main(["analyze", str(path), "--plots", "-o", str(tmp_path / "rep"), "--no-graphs"])
    out = " ".join(capsys.readouterr().out.split())  # as if never wrapped
    for line in ("skipped: G-G diagram (needs accel_lateral and accel_longitudinal)",
                 "skipped: lap validity (needs lap_valid)",
                 "skipped: track map (needs pos_x and pos_z)",
                 "skipped: wheel table: wheel slip (needs wheel_slip_fl, wheel_slip_fr, "
                 "wheel_slip_rl and wheel_slip_rr)"):
        assert line in out, line
    assert "Capture:" not in out  # an imported log's capture losses are unknown
    assert "lat g" not in out and "top km/h" in out and "Delta at the line" in out
    assert "Best lap (validity not recorded)" in out
    page = (tmp_path / "rep" / "report.html").read_text()
    assert "skipped: G-G diagram" in page and "Speed trace" in page
    assert "G-G diagram</" not in page and "Track map" not in page
    assert "<th>top speed</th>" in page and "max lat g" not in page  # no empty columns


def test_a_session_with_neither_speed_nor_inputs(subset: Writer) -> None:
    """A clock, the lap counter and the game's distance: lap times, the delta trace and
    every table skipped."""
    path = subset(("timestamp", "current_lap", "distance_m"), fmt="csv")
    result = analyze([path], None, plots=False)
    assert [r["kind"] for r in result.laps] == ["partial", "timed", "timed", "timed",
                                                "partial"]
    assert result.comparison is not None and result.comparison.corners == []
    assert np.isfinite(result.comparison.delta_s).all()
    assert "skipped: corner table (needs speed_kmh)" in map(str, result.skipped)
    assert result.inputs == {} and result.wheels == [] and result.gg is None


def test_laps_from_the_lap_timer_or_the_position(subset: Writer, three_laps: Path) -> None:
    game = game_lap_times(three_laps)
    timer = subset(("timestamp", "lap_time_sec", "speed_kmh"), fmt="csv")
    wrap = subset(("session_time", "lap_fraction", "speed_kmh"))
    with open_dataset([timer, wrap]) as ds:
        rows = ds.lap_rows()
    for session, tolerance in ((1, SAMPLE_S), (2, 0.002)):
        timed = {r["lap"]: r["sample_time_s"] for r in rows
                 if r["session"] == session and r["kind"] == "timed"}
        assert sorted(timed) == [2, 3, 4]
        for lap, t in timed.items():
            assert t == pytest.approx(game[lap], abs=tolerance)


def test_irregular_and_distance_sampled_logs_are_kept_as_they_are(
        subset: Writer, three_laps: Path) -> None:
    d = load_numpy(three_laps)
    rng = np.random.default_rng(7)
    irregular = np.sort(rng.choice(len(d["timestamp"]), len(d["timestamp"]) // 3,
                                   replace=False))
    every_5m = np.flatnonzero(np.diff(np.floor(d["distance_m"] / 5.0), prepend=-1) > 0)
    game = game_lap_times(three_laps)
    columns = ("timestamp", "current_lap", "distance_m", "speed_kmh", "brake", "gas")
    for rows in (irregular, every_5m):
        path = subset(columns, rows=rows, name=f"rows{len(rows)}")
        with open_dataset([path]) as ds:
            assert ds.rows("SELECT count(*) AS n FROM telemetry")[0]["n"] == len(rows)
            lap = load_lap(ds, LapRef(1, 3))
            cmp = compare_laps(ds, LapRef(1, 4), LapRef(1, 3))
        gaps = np.diff(d["session_time"][rows])
        assert lap.lap_time_s == pytest.approx(game[3], abs=float(gaps.max()))
        assert np.all(np.diff(lap.d) == pytest.approx(1.0, rel=0.01))  # the grid, 1 m
        assert len([r for r in cmp.corners if r.corner]) >= 6


def test_a_lap_that_cannot_be_placed_is_said_so(subset: Writer,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    """Laps and inputs but nothing that says where the car is: lap times, no comparison."""
    path = subset(("timestamp", "current_lap", "gas", "brake"), fmt="csv")
    main(["analyze", str(path), "--no-graphs"])
    out = " ".join(capsys.readouterr().out.split())
    assert "No lap comparison:" in out
    assert "cannot be placed along the track (needs lap_fraction, distance_m or speed_kmh)" \
        in out
    assert "Inputs: throttle mean" in out and "skipped: steering summary (needs steer)" in out
    code, err = run_cli(["compare", f"{path}:2", f"{path}:3", "--no-html"], capsys)
    one_line_error(code, err, path.name, "lap 2 cannot be placed along the track")


def test_a_file_cut_at_the_line_compares_only_whole_laps(subset: Writer,
                                                          three_laps: Path) -> None:
    """Cut where lap 3 starts: lap 3 has the game's time but no samples before its line,
    so the comparison is not attempted with it and lap 4 is the best lap shown."""
    d = load_numpy(three_laps)
    start = int(np.argmax(d["current_lap"] == 3))
    rows = np.arange(start, len(d["current_lap"]))
    path = subset(list(d), rows=rows, name="from_lap3")
    result = analyze([path], None, plots=False)
    lap3 = next(r for r in result.laps if r["lap"] == 3)
    assert lap3["game_time_s"] is not None and lap3["t_line_start"] is None
    assert result.comparison is None and result.best is not None
    assert result.best.ref.lap == 4
    assert result.comparison_note == "a lap comparison needs two laps driven from line to line"


@pytest.mark.parametrize("columns, needle", [
    (("timestamp", "speed_kmh", "gear"), "missing a lap channel (current_lap, completed_laps, "
                                         "lap_time_sec or lap_fraction)"),
    (("current_lap", "speed_kmh"), "missing timestamp or session_time"),
    (("speed_kmh", "gear"), "missing timestamp or session_time; a lap channel"),
])
def test_below_the_minimum_is_a_one_line_error(subset: Writer, columns: tuple[str, ...],
                                               needle: str, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    path = subset(columns, fmt="csv")
    for argv in (["analyze", str(path)], ["sql", "SELECT 1", str(path)],
                 ["export", str(path), "-o", str(tmp_path / "x.csv")],
                 ["compare", f"{path}:2"]):
        code, err = run_cli(argv, capsys)
        one_line_error(code, err, path.name, "not a session", needle)
    with pytest.raises(SessionFileError):
        open_dataset([path])
