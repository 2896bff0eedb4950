"""Determinism, pause / resume / restart, going off, and the CLI."""

from __future__ import annotations

import math
import threading
import time
from pathlib import Path

import pytest
from sim_recording import read_page

from actelemetry.cli import main
from actelemetry.errors import UsageError
from actelemetry.game.constants import PHYSICS_HZ
from actelemetry.game.mapping import PAGE_NAMES
from actelemetry.game.writer import PageWriter
from actelemetry.sim import Simulator, run_realtime


def page_bytes(folder: Path) -> dict[str, bytes]:
    return {page: (folder / name).read_bytes() for page, name in PAGE_NAMES.items()}


def run_steps(folder: Path, seed: int, game: str = "ac", steps: int = 3000) -> Simulator:
    sim = Simulator(game=game, track="monza", laps=1, seed=seed,
                    publisher=PageWriter(folder, game))
    for k in range(steps):
        sim.step(publish=k % 3 == 2)
    return sim


@pytest.mark.parametrize("game", ["ac", "acc"])
def test_same_seed_same_pages(tmp_path: Path, game: str) -> None:
    a = run_steps(tmp_path / "a", 5, game)
    b = run_steps(tmp_path / "b", 5, game)
    c = run_steps(tmp_path / "c", 6, game)
    pa, pb, pc = page_bytes(tmp_path / "a"), page_bytes(tmp_path / "b"), page_bytes(tmp_path / "c")
    assert pa == pb
    assert pa["physics"] != pc["physics"]
    assert a.packet_id == b.packet_id == 3000
    assert (a.car.s.x, a.car.s.z) == (b.car.s.x, b.car.s.z)
    assert (a.car.s.x, a.car.s.z) != (c.car.s.x, c.car.s.z)


def test_packet_id_counts_unpublished_steps(tmp_path: Path) -> None:
    sim = Simulator(game="ac", publisher=PageWriter(tmp_path, "ac"))
    for _ in range(10):
        sim.step(publish=False)
    assert read_page(tmp_path, "ac", "physics").packetId == 0
    sim.step()
    assert read_page(tmp_path, "ac", "physics").packetId == 11 == sim.packet_id


def test_pause_freezes_physics_and_packet_id(tmp_path: Path) -> None:
    sim = run_steps(tmp_path, 1, steps=600)
    before = read_page(tmp_path, "ac", "physics")
    t, x = sim.time, sim.car.s.x
    sim.pause()
    assert read_page(tmp_path, "ac", "graphics").status == 3
    for _ in range(50):
        sim.step()
    assert sim.time == t and sim.car.s.x == x and sim.packet_id == 600
    assert read_page(tmp_path, "ac", "physics").packetId == before.packetId
    sim.resume()
    assert read_page(tmp_path, "ac", "graphics").status == 2
    sim.step()
    assert sim.packet_id == 601 and sim.time > t


def test_restart_starts_a_new_session(tmp_path: Path) -> None:
    sim = Simulator(game="acc", laps=1, seed=2, publisher=PageWriter(tmp_path, "acc"))
    while sim.completed_laps < 1:
        sim.step(publish=False)
    for _ in range(300):
        sim.step()
    g = read_page(tmp_path, "acc", "graphics")
    assert g.completedLaps == 1 and g.iCurrentTime > 500
    (tmp_path / PAGE_NAMES["static"]).write_bytes(bytes(2048))  # clobber: must come back
    sim.restart()
    assert sim.time == 0.0 and sim.completed_laps == 0 and not sim.finished
    g = read_page(tmp_path, "acc", "graphics")
    assert g.completedLaps == 0 and g.iCurrentTime == 0 and g.status == 2
    assert read_page(tmp_path, "acc", "static").trackSPlineLength == pytest.approx(
        sim.track.length)


def test_going_off_hard_counts_tyres_damages_and_invalidates(tmp_path: Path) -> None:
    sim = Simulator(game="acc", laps=1, seed=0, publisher=PageWriter(tmp_path, "acc"))
    while sim.completed_laps < 1:
        sim.step(publish=False)
    for _ in range(3000):  # into the lap, on the straight
        sim.step(publish=False)
    sim.step()
    assert read_page(tmp_path, "acc", "graphics").isValidLap == 1
    cs = sim.car.s
    tr = sim.track
    i = sim._cidx
    # put the car 6 m beyond the right edge at speed, pointing along the track
    off = tr.width_right[i] + 6.0
    h = tr.centre.heading[i]
    cs.x = tr.centre.x[i] + off * math.cos(h)
    cs.z = tr.centre.z[i] - off * math.sin(h)
    cs.heading = h
    for _ in range(30):
        sim.step()
    ph = read_page(tmp_path, "acc", "physics")
    assert ph.numberOfTyresOut == 4
    assert ph.carDamage[0] > 0 and ph.carDamage[3] > 0  # front and right
    assert read_page(tmp_path, "acc", "graphics").isValidLap == 0


