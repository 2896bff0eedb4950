"""Every SQL statement of the analysis, in one place, as SQL.

User values reach these statements only as ``?`` parameters. The only text ever spliced in
is made by us: view names ``src_<n>`` (n an integer we assign) and column names taken from
the channel catalogue (see :mod:`actelemetry.analysis.dataset`).

Views over the opened files:

``telemetry``  every sample of every session, the catalogue's columns plus ``session``
               (1-based, in the order the files were given)
``sessions``   one row per file: metadata (game, car, track, ...) and totals
``laps``       one row per (session, lap): the game's lap time, the time from samples
               (line crossings interpolated on ``lap_fraction``), flags and lap statistics
"""

from __future__ import annotations

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

#: fallbacks for columns a foreign CSV (the seed's 38 columns) lacks; ``{src}`` is ``src_<n>``
FALLBACKS: dict[str, str] = {
    "session_time": "timestamp - (SELECT min(timestamp) FROM {src})",
    "lap_distance_m": "CAST(distance_m - min(distance_m) OVER (PARTITION BY completed_laps)"
                      " AS FLOAT)",
    "lap_valid": "TRUE",
    "out_lap": "FALSE",
    "partial_lap": "FALSE",
    "in_pit_lane": "FALSE",
    "game_lap_ms": "CAST(round(lap_time_sec * 1000) AS INTEGER)",
    "game_last_lap_ms": "CAST(NULL AS INTEGER)",
    "game_best_lap_ms": "CAST(NULL AS INTEGER)",
    "pos_x": "CAST(NULL AS FLOAT)",
    "pos_y": "CAST(NULL AS FLOAT)",
    "pos_z": "CAST(NULL AS FLOAT)",
    "tyres_out": "CAST(NULL AS TINYINT)",
    "packets_skipped": "CAST(0 AS INTEGER)",
    "gap_before_s": "CAST(0 AS FLOAT)",
    "wheel_lock_fl": "CAST(NULL AS BOOLEAN)",
    "wheel_lock_fr": "CAST(NULL AS BOOLEAN)",
    "wheel_lock_rl": "CAST(NULL AS BOOLEAN)",
    "wheel_lock_rr": "CAST(NULL AS BOOLEAN)",
    "wheel_lock_any": "CAST(NULL AS BOOLEAN)",
}

#: one row per (session, lap); the time of lap k is read in lap k+1's first sample
#: (game_last_lap_ms) and the line crossing is interpolated between the last sample of a lap
#: and the first of the next on lap_fraction.
LAPS_VIEW = """
CREATE VIEW laps AS
WITH per_lap AS (
    SELECT
        session,
        current_lap                                            AS lap,
        count(*)                                               AS samples,
        min(session_time)                                      AS t_first,
        max(session_time)                                      AS t_last,
        arg_min(lap_fraction, session_time)                    AS f_first,
        arg_max(lap_fraction, session_time)                    AS f_last,
        arg_min(game_last_lap_ms, session_time)                AS prev_game_ms,
        bool_and(lap_valid)                                    AS valid,
        bool_or(out_lap)                                       AS out_lap,
        bool_or(partial_lap)                                   AS partial_flag,
        arg_max(in_pit_lane, session_time)                     AS ends_in_pit_lane,
        max(speed_kmh)                                         AS top_speed_kmh,
        min(speed_kmh)                                         AS min_speed_kmh,
        max(abs(accel_lateral))                                AS max_lat_g,
        min(accel_longitudinal)                                AS max_brake_g,
        max(accel_longitudinal)                                AS max_accel_g,
        100.0 * avg(CASE WHEN gas >= 0.98 THEN 1 ELSE 0 END)   AS full_throttle_pct,
        100.0 * avg(CASE WHEN brake > 0.05 THEN 1 ELSE 0 END)  AS braking_pct,
        100.0 * avg(CASE WHEN gas < 0.05 AND brake <= 0.05 THEN 1 ELSE 0 END) AS coasting_pct,
        count(*) FILTER (WHERE tyres_out > 0)                  AS tyres_out_samples,
        max(tyres_out)                                         AS max_tyres_out
    FROM telemetry
    GROUP BY session, current_lap
), linked AS (
    SELECT
        *,
        lead(lap)          OVER w AS next_lap,
        lead(t_first)      OVER w AS next_t_first,
        lead(f_first)      OVER w AS next_f_first,
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
            ELSE next_t_first END
        END AS t_line_end
    FROM linked
)
, flagged AS (
    SELECT
        *,
        lag(t_line_end) OVER w                                   AS t_line_start,
        partial_flag OR t_line_end IS NULL                       AS partial
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
    CASE WHEN NOT (out_lap OR ends_in_pit_lane OR partial) THEN valid END AS valid,
    out_lap,
    ends_in_pit_lane                                             AS in_lap,
    partial,
    top_speed_kmh,
    min_speed_kmh,
    max_lat_g,
    max_brake_g,
    max_accel_g,
    full_throttle_pct,
    braking_pct,
    coasting_pct,
    tyres_out_samples,
    max_tyres_out
FROM flagged
"""

