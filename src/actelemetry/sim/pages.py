"""The simulator's pages: its state written into the games' page fields.

Values that no model of ours produces are named here, with what they stand for, so a
reader of a page can tell a modelled value from a plausible constant.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from actelemetry.game.writer import FORMATS, PageFormat, encode_text
from actelemetry.sim.vehicle import G

if TYPE_CHECKING:
    from actelemetry.sim.simulator import Simulator

#: sectors per lap (the static page's sectorCount; the timing splits laps into these)
SECTORS = 3
#: the games' text for "no time"
NO_TIME = "-:--:---"
#: what the games show in iBestTime before a valid lap exists
NO_BEST_MS = {"ac": 0, "acc": 2147483647}
#: (smVersion, acVersion) each game's static page reports
VERSIONS = {"ac": ("1.7", "1.16.4"), "acc": ("1.8.12", "1.10.2")}
#: ACC's id of the player's car in carID
PLAYER_CAR_ID = 1001
KMH_PER_MS = 3.6
KELVIN = 273.15
#: the temperature at which the tyres hold their cold pressure (C)
COLD_TYRE_C = 25.0
#: ACC's coolant temperature: a warm engine, not modelled (C)
WATER_TEMP_C = 88.0
#: ACC's brake pad and disc thickness: new parts, wear not modelled (mm)
PAD_LIFE_MM = 29.0
DISC_LIFE_MM = 32.0
#: the front tyres' lateral force that fills the wheel's force feedback (N): finalFF is
#: their force over this, clipped to -1..1 (negative: the wheel pulls against the turn)
FFB_FULL_SCALE_N = 12000.0
#: the self-aligning torque of a tyre per newton of lateral force: its pneumatic trail (m)
PNEUMATIC_TRAIL_M = 0.03
#: tread temperatures across a tyre: the inner edge is this much warmer than the middle
#: (negative camber), less so per g of load towards the outside, and follows the core by
#: this share; the outer edge this much cooler, warmer per g on the outside of a bend (C)
INNER_EDGE_C = 6.0
INNER_EDGE_PER_G = 2.0
INNER_CORE_SHARE = 0.1
OUTER_EDGE_C = 4.0
OUTER_EDGE_PER_G = 4.0
#: ACC's vibration channels reach 1 at this wheel slip and this combined g
SLIP_FULL_VIBRATION = 0.5
G_FULL_VIBRATION = 3.0
#: ACC's exhaust temperature: this at idle, rising linearly with rpm (C, C per rpm)
EXHAUST_IDLE_C = 450.0
EXHAUST_PER_RPM_C = 0.05
#: the session's length (sessionTimeLeft counts down from it) and its time of day at the
#: start (ACC's Clock: 14:00), in seconds
SESSION_LENGTH_S = 3600.0
SESSION_START_CLOCK_S = 14 * 3600.0


def format_lap_time(ms: int) -> str:
    """The games' ``m:ss:mmm`` page text for a time in milliseconds (what the pages hold;
    for people, :func:`actelemetry.timefmt.lap_time_ms` writes ``m:ss.mmm``)."""
    if ms <= 0 or ms >= 2147483647:
        return NO_TIME
    return f"{ms // 60000}:{(ms // 1000) % 60:02d}:{ms % 1000:03d}"


def sim_driver_name(skill: float, seed: int) -> str:
    """The simulated driver's name in the static page (so in the session metadata): one
    "driver" per skill and seed, ``sim-pro-s0``, which gives `ml prepare --split driver`
    a meaning without real people (a skill between the named levels: ``sim-0.55-s0``).
    The seed is the person, with his own habits (:mod:`~actelemetry.sim.habits`), the
    skill his pace."""
    from actelemetry.sim.driver import SKILL_LEVELS

    level = next((name for name, v in SKILL_LEVELS.items() if abs(v - skill) < 1e-9),
                 f"{skill:.2f}")
    return f"sim-{level}-s{seed}"


class PageFill:
    """The three pages' value lists for one simulator, filled from its state when a page
    is due (see :class:`~actelemetry.game.writer.PageFormat` for the value lists)."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.fmt: dict[str, PageFormat] = {pg: FORMATS[(sim.game, pg)] for pg in
                                           ("physics", "graphics", "static")}
        self.vals = {pg: fmt.blank() for pg, fmt in self.fmt.items()}

    def fill_static(self) -> None:
        sim = self.sim
        fmt = self.fmt["static"]
        v = self.vals["static"]
        p = sim.params
        sm, ver = VERSIONS[sim.game]
        for name, value in (
            ("smVersion", sm), ("acVersion", ver), ("numberOfSessions", 1), ("numCars", 1),
            ("carModel", p.car_id), ("track", sim.track.name),
            ("playerName", sim_driver_name(sim.skill, sim.seed)), ("playerSurname", ""),
            ("playerNick", "SIM"),
            ("sectorCount", SECTORS), ("maxTorque", p.max_torque),
            ("maxPower", p.max_power), ("maxRpm", p.max_rpm), ("maxFuel", p.fuel_capacity),
            ("suspensionMaxTravel", [p.suspension_max_travel] * 4),
            ("tyreRadius", [p.tyre_radius_front] * 2 + [p.tyre_radius_rear] * 2),
            ("penaltiesEnabled", 1), ("aidFuelRate", 1.0), ("aidTireRate", 1.0),
            ("aidMechanicalDamage", 1.0), ("aidAllowTyreBlankets", 0), ("aidStability", 0.0),
            ("aidAutoClutch", 1), ("aidAutoBlip", 1),
            ("trackSPlineLength", sim.track.length),
            ("trackConfiguration", sim.track.configuration), ("carSkin", "00_default"),
        ):
            fmt.set(v, name, value)
        if sim.game == "acc":
            fmt.set(v, "isOnline", 0)
            fmt.set(v, "dryTyresName", "DHE")
            fmt.set(v, "wetTyresName", "WH")
            fmt.set(v, "PitWindowStart", -1)
            fmt.set(v, "PitWindowEnd", -1)
        # graphics fields that never change within a session
        gf = self.fmt["graphics"]
        g = self.vals["graphics"]
        gf.set(g, "session", 0)
        gf.set(g, "position", 1)
        gf.set(g, "numberOfLaps", sim.laps + 1)
        gf.set(g, "tyreCompound", "dry_compound" if sim.game == "acc" else "Slick Medium")
        gf.set(g, "replayTimeMultiplier", 1.0)
        gf.set(g, "surfaceGrip", 1.0)
        gf.set(g, "idealLineOn", 0)
        if sim.game == "acc":
            gf.set(g, "activeCars", 1)
            gf.set(g, "playerCarID", PLAYER_CAR_ID)
            gf.set(g, "carID", [PLAYER_CAR_ID])  # slot 0; the other 59 stay zero
            # the driver's set-up as the game shows it (levels and map, 1-based)
            gf.set(g, "TC", sim.setup.tc_level)
            gf.set(g, "ABS", sim.setup.abs_level)
            gf.set(g, "EngineMap", sim.setup.engine_map)
            gf.set(g, "trackStatus", "OPTIMUM")
            gf.set(g, "trackGripStatus", 2)
            gf.set(g, "mfdTyreSet", 1)
            gf.set(g, "currentTyreSet", 1)
            gf.set(g, "strategyTyreSet", 1)
            gf.set(g, "GlobalGreen", 1)
            for wheel in ("LF", "RF", "LR", "RR"):
                gf.set(g, f"mfdTyrePressure{wheel}", p.tyre_cold_pressure)
            gf.set(g, "sessionIndex", 0)
        # physics fields that never change
        pf = self.fmt["physics"]
        ph = self.vals["physics"]
        pf.set(ph, "cgHeight", p.cg_height)
        pf.set(ph, "autoShifterOn", 1)
        pf.set(ph, "airDensity", p.air_density)
        pf.set(ph, "airTemp", sim.air_temp)
        pf.set(ph, "roadTemp", sim.road_temp)
        pf.set(ph, "brakeBias", p.brake_bias)
        pf.set(ph, "abs", p.abs_slip if sim.game == "ac" else 0.0)
        pf.set(ph, "tc", p.tc_slip if sim.game == "ac" else 0.0)
        pf.set(ph, "tyreContactNormal", [0.0, 1.0, 0.0] * 4)
        if sim.game == "acc":
            pf.set(ph, "currentMaxRpm", p.max_rpm)
            pf.set(ph, "waterTemp", WATER_TEMP_C)
            pf.set(ph, "frontBrakeCompound", 1)
            pf.set(ph, "rearBrakeCompound", 1)
            pf.set(ph, "padLife", [PAD_LIFE_MM] * 4)
            pf.set(ph, "discLife", [DISC_LIFE_MM] * 4)
            pf.set(ph, "ignitionOn", 1)
            pf.set(ph, "isEngineRunning", 1)

    def fill_physics(self) -> None:
        sim = self.sim
        v = self.vals["physics"]
        ix = self.fmt["physics"].index
        cs = sim.car.s
        p = sim.params
        u, vl, h = cs.u, cs.v, cs.heading
        sh, ch = math.sin(h), math.cos(h)
        tr = sim.track
        # world vectors in the game's frame (an AC-gym track's axes swapped back)
        vx, vz = tr.game_position(u * sh + vl * ch, u * ch - vl * sh)
        # vertical: what the road's vertical curve adds to gravity (a dip's compression)
        vert_g = u * u * tr.vertical_curvature[sim.track_index] / G
        ay_g = cs.ay / G
        ax_g = cs.ax / G
        v[0] = sim.packet_id
        v[ix["gas"][0]] = cs.gas
        v[ix["brake"][0]] = cs.brake
        v[ix["fuel"][0]] = cs.fuel
        v[ix["gear"][0]] = cs.gear + 1
        v[ix["rpms"][0]] = int(cs.rpm)
        v[ix["steerAngle"][0]] = cs.steer / p.max_steer
        v[ix["speedKmh"][0]] = math.hypot(u, vl) * KMH_PER_MS
        i = ix["velocity"][0]
        v[i:i + 3] = (vx, 0.0, vz)
        i = ix["accG"][0]
        v[i:i + 3] = (ay_g, vert_g, ax_g)
        kap = cs.kappa
        al = cs.alpha
        slip = [math.sqrt(kap[k] * kap[k] + math.tan(al[k]) ** 2) for k in range(4)]
        i = ix["wheelSlip"][0]
        v[i:i + 4] = slip
        loads = cs.load
        i = ix["wheelLoad"][0]
        v[i:i + 4] = loads
        i = ix["wheelsPressure"][0]
        cold = p.tyre_cold_pressure / (COLD_TYRE_C + KELVIN)
        v[i:i + 4] = [cold * (t + KELVIN) for t in cs.tyre_core]
        i = ix["wheelAngularSpeed"][0]
        v[i:i + 4] = cs.omega
        i = ix["tyreWear"][0]
        v[i:i + 4] = cs.tyre_wear
        i = ix["tyreCoreTemperature"][0]
        v[i:i + 4] = cs.tyre_core
        # camber: the outside wheels gain, the inside lose, with body roll
        roll = -p.roll_gradient * ay_g
        pitch = p.pitch_gradient * ax_g
        cf, crr = p.static_camber_front, p.static_camber_rear
        i = ix["camberRAD"][0]
        v[i:i + 4] = (cf - 0.5 * roll, cf + 0.5 * roll, crr - 0.5 * roll, crr + 0.5 * roll)
        top = p.suspension_max_travel
        pre = p.travel_preload
        kf, kr = p.wheel_rate_front, p.wheel_rate_rear
        travel = [min(max(pre + loads[0] / kf, 0.0), top), min(max(pre + loads[1] / kf, 0.0), top),
                  min(max(pre + loads[2] / kr, 0.0), top), min(max(pre + loads[3] / kr, 0.0), top)]
        i = ix["suspensionTravel"][0]
        v[i:i + 4] = travel
        v[ix["heading"][0]] = tr.game_heading(h)
        v[ix["pitch"][0]] = pitch
        v[ix["roll"][0]] = roll
        i = ix["carDamage"][0]
        v[i:i + 5] = cs.damage
        v[ix["numberOfTyresOut"][0]] = sim.tyres_out
        mean_static_f = self._static_travel_front
        mean_static_r = self._static_travel_rear
        i = ix["rideHeight"][0]
        v[i:i + 2] = (p.ride_height_front - (0.5 * (travel[0] + travel[1]) - mean_static_f),
                      p.ride_height_rear - (0.5 * (travel[2] + travel[3]) - mean_static_r))
        i = ix["localAngularVel"][0]
        v[i:i + 3] = (0.0, cs.r, 0.0)
        v[ix["finalFF"][0]] = max(-1.0, min(1.0, -(cs.fy[0] + cs.fy[1]) / FFB_FULL_SCALE_N))
        v[ix["performanceMeter"][0]] = sim.timing.delta if sim.timing.has_best else 0.0
        i = ix["brakeTemp"][0]
        v[i:i + 4] = cs.brake_temp
        v[ix["clutch"][0]] = cs.clutch
        core = cs.tyre_core
        surf = cs.tyre_surface
        # tread: middle at the surface temperature, the inner edge warmer with negative
        # camber, the loaded outer edge warmer in a bend
        ti = ix["tyreTempI"][0]
        tm = ix["tyreTempM"][0]
        to = ix["tyreTempO"][0]
        for k in range(4):
            side = ay_g if k % 2 == 0 else -ay_g  # + when this wheel is on the outside
            sm = surf[k]
            v[tm + k] = sm
            v[ti + k] = (sm + INNER_EDGE_C - INNER_EDGE_PER_G * side
                         + INNER_CORE_SHARE * (sm - core[k]))
            v[to + k] = sm - OUTER_EDGE_C + OUTER_EDGE_PER_G * side
        i = ix["tyreContactPoint"][0]
        a = p.wheelbase * (1 - p.front_weight)
        b = p.wheelbase - a
        pts: list[float] = []
        for lx, lz in ((-0.5 * p.track_front, a), (0.5 * p.track_front, a),
                       (-0.5 * p.track_rear, -b), (0.5 * p.track_rear, -b)):
            pts += (cs.x + lx * ch + lz * sh, 0.0, cs.z - lx * sh + lz * ch)
        v[i:i + 12] = pts
        i = ix["tyreContactHeading"][0]
        hf = h + cs.steer
        fh = (math.sin(hf), 0.0, math.cos(hf))
        rh = (sh, 0.0, ch)
        v[i:i + 12] = fh + fh + rh + rh
        i = ix["localVelocity"][0]
        v[i:i + 3] = (vl, 0.0, u)
        if sim.game == "acc":
            v[ix["tc"][0]] = 1.0 if cs.tc_active else 0.0
            v[ix["abs"][0]] = 1.0 if cs.abs_active else 0.0
            i = ix["fx"][0]
            v[i:i + 4] = cs.fx
            i = ix["fy"][0]
            v[i:i + 4] = cs.fy
            i = ix["mz"][0]
            v[i:i + 4] = [-PNEUMATIC_TRAIL_M * f for f in cs.fy]
            i = ix["slipRatio"][0]
            v[i:i + 4] = kap
            i = ix["slipAngle"][0]
            v[i:i + 4] = al
            v[ix["tcinAction"][0]] = int(cs.tc_active)
            v[ix["absInAction"][0]] = int(cs.abs_active)
            i = ix["tyreTemp"][0]
            v[i:i + 4] = core
            i = ix["brakePressure"][0]
            bf = cs.brake * p.brake_bias
            br = cs.brake * (1 - p.brake_bias)
            v[i:i + 4] = (bf, bf, br, br)
            v[ix["slipVibrations"][0]] = min(1.0, max(slip) / SLIP_FULL_VIBRATION)
            v[ix["gVibrations"][0]] = min(1.0, math.hypot(ax_g, ay_g) / G_FULL_VIBRATION)

    @property
    def _static_travel_front(self) -> float:
        sim = self.sim
        p = sim.params
        return p.travel_preload + sim.car.mass * G * p.front_weight * 0.5 / p.wheel_rate_front

    @property
    def _static_travel_rear(self) -> float:
        sim = self.sim
        p = sim.params
        return (p.travel_preload
                + sim.car.mass * G * (1 - p.front_weight) * 0.5 / p.wheel_rate_rear)

    def fill_graphics(self, v: list | None = None) -> None:
        """Fill the graphics page's values from the state now (into ``v``, a copy of the
        page's value list, instead when given: the fresh values between two writes)."""
        sim = self.sim
        v = self.vals["graphics"] if v is None else v
        ix = self.fmt["graphics"].index
        cs = sim.car.s
        tr = sim.track
        acc = sim.game == "acc"
        cur_ms = int((sim.time - sim.timing.lap_start) * 1000)
        v[0] = sim.graphics_packet_id
        v[ix["status"][0]] = sim.status
        v[ix["currentTime"][0]] = encode_text(format_lap_time(cur_ms), 15)
        v[ix["lastTime"][0]] = encode_text(format_lap_time(sim.last_lap_ms), 15)
        v[ix["bestTime"][0]] = encode_text(format_lap_time(sim.best_lap_ms), 15)
        v[ix["split"][0]] = encode_text(format_lap_time(sim.timing.last_sector_ms), 15)
        v[ix["completedLaps"][0]] = sim.completed_laps
        v[ix["iCurrentTime"][0]] = cur_ms
        v[ix["iLastTime"][0]] = sim.last_lap_ms
        v[ix["iBestTime"][0]] = sim.best_lap_ms
        v[ix["sessionTimeLeft"][0]] = max(0.0, SESSION_LENGTH_S - sim.time) * 1000.0
        v[ix["distanceTraveled"][0]] = sim.distance
        v[ix["currentSectorIndex"][0]] = sim.timing.sector
        v[ix["lastSectorTime"][0]] = sim.timing.last_sector_ms
        v[ix["normalizedCarPosition"][0]] = sim.s_lap / tr.length
        i = ix["carCoordinates"][0]
        gx, gz = tr.game_position(cs.x, cs.z)
        v[i:i + 3] = (gx, tr.elevation[sim.track_index], gz)
        if acc:
            v[ix["isValidLap"][0]] = int(sim.lap_valid_now)
            v[ix["iSplit"][0]] = sim.timing.last_sector_ms
            has_best = sim.timing.has_best
            delta_ms = int(sim.timing.delta * 1000) if has_best else 0
            v[ix["iDeltaLapTime"][0]] = delta_ms
            v[ix["isDeltaPositive"][0]] = int(delta_ms > 0)
            sign = "+" if delta_ms >= 0 else "-"
            v[ix["deltaLapTime"][0]] = encode_text(f"{sign}{abs(delta_ms) / 1000:.3f}", 15)
            est = sim.best_lap_ms + delta_ms if has_best else 0
            v[ix["iEstimatedLapTime"][0]] = est
            v[ix["estimatedLapTime"][0]] = encode_text(format_lap_time(est), 15)
            per_lap = (sum(sim.fuel_per_lap) / len(sim.fuel_per_lap)) if sim.fuel_per_lap \
                else 0.0
            v[ix["fuelXLap"][0]] = per_lap
            v[ix["fuelEstimatedLaps"][0]] = cs.fuel / per_lap if per_lap > 0 else 0.0
            v[ix["usedFuel"][0]] = sim.params.start_fuel - cs.fuel
            v[ix["Clock"][0]] = SESSION_START_CLOCK_S + sim.time
            v[ix["exhaustTemperature"][0]] = EXHAUST_IDLE_C + EXHAUST_PER_RPM_C * cs.rpm
            v[ix["driverStintTotalTimeLeft"][0]] = -1
            v[ix["driverStintTimeLeft"][0]] = -1
