"""Every SQL statement of the analysis, in one place, as SQL.

Why one module of about 430 lines: one place is the point; what reaches DuckDB is reviewed
here and nowhere else.

User values reach these statements only as ``?`` parameters. The only text ever spliced in
is made by us: view names ``src_<n>`` (n an integer we assign) and column names taken from
the channel catalogue (see :mod:`actelemetry.analysis.dataset`). Statements that read
channels are built for the channels the files have: what needs an absent channel is left
out and named (:class:`~actelemetry.analysis.present.Skipped`), never filled in.

Views over the opened files:

``telemetry``  every sample of every session, the catalogue's columns plus ``session``
               (1-based, in the order the files were given)
``sessions``   one row per file: metadata (game, car, track, ...) and totals
``laps``       one row per (session, lap): the game's lap time, the time from samples
               (line crossings interpolated on ``lap_fraction``), flags and lap statistics
"""

from __future__ import annotations

from collections.abc import Sequence

from actelemetry.analysis.present import Skipped, absent
from actelemetry.channels.catalogue import CATALOGUE

#: metadata of each file, filled with parameterised INSERTs
SESSION_FILES_TABLE = """
CREATE TABLE session_files (
    session            INTEGER PRIMARY KEY,
    name               VARCHAR,
    path               VARCHAR,
    format             VARCHAR,
    game               VARCHAR,
    car                VARCHAR,
    track              VARCHAR,
    driver             VARCHAR,
    start_time         DOUBLE,
    rate_hz            DOUBLE,
    track_length_m     DOUBLE,
    achieved_rate_hz   DOUBLE,
    duplicates_refused BIGINT,
    has_metadata       BOOLEAN
)
"""

INSERT_SESSION_FILE = "INSERT INTO session_files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"

#: channels computed from others when a file lacks them: (name, SQL, channels it needs);
#: ``{src}`` is ``src_<n>``. Derivations only: a channel nothing gives stays absent.
DERIVED: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("session_time", "timestamp - (SELECT min(timestamp) FROM {src})", ("timestamp",)),
    ("current_lap", "CAST(completed_laps + 1 AS INTEGER)", ("completed_laps",)),
    ("game_lap_ms", "CAST(round(lap_time_sec * 1000) AS INTEGER)", ("lap_time_sec",)),
)

#: a new lap where the lap timer falls back (by more than a second) or the position wraps;
#: each as (channel, condition on the previous sample in time order)
LAP_STARTS: tuple[tuple[str, str], ...] = (
    ("lap_time_sec", "lap_time_sec < lag(lap_time_sec) OVER (ORDER BY session_time) - 1.0"),
    ("lap_fraction", "lap_fraction < lag(lap_fraction) OVER (ORDER BY session_time) - 0.5"),
)


def counted_laps(body: str, channel: str) -> str:
    """``body`` (a SELECT with ``session_time``) with ``current_lap`` counted from the lap
    timer's resets or the position's wraps (``channel``), 1 from the first sample."""
    cond = dict(LAP_STARTS)[channel]
    return (f"SELECT * EXCLUDE (_new_lap), CAST(1 + sum(_new_lap) OVER (ORDER BY session_time "
            "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS INTEGER) AS current_lap "
            f"FROM (SELECT *, CASE WHEN {cond} THEN 1 ELSE 0 END AS _new_lap FROM ({body}))")


def lap_distance(body: str) -> str:
    """``body`` with ``lap_distance_m``: the session distance since the lap's first sample."""
    return ("SELECT *, CAST(distance_m - min(distance_m) OVER (PARTITION BY current_lap) "
            f"AS FLOAT) AS lap_distance_m FROM ({body})")


def _stat(have: set[str], out: list[str], skipped: list[Skipped], what: str,
          items: Sequence[tuple[str, str]], needs: Sequence[str]) -> None:
    """``items`` (name, expression) into ``out`` when every channel of ``needs`` is there;
    otherwise one :class:`Skipped` naming them."""
    lacks = absent(have, needs)
    if lacks:
        skipped.append(Skipped(what, lacks))
    else:
        out += [f"{expr} AS {name}" for name, expr in items]