#: a lap is timed when it was driven from line to line, out of the pits or not
TIMED_LAP = "kind = 'timed' AND coalesce(game_time_s, sample_time_s) IS NOT NULL"

SESSIONS_VIEW = f"""
CREATE VIEW sessions AS
WITH totals AS (
    SELECT
        session,
        count(*)                                      AS samples,
        max(session_time) - min(session_time)         AS duration_s,
        max(distance_m) - min(distance_m)             AS distance_m,
        max(completed_laps) - min(completed_laps)     AS line_crossings,
        max(speed_kmh)                                AS max_speed_kmh,
        avg(speed_kmh)                                AS avg_speed_kmh,
        max(accel_longitudinal)                       AS max_accel_g,
        min(accel_longitudinal)                       AS max_brake_g,
        max(abs(accel_lateral))                       AS max_lat_g,
        sum(packets_skipped)                          AS packets_skipped,
        count(*) FILTER (WHERE gap_before_s > 0)      AS gaps
    FROM telemetry
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
    WHERE valid AND {TIMED_LAP}
    GROUP BY session
)
SELECT f.session, f.name, f.game, f.car, f.track, f.driver, f.start_time, f.rate_hz,
       f.track_length_m, f.achieved_rate_hz, f.duplicates_refused, f.path, f.format,
       t.samples, t.duration_s, t.distance_m, c.timed_laps, c.other_laps, t.line_crossings,
       t.max_speed_kmh, t.avg_speed_kmh, t.max_accel_g, t.max_brake_g, t.max_lat_g,
       t.packets_skipped, t.gaps, b.best_valid_lap, b.best_valid_lap_s
FROM session_files f
LEFT JOIN totals t USING (session)
LEFT JOIN counted c USING (session)
LEFT JOIN best b USING (session)
ORDER BY f.session
"""

SESSION_SUMMARY = "SELECT * FROM sessions ORDER BY session"

LAP_TABLE = "SELECT * FROM laps ORDER BY session, lap"

#: share of samples per tenth of the pedal travel (steer: per tenth of -1..1)
INPUT_DISTRIBUTION = """
WITH binned AS (
    SELECT least(floor(gas * 10), 9)              AS gas_bin,
           least(floor(brake * 10), 9)            AS brake_bin,
           least(floor((steer + 1) * 5), 9)       AS steer_bin
    FROM telemetry
)
SELECT 'gas'   AS input, gas_bin   AS bin, count(*) AS samples FROM binned GROUP BY gas_bin
UNION ALL
SELECT 'brake',          brake_bin,        count(*)            FROM binned GROUP BY brake_bin
UNION ALL
SELECT 'steer',          steer_bin,        count(*)            FROM binned GROUP BY steer_bin
ORDER BY input, bin
"""

