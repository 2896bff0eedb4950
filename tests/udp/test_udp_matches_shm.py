"""Live and files agree across sources: the same simulated laps captured through shared
memory (every physics step, in lockstep) and through UDP (from the simulator serving it on
the wall clock, captured by another process) hold the same values on every channel both
carry, and the same lap times.

Rows are matched on the game's lap count and lap timer. The graphics page is rewritten
every 3rd physics step, while RTCarInfo carries the timer of its own step, so the page
rows whose packetId is a multiple of 3 are the ones whose timer is that step's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
from udp_helpers import ServedSim, oval_track

from actelemetry.capture.loop import CaptureOptions, run_capture
from actelemetry.capture.sinks import SessionFileSink
from actelemetry.channels.udp import UDP_CHANNELS

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "capture"))
from cli_helpers import ENV

#: channels of the capture itself, not of the game: its clock, its window, what it missed
#: and how much of a lap it saw (the UDP capture joins the session later)
OF_THE_CAPTURE = {"timestamp", "session_time", "gas_smooth", "brake_smooth", "steer_smooth",
                  "packets_skipped", "gap_before_s", "lap_distance_m", "out_lap",
                  "partial_lap"}
SEED = 9


def test_udp_and_shared_memory_captures_agree(tmp_path: Path) -> None:
    track = oval_track(tmp_path)
    shm_sink = SessionFileSink(tmp_path / "shm")
    run_capture(CaptureOptions(source="sim", fast=True, rate=333, track=str(track),
                               sim_laps=1, seed=SEED), [shm_sink])
    (shm_path,) = shm_sink.paths
    served = ServedSim(tmp_path / "pages", track, laps=1, seed=SEED, speed=3.0)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "actelemetry", "capture", "--source", "udp", "--host",
             "127.0.0.1", "--port", str(served.port), "--rate", "333", "--laps", "1",
             "-o", str(tmp_path / "udp")], env=ENV, text=True, capture_output=True,
            timeout=300)
        assert done.returncode == 0, done.stderr
    finally:
        served.close()
    (udp_path,) = (tmp_path / "udp").glob("*.parquet")
    shm = pq.read_table(shm_path).to_pydict()
    udp = pq.read_table(udp_path).to_pydict()

    # the same laps, to the millisecond
    def lap_times(s: dict) -> list[int]:
        laps = np.array(s["completed_laps"])
        return [s["game_last_lap_ms"][i] for i in np.flatnonzero(np.diff(laps) > 0) + 1]

    assert lap_times(udp) == lap_times(shm)[-len(lap_times(udp)):]
    assert len(lap_times(udp)) >= 2

    # the same values, row for row
    fresh = {(lap, ms): k for k, (pid, lap, ms) in enumerate(
        zip(shm["packet_id"], shm["completed_laps"], shm["game_lap_ms"], strict=True))
        if pid % 3 == 0}
    pairs = [(fresh[key], j) for j, key in enumerate(
        zip(udp["completed_laps"], udp["game_lap_ms"], strict=True)) if key in fresh]
    assert len(pairs) >= len(udp["speed_kmh"]) // 4
    rows_shm, rows_udp = (np.array(x) for x in zip(*pairs, strict=True))
    compared = [n for n in UDP_CHANNELS if n not in OF_THE_CAPTURE]
    assert {"speed_kmh", "speed_ms", "rpm", "gear", "wheel_speed_fl", "pos_x",
            "lap_fraction", "wheel_lock_any"} <= set(compared)
    for name in compared:
        a = np.asarray(shm[name], dtype=object)[rows_shm]
        b = np.asarray(udp[name], dtype=object)[rows_udp]
        assert np.array_equal(a, b), (name, [(x, y) for x, y in zip(a, b, strict=True)
                                             if x != y][:3])
    # speeds through both sources: float32 of the same number
    assert np.array_equal(np.float32(shm["speed_kmh"])[rows_shm],
                          np.float32(udp["speed_kmh"])[rows_udp])