def _nullable(have: set[str], channel: str, expr: str, name: str, sql_type: str) -> str:
    """``expr AS name`` when ``channel`` exists, else NULL: a flag nobody recorded is
    unknown, never false."""
    return f"{expr} AS {name}" if channel in have else f"CAST(NULL AS {sql_type}) AS {name}"


def _lap_items(have: set[str]) -> tuple[list[str], list[Skipped]]:
    """The per-lap aggregates of ``lap_parts`` over the channels ``have``, and the lap
    statistics left out; shares are kept as counts so that laps add up to a session."""
    skipped: list[Skipped] = []
    items = [
        "session", "current_lap AS lap", "count(*) AS samples",
        "min(session_time) AS t_first", "max(session_time) AS t_last",
        _nullable(have, "lap_fraction", "arg_min(lap_fraction, session_time)", "f_first",
                  "DOUBLE"),
        _nullable(have, "lap_fraction", "arg_max(lap_fraction, session_time)", "f_last",
                  "DOUBLE"),
        _nullable(have, "lap_time_sec", "arg_min(lap_time_sec, session_time)", "timer_first",
                  "DOUBLE"),
        _nullable(have, "game_last_lap_ms", "arg_min(game_last_lap_ms, session_time)",
                  "prev_game_ms", "INTEGER"),
        _nullable(have, "lap_valid", "bool_and(lap_valid)", "valid", "BOOLEAN"),
        _nullable(have, "out_lap", "bool_or(out_lap)", "out_lap", "BOOLEAN"),
        _nullable(have, "partial_lap", "bool_or(partial_lap)", "partial_flag", "BOOLEAN"),
        _nullable(have, "in_pit_lane", "arg_max(in_pit_lane, session_time)",
                  "ends_in_pit_lane", "BOOLEAN"),
    ]
    lap_col = "completed_laps" if "completed_laps" in have else "current_lap"
    items += [f"min({lap_col}) AS crossings_min", f"max({lap_col}) AS crossings_max"]
    _stat(have, items, skipped, "lap speeds", (
        ("top_speed_kmh", "max(speed_kmh)"), ("min_speed_kmh", "min(speed_kmh)"),
        ("speed_sum", "sum(speed_kmh)"), ("speed_n", "count(speed_kmh)")), ("speed_kmh",))
    _stat(have, items, skipped, "lap lateral g", (("max_lat_g", "max(abs(accel_lateral))"),),
          ("accel_lateral",))
    _stat(have, items, skipped, "lap longitudinal g",
          (("max_brake_g", "min(accel_longitudinal)"),
           ("max_accel_g", "max(accel_longitudinal)")), ("accel_longitudinal",))
    _stat(have, items, skipped, "lap throttle share", (
        ("gas_full_n", "count(*) FILTER (WHERE gas >= 0.98)"),
        ("gas_off_n", "count(*) FILTER (WHERE gas < 0.05)"),
        ("gas_sum", "sum(gas)"), ("gas_n", "count(gas)")), ("gas",))
    _stat(have, items, skipped, "lap braking share", (
        ("braking_n", "count(*) FILTER (WHERE brake > 0.05)"),
        ("brake_sum", "sum(brake)"), ("brake_n", "count(brake)"), ("brake_max", "max(brake)")),
        ("brake",))
    _stat(have, items, skipped, "lap coasting share", (
        ("coasting_n", "count(*) FILTER (WHERE gas < 0.05 AND brake <= 0.05)"),
        ("overlap_n", "count(*) FILTER (WHERE gas > 0.05 AND brake > 0.05)")),
        ("gas", "brake"))
    _stat(have, items, skipped, "lap track limits",
          (("tyres_out_samples", "count(*) FILTER (WHERE tyres_out > 0)"),
           ("max_tyres_out", "max(tyres_out)")), ("tyres_out",))
    if "steer" in have:
        items += ["sum(abs(steer)) AS steer_abs_sum", "count(steer) AS steer_n",
                  "max(abs(steer)) AS steer_abs_max"]
    if "distance_m" in have:
        items += ["min(distance_m) AS distance_min", "max(distance_m) AS distance_max"]
    if "packets_skipped" in have:
        items.append("sum(packets_skipped) AS skipped_sum")
    if "gap_before_s" in have:
        items.append("count(*) FILTER (WHERE gap_before_s > 0) AS gaps_n")
    for prefix, parts in WHEEL_PARTS:
        if not absent(have, [f"{prefix}_{w}" for w in WHEEL_ORDER]):
            items += [f"{expr.format(c=f'{prefix}_{w}')} AS {name}_{w}"
                      for w in WHEEL_ORDER for name, expr in parts]
    if "lap_valid" not in have:
        skipped.append(Skipped("lap validity", ("lap_valid",)))
    if "game_last_lap_ms" not in have:
        skipped.append(Skipped("the game's lap times", ("game_last_lap_ms",)))
    return items, skipped