INPUT_SUMMARY = """
SELECT
    avg(gas)                                                  AS gas_mean,
    100.0 * avg(CASE WHEN gas >= 0.98 THEN 1 ELSE 0 END)      AS gas_full_pct,
    100.0 * avg(CASE WHEN gas < 0.05 THEN 1 ELSE 0 END)       AS gas_off_pct,
    avg(brake)                                                AS brake_mean,
    100.0 * avg(CASE WHEN brake > 0.05 THEN 1 ELSE 0 END)     AS braking_pct,
    max(brake)                                                AS brake_max,
    avg(abs(steer))                                           AS steer_abs_mean,
    max(abs(steer))                                           AS steer_abs_max,
    100.0 * avg(CASE WHEN gas < 0.05 AND brake <= 0.05 THEN 1 ELSE 0 END) AS coasting_pct,
    100.0 * avg(CASE WHEN gas > 0.05 AND brake > 0.05 THEN 1 ELSE 0 END)  AS overlap_pct
FROM telemetry
"""

#: slip and load per wheel, and lock-ups (a lock-up = a run of locked samples): one scan
#: with one window (time order) computes every wheel, then the row is turned into four
WHEEL_TABLE = """
WITH edges AS (
    SELECT
        wheel_slip_fl, wheel_slip_fr, wheel_slip_rl, wheel_slip_rr,
        wheel_load_fl, wheel_load_fr, wheel_load_rl, wheel_load_rr,
        wheel_lock_fl, wheel_lock_fr, wheel_lock_rl, wheel_lock_rr,
        wheel_lock_fl AND NOT coalesce(lag(wheel_lock_fl) OVER w, FALSE) AS start_fl,
        wheel_lock_fr AND NOT coalesce(lag(wheel_lock_fr) OVER w, FALSE) AS start_fr,
        wheel_lock_rl AND NOT coalesce(lag(wheel_lock_rl) OVER w, FALSE) AS start_rl,
        wheel_lock_rr AND NOT coalesce(lag(wheel_lock_rr) OVER w, FALSE) AS start_rr
    FROM telemetry
    WINDOW w AS (PARTITION BY session ORDER BY session_time)
), agg AS (
    SELECT
        avg(wheel_slip_fl) AS slip_mean_fl, quantile_cont(wheel_slip_fl, 0.95) AS slip_p95_fl,
        max(wheel_slip_fl) AS slip_max_fl, avg(wheel_load_fl) AS load_mean_fl,
        min(wheel_load_fl) AS load_min_fl, max(wheel_load_fl) AS load_max_fl,
        count(*) FILTER (WHERE start_fl) AS lockups_fl,
        count(*) FILTER (WHERE wheel_lock_fl) AS locked_fl,
        avg(wheel_slip_fr) AS slip_mean_fr, quantile_cont(wheel_slip_fr, 0.95) AS slip_p95_fr,
        max(wheel_slip_fr) AS slip_max_fr, avg(wheel_load_fr) AS load_mean_fr,
        min(wheel_load_fr) AS load_min_fr, max(wheel_load_fr) AS load_max_fr,
        count(*) FILTER (WHERE start_fr) AS lockups_fr,
        count(*) FILTER (WHERE wheel_lock_fr) AS locked_fr,
        avg(wheel_slip_rl) AS slip_mean_rl, quantile_cont(wheel_slip_rl, 0.95) AS slip_p95_rl,
        max(wheel_slip_rl) AS slip_max_rl, avg(wheel_load_rl) AS load_mean_rl,
        min(wheel_load_rl) AS load_min_rl, max(wheel_load_rl) AS load_max_rl,
        count(*) FILTER (WHERE start_rl) AS lockups_rl,
        count(*) FILTER (WHERE wheel_lock_rl) AS locked_rl,
        avg(wheel_slip_rr) AS slip_mean_rr, quantile_cont(wheel_slip_rr, 0.95) AS slip_p95_rr,
        max(wheel_slip_rr) AS slip_max_rr, avg(wheel_load_rr) AS load_mean_rr,
        min(wheel_load_rr) AS load_min_rr, max(wheel_load_rr) AS load_max_rr,
        count(*) FILTER (WHERE start_rr) AS lockups_rr,
        count(*) FILTER (WHERE wheel_lock_rr) AS locked_rr
    FROM edges
)
SELECT 'FL' AS wheel, slip_mean_fl AS slip_mean, slip_p95_fl AS slip_p95,
       slip_max_fl AS slip_max, load_mean_fl AS load_mean, load_min_fl AS load_min,
       load_max_fl AS load_max, lockups_fl AS lockups, locked_fl AS locked_samples FROM agg
UNION ALL
SELECT 'FR', slip_mean_fr, slip_p95_fr, slip_max_fr, load_mean_fr, load_min_fr, load_max_fr,
       lockups_fr, locked_fr FROM agg
UNION ALL
SELECT 'RL', slip_mean_rl, slip_p95_rl, slip_max_rl, load_mean_rl, load_min_rl, load_max_rl,
       lockups_rl, locked_rl FROM agg
UNION ALL
SELECT 'RR', slip_mean_rr, slip_p95_rr, slip_max_rr, load_mean_rr, load_min_rr, load_max_rr,
       lockups_rr, locked_rr FROM agg
"""

