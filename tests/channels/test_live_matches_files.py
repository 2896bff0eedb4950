"""Live sinks and session files derive channels with the same rules."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from actelemetry.channels.catalogue import names_for
from actelemetry.channels.decode import StaticInfo, as_records, decode_pages, decode_static
from actelemetry.channels.derive import LAP_FLAGS, LiveDeriver, derive_session
from actelemetry.store.session import session_metadata

pytestmark = pytest.mark.slow


def _samples(path: Path, game: str, rows: slice = slice(None)) -> dict:
    """The raw pages and capture columns of a raw session file."""
    table = pq.read_table(path, columns=["raw_physics", "raw_graphics", "session_time",
                                         "timestamp", "packets_skipped", "gap_before_s"])
    return {k: v[rows] for k, v in table.to_pydict().items()}


def _live_rows(game: str, static: StaticInfo, cols: dict) -> list[dict]:
    """Every sample through the live deriver (as the capture's sinks call it), in order."""
    live = LiveDeriver(game, static)
    start_wall = cols["timestamp"][0] - cols["session_time"][0]  # Unix time of the clock's 0
    return [live.derive(phys, gfx, t, start_wall, skipped, gap)
            for phys, gfx, t, skipped, gap in zip(cols["raw_physics"], cols["raw_graphics"],
                                                  cols["session_time"], cols["packets_skipped"],
                                                  cols["gap_before_s"], strict=True)]


def _static(path: Path, game: str) -> StaticInfo:
    return decode_static(game, base64.b64decode(session_metadata(path)["static_page"]))


def test_live_rows_equal_the_file_rows_over_a_simulated_session(
        make_sim_session: Callable[..., Path]) -> None:
    """Every channel of every live sample equals the file's row; lap flags, which the file
    spreads over a whole lap, equal it at each lap's last sample."""
    path = make_sim_session(raw=True, rate=25)
    game = "ac"
    table = pq.read_table(path).to_pydict()
    live = _live_rows(game, _static(path, game), _samples(path, game))
    # the simulated GT3 has ABS and its driver a person's brake foot, so a session rarely
    # locks a wheel; the lock channels are compared all the same (the rule on plain
    # arrays: tests/channels/test_derive.py)
    # (how far the pedal goes for a hard stop is his set-up's brake power: seed 1's
    # strong brakes peak near 0.8 of the pedal at Monza)
    assert any(np.asarray(table["brake"]) > 0.7), "the session should brake hard"
    assert len(live) == len(table["speed_ms"])
    for name in names_for(game):
        got, want = [row[name] for row in live], table[name]
        if name in LAP_FLAGS:
            continue
        if isinstance(want[0], str):
            assert got == want, name
        else:
            np.testing.assert_allclose(np.asarray(got, dtype="f8"), np.asarray(want, dtype="f8"),
                                       rtol=1e-6, atol=1e-6, err_msg=name)
    laps = np.asarray(table["completed_laps"])
    last_rows = [*np.flatnonzero(np.diff(laps)), len(laps) - 1]
    assert len(last_rows) >= 3
    for i in last_rows:
        flags = [live[i][f] for f in LAP_FLAGS]
        want = [table[f][i] for f in LAP_FLAGS]
        if i == len(laps) - 1:  # only the recording's end tells its last lap was partial
            flags, want = flags[:2], want[:2]
        assert flags == want, (i, flags, want)


def test_without_a_track_length_live_distance_integrates_like_the_file(
        make_sim_session: Callable[..., Path]) -> None:
    """With no track length the distance is speed integrated since the lap began: the live
    value, built from the kernel's steps, equals the kernel over the whole stretch."""
    path = make_sim_session(raw=True, rate=25)
    game = "ac"
    laps = pq.read_table(path, columns=["completed_laps"]).column(0).to_numpy()
    cross = int(np.flatnonzero(np.diff(laps))[1]) + 1  # the end of the first whole lap
    cols = _samples(path, game, slice(cross - 1500, cross + 1500))
    static = replace(_static(path, game), track_length_m=0.0)
    live = [row["lap_distance_m"] for row in _live_rows(game, static, cols)]
    physics = as_records(game, "physics", b"".join(cols["raw_physics"]))
    raw = decode_pages(game, physics, as_records(game, "graphics", b"".join(cols["raw_graphics"])))
    t = np.asarray(cols["session_time"])
    whole = derive_session(game, physics, raw, t, cols["timestamp"][0], static,
                           np.asarray(cols["packets_skipped"]), np.asarray(cols["gap_before_s"]))
    assert whole["lap_distance_m"][1499] > 500 and whole["lap_distance_m"][1500] == 0
    np.testing.assert_allclose(live, whole["lap_distance_m"], rtol=1e-5, atol=1e-3)


def test_live_lap_events_match_the_files_laps_with_invalid_laps(tmp_path: Path) -> None:
    """One capture of a session with an invalid lap feeds a session file and a 10 Hz stream
    (a real server and client): every lap_completed event equals the file's laps table."""
    import asyncio
    import threading

    from actelemetry.analysis.dataset import open_dataset
    from actelemetry.bridge.client import open_stream
    from actelemetry.bridge.server import BridgeConfig, BridgeServer
    from actelemetry.bridge.sink import BridgeSink
    from actelemetry.capture.loop import CaptureOptions, run_capture
    from actelemetry.capture.sinks import SessionFileSink

    server = BridgeServer(BridgeConfig(port=0, rate=10, queue_size=100_000,
                                       queue_bytes=1 << 30)).start()
    files = SessionFileSink(tmp_path)
    # a novice (seed 0) drives his second timed lap over the track limits (the first
    # chicane's exit); the default driver's laps are all valid
    opts = CaptureOptions(source="sim", fast=True, game="ac", sim_laps=2, seed=0, rate=100,
                          skill=0.1)

    async def main() -> list[dict]:
        client = await open_stream(f"ws://127.0.0.1:{server.port}/")
        capture = threading.Thread(target=run_capture, args=(
            opts, [BridgeSink(server, capture_rate=100), files]))
        capture.start()
        events = []
        while True:
            msg = await client.recv(timeout=120)
            if msg.get("event") == "lap_completed":
                events.append(msg)
            if msg.get("event") == "session_end":
                break
        capture.join(60)
        await client.close()
        return events

    try:
        events = asyncio.run(main())
    finally:
        server.stop()
    with open_dataset([files.paths[0]]) as ds:
        rows = {r["lap"]: r for r in ds.lap_rows()}
        best = ds.rows("SELECT best_valid_lap_s FROM sessions")[0]["best_valid_lap_s"]
    assert [e["lap"] for e in events] == [lap for lap, r in rows.items()
                                          if r["game_time_s"] is not None]
    assert any(e["valid"] is False for e in events), "the session needs an invalid lap"
    for e in events:
        row = rows[e["lap"]]
        assert (e["kind"], e["valid"]) == (row["kind"], row["valid"]), e
        assert e["time_ms"] / 1000 == row["game_time_s"]
    assert events[-1]["best_ms"] / 1000 == best
    bests = [e for e in events if e["best"]]
    assert all(e["valid"] and e["kind"] == "timed" for e in bests)
