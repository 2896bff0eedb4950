"""The bridge as a sink of the real capture loop, against a scripted game in another process:
frames carry what the game wrote, lap events carry the game's times and validity."""

from __future__ import annotations

import asyncio
import itertools
import json
import multiprocessing as mp
import threading
import time
from pathlib import Path

import pytest
from scripted_laps import INVALID_LAP, StartWhenSeen, lap_time_ms

from actelemetry.bridge.client import open_stream
from actelemetry.bridge.jsonl import JsonlSink
from actelemetry.bridge.sink import BridgeSink
from actelemetry.capture.loop import CaptureOptions, run_capture
from actelemetry.channels.catalogue import names_for
from actelemetry.cli import main
from scripted_game import ScriptedGame

HZ = 200.0


def start_game(shm: Path, laps: int = 4, go: Path | None = None) -> mp.Process:
    """The scripted laps in another process; it ends after its laps, however slowly this
    machine runs it (60 s is only a backstop); with ``go`` its laps wait for that file."""
    from scripted_laps import drive

    ScriptedGame(shm).close()  # zeroed pages exist before the game runs
    proc = mp.get_context("spawn").Process(target=drive, args=(
        str(shm), 60.0, HZ, laps, str(go) if go else None))
    proc.start()
    return proc


def test_stream_of_a_driven_session(tmp_path: Path, make_server) -> None:
    server = make_server(rate=HZ)
    shm = tmp_path / "shm"

    async def main_() -> list[dict]:
        client = await open_stream(f"ws://127.0.0.1:{server.port}/")
        go = tmp_path / "go"
        game = start_game(shm, go=go)
        stop = threading.Event()
        opts = CaptureOptions(source="shm", shm_dir=shm, rate=HZ, duration=60)
        capture = threading.Thread(target=run_capture, args=(
            opts, [BridgeSink(server), StartWhenSeen(go)], stop))
        capture.start()
        msgs = []
        try:
            while True:
                msg = await client.recv(timeout=10)
                msgs.append(msg)
                if msg.get("event") == "session_end":
                    break
        finally:
            stop.set()
            capture.join(20)
            game.join(20)
            await client.close()
        return msgs

    msgs = asyncio.run(main_())
    events = [m for m in msgs if m["type"] == "event"]
    assert events[0]["event"] == "session_start"
    assert events[0]["session"]["car"] == "test_car"
    laps = [e for e in events if e["event"] == "lap_completed"]
    assert [e["lap"] for e in laps] == [1, 2, 3, 4]
    assert [e["time_ms"] for e in laps] == [lap_time_ms(k) for k in (1, 2, 3, 4)]
    # the capture joins the scripted game a moment after it began: its first lap was seen
    # in part (valid or not does not apply), the others are whole, timed laps
    assert laps[0]["kind"] in ("partial", "timed")
    assert [e["kind"] for e in laps[1:]] == ["timed"] * 3
    assert [e["valid"] for e in laps[1:]] == [k != INVALID_LAP for k in (2, 3, 4)]
    assert laps[2]["best"] and laps[3]["best_ms"] == lap_time_ms(3)
    assert any(e["event"] == "track_outline" for e in events)
    frames = [m for m in msgs if m["type"] == "frame"]
    seqs = [f["seq"] for f in frames]
    assert seqs == list(range(1, len(frames) + 1))
    # the frames follow the whole session (how many a busy machine takes is no matter)
    assert {f["data"]["completed_laps"] for f in frames} == {0, 1, 2, 3, 4}
    assert set(frames[0]["data"]) == set(names_for("ac"))
    pids = [f["data"]["packet_id"] for f in frames]
    assert all(b > a for a, b in itertools.pairwise(pids))
    # the delta to the best lap: lap 4 is 1.001 s slower than lap 3 over the whole lap
    last = frames[-1]
    assert last["data"]["completed_laps"] == 4 and last["delta_best_s"] is not None
    assert last["delta_best_s"] == pytest.approx(1.001 * last["data"]["lap_fraction"], abs=0.02)


def test_read_writes_jsonl_a_reader_can_tail(tmp_path: Path, capsys) -> None:
    shm = tmp_path / "shm"
    out = tmp_path / "telemetry.jsonl"
    game = start_game(shm, laps=4)
    seen: list[dict] = []
    done = threading.Event()

    def tail() -> None:  # a training pipeline following the file as it grows
        deadline = time.monotonic() + 60
        while not out.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        with open(out, encoding="utf-8") as fh:
            buf = ""
            while time.monotonic() < deadline and len(seen) < 20 and not done.is_set():
                buf += fh.read()
                *lines, buf = buf.split("\n")
                seen.extend(json.loads(line) for line in lines)
                time.sleep(0.01)

    reader = threading.Thread(target=tail)
    reader.start()
    main(["read", "--source", "shm", "--shm-dir", str(shm), "--rate", "50", "--duration", "4",
          "--json-output", str(out)])
    done.set()
    reader.join(30)
    game.join(20)
    assert len(seen) >= 20  # read while the capture was still writing
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    # 4 s at 50 Hz: never more than asked (a busy machine may give fewer)
    assert len(seen) <= len(rows) <= 210
    assert list(rows[0]) == names_for("ac")
    pids = [r["packet_id"] for r in rows]
    assert all(b > a for a, b in itertools.pairwise(pids))
    text = capsys.readouterr().out
    assert "km/h" in text and f"Wrote {len(rows)} samples" in text


def test_stream_refuses_to_start_off_loopback_without_token(capsys) -> None:
    with pytest.raises(SystemExit) as info:
        main(["stream", "--host", "0.0.0.0", "--source", "sim"])
    assert info.value.code == 2
    assert "--token" in capsys.readouterr().err


def test_jsonl_sink_writes_null_for_nan(tmp_path: Path) -> None:
    class FakeSample:
        def channels(self) -> dict:
            return {"speed_kmh": float("nan"), "gear": 3}

    sink = JsonlSink(tmp_path / "x.jsonl")
    sink.open(None)  # type: ignore[arg-type]
    sink.write(FakeSample())  # type: ignore[arg-type]
    sink.finish()
    assert json.loads((tmp_path / "x.jsonl").read_text()) == {"speed_kmh": None, "gear": 3}