#: per-lap parts of the wheel table: (channel prefix, [(part, expression)])
WHEEL_PARTS = (
    ("wheel_slip", (("slip_sum", "sum({c})"), ("slip_n", "count({c})"),
                    ("slip_max", "max({c})"))),
    ("wheel_load", (("load_sum", "sum({c})"), ("load_n", "count({c})"),
                    ("load_min", "min({c})"), ("load_max", "max({c})"))),
    ("wheel_lock", (("locked", "count(*) FILTER (WHERE {c})"),)),
)
WHEEL_ORDER = ("fl", "fr", "rl", "rr")


def lap_parts(have: set[str], where: str = "") -> str:
    """``lap_parts``: one row per (session, lap) of everything the tables add up, from one
    scan of ``telemetry`` (``where`` narrows it to some sessions), joined with the lock-up
    starts of ``lap_lockups`` when the files have the four lock channels. The store writes
    this table into each session file when it closes it (:mod:`actelemetry.analysis.summary`);
    the analysis computes it here for files without one."""
    items, _ = _lap_items(have)
    body = (f"SELECT {', '.join(items)} FROM telemetry {where} "
            "GROUP BY session, current_lap")
    if lap_lockups(have) is None:
        return body
    starts = ", ".join(f"coalesce(l.lockups_{w}, 0) AS lockups_{w}" for w in WHEEL_ORDER)
    return (f"SELECT p.*, {starts} FROM ({body}) p "
            "LEFT JOIN lap_lockups l USING (session, lap)")


def lap_lockups(have: set[str], where: str = "") -> str | None:
    """Lock-ups (a run of locked samples) starting in each lap, found in time order per
    session: the one window of the analysis, over five narrow columns (None without the
    four lock channels). The store counts them as it writes instead."""
    if absent(have, [f"wheel_lock_{w}" for w in WHEEL_ORDER]):
        return None
    starts = ", ".join(f"wheel_lock_{w} AND NOT coalesce(lag(wheel_lock_{w}) OVER w, FALSE) "
                       f"AS start_{w}" for w in WHEEL_ORDER)
    counts = ", ".join(f"count(*) FILTER (WHERE start_{w}) AS lockups_{w}"
                       for w in WHEEL_ORDER)
    return (f"SELECT session, current_lap AS lap, {counts} FROM (SELECT session, current_lap, "
            f"{starts} FROM telemetry {where} "
            "WINDOW w AS (PARTITION BY session ORDER BY session_time)) "
            "GROUP BY session, current_lap")


