"""The analysis' views and queries over an archive, written once in DuckDB's SQL.

The views are :mod:`actelemetry.analysis.sql`'s own (``laps``, ``sessions``), over a
``telemetry`` view of the archive's data files and a ``session_files`` view of its sessions
table; Spark runs the same text transpiled by SQLGlot (:mod:`actelemetry.archive.engines`).
Nothing here is a second copy for Spark.

The archive engines provide two relations: ``archive_data`` (every data file, with the
partition columns ``game``, ``track``, ``car`` and ``date``) and ``archive_sessions`` (the
sessions table).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import sqlglot
from sqlglot import exp

from actelemetry.analysis import sql

#: views, in the order they are created: (name, its SELECT or the CREATE VIEW statement)
SESSION_FILES_VIEW = "SELECT * FROM archive_sessions"
#: a data file counts once the sessions table names its session (it is written last)
TELEMETRY_VIEW = ("SELECT *, current_lap AS lap FROM archive_data "
                  "WHERE session IN (SELECT session FROM archive_sessions)")


def views(have: set[str]) -> list[tuple[str, str]]:
    """The views over an archive whose data files hold the channels ``have``."""
    lockups, bins = sql.lap_lockups(have), sql.input_bins(have)
    return [("session_files", SESSION_FILES_VIEW), ("telemetry", TELEMETRY_VIEW),
            *([("lap_lockups", lockups)] if lockups is not None else []),
            ("lap_parts", sql.lap_parts(have)),
            *([("input_bins", bins)] if bins is not None else []),
            ("laps", select_of(sql.laps_view(have)[0])),
            ("sessions", select_of(sql.sessions_view(have)[0]))]


def select_of(statement: str) -> str:
    """The SELECT of a ``CREATE VIEW name AS SELECT ...`` (DuckDB dialect)."""
    tree = sqlglot.parse_one(statement, read="duckdb")
    if isinstance(tree, exp.Create):
        return tree.expression.sql(dialect="duckdb")
    return statement


#: timed laps driven from line to line that are not known to be invalid
_COUNTED_LAP = f"valid IS NOT FALSE AND {sql.TIMED_LAP}"


def fastest_laps(top: int) -> str:
    """The ``top`` fastest laps of each track and car."""
    return f"""
SELECT track, car, ranked AS rank, lap_time_s, driver, session, lap
FROM (
    SELECT f.track, f.car, f.driver, l.session, l.lap,
           coalesce(l.game_time_s, l.sample_time_s) AS lap_time_s,
           row_number() OVER (PARTITION BY f.track, f.car
                              ORDER BY coalesce(l.game_time_s, l.sample_time_s), l.session,
                                       l.lap) AS ranked
    FROM (SELECT * FROM laps WHERE {_COUNTED_LAP}) l
    JOIN session_files f ON f.session = l.session
)
WHERE ranked <= {int(top)}
ORDER BY track, car, ranked
"""


#: the corner statistics: per track, car and corner, over every counted lap; ``corners``
#: is a relation (track, corner, start_m, apex_m, end_m) the engine is given
CORNER_STATS = f"""
WITH counted AS (
    SELECT session, lap FROM laps WHERE {_COUNTED_LAP}
), per_lap AS (
    SELECT t.track, t.car, t.session, t.lap, c.corner,
           min(t.speed_kmh)                          AS min_speed_kmh,
           arg_min(t.speed_kmh, t.lap_distance_m)    AS entry_speed_kmh,
           arg_max(t.speed_kmh, t.lap_distance_m)    AS exit_speed_kmh,
           max(t.session_time) - min(t.session_time) AS time_s
    FROM telemetry t
    JOIN counted k ON k.session = t.session AND k.lap = t.lap
    JOIN corners c ON c.track = t.track
                  AND t.lap_distance_m BETWEEN c.start_m AND c.end_m
    GROUP BY t.track, t.car, t.session, t.lap, c.corner
)
SELECT track, car, corner, count(*) AS laps,
       min(time_s)          AS best_time_s,
       avg(time_s)          AS mean_time_s,
       max(min_speed_kmh)   AS best_min_speed_kmh,
       avg(min_speed_kmh)   AS mean_min_speed_kmh,
       avg(entry_speed_kmh) AS mean_entry_speed_kmh,
       avg(exit_speed_kmh)  AS mean_exit_speed_kmh
FROM per_lap
GROUP BY track, car, corner
ORDER BY track, car, corner
"""

#: one track's reference lap for finding its corners: the fastest counted lap
REFERENCE_LAPS = f"""
SELECT track, session, lap FROM (
    SELECT t.track, l.session, l.lap,
           row_number() OVER (PARTITION BY t.track
                              ORDER BY coalesce(l.game_time_s, l.sample_time_s), l.session,
                                       l.lap) AS ranked
    FROM (SELECT * FROM laps WHERE {_COUNTED_LAP}) l
    JOIN (SELECT DISTINCT session, track FROM telemetry) t ON t.session = l.session
)
WHERE ranked = 1
ORDER BY track
"""


def lap_line(session: str, lap: int) -> str:
    """The driven line of one lap (our own session id, checked, and an integer)."""
    if not re.fullmatch(r"[0-9a-f]{8,64}", session):
        raise ValueError(f"not an archive session id: {session!r}")
    return (f"SELECT lap_distance_m, pos_x, pos_z FROM telemetry WHERE session = '{session}' "
            f"AND lap = {int(lap)} ORDER BY session_time")


@dataclass(frozen=True)
class SharedQuery:
    """A query of the analysis that both engines run; ``build`` gives its SQL for the
    channels present (None: the channels it needs are absent)."""

    name: str
    title: str
    build: Callable[[set[str]], str | None]
    keys: tuple[str, ...]  # the columns that order its rows the same on any engine


QUERIES: dict[str, SharedQuery] = {q.name: q for q in (
    SharedQuery("summary", "Sessions", lambda have: sql.SESSION_SUMMARY, ("session",)),
    SharedQuery("laps", "Laps", lambda have: sql.LAP_TABLE, ("session", "lap")),
    SharedQuery("distribution", "Input distribution", sql.input_distribution,
                ("input", "bin")),
    SharedQuery("inputs", "Inputs", lambda have: sql.input_summary(have)[0], ()),
    SharedQuery("fastest", "Fastest laps per track and car", lambda have: fastest_laps(10),
                ("track", "car", "rank")),
    SharedQuery("corners", "Corners per track and car",
                lambda have: CORNER_STATS if {"lap_distance_m", "pos_x", "pos_z",
                                              "speed_kmh"} <= have else None,
                ("track", "car", "corner")),
)}