def test_unknown_track_and_bad_csv(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        Simulator(track="nurburgring-nordschleife")
    bad = tmp_path / "bad.csv"
    bad.write_text("x,y\n1,2\n")
    with pytest.raises(UsageError):
        Simulator(track=bad)


def test_run_realtime_keeps_the_game_rate(tmp_path: Path) -> None:
    sim = Simulator(game="ac", publisher=PageWriter(tmp_path, "ac"))
    stats = run_realtime(sim, speed=1.0, max_seconds=0.6)
    # never ahead of the wall clock (a busy machine may make it slower; benchmarks/sim.py
    # measures the rate itself)
    assert 0 < stats.steps <= stats.wall_s * PHYSICS_HZ + 1
    assert read_page(tmp_path, "ac", "physics").packetId == sim.packet_id


def test_run_realtime_stops_on_event(tmp_path: Path) -> None:
    sim = Simulator(game="ac", publisher=PageWriter(tmp_path, "ac"))
    stop = threading.Event()
    threading.Timer(0.2, stop.set).start()
    t0 = time.perf_counter()
    stats = run_realtime(sim, speed=4.0, stop=stop)
    assert time.perf_counter() - t0 < 1.0
    assert stats.steps > 100 and not sim.finished


def test_cli_fast_session_ends_with_status_off(tmp_path: Path) -> None:
    main(["sim", "--game", "acc", "--laps", "1", "--fast", "--quiet", "--seed", "4",
          "--shm-dir", str(tmp_path)])
    g = read_page(tmp_path, "acc", "graphics")
    assert g.status == 0 and g.completedLaps == 2


def test_cli_bad_track_is_one_line_exit_2(tmp_path: Path, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["sim", "--track", "nowhere", "--shm-dir", str(tmp_path), "--quiet"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert "unknown track" in err and len(err.splitlines()) == 1


def test_run_realtime_pause_from_another_thread(tmp_path: Path) -> None:
    sim = Simulator(game="ac", publisher=PageWriter(tmp_path, "ac"))
    result = {}
    worker = threading.Thread(target=lambda: result.update(
        stats=run_realtime(sim, speed=1.0, max_seconds=1.5)))
    worker.start()
    deadline = time.monotonic() + 60
    while sim.packet_id < 20 and time.monotonic() < deadline:  # it is stepping
        time.sleep(0.01)
    paused_at = time.perf_counter()
    sim.pause()
    frozen = sim.packet_id
    time.sleep(0.5)
    assert sim.packet_id == frozen
    assert read_page(tmp_path, "ac", "graphics").status == 3
    sim.resume()
    paused_s = time.perf_counter() - paused_at
    worker.join(60)
    stats = result["stats"]
    assert sim.packet_id > frozen  # it went on after the pause
    # no burst of catch-up steps for the paused half second: at most the unpaused wall
    # time's worth of 333 Hz steps (a busy machine only ever gives fewer)
    assert stats.steps <= (stats.wall_s - paused_s) / sim.dt + 5
    assert read_page(tmp_path, "ac", "graphics").status == 2


def test_car_far_off_track_is_put_back_and_the_session_goes_on(tmp_path: Path) -> None:
    sim = Simulator(game="ac", laps=1, seed=0, publisher=PageWriter(tmp_path, "ac"))
    for _ in range(4000):
        sim.step(publish=False)
    cs = sim.car.s
    tr = sim.track
    i = sim._cidx
    h = tr.centre.heading[i]
    off = -(tr.width_left[i] + 45.0)  # far out to the left, e.g. after a spin into a field
    cs.x = tr.centre.x[i] + off * math.cos(h)
    cs.z = tr.centre.z[i] - off * math.sin(h)
    sim.step()
    assert sim.recoveries == 1
    assert abs(sim.offset) < max(tr.width_left[i], tr.width_right[i])
    assert not sim.lap_valid_now
    for _ in range(2000):
        sim.step(publish=False)
    assert sim.car.s.u > 20.0  # driving again
