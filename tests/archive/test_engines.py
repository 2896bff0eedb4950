"""The analysis' queries over a multi-session archive, on DuckDB and on Spark (local
mode): equal results for every shared query, and equal to the analysis of the files.

One SparkSession serves the module (a JVM start costs seconds); without PySpark or Java
the Spark tests skip and say which is missing (scripts/setup.sh installs PySpark where
Java is present).
"""

from __future__ import annotations

import importlib.util
import math
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from actelemetry.analysis.dataset import open_dataset
from actelemetry.archive.engines import analyse_archive, plain_rows, spark_session, to_spark
from actelemetry.archive.queries import QUERIES
from actelemetry.archive.store import content_id
from actelemetry.cli import main
from actelemetry.errors import UsageError

#: the test JVM's options: the quick (C1) compiler only, the serial collector; speed only,
#: the queries and their results are the same
QUICK_JVM = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"


def _spark_missing() -> str | None:
    if importlib.util.find_spec("pyspark") is None:
        return "PySpark is not installed (pip install 'actelemetry[spark]'; scripts/setup.sh " \
               "installs it where Java is present)"
    if shutil.which("java") is None:
        return "no Java on PATH: Spark needs Java 17 or later"
    return None


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    missing = _spark_missing()
    if missing:
        pytest.skip(missing)
    # the JVM lives for a few small queries: its quick compiler alone and the serial
    # collector cost a third less CPU than the optimising one's work (65 -> 43 CPU-s for
    # this module at load ~3), which mattered most on a busy machine
    before = os.environ.get("JAVA_TOOL_OPTIONS")
    os.environ["JAVA_TOOL_OPTIONS"] = f"{before or ''} {QUICK_JVM}".strip()
    try:
        session = spark_session("local[2]", "actelemetry-tests")
    finally:
        if before is None:
            del os.environ["JAVA_TOOL_OPTIONS"]
        else:
            os.environ["JAVA_TOOL_OPTIONS"] = before
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def duck_results(built_archive: Path) -> dict[str, list[dict[str, Any]]]:
    with analyse_archive(str(built_archive)) as analysis:
        return {name: plain_rows(analysis.run(name), q.keys) for name, q in QUERIES.items()}


def same(a: Any, b: Any) -> bool:
    """Equal, numbers to 1e-9 relative (the engines sum floats in different orders)."""
    if isinstance(a, bool) or isinstance(b, bool) or a is None or b is None:
        return a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-9,
                                                                  abs_tol=1e-9)
    return bool(a == b)


def test_duckdb_queries_cover_the_archive(duck_results: dict, archive_specs: tuple) -> None:
    summary = duck_results["summary"]
    assert len(summary) == len(archive_specs)
    assert {(r["game"], r["track"], r["car"]) for r in summary} == {
        (g, t, c) for g, t, c, _ in archive_specs}
    assert all(r["timed_laps"] >= 1 and r["best_valid_lap_s"] > 60 for r in summary)
    fastest = duck_results["fastest"]
    assert {(r["track"], r["car"]) for r in fastest} == {(t, c) for _, t, c, _ in archive_specs}
    # the GT4-like car is slower than the GT3-like one on both tracks
    best = {(r["track"], r["car"]): r["lap_time_s"] for r in fastest if r["rank"] == 1}
    for track in ("monza", "silverstone"):
        assert best[track, "actelemetry_gt4"] > best[track, "actelemetry_gt3"]
    corners = duck_results["corners"]
    assert {r["track"] for r in corners} == {"monza", "silverstone"}
    assert all(r["laps"] >= 1 and 30 < r["best_min_speed_kmh"] < 300 for r in corners)
    assert {r["input"] for r in duck_results["distribution"]} == {"gas", "brake", "steer"}


