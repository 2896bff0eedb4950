"""The bridge fed by the built-in simulator through the real capture loop: the lap events
agree with the session file the same capture wrote."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pyarrow.parquet as pq

from actelemetry.analysis.dataset import open_dataset
from actelemetry.bridge.client import open_stream
from actelemetry.bridge.sink import BridgeSink
from actelemetry.capture.loop import CaptureOptions, run_capture
from actelemetry.capture.sinks import SessionFileSink


def test_sim_lap_events_match_the_session_file(tmp_path: Path, make_server) -> None:
    server = make_server(rate=50, queue_size=100_000, queue_bytes=1 << 30)  # fast: outruns readers
    files = SessionFileSink(tmp_path)
    opts = CaptureOptions(source="sim", fast=True, game="ac", sim_laps=1, seed=3, rate=50)

    async def main() -> list[dict]:
        client = await open_stream(f"ws://127.0.0.1:{server.port}/")
        capture = threading.Thread(target=run_capture,
                                   args=(opts, [BridgeSink(server), files]))
        capture.start()
        msgs = []
        while True:
            msg = await client.recv(timeout=60)
            msgs.append(msg)
            if msg.get("event") == "session_end":
                break
        capture.join(60)
        await client.close()
        return msgs

    msgs = asyncio.run(main())
    laps = [m for m in msgs if m.get("event") == "lap_completed"]
    table = pq.read_table(files.paths[0], columns=["completed_laps", "game_last_lap_ms",
                                                   "lap_valid"]).to_pydict()
    completed = table["completed_laps"]
    first_after = [i for i in range(1, len(completed)) if completed[i] > completed[i - 1]]
    assert [e["lap"] for e in laps] == [completed[i] for i in first_after]
    assert [e["time_ms"] for e in laps] == [table["game_last_lap_ms"][i] for i in first_after]
    with open_dataset([files.paths[0]]) as ds:  # the file's laps table, as analyze has it
        rows = {r["lap"]: r for r in ds.lap_rows()}
    assert [e["valid"] for e in laps] == [rows[e["lap"]]["valid"] for e in laps]
    assert [e["kind"] for e in laps] == [rows[e["lap"]]["kind"] for e in laps]
    assert laps and all(e["time_ms"] > 0 for e in laps)
    frames = [m for m in msgs if m["type"] == "frame"]
    assert len(frames) == len(completed)  # nothing dropped with a queue this deep
    assert [f["data"]["completed_laps"] for f in frames] == completed
