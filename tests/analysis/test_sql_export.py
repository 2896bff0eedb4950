"""``sql`` (the seed's example queries, parameters, -o) and ``export`` (streamed subsets)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from analysis_reference import lap_bounds, load_numpy

from actelemetry.analysis.export import export_session
from actelemetry.analysis.query import run_query
from actelemetry.analysis.where import parse_where
from actelemetry.errors import UsageError

# the seed's "Custom SQL Queries", with read_csv_auto('session.csv') -> telemetry
FASTEST_LAP = """
SELECT current_lap,
       MAX(timestamp) - MIN(timestamp) as lap_time
FROM telemetry
GROUP BY current_lap
ORDER BY lap_time
LIMIT 1
"""
BRAKING_ZONES = """
SELECT timestamp, speed_kmh, brake
FROM telemetry
WHERE brake > 0.8 AND speed_kmh > 150
"""


def test_seed_queries_work_as_written(make_sim_session: Callable[..., Path]) -> None:
    # drivers differ in how far they press the pedal for the same stop (their set-up's
    # brake power, their leg): seed 1's peaks at 0.78, so the seed's hard-braking query
    # (brake > 0.8) would find nothing in his laps; seed 0's driver presses up to 0.90
    session = make_sim_session(laps=3, seed=0)
    d = load_numpy(session)
    fastest = run_query(FASTEST_LAP, [session])
    spans = {lap: np.ptp(d["timestamp"][a:b]) for lap, (a, b) in lap_bounds(d).items()}
    lap = min(spans, key=spans.get)
    assert fastest.rows() == [{"current_lap": lap, "lap_time": pytest.approx(spans[lap])}]
    zones = run_query(BRAKING_ZONES, [session])
    mask = (d["brake"] > 0.8) & (d["speed_kmh"] > 150)
    assert len(zones) == mask.sum() > 0
    np.testing.assert_allclose(zones.column("timestamp"), d["timestamp"][mask])


def test_parameters_and_output_files(three_laps: Path, tmp_path: Path) -> None:
    d = load_numpy(three_laps)
    q = "SELECT count(*) AS n FROM telemetry WHERE speed_kmh > ? AND current_lap = ?"
    assert run_query(q, [three_laps], [200.0, 2]).rows()[0]["n"] == int(
        ((d["speed_kmh"] > 200) & (d["current_lap"] == 2)).sum())
    out = run_query("SELECT * FROM laps", [three_laps], out=tmp_path / "laps.parquet")
    assert pq.read_table(out).num_rows == len(np.unique(d["current_lap"]))
    out = run_query("SELECT session, lap, game_time_s FROM laps", [three_laps],
                    out=tmp_path / "laps.csv")
    assert pacsv.read_csv(out).column_names == ["session", "lap", "game_time_s"]


def test_export_columns_rows_laps_where(three_laps: Path, tmp_path: Path) -> None:
    d = load_numpy(three_laps)
    res = export_session(three_laps, tmp_path / "out.csv", ["session_time", "speed_kmh"],
                         rows="1000:9000", laps="2", where="speed_kmh > 150 AND brake < 0.5")
    got = pacsv.read_csv(res.path)
    assert got.column_names == ["session_time", "speed_kmh"]
    sl = slice(1000, 9000)
    mask = (d["current_lap"][sl] == 2) & (d["speed_kmh"][sl] > 150) & (d["brake"][sl] < 0.5)
    assert res.rows == got.num_rows == mask.sum() > 0
    np.testing.assert_allclose(got.column("session_time").to_numpy(),
                               d["session_time"][sl][mask])
    whole = export_session(three_laps, tmp_path / "all.parquet")
    assert whole.rows == len(d["speed_kmh"])
    assert pq.read_schema(whole.path).names == list(d)


@pytest.mark.parametrize("text", [
    "speed_kmh > 0; DROP TABLE x", "speed_kmh > 0 -- comment", "nonsense > 3",
    "speed_kmh > (SELECT 1)", "(speed_kmh > 3", "speed_kmh > 'a' || 'b'"])
def test_where_refuses_anything_but_an_expression_over_channels(text: str) -> None:
    with pytest.raises(UsageError):
        parse_where(text, ["speed_kmh", "brake"])


def test_where_passes_literals_as_parameters() -> None:
    f = parse_where("speed_kmh >= 150.5 and gear == 3 or driver = 'O''Neil'",
                    ["speed_kmh", "gear", "driver"])
    assert "150" not in f.sql and "Neil" not in f.sql
    assert f.params == (150.5, 3, "O'Neil")


def test_where_must_be_boolean(three_laps: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="true/false"):
        export_session(three_laps, tmp_path / "x.csv", where="speed_kmh + 1")


def test_rows_and_laps_arguments() -> None:
    from actelemetry.analysis.export import parse_laps, parse_rows

    assert parse_rows("1000:2000") == (1000, 2000)
    assert parse_rows(":500") == (0, 500)
    assert parse_rows("7:") == (7, None)
    assert parse_rows("7") == (7, 8)
    assert parse_laps("3, 4") == [3, 4]
    for bad in ("a:b", "5:2", "-1:3"):
        with pytest.raises(UsageError):
            parse_rows(bad)
    with pytest.raises(UsageError):
        parse_laps("three")


def test_one_lap_name_joins_the_views_and_errors_keep_duckdbs_hint(three_laps: Path,
                                                                   capsys) -> None:
    from actelemetry.analysis.query import run_query
    from actelemetry.cli import main

    joined = run_query("SELECT t.lap, count(*) AS n FROM telemetry t JOIN laps l "
                       "USING (session, lap) GROUP BY 1 ORDER BY 1", [three_laps]).rows()
    assert [r["lap"] for r in joined] == [1, 2, 3, 4, 5]
    with pytest.raises(SystemExit) as exit_info:
        main(["sql", "SELECT lapp FROM telemetry", str(three_laps)])
    err = capsys.readouterr().err
    assert exit_info.value.code == 2 and len(err.strip().splitlines()) == 1
    assert "Candidate bindings:" in err and '"lap"' in err
