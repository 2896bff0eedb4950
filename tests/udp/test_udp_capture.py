"""End to end on loopback: ``actelemetry capture --source udp`` (another process) against
the simulator serving UDP in this process. Judged by counts and events with generous
deadlines, never by timing: the machine may be slow and busy."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from udp_helpers import ServedSim, oval_track, wait_for

from actelemetry.capture.loop import CaptureOptions, run_capture
from actelemetry.capture.sinks import SessionFileSink
from actelemetry.channels.catalogue import names_for
from actelemetry.channels.udp import UDP_CHANNELS
from actelemetry.game.host import ask_to_stop, child_options
from actelemetry.game.udp import GameInfo, encode_car_info, encode_response
from actelemetry.store.session import session_metadata

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "capture"))
from cli_helpers import ENV, finish, one_line_error, run_cli


def capture(port: int, out: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "actelemetry", "capture", "--source", "udp", "--host",
         "127.0.0.1", "--port", str(port), "--rate", "333", "-o", str(out), *extra],
        env=ENV, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **child_options())


def sessions(out: Path) -> list[dict]:
    return [pq.read_table(p).to_pydict() | {"_meta": session_metadata(p), "_path": p}
            for p in sorted(out.glob("*.parquet"))]


@pytest.fixture()
def track(tmp_path: Path) -> Path:
    return oval_track(tmp_path)


def test_capture_with_laps_counts_lost_datagrams_and_dismisses(tmp_path: Path,
                                                              track: Path) -> None:
    served = ServedSim(tmp_path / "pages", track, laps=2, seed=4, drop_every=97)
    try:
        proc = capture(served.port, tmp_path / "logs", "--laps", "1", "--spot")
        done = finish(proc, timeout=300)
        assert done.returncode == 0, done.stderr
        assert "(validity not recorded)" in done.stdout  # the summary says what it lacks
        wait_for(lambda: served.server.clients == 0, "the capture's dismiss")
        assert served.server.stats.dismissed == 1
    finally:
        served.close()
    (s,) = sessions(tmp_path / "logs")
    meta, q = s["_meta"], s["_meta"]["quality"]
    # the file holds exactly the channels UDP carries: the rest are absent, not zeros
    assert set(s) - {"_meta", "_path"} == set(UDP_CHANNELS)
    assert meta["channels"] == [n for n in s if n in UDP_CHANNELS]
    assert "packet_id" not in s and "lap_valid" not in s and "tyre_pressure_fl" not in s
    assert meta["source"] == "udp" and meta["track"] == "oval"
    assert meta["car"] == "actelemetry_gt3" and meta["driver"] == "sim-pro-s4"
    # one timed lap, its time the game's
    laps = np.array(s["completed_laps"])
    crossings = np.flatnonzero(np.diff(laps) > 0) + 1
    assert len(crossings) >= 2
    lap_ms = [s["game_last_lap_ms"][i] for i in crossings]
    assert lap_ms[1] == int(round(served.sim.lap_times[1] * 1000))
    # the spot events (--spot) say the same
    assert [e["time_ms"] for e in meta["spot_laps"]] == lap_ms
    assert {e["car"] for e in meta["spot_laps"]} == {"actelemetry_gt3"}
    # every datagram the network lost inside the session is a skip before the next row
    t = np.array(s["game_lap_ms"]) + 10**7 * laps
    skipped = np.array(s["packets_skipped"])
    dropped = [lap * 10**7 + ms for lap, ms in served.server.dropped]
    inside = [d for d in dropped if t[0] < d < t[-1]]
    assert len(inside) >= 50
    for d in inside:
        assert skipped[np.searchsorted(t, d)] >= 1, d
    assert q["datagrams_lost"] == int(skipped[1:].sum()) >= len(inside)
    assert q["datagrams_foreign"] == q["datagrams_malformed"] == 0
    assert q["samples"] == len(laps)


def test_sigint_and_sigterm_dismiss_and_keep_the_session(tmp_path: Path, track: Path) -> None:
    served = ServedSim(tmp_path / "pages", track, laps=3, seed=5)
    try:
        # Windows: Ctrl+C cannot be sent to one process (only to a console's group), and
        # the stop signal is CTRL_BREAK_EVENT to the capture's own group
        stops = [ask_to_stop] if sys.platform == "win32" else [
            lambda p: p.send_signal(signal.SIGINT), ask_to_stop]
        for k, stop in enumerate(stops):
            out = tmp_path / f"logs{k}"
            sent = served.server.stats.car_infos
            proc = capture(served.port, out)
            wait_for(lambda s=sent: served.server.stats.car_infos > s + 300,
                     "datagrams to the capture")
            stop(proc)
            done = finish(proc, timeout=120)
            assert "Traceback" not in done.stderr, done.stderr
            wait_for(lambda: served.server.clients == 0, "the capture's dismiss")
            assert served.server.stats.dismissed == k + 1
            (s,) = sessions(out)
            assert len(s["speed_kmh"]) >= 100
    finally:
        served.close()


def test_a_flood_from_another_sender_is_ignored_and_counted(tmp_path: Path,
                                                          track: Path) -> None:
    served = ServedSim(tmp_path / "pages", track, laps=1, seed=6)
    flood = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sent = 0
    try:
        proc = capture(served.port, tmp_path / "logs", "--laps", "1")
        wait_for(lambda: served.server.stats.subscribed != [], "the capture to subscribe")
        target = served.server.stats.subscribed[0]
        fake = encode_car_info({"speed_Kmh": 999.0, "lapCount": 7, "lapTime": 1000})
        hello = encode_response(GameInfo("impostor", "x", "y", "z"))
        rng = np.random.default_rng(0)
        junk = [fake, hello, b"", b"a" * 328, *(rng.bytes(int(n)) for n in
                                                rng.integers(1, 1500, 20))]
        for k in range(20_000):  # bounded: 20 000 datagrams, as fast as they go
            try:
                flood.sendto(junk[k % len(junk)], target)
                sent += 1
            except OSError:
                pass
        done = finish(proc, timeout=300)
        assert done.returncode == 0, done.stderr
    finally:
        flood.close()
        served.close()
    (s,) = sessions(tmp_path / "logs")
    q = s["_meta"]["quality"]
    assert 0 < q["datagrams_foreign"] <= sent
    assert max(s["speed_kmh"]) < 400  # not one of the impostor's datagrams recorded
    assert s["_meta"]["car"] == "actelemetry_gt3"
    laps = np.array(s["completed_laps"])
    crossings = np.flatnonzero(np.diff(laps) > 0) + 1
    assert [s["game_last_lap_ms"][i] for i in crossings][-1] == served.sim.last_lap_ms


def test_a_game_restart_is_a_new_handshake_and_a_new_session(tmp_path: Path,
                                                             track: Path) -> None:
    first = ServedSim(tmp_path / "pages1", track, laps=3, seed=7)
    port = first.port
    proc = capture(port, tmp_path / "logs")
    try:
        wait_for(lambda: first.server.stats.car_infos > 500, "the first game's datagrams")
        first.close()  # the game quits ...
        second = ServedSim(tmp_path / "pages2", track, laps=3, seed=8, port=port)  # ... and is back
        try:
            wait_for(lambda: second.server.stats.car_infos > 500, "the second game's datagrams")
            ask_to_stop(proc)
            done = finish(proc, timeout=120)
            assert "Traceback" not in done.stderr, done.stderr
            assert second.server.stats.handshakes >= 1
            wait_for(lambda: second.server.clients == 0, "the capture's dismiss")
        finally:
            second.close()
    finally:
        if proc.poll() is None:
            proc.kill()
    one, two = sessions(tmp_path / "logs")
    for s in (one, two):
        assert len(s["speed_kmh"]) >= 400
        assert set(s) - {"_meta", "_path"} == set(UDP_CHANNELS)
        t = np.array(s["session_time"])
        assert np.all(np.diff(t) > 0)  # one clock per session, never mixed
    assert two["session_time"][0] == 0.0
    assert two["completed_laps"][0] == 0  # the second game's out lap, in a file of its own


def test_no_answer_is_one_line_after_the_timeout(tmp_path: Path) -> None:
    quiet = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    quiet.bind(("127.0.0.1", 0))  # a port where nobody answers
    try:
        done = run_cli("capture", "--source", "udp", "--host", "127.0.0.1", "--port",
                       str(quiet.getsockname()[1]), "--timeout", "1", "-o", str(tmp_path))
    finally:
        quiet.close()
    assert done.returncode == 2
    assert "no answer from Assetto Corsa at 127.0.0.1" in one_line_error(done)
    assert "within 1 s" in one_line_error(done)
    assert "host" in one_line_error(run_cli("capture", "--source", "udp"))
    assert "--source udp" in one_line_error(run_cli("capture", "--host", "x"))


def test_every_udp_channel_is_an_ac_channel() -> None:
    assert set(UDP_CHANNELS) <= set(names_for("ac"))
    assert len(set(UDP_CHANNELS)) == len(UDP_CHANNELS)


def test_a_lower_rate_thins_the_datagrams_on_the_games_clock(tmp_path: Path,
                                                            track: Path) -> None:
    served = ServedSim(tmp_path / "pages", track, laps=3, seed=10)
    try:
        done = finish(subprocess.Popen(
            [sys.executable, "-m", "actelemetry", "capture", "--source", "udp", "--host",
             "127.0.0.1", "--port", str(served.port), "--rate", "100", "--duration", "3",
             "-o", str(tmp_path / "logs")], env=ENV, text=True, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE), timeout=120)
        assert done.returncode == 0, done.stderr
    finally:
        served.close()
    (s,) = sessions(tmp_path / "logs")
    step = np.diff(np.array(s["session_time"]))
    lost = np.array(s["packets_skipped"])[1:]
    clean = step[lost <= 3]  # where the network lost nothing, one sample per 10 ms slot
    assert len(clean) >= 100
    assert np.all((clean >= 0.0085) & (clean <= 0.0125)), np.unique(np.round(clean, 4))
    assert np.all(lost >= 2)  # the two or so datagrams between samples, left out as asked


def test_a_game_that_quits_closes_the_session_and_is_waited_for(tmp_path: Path,
                                                                track: Path) -> None:
    first = ServedSim(tmp_path / "pages1", track, laps=3, seed=11)
    port = first.port
    sink = SessionFileSink(tmp_path / "logs")
    waits: list[str] = []
    stop = threading.Event()
    opts = CaptureOptions(source="udp", host="127.0.0.1", port=port, rate=333,
                          frozen_after_s=1.5, udp_timeout=5)
    results: list = []
    worker = threading.Thread(target=lambda: results.append(
        run_capture(opts, [sink], stop, waits.append)), daemon=True)
    worker.start()
    try:
        wait_for(lambda: first.server.stats.car_infos > 300, "the first game's datagrams")
        first.close()  # the game quits: silence, then the session is closed
        wait_for(lambda: len(sink.paths) == 1, "the first session to be closed")
        second = ServedSim(tmp_path / "pages2", track, laps=3, seed=12, port=port)
        try:
            wait_for(lambda: second.server.stats.car_infos > 300, "the second game's data")
        finally:
            stop.set()
            worker.join(timeout=60)
            second.close()
    finally:
        stop.set()
        first.close()
    (result,) = results
    assert result.stats.ended == "stopped"
    assert len(sink.paths) == 2
    assert any("stopped sending" in w for w in waits)
    assert all(len(pq.read_table(p)) >= 200 for p in sink.paths)