def laps_view(have: set[str]) -> tuple[str, list[Skipped]]:
    """The ``laps`` view (over ``lap_parts``) for the channels ``have``, and the lap
    statistics it leaves out.

    One row per (session, lap); the game's time of lap k is read in lap k+1's first sample
    (game_last_lap_ms). The line crossing is interpolated between a lap's last sample and the
    next lap's first on lap_fraction; without it, the next lap's first lap timer reading says
    how long ago the line was; without either it is the next lap's first sample.
    """
    skipped: list[Skipped] = []
    stats: list[str] = []
    _stat(have, stats, skipped, "lap speeds", (("top_speed_kmh", "top_speed_kmh"),
                                               ("min_speed_kmh", "min_speed_kmh")),
          ("speed_kmh",))
    _stat(have, stats, skipped, "lap lateral g", (("max_lat_g", "max_lat_g"),),
          ("accel_lateral",))
    _stat(have, stats, skipped, "lap longitudinal g",
          (("max_brake_g", "max_brake_g"), ("max_accel_g", "max_accel_g")),
          ("accel_longitudinal",))
    _stat(have, stats, skipped, "lap throttle share",
          (("full_throttle_pct", "100.0 * gas_full_n / samples"),), ("gas",))
    _stat(have, stats, skipped, "lap braking share",
          (("braking_pct", "100.0 * braking_n / samples"),), ("brake",))
    _stat(have, stats, skipped, "lap coasting share",
          (("coasting_pct", "100.0 * coasting_n / samples"),), ("gas", "brake"))
    _stat(have, stats, skipped, "lap track limits",
          (("tyres_out_samples", "tyres_out_samples"), ("max_tyres_out", "max_tyres_out")),
          ("tyres_out",))
    if "lap_valid" not in have:
        skipped.append(Skipped("lap validity", ("lap_valid",)))
    if "game_last_lap_ms" not in have:
        skipped.append(Skipped("the game's lap times", ("game_last_lap_ms",)))
    names = [s.rsplit(" AS ", 1)[1] for s in stats]
    per_lap = ",\n        ".join([
        "session", "lap", "samples", "t_first", "t_last", "f_first", "f_last", "timer_first",
        "prev_game_ms", "valid", "out_lap", "partial_flag", "ends_in_pit_lane", *stats])
    tail = "".join(f",\n    {n}" for n in names)
    sql = f"""
CREATE VIEW laps AS
WITH per_lap AS (
    SELECT
        {per_lap}
    FROM lap_parts
), linked AS (
    SELECT
        *,
        lead(lap)          OVER w AS next_lap,
        lead(t_first)      OVER w AS next_t_first,
        lead(f_first)      OVER w AS next_f_first,
        lead(timer_first)  OVER w AS next_timer_first,
        lead(prev_game_ms) OVER w AS next_prev_game_ms
    FROM per_lap
    WINDOW w AS (PARTITION BY session ORDER BY lap)
), crossed AS (
    SELECT
        *,
        CASE WHEN next_lap = lap + 1 THEN
            CASE WHEN next_f_first < 0.5 AND f_last > 0.5 THEN
                t_last + (next_t_first - t_last) * (1.0 - f_last)
                         / ((1.0 - f_last) + next_f_first)
            WHEN f_last IS NULL AND next_timer_first >= 0
                 AND next_timer_first <= next_t_first - t_last THEN
                next_t_first - next_timer_first
            ELSE next_t_first END
        END AS t_line_end
    FROM linked
)
, flagged AS (
    SELECT
        *,
        lag(t_line_end) OVER w                                   AS t_line_start,
        -- without the game's flag: a lap whose start line was not seen is partial
        coalesce(partial_flag, lag(t_line_end) OVER w IS NULL) OR t_line_end IS NULL
                                                                 AS partial
    FROM crossed
    WINDOW w AS (PARTITION BY session ORDER BY lap)
)
SELECT
    session,
    lap,
    -- one definition of a lap (channels/laps.py): out of the pits, into them, seen only in
    -- part, or timed from line to line; only a timed lap is valid or not
    CASE WHEN out_lap THEN 'out' WHEN ends_in_pit_lane THEN 'in'
         WHEN partial THEN 'partial' ELSE 'timed' END            AS kind,
    samples,
    CASE WHEN next_lap = lap + 1 AND next_prev_game_ms > 0
         THEN next_prev_game_ms / 1000.0 END                     AS game_time_s,
    t_line_end - t_line_start                                    AS sample_time_s,
    t_line_start,
    t_line_end,
    t_first,
    t_last,
    CASE WHEN NOT (coalesce(out_lap, FALSE) OR coalesce(ends_in_pit_lane, FALSE) OR partial)
         THEN valid END                                          AS valid,
    out_lap,
    ends_in_pit_lane                                             AS in_lap,
    partial{tail}
FROM flagged
"""
    return sql, skipped


#: a lap is timed when it was driven from line to line, out of the pits or not
TIMED_LAP = "kind = 'timed' AND coalesce(game_time_s, sample_time_s) IS NOT NULL"