#: the samples of one lap plus its neighbours' samples at the line (for the crossings)
LAP_SAMPLES = """
SELECT session_time, current_lap, lap_fraction, speed_kmh, gas, brake, steer, gear,
       pos_x, pos_z, vx, vz, lap_distance_m
FROM telemetry
WHERE session = ? AND current_lap BETWEEN ? AND ?
ORDER BY session_time
"""

#: G-G points quantised to a 0.02 g grid: every distinct cell is kept (extremes included)
GG_CELLS = """
SELECT round(accel_lateral / 0.02) * 0.02      AS lat_g,
       round(accel_longitudinal / 0.02) * 0.02 AS long_g,
       count(*)                                AS samples,
       avg(speed_kmh)                          AS speed_kmh
FROM telemetry
WHERE session = ?
GROUP BY ALL
"""

LAP_EXISTS = "SELECT count(*) FROM telemetry WHERE session = ? AND current_lap = ?"

#: min and max of each plotted channel per time bucket (shape-preserving thinning done by
#: DuckDB): parameters are the bucket width (s) and the session
TIME_BUCKETS = """
WITH b AS (
    SELECT session_time, speed_kmh, gas, brake, steer,
           floor(session_time / ?) AS bucket
    FROM telemetry
    WHERE session = ?
)
SELECT
    bucket,
    arg_min(session_time, speed_kmh) AS speed_kmh_t_lo, min(speed_kmh) AS speed_kmh_lo,
    arg_max(session_time, speed_kmh) AS speed_kmh_t_hi, max(speed_kmh) AS speed_kmh_hi,
    arg_min(session_time, gas)       AS gas_t_lo,       min(gas)       AS gas_lo,
    arg_max(session_time, gas)       AS gas_t_hi,       max(gas)       AS gas_hi,
    arg_min(session_time, brake)     AS brake_t_lo,     min(brake)     AS brake_lo,
    arg_max(session_time, brake)     AS brake_t_hi,     max(brake)     AS brake_hi,
    arg_min(session_time, steer)     AS steer_t_lo,     min(steer)     AS steer_lo,
    arg_max(session_time, steer)     AS steer_t_hi,     max(steer)     AS steer_hi
FROM b
GROUP BY bucket
ORDER BY bucket
"""

SESSION_SPAN = "SELECT max(session_time) AS span FROM telemetry WHERE session = ?"
