"""Track loading and the car model's limit behaviour (lock-ups, wheelspin, grip)."""

from __future__ import annotations

import math
import shutil
from importlib import resources
from pathlib import Path

import numpy as np
import pytest
from sim_recording import record

from actelemetry.errors import UsageError
from actelemetry.sim import CarParams, Simulator, load_track
from actelemetry.sim.vehicle import Vehicle

TRACKS = Path(__file__).resolve().parent / "data"


@pytest.mark.parametrize("name,length", [("monza", 5790), ("spa", 7000),
                                         ("silverstone", 5887), ("spielberg", 4318),
                                         ("catalunya", 4655), ("hockenheim", 4574),
                                         ("suzuka", 5807)])  # published lengths
def test_builtin_tracks(name: str, length: float) -> None:
    tr = load_track(name)
    assert tr.length == pytest.approx(length, rel=0.01)
    # a closed loop turning once, clockwise = +2 pi with h growing to the right; Suzuka,
    # a figure of eight, turns as much left as right
    total_turn = sum(tr.centre.curvature) * tr.centre.spacing
    turns = 0 if name == "suzuka" else 1
    assert abs(total_turn) == pytest.approx(2 * math.pi * turns, rel=0.02, abs=0.1)
    # the race line stays inside the widths
    off = np.asarray(tr.race_offset)
    assert off.max() < max(tr.width_right) and -off.min() < max(tr.width_left)


def test_builtin_tracks_ship_licence_and_attribution() -> None:
    folder = resources.files("actelemetry.sim") / "tracks"
    assert "LESSER GENERAL PUBLIC LICENSE" in (folder / "LICENSE").read_text()
    assert "TUMFTM" in (folder / "README.md").read_text()


def test_tumftm_csv_without_race_line_gets_one(tmp_path: Path) -> None:
    src = resources.files("actelemetry.sim") / "tracks" / "monza.csv"
    dst = tmp_path / "MyMonza.csv"
    with resources.as_file(src) as p:
        shutil.copy(p, dst)
    tr = load_track(dst)
    assert tr.name == "mymonza" and tr.length == pytest.approx(5790, rel=0.01)
    off = np.asarray(tr.race_offset)
    assert np.abs(off).max() > 2.0  # it uses the width, it is not the centre line
    sim = Simulator(track=dst, laps=1)
    for _ in range(2000):
        sim.step(publish=False)
    assert sim.car.s.u > 40


def test_ac_gym_layout() -> None:
    tr = load_track(TRACKS / "ac_gym" / "monza.csv")
    assert tr.length == pytest.approx(5760, rel=0.02)
    total_turn = sum(tr.centre.curvature) * tr.centre.spacing
    assert total_turn == pytest.approx(2 * math.pi, rel=0.02)  # clockwise, as the real one


def test_foreign_csv_is_a_usage_error(tmp_path: Path) -> None:
    f = tmp_path / "t.csv"
    f.write_text("a,b,c\n" + "\n".join(f"{i},{i},{i}" for i in range(50)))
    with pytest.raises(UsageError):
        load_track(f)
    g = tmp_path / "u.csv"
    g.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(UsageError):
        load_track(g)


def _car(speed: float, gear: int, params: CarParams) -> Vehicle:
    car = Vehicle(params)
    car.reset(0.0, 0.0, 0.0)
    car.s.u = speed
    car.s.gear = gear
    car.s.omega = [speed / params.tyre_radius_front] * 2 + [speed / params.tyre_radius_rear] * 2
    return car


def test_full_brakes_without_abs_lock_the_wheels() -> None:
    p = CarParams(abs_slip=0.0)
    car = _car(40.0, 4, p)
    for _ in range(150):
        car.step(1 / 333, 0.0, 0.0, 1.0)
    assert min(car.s.kappa) < -0.9
    assert min(car.s.omega) < 3.0  # a locked wheel barely turns
    # with ABS the slip stays near the peak
    q = CarParams()
    car = _car(40.0, 4, q)
    for _ in range(150):
        car.step(1 / 333, 0.0, 0.0, 1.0)
    assert min(car.s.kappa) > -0.4


def test_full_gas_in_first_without_tc_spins_the_rears() -> None:
    # on a surface with 80 % of the grip (green or damp tarmac, a kerb): on dry tarmac the
    # 500 hp car's first gear stays just within the warm slicks' traction
    p = CarParams(tc_slip=0.0)
    car = _car(8.0, 1, p)
    car.set_surface([0.8] * 4)
    top = 0.0
    for _ in range(200):
        car.step(1 / 333, 0.0, 1.0, 0.0)
        top = max(top, car.s.kappa[2], car.s.kappa[3])
    assert top > 0.5
    assert car.s.kappa[0] == pytest.approx(0.0, abs=1e-6)  # undriven fronts roll
    # traction control holds the same launch near the tyre's peak slip
    car = _car(8.0, 1, CarParams())
    car.set_surface([0.8] * 4)
    top = 0.0
    for _ in range(200):
        car.step(1 / 333, 0.0, 1.0, 0.0)
        top = max(top, car.s.kappa[2], car.s.kappa[3])
    assert top < 0.3