def sessions_view(have: set[str]) -> tuple[str, list[Skipped]]:
    """The ``sessions`` view over the channels ``have``, and the totals it leaves out.

    The best lap is the best valid one; where no lap's validity was recorded, the best
    timed lap (a lap known to be invalid never counts).
    """
    skipped: list[Skipped] = []
    totals: list[str] = []
    _stat(have, totals, skipped, "session distance",
          (("distance_m", "max(distance_max) - min(distance_min)"),), ("distance_m",))
    totals.append("max(crossings_max) - min(crossings_min) AS line_crossings")
    _stat(have, totals, skipped, "session speeds",
          (("max_speed_kmh", "max(top_speed_kmh)"),
           ("avg_speed_kmh", "sum(speed_sum) / nullif(sum(speed_n), 0)")), ("speed_kmh",))
    _stat(have, totals, skipped, "session longitudinal g",
          (("max_accel_g", "max(max_accel_g)"),
           ("max_brake_g", "min(max_brake_g)")), ("accel_longitudinal",))
    _stat(have, totals, skipped, "session lateral g",
          (("max_lat_g", "max(max_lat_g)"),), ("accel_lateral",))
    _stat(have, totals, skipped, "capture losses",
          (("packets_skipped", "CAST(sum(skipped_sum) AS BIGINT)"),), ("packets_skipped",))
    _stat(have, totals, skipped, "capture gaps",
          (("gaps", "CAST(sum(gaps_n) AS BIGINT)"),), ("gap_before_s",))
    names = [t.rsplit(" AS ", 1)[1] for t in totals]
    body = ",\n        ".join(totals)
    picked = "".join(f", t.{n}" for n in names)
    sql = f"""
CREATE VIEW sessions AS
WITH totals AS (
    SELECT
        session,
        CAST(sum(samples) AS BIGINT)                  AS samples,
        max(t_last) - min(t_first)                    AS duration_s,
        {body}
    FROM lap_parts
    GROUP BY session
), counted AS (
    SELECT session,
           count(*) FILTER (WHERE kind = 'timed')              AS timed_laps,
           count(*) FILTER (WHERE kind <> 'timed' AND t_line_end IS NOT NULL) AS other_laps
    FROM laps
    GROUP BY session
), best AS (
    SELECT session,
           min(coalesce(game_time_s, sample_time_s))  AS best_valid_lap_s,
           arg_min(lap, coalesce(game_time_s, sample_time_s)) AS best_valid_lap
    FROM laps
    WHERE valid IS NOT FALSE AND {TIMED_LAP}
    GROUP BY session
)
SELECT f.session, f.name, f.game, f.car, f.track, f.driver, f.start_time, f.rate_hz,
       f.track_length_m, f.achieved_rate_hz, f.duplicates_refused, f.path, f.format,
       t.samples, t.duration_s, c.timed_laps, c.other_laps{picked},
       b.best_valid_lap, b.best_valid_lap_s
FROM session_files f
LEFT JOIN totals t USING (session)
LEFT JOIN counted c USING (session)
LEFT JOIN best b USING (session)
ORDER BY f.session
"""
    return sql, skipped


SESSION_SUMMARY = "SELECT * FROM sessions ORDER BY session"

LAP_TABLE = "SELECT * FROM laps ORDER BY session, lap"

#: the driver's inputs and the tenths their distribution is counted in (steer: of -1..1)
INPUT_BINS = (("gas", "least(floor(gas * 10), 9)"), ("brake", "least(floor(brake * 10), 9)"),
              ("steer", "least(floor((steer + 1) * 5), 9)"))


def input_bins(have: set[str], where: str = "") -> str | None:
    """``input_bins``: samples per (session, input, tenth of travel) of each input present
    (None: no input); the store writes it into each session file as it closes it."""
    also = f"AND {where.removeprefix('WHERE ')}" if where else ""
    parts = [f"SELECT session, '{name}' AS input, {expr} AS bin, count(*) AS samples "
             f"FROM telemetry WHERE {name} IS NOT NULL {also} GROUP BY session, bin"
             for name, expr in INPUT_BINS if name in have]
    return "\nUNION ALL\n".join(parts) if parts else None


def input_distribution(have: set[str]) -> str | None:
    """Samples per tenth of each input's travel present, all sessions (None: no input)."""
    if not any(name in have for name, _ in INPUT_BINS):
        return None
    return ("SELECT input, bin, CAST(sum(samples) AS BIGINT) AS samples FROM input_bins "
            "GROUP BY input, bin ORDER BY input, bin")