def test_archive_gives_the_analysis_of_the_files(duck_results: dict,
                                                 archive_sessions: list[Path]) -> None:
    """The archive stores the rows the analysis reads: its laps table is the files'."""
    with open_dataset(archive_sessions) as ds:
        by_file = ds.lap_rows()
    ids = {k: content_id(p) for k, p in enumerate(archive_sessions, start=1)}
    expected = sorted(({**r, "session": ids[r["session"]]} for r in by_file),
                      key=lambda r: (r["session"], r["lap"]))
    got = duck_results["laps"]
    assert len(got) == len(expected)
    for e, g in zip(expected, got, strict=True):
        for key in ("session", "lap", "kind", "samples", "game_time_s", "sample_time_s",
                    "valid", "top_speed_kmh"):
            assert same(e[key], g[key]), (key, e, g)


def test_spark_gives_the_same_results(spark: Any, built_archive: Path,
                                      duck_results: dict) -> None:
    with analyse_archive(str(built_archive), "spark", spark=spark) as analysis:
        for name, query in QUERIES.items():
            got = plain_rows(analysis.run(name), query.keys)
            want = duck_results[name]
            assert len(got) == len(want), name
            assert want, name
            for w, g in zip(want, got, strict=True):
                assert list(g) == list(w), name  # same columns, same order
                bad = {k: (w[k], g[k]) for k in w if not same(w[k], g[k])}
                assert not bad, (name, bad)


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


QUERY = ("SELECT track, car, count(DISTINCT session) AS sessions, round(max(speed_kmh), 3) "
         "AS top_kmh FROM telemetry GROUP BY track, car ORDER BY track, car")


def test_sql_command_on_both_engines(spark: Any, built_archive: Path,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    outs = []
    for engine in ("duckdb", "spark"):
        code, out, err = run(["sql", QUERY, str(built_archive), "--engine", engine,
                              "--format", "csv"], capsys)
        assert code == 0, err
        outs.append(out)
    assert outs[0] == outs[1]
    lines = outs[0].strip().splitlines()
    assert lines[0] == "track,car,sessions,top_kmh" and len(lines) == 1 + 4


def test_where_the_dialects_differ(spark: Any, built_archive: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    asof = "SELECT * FROM telemetry t ASOF JOIN laps l ON t.session_time >= l.t_first"
    code, _, err = run(["sql", asof, str(built_archive), "--engine", "spark"], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert "Spark refused the query" in err and "--engine duckdb" in err
    code, _, err = run(["sql", asof + " LIMIT 1", str(built_archive)], capsys)
    assert code == 0, err  # DuckDB runs it


def test_sql_refuses_what_is_not_one_archive(built_archive: Path, tmp_path: Path,
                                             archive_sessions: list[Path],
                                             capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["sql", "SELECT 1", str(archive_sessions[0]), "--engine", "spark"],
                       capsys)
    assert code == 2 and "runs over one archive" in err
    with pytest.raises(UsageError, match="one SQL statement"):
        to_spark("SELECT 1; SELECT 2")
    code, _, err = run(["archive", "query", str(tmp_path)], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "not an archive" in err
    code, _, err = run(["archive", "query", str(built_archive), "--query", "nope"], capsys)
    assert code == 2 and "unknown query 'nope'" in err


def test_archive_query_command(built_archive: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["archive", "query", str(built_archive), "--query", "fastest",
                          "--format", "json"], capsys)
    assert code == 0, err
    assert '"track": "monza"' in out and '"car": "actelemetry_gt4"' in out


def test_sql_over_an_archive_reads_it_and_writes_nothing(built_archive: Path, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]
                                                        ) -> None:
    before = sorted(p.name for p in built_archive.rglob("*"))
    outside = tmp_path / "secret.csv"
    outside.write_text("a\n1\n", encoding="utf-8")
    for query in (f"COPY (SELECT 1) TO '{built_archive}/x.csv'",
                  f"ATTACH '{built_archive}/x.db'",
                  f"SELECT * FROM read_csv('{outside}')"):
        code, _, err = run(["sql", query, str(built_archive)], capsys)
        assert code == 2 and len(err.strip().splitlines()) == 1, (query, err)
    assert sorted(p.name for p in built_archive.rglob("*")) == before
    with analyse_archive(str(built_archive)) as analysis:  # locked once, queried twice
        assert analysis.sql(QUERY).num_rows == analysis.sql(QUERY).num_rows == 4
