"""Live sinks and session files derive channels with the same rules."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from actelemetry.channels.decode import as_records, decode_pages, decode_static
from actelemetry.channels.derive import LiveDeriver
from actelemetry.store.session import session_metadata

LIVE_EQUALS_FILE = ("speed_ms", "gear", "accel_lateral", "accel_longitudinal", "abs_steer",
                    "gas_smooth", "lap_distance_m", "wheel_lock_fl", "wheel_lock_fr",
                    "wheel_lock_rl", "wheel_lock_rr", "wheel_lock_any", "damage_level")


def test_live_derivation_of_each_sample_equals_the_file(
        make_sim_session: Callable[..., Path]) -> None:
    path = make_sim_session(raw=True)
    game = "ac"
    table = pq.read_table(path).to_pydict()
    static = decode_static(game, base64.b64decode(session_metadata(path)["static_page"]))
    live = LiveDeriver(game, static)
    got: dict[str, list] = {name: [] for name in LIVE_EQUALS_FILE}
    for k, (phys, gfx) in enumerate(zip(table["raw_physics"], table["raw_graphics"],
                                        strict=True)):
        physics = as_records(game, "physics", phys)
        raw = decode_pages(game, physics, as_records(game, "graphics", gfx))
        values = live.derive(physics, raw, table["session_time"][k], 0.0, 0, 0.0)
        for name in LIVE_EQUALS_FILE:
            got[name].append(values[name])
    assert any(table["wheel_lock_any"]), "the session should contain a lock-up to compare"
    for name in LIVE_EQUALS_FILE:
        np.testing.assert_allclose(np.asarray(got[name], dtype="f8"),
                                   np.asarray(table[name], dtype="f8"), rtol=1e-5, atol=1e-6,
                                   err_msg=name)


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
    # seed 1 drives lap 3 over the track limits (analysis tests use the same session)
    opts = CaptureOptions(source="sim", fast=True, game="ac", sim_laps=3, seed=1, rate=100)

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
