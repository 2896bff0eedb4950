"""A recorded session read back from the page files: lap figures in their bands, and
every field the capture reads populated and consistent."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from sim_recording import Recording, read_page

from actelemetry.sim import CarParams
from actelemetry.sim.pages import format_lap_time


def text(units) -> str:
    out = []
    for u in units:
        if u == 0:
            break
        out.append(chr(u))
    return "".join(out)


def live(rec: Recording) -> list[int]:
    return [k for k, g in enumerate(rec.graphics) if g.status == 2]


# ---------------------------------------------------------------- lap figures (bands)
def test_lap_times_in_gt3_band(ac_run: Recording) -> None:
    sim = ac_run.sim
    assert sim.finished
    assert len(sim.lap_times) == 3  # out lap + 2 timed laps
    out_lap, *timed = sim.lap_times
    assert 5.0 < out_lap < 20.0  # a few hundred metres from rest
    for t in timed:
        assert 104.0 < t < 116.0, t
    assert 105.0 < min(timed) < 112.0  # real GT3 at Monza: 1:46-1:49


def test_speed_and_g_in_gt3_bands(ac_run: Recording) -> None:
    speed = np.array([p.speedKmh for p in ac_run.physics])
    lat = np.array([p.accG[0] for p in ac_run.physics])
    lon = np.array([p.accG[2] for p in ac_run.physics])
    assert 265.0 < speed.max() < 300.0
    assert 1.6 < np.abs(lat).max() < 2.6
    assert -2.6 < lon.min() < -1.6  # braking
    assert 0.6 < lon.max() < 1.3  # traction-limited launch / first gears
    # Monza is clockwise: the car spends more time in right-hand bends (+ lateral G)
    assert (lat > 0.8).sum() > (lat < -0.8).sum()


def test_laps_differ_like_a_human_drives_them(ac_run: Recording) -> None:
    timed = ac_run.sim.lap_times[1:]
    assert abs(timed[0] - timed[1]) > 0.02


# ---------------------------------------------------------------- page consistency
def test_static_page(ac_run: Recording) -> None:
    st = read_page(ac_run.folder, "ac", "static")
    p = CarParams()
    assert text(st.smVersion) == "1.7"
    assert text(st.acVersion) == "1.16.4"
    assert text(st.carModel) == p.car_id
    assert text(st.track) == "monza"
    # one simulated driver per skill and seed (the default pro, seed 0): ml's driver split
    assert (text(st.playerName), text(st.playerSurname)) == ("sim-pro-s0", "")
    assert st.numCars == 1 and st.numberOfSessions == 1 and st.sectorCount == 3
    assert st.maxRpm == p.max_rpm and st.maxFuel == p.fuel_capacity
    assert st.trackSPlineLength == pytest.approx(ac_run.sim.track.length, rel=1e-6)
    assert list(st.tyreRadius) == pytest.approx([0.34, 0.34, 0.35, 0.35])
    assert st.maxPower > 300_000 and st.maxTorque > 400


def test_packet_ids_count_steps(ac_run: Recording) -> None:
    ids = np.array([p.packetId for p in ac_run.physics])
    steps = np.diff(ids)
    # 100 Hz samples of a 333 Hz step counter: 3 or 4 steps apart, never backwards
    assert set(steps[:-1].tolist()) <= {3, 4}
    g_ids = np.array([g.packetId for g in ac_run.graphics])
    assert (np.diff(g_ids) >= 0).all() and g_ids[-1] > g_ids[0]


def test_status_live_then_off(ac_run: Recording) -> None:
    status = [g.status for g in ac_run.graphics]
    assert status[0] == 2 and status[-1] == 0
    assert all(s == 2 for s in status[:-1])
    final = read_page(ac_run.folder, "ac", "graphics")
    assert final.status == 0 and final.completedLaps == 3


def test_lap_counter_and_position_wrap_together(ac_run: Recording) -> None:
    g = ac_run.graphics
    for a, b in itertools.pairwise(g):
        wrapped = b.normalizedCarPosition < 0.2 and a.normalizedCarPosition > 0.8
        assert wrapped == (b.completedLaps == a.completedLaps + 1)
        if not wrapped:
            assert b.completedLaps == a.completedLaps
            assert b.normalizedCarPosition >= a.normalizedCarPosition - 1e-4
    assert all(0.0 <= x.normalizedCarPosition < 1.0 for x in g)


def test_lap_timers(ac_run: Recording) -> None:
    g = ac_run.graphics
    sim = ac_run.sim
    lap_ms = [int(round(t * 1000)) for t in sim.lap_times]
    for a, b in itertools.pairwise(g):
        if b.completedLaps == a.completedLaps + 1:
            assert b.iLastTime == lap_ms[a.completedLaps]
            assert b.iCurrentTime < 30
            assert text(b.lastTime) == format_lap_time(b.iLastTime)
        elif b.status == 2:
            assert 0 <= b.iCurrentTime - a.iCurrentTime <= 15
    last = g[-1]
    valid = [ms for ms, ok in zip(lap_ms[1:], sim.lap_valid[1:], strict=True) if ok]
    assert last.iBestTime == (min(valid) if valid else 0)
    assert text(last.bestTime) == format_lap_time(last.iBestTime)
    assert text(g[0].bestTime) == "-:--:---" and g[0].iBestTime == 0


def test_sectors_advance_in_order(ac_run: Recording) -> None:
    seq = [g.currentSectorIndex for g in ac_run.graphics if g.status == 2]
    changes = [(a, b) for a, b in itertools.pairwise(seq) if a != b]
    assert changes and all(b == (a + 1) % 3 for a, b in changes)
    times = {g.lastSectorTime for g in ac_run.graphics if g.completedLaps >= 2}
    assert all(20_000 < t < 50_000 for t in times if t)


def test_world_position_follows_the_track(ac_run: Recording) -> None:
    track = ac_run.sim.track
    cx, cz = np.asarray(track.centre.x), np.asarray(track.centre.z)
    for g in ac_run.graphics[::50]:
        x, y, z = g.carCoordinates
        assert y == 0.0
        d = np.hypot(cx - x, cz - z)
        i = int(np.argmin(d))
        assert d[i] < max(track.width_left[i], track.width_right[i]) + 3.0
        # the normalised position agrees with where the car is
        s = track.centre.s[i] / track.length
        gap = abs(s - g.normalizedCarPosition)
        assert min(gap, 1 - gap) < 0.01


def test_velocity_frames_and_heading(ac_run: Recording) -> None:
    for p in ac_run.physics[::20]:
        vx, _vy, vz = p.velocity
        lx, _ly, lz = p.localVelocity
        speed = p.speedKmh / 3.6
        assert math.hypot(vx, vz) == pytest.approx(speed, abs=0.05)
        assert math.hypot(lx, lz) == pytest.approx(speed, abs=0.05)
        if speed > 20:
            # forward = (sin h, cos h): the world velocity points (nearly) along heading
            fwd = vx * math.sin(p.heading) + vz * math.cos(p.heading)
            assert fwd == pytest.approx(lz, rel=1e-3, abs=1e-3)
            assert abs(lx) < 0.2 * speed


def test_yaw_rate_matches_lateral_g(ac_run: Recording) -> None:
    # steady cornering: a_lat = u * r (same sign: + right)
    pairs = [(p.accG[0] * 9.81, p.localVelocity[2] * p.localAngularVel[1])
             for p in ac_run.physics if p.speedKmh > 100 and abs(p.accG[0]) > 1.0]
    assert len(pairs) > 100
    a, b = np.array(pairs).T
    assert (np.sign(a) == np.sign(b)).mean() > 0.95
    assert np.median(np.abs(a - b)) < 3.0


def test_fuel_decreases_and_loads_balance(ac_run: Recording) -> None:
    p0 = CarParams()
    fuel = np.array([p.fuel for p in ac_run.physics])
    assert (np.diff(fuel) <= 1e-6).all() and fuel[0] - fuel[-1] > 5.0
    for p in ac_run.physics[::25]:
        v = p.speedKmh / 3.6
        mass = p0.mass + p.fuel * 0.745
        expected = mass * 9.81 + 0.5 * p0.air_density * p0.lift_area * v * v
        assert sum(p.wheelLoad) == pytest.approx(expected, rel=0.06)
        assert all(w >= 0 for w in p.wheelLoad)


def test_wheel_channels_come_from_the_model(ac_run: Recording) -> None:
    p = CarParams()
    for ph in ac_run.physics[::50]:
        u = ph.localVelocity[2]
        if u > 30:
            # wheel speeds near v / r; slips small but not zero
            for k, w in enumerate(ph.wheelAngularSpeed):
                r = p.tyre_radius_front if k < 2 else p.tyre_radius_rear
                assert w * r == pytest.approx(u, rel=0.35)
        assert all(0.0 <= t <= p.suspension_max_travel for t in ph.suspensionTravel)
        assert all(-0.1 < c < 0.0 for c in ph.camberRAD)
        assert 1 <= ph.gear <= 7 and 0 < ph.rpms <= p.max_rpm + 300
    slips = np.array([list(ph.wheelSlip) for ph in ac_run.physics])
    assert slips.max() > 0.1 and np.median(slips) < 0.05
    # the loaded (outside) tyres run hotter at clockwise Monza: left side
    last = ac_run.physics[-1]
    core = list(last.tyreCoreTemperature)
    assert min(core) > 60 and max(core) < 120
    assert core[0] > core[1] and core[2] > core[3]
    assert max(last.brakeTemp) > 150
    assert all(25 < psi < 32 for psi in last.wheelsPressure)


def test_acc_pages(acc_run: Recording) -> None:
    st = read_page(acc_run.folder, "acc", "static")
    assert text(st.smVersion) == "1.8.12" and st.isOnline == 0
    assert text(st.dryTyresName)
    g_live = [acc_run.graphics[k] for k in live(acc_run)]
    for g in g_live[::100]:
        assert g.activeCars == 1
        assert g.carID[0] == g.playerCarID
        assert tuple(g.carCoordinates[0]) != (0.0, 0.0, 0.0)
        assert 0 < g.Clock < 86400
    assert g_live[0].iBestTime == 2147483647  # ACC shows int max before a best lap
    ph = [p for p in acc_run.physics if p.speedKmh > 60]
    for p in ph[::100]:
        for k in range(4):
            combined = math.hypot(p.slipRatio[k], math.tan(p.slipAngle[k]))
            assert p.wheelSlip[k] == pytest.approx(combined, rel=1e-4, abs=1e-6)
    assert any(abs(p.slipRatio[2]) > 0.02 for p in ph)
    assert {g.isValidLap for g in g_live} <= {0, 1}


def test_load_transfer_directions(ac_run: Recording) -> None:
    ph = ac_run.physics
    # braking for at least 0.1 s (the suspension takes a moment to move the weight)
    braking = [ph[k] for k in range(10, len(ph))
               if all(ph[j].accG[2] < -1.5 for j in range(k - 10, k + 1))]
    right_bends = [p for p in ph if p.accG[0] > 1.2 and abs(p.accG[2]) < 0.3]
    assert len(braking) > 50 and len(right_bends) > 50
    for p in braking:
        w = p.wheelLoad
        assert w[0] + w[1] > w[2] + w[3]  # weight moves to the front
    for p in right_bends:
        w = p.wheelLoad
        assert w[0] > w[1] and w[2] > w[3]  # and to the outside (left) wheels


def test_delta_to_best_lap(ac_run: Recording) -> None:
    sim = ac_run.sim
    lap1, lap2 = sim.lap_times[1:3]
    in_lap2 = [p for p, g in zip(ac_run.physics, ac_run.graphics, strict=True)
               if g.completedLaps == 2 and g.status == 2]
    deltas = [p.performanceMeter for p in in_lap2]
    assert all(abs(d) < 6.0 for d in deltas)
    if sim.lap_valid[1]:
        # just before the line the delta is (almost) this lap's time minus the best
        assert deltas[-1] == pytest.approx(lap2 - lap1, abs=0.15)
    else:
        assert not any(deltas)