def _share(count: str) -> str:
    return f"100.0 * sum({count}) / sum(samples)"


def input_summary(have: set[str]) -> tuple[str | None, list[Skipped]]:
    """Means and shares of the inputs present (added up from ``lap_parts``), and what is
    left out for lack of one."""
    skipped: list[Skipped] = []
    items: list[str] = []
    _stat(have, items, skipped, "throttle summary", (
        ("gas_mean", "sum(gas_sum) / nullif(sum(gas_n), 0)"),
        ("gas_full_pct", _share("gas_full_n")),
        ("gas_off_pct", _share("gas_off_n"))), ("gas",))
    _stat(have, items, skipped, "brake summary", (
        ("brake_mean", "sum(brake_sum) / nullif(sum(brake_n), 0)"),
        ("braking_pct", _share("braking_n")),
        ("brake_max", "max(brake_max)")), ("brake",))
    _stat(have, items, skipped, "steering summary", (
        ("steer_abs_mean", "sum(steer_abs_sum) / nullif(sum(steer_n), 0)"),
        ("steer_abs_max", "max(steer_abs_max)")), ("steer",))
    _stat(have, items, skipped, "pedal overlap", (
        ("coasting_pct", _share("coasting_n")),
        ("overlap_pct", _share("overlap_n"))), ("gas", "brake"))
    if not items:
        return None, skipped
    return "SELECT\n    " + ",\n    ".join(items) + "\nFROM lap_parts", skipped


#: the wheel table's statistics per family: (family, channel prefix, [(stat, expression
#: over lap_parts)]); slip_p95 is a quantile, not made of laps: from ``slip_p95``
WHEEL_FAMILIES = (
    ("wheel slip", "wheel_slip", (
        ("slip_mean", "sum(slip_sum_{w}) / nullif(sum(slip_n_{w}), 0)"),
        ("slip_p95", "any_value(q.slip_p95_{w})"),
        ("slip_max", "max(slip_max_{w})"))),
    ("wheel load", "wheel_load", (
        ("load_mean", "sum(load_sum_{w}) / nullif(sum(load_n_{w}), 0)"),
        ("load_min", "min(load_min_{w})"),
        ("load_max", "max(load_max_{w})"))),
    ("lock-ups", "wheel_lock", (("lockups", "CAST(sum(lockups_{w}) AS BIGINT)"),
                                ("locked_samples", "CAST(sum(locked_{w}) AS BIGINT)"))),
)


def _slip_quantiles() -> str:
    return ", ".join(f"quantile_cont(wheel_slip_{w}, 0.95) AS slip_p95_{w}"
                     for w in WHEEL_ORDER)


def slip_p95(have: set[str], where: str = "") -> str | None:
    """``slip_p95``: each wheel's 95th percentile of slip per session (None without the
    four slip channels); the store writes it into each session file as it closes it."""
    if absent(have, [f"wheel_slip_{w}" for w in WHEEL_ORDER]):
        return None
    return f"SELECT session, {_slip_quantiles()} FROM telemetry {where} GROUP BY session"


def wheel_table(have: set[str], sessions: int = 1) -> tuple[str | None, list[Skipped]]:
    """Slip and load per wheel and lock-ups (a lock-up = a run of locked samples), for the
    families whose four channels exist, added up from ``lap_parts``: one row turned into
    four. The slip quantile of one session is its row of ``slip_p95``; of several, it is
    taken over all their samples (one scan of four columns)."""
    skipped: list[Skipped] = []
    fams = []
    for what, prefix, stats in WHEEL_FAMILIES:
        lacks = absent(have, [f"{prefix}_{w}" for w in WHEEL_ORDER])
        if lacks:
            skipped.append(Skipped(f"wheel table: {what}", lacks))
        else:
            fams.append((prefix, stats))
    if not fams:
        return None, skipped
    aggs = [f"{expr.format(w=w)} AS {stat}_{w}"
            for prefix, stats in fams for w in WHEEL_ORDER for stat, expr in stats]
    names = [stat for _, family in fams for stat, _ in family]
    rows = [f"SELECT '{w.upper()}' AS wheel, "
            + ", ".join(f"{stat}_{w} AS {stat}" for stat in names) + " FROM agg"
            for w in WHEEL_ORDER]
    quantile = ""
    if any(prefix == "wheel_slip" for prefix, _ in fams):
        source = "slip_p95" if sessions == 1 else f"(SELECT {_slip_quantiles()} FROM telemetry)"
        quantile = f", {source} q"
    sql = ("WITH agg AS (\n    SELECT " + ",\n        ".join(aggs)
           + f"\n    FROM lap_parts{quantile}\n)\n" + "\nUNION ALL\n".join(rows))
    return sql, skipped