def test_cornering_grip_is_gt3_like() -> None:
    p = CarParams()
    best = 0.0
    for steer in np.linspace(0.01, 0.12, 12):
        car = _car(40.0, 3, p)
        gas = 0.4
        for _ in range(900):
            gas = min(1.0, max(0.0, gas + 0.02 * (40.0 - car.s.u)))
            car.step(1 / 333, float(steer), gas, 0.0)
        if abs(car.s.u - 40.0) < 1.0:
            best = max(best, car.s.ay / 9.81)
    assert 1.5 < best < 2.2


def test_tumftm_path_picks_up_the_sibling_race_line() -> None:
    folder = TRACKS / "tumftm"
    tr = load_track(folder / "centerlines_with_widths" / "Suzuka.csv")
    assert tr.length == pytest.approx(5802.9, rel=0.005)
    assert tr.race.length == pytest.approx(5747.4, rel=0.005)  # the database's race line


def test_spa_has_its_public_hills() -> None:
    """Public figures: ~102 m between Les Combes (highest) and the run to Stavelot
    (lowest), the line ~47 m above that, Raidillon ~40 m up at up to 17-18 %."""
    tr = load_track("spa")
    h = np.asarray(tr.elevation)
    s = np.asarray(tr.centre.s)
    assert 90 < h.max() - h.min() < 110
    assert 2200 < s[h.argmax()] < 2700 and 4500 < s[h.argmin()] < 5000
    assert 40 < h[0] < 55
    assert 0.15 < max(tr.grade) < 0.19
    dip = int(np.argmin(np.where((s > 900) & (s < 1200), h, np.inf)))
    top = int(np.searchsorted(s, 1450.0))
    assert 30 < h[top] - h[dip] < 45
    assert max(tr.vertical_curvature[dip - 20:dip + 60]) > 0.001  # the compression
    # a track without a profile is flat
    assert not any(load_track("monza").grade)


def test_a_climb_holds_the_car_back_and_a_dip_presses_it_down() -> None:
    p = CarParams()
    flat, uphill, dip = _car(60.0, 6, p), _car(60.0, 6, p), _car(60.0, 6, p)
    uphill.grade = 0.10
    dip.vertical_curvature = 0.002
    for car in (flat, uphill, dip):
        car.step(1 / 333, 0.0, 0.0, 0.0)
    # gravity along a 10 % slope: g sin(atan 0.1) ~ 0.98 m/s^2 more deceleration
    assert flat.s.ax - uphill.s.ax == pytest.approx(9.81 * 0.1 / math.sqrt(1.01), rel=0.05)
    # the dip adds m u^2 k to the tyres' loads
    extra = sum(dip.s.load) - sum(flat.s.load)
    assert extra == pytest.approx(dip.mass * 60.0**2 * 0.002, rel=0.02)


def test_an_ac_gym_track_puts_the_car_in_the_game_s_own_coordinates(tmp_path: Path) -> None:
    """AC-gym files hold AC's (z, x); the pages give AC's own (x, z), so a simulated lap
    overlays the game's laps on a map."""
    import csv

    path = TRACKS / "ac_gym" / "monza.csv"
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    ai_x = np.array([float(r["pos_y"]) for r in rows])  # AC world x
    ai_z = np.array([float(r["pos_x"]) for r in rows])  # AC world z
    # a Monza grid spot from the same repository lies on the AI line in AC's frame
    assert np.hypot(ai_x + 181.6, ai_z - 155.2).min() < 1.0
    rec = record(tmp_path, "ac", laps=1, track=str(path), until=25.0)
    moving = [(ph, g) for ph, g in zip(rec.physics, rec.graphics, strict=True)
              if ph.speedKmh > 30]
    assert len(moving) > 500
    for ph, g in moving[::40]:
        x, _, z = g.carCoordinates
        assert np.hypot(ai_x - x, ai_z - z).min() < 6.0  # on the game's track
        # the world velocity and heading agree in the game's frame
        vx, _, vz = ph.velocity
        speed = math.hypot(vx, vz)
        assert vx / speed == pytest.approx(math.sin(ph.heading), abs=0.1)
        assert vz / speed == pytest.approx(math.cos(ph.heading), abs=0.1)