#: what a lap trace is built from, when the files have it
LAP_CHANNELS = ("lap_fraction", "lap_distance_m", "distance_m", "speed_kmh", "gas", "brake",
                "steer", "gear", "pos_x", "pos_z", "vx", "vz")


def lap_samples(have: set[str]) -> str:
    """The samples of one lap plus its neighbours' samples at the line (for the crossings)."""
    cols = ", ".join(["session_time", "current_lap", *(c for c in LAP_CHANNELS if c in have)])
    return (f"SELECT {cols}\nFROM telemetry\nWHERE session = ? AND current_lap BETWEEN ? AND ?"
            "\nORDER BY session_time")


def gg_cells(have: set[str]) -> str | None:
    """G-G points quantised to a 0.02 g grid: every distinct cell is kept (extremes
    included), with the mean speed where the files have speed; None without the g."""
    if absent(have, ("accel_lateral", "accel_longitudinal")):
        return None
    speed = "avg(speed_kmh)" if "speed_kmh" in have else "CAST(NULL AS DOUBLE)"
    return f"""
SELECT round(accel_lateral / 0.02) * 0.02      AS lat_g,
       round(accel_longitudinal / 0.02) * 0.02 AS long_g,
       count(*)                                AS samples,
       {speed}                                 AS speed_kmh
FROM telemetry
WHERE session = ? AND accel_lateral IS NOT NULL AND accel_longitudinal IS NOT NULL
GROUP BY ALL
"""


LAP_EXISTS = "SELECT count(*) FROM telemetry WHERE session = ? AND current_lap = ?"


def time_buckets(channels: Sequence[str]) -> str:
    """Min and max of each plotted channel per time bucket (shape-preserving thinning done by
    DuckDB), and each bucket's first and last values (a trace spans the whole session even
    where it ends flat): parameters are the bucket width (s) and the session."""
    aggs = ["min(session_time) AS t_first", "max(session_time) AS t_last"]
    for c in channels:
        aggs += [f"arg_min(session_time, {c}) AS {c}_t_lo", f"min({c}) AS {c}_lo",
                 f"arg_max(session_time, {c}) AS {c}_t_hi", f"max({c}) AS {c}_hi",
                 f"arg_min({c}, session_time) AS {c}_first",
                 f"arg_max({c}, session_time) AS {c}_last"]
    return f"""
WITH b AS (
    SELECT session_time, {', '.join(channels)},
           floor(session_time / ?) AS bucket
    FROM telemetry
    WHERE session = ?
)
SELECT
    bucket,
    {(',' + chr(10) + '    ').join(aggs)}
FROM b
GROUP BY bucket
ORDER BY bucket
"""


SESSION_SPAN = "SELECT max(session_time) AS span FROM telemetry WHERE session = ?"
#: the channels drawn over session time (plots and ASCII graphs)
SERIES_CHANNELS = ("speed_kmh", "gas", "brake", "steer")


def bucket_width(span: float, buckets: int) -> float:
    """The time bucket (s) that thins a session of ``span`` seconds to ``buckets``."""
    return max(span / max(buckets, 1), 1e-3)

#: every channel of the catalogue: the statements of a session that has them all (the
#: benchmark runs these)
_ALL = {c.name for c in CATALOGUE}
LAPS_VIEW = laps_view(_ALL)[0]
SESSIONS_VIEW = sessions_view(_ALL)[0]
INPUT_DISTRIBUTION = input_distribution(_ALL)
INPUT_SUMMARY = input_summary(_ALL)[0]
WHEEL_TABLE = wheel_table(_ALL)[0]
LAP_PARTS = lap_parts(_ALL)
LAP_SAMPLES = lap_samples(_ALL)
GG_CELLS = gg_cells(_ALL)
