"""The session: car, driver and track stepped at the game's physics rate. Lap and sector
timing is :mod:`~actelemetry.sim.timing`'s, the track limits :mod:`~actelemetry.sim.limits`'
and the page fill :mod:`~actelemetry.sim.pages`'.

Cadence (as the game): physics page every step (333 Hz, ``packetId`` +1 per step, also for
steps not published, since it is a step counter), graphics page every 3rd step in AC and
every 2nd in ACC, static page once per session. ``step(publish=False)`` only integrates, so
a capture in ``--fast`` lockstep pays for the pages only at its own sample times.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

from actelemetry.game.constants import PHYSICS_HZ, STATUS_LIVE, STATUS_OFF, STATUS_PAUSE
from actelemetry.game.names import GAMES
from actelemetry.game.writer import PageWriter
from actelemetry.sim.controls import Controls
from actelemetry.sim.driver import Driver, skill_value
from actelemetry.sim.limits import ON_TRACK, WheelGeometry, in_gravel, wheels_out
from actelemetry.sim.pages import PageFill
from actelemetry.sim.setup import Setup
from actelemetry.sim.timing import LapTiming
from actelemetry.sim.track import Track, load_track
from actelemetry.sim.vehicle import CarParams, Vehicle

GRAPHICS_EVERY = {"ac": 3, "acc": 2}
START_DISTANCE = 280.0  # metres before the line where the car starts from rest
#: a car slower than 1 m/s this long is put back on its line
STUCK_SECONDS = 6.0
#: ... and so is a car this far beyond the track edge (m)
RECOVER_BEYOND_M = 30.0
#: the driver acts every 2nd physics step (166 Hz): quicker than any person, half the cost
DRIVER_EVERY = 2
#: seconds the session stays live after the final line crossing
COOLDOWN_S = 2.0


class Simulator:
    """One car on one track, publishing AC / ACC pages.

    ``track`` is a built-in name (``monza``, ``spa``, ``silverstone``) or a CSV path;
    ``laps`` full timed laps follow a short out lap, then the session ends (status OFF).
    Everything random comes from ``seed``, so a seed gives identical pages; the seed also
    draws the driver's car set-up (:class:`~actelemetry.sim.setup.Setup`) unless
    ``setup`` is given, applied to ``params`` (the chosen car).
    """

    def __init__(self, game: str = "ac", track: str | Path | Track = "monza", laps: int = 3,
                 seed: int = 0, skill: float | str = 0.9, publisher: PageWriter | None = None,
                 params: CarParams | None = None, air_temp: float = 26.0,
                 road_temp: float = 34.0, setup: Setup | None = None) -> None:
        if game not in GAMES:
            raise ValueError(f"game must be 'ac' or 'acc', not {game!r}")
        if laps < 1:
            raise ValueError("laps must be at least 1")
        if publisher is not None and publisher.game != game:
            raise ValueError(f"publisher writes {publisher.game} pages, simulator is {game}")
        self.game = game
        self.track = track if isinstance(track, Track) else load_track(track)
        self.laps = laps
        self.seed = seed
        self.skill = skill_value(skill)
        self.publisher = publisher
        # the driver's own set-up (drawn from his seed unless given) on the chosen car
        car = params or CarParams()
        self.setup = setup if setup is not None else Setup.of(seed, car)
        self.params = self.setup.apply(car)
        self.air_temp = air_temp
        self.road_temp = road_temp
        self.dt = 1.0 / PHYSICS_HZ
        self.car = Vehicle(self.params)
        self.driver: Controls = Driver(self.track, self.params, self.skill, seed)
        self.packet_id = 0
        self.graphics_packet_id = 0
        self._graphics_written = -1
        self._gfx_every = GRAPHICS_EVERY[game]
        self._pages = PageFill(self)
        #: called after each step whose pages were published (the UDP server sends then)
        self.listeners: list[Callable[[Simulator], None]] = []
        self._wheel_geometry = WheelGeometry.of(self.params)
        self._off_surface = False
        # pause / resume / stop may come from another thread than the stepping one
        self._lock = threading.RLock()
        self.session_index = -1
        self._start_session()

    # ------------------------------------------------------------------ session
    def _start_session(self, start_s: float | None = None, speed: float = 0.0) -> None:
        tr = self.track
        self.session_index += 1
        self.time = 0.0
        self.finished = False
        self.paused = False
        self.status = STATUS_LIVE
        self._finish_at: float | None = None
        self.distance = 0.0
        self.tyres_out = 0
        self._step_i = 0
        self._controls = (0.0, 0.0, 0.0)
        self._off_surface = False
        self._stuck_s = 0.0
        self.recoveries = 0
        # start at rest on the race line, START_DISTANCE before the line (or where asked)
        s0 = tr.length - START_DISTANCE if start_s is None else start_s % tr.length
        cx, cz, _ = tr.centre_point(s0)
        race = tr.race
        best = min(range(race.n), key=lambda i: (race.x[i] - cx) ** 2 + (race.z[i] - cz) ** 2)
        self.car.reset(race.x[best], race.z[best], race.heading[best], tyre_temp=62.0,
                       air_temp=self.air_temp)
        if speed > 0.0:
            self.car.roll(speed)
        self.car.slow_update(0.0, self.air_temp, self.road_temp)
        self.driver.new_lap(0, self.car.s.fuel)
        self.driver.locate(race.x[best], race.z[best])
        self._cidx = tr.nearest(race.x[best], race.z[best])
        self._cidx, self.s_lap, self.offset = tr.project(self.car.s.x, self.car.s.z, self._cidx)
        self.timing = LapTiming(self.game, tr.length, tr.centre.n, self.params.start_fuel,
                                self.s_lap)
        self._pages.fill_static()
        if self.publisher is not None:
            self.publisher.pack("static", self._pages.vals["static"])
            self._publish_all()

    def restart(self, start_s: float | None = None, speed: float = 0.0) -> None:
        """A new session: laps, timers and car reset, static page rewritten. ``start_s``
        puts the car on the race line beside that lap distance instead of the grid, already
        rolling at ``speed`` m/s (a flying start: the lap it starts in is an out lap)."""
        with self._lock:
            self._start_session(start_s, speed)

    def pause(self) -> None:
        """Status PAUSE: physics and packetId frozen until :meth:`resume`."""
        with self._lock:
            if self.finished:
                return
            self.paused = True
            self.status = STATUS_PAUSE
            if self.publisher is not None:
                self._write_graphics()

    def resume(self) -> None:
        with self._lock:
            if self.finished:
                return
            self.paused = False
            self.status = STATUS_LIVE
            if self.publisher is not None:
                self._write_graphics()

    def stop(self) -> None:
        """End the session now (status OFF), e.g. on Ctrl+C."""
        with self._lock:
            self.finished = True
            self.status = STATUS_OFF
            self._publish_all()

    # ------------------------------------------------------------------ stepping
    def step(self, publish: bool = True) -> None:
        """Advance one physics step; write the pages due at this step when ``publish``."""
        with self._lock:
            self._step(publish)

    def _step(self, publish: bool) -> None:
        if self.finished or self.paused:
            return
        dt = self.dt
        car = self.car
        if self._step_i % DRIVER_EVERY == 0:
            self._controls = self.driver.control(car, dt * DRIVER_EVERY)
        steer, gas, brake = self._controls
        car.step(dt, steer, gas, brake)
        self.time += dt
        self.packet_id += 1
        self._step_i += 1
        cs = car.s
        self.distance += cs.u * dt
        if self._step_i % 10 == 0:
            car.slow_update(10 * dt, self.air_temp, self.road_temp)
        self._track_position(dt)
        if self._step_i % self._gfx_every == 0:
            self.graphics_packet_id += 1
        if self._finish_at is not None and self.time >= self._finish_at:
            self.finished = True
            self.status = STATUS_OFF
        if self.finished:
            if self.publisher is not None:
                self._publish_all()
            return
        if publish and self.publisher is not None:
            self._pages.fill_physics()
            self.publisher.pack("physics", self._pages.vals["physics"])
            if self.graphics_packet_id != self._graphics_written:
                self._write_graphics()
            for listener in self.listeners:
                listener(self)

    def publish(self) -> None:
        """Write all three pages from the current state now."""
        with self._lock:
            self._publish_all()

    def _publish_all(self) -> None:
        if self.publisher is None:
            return
        self._pages.fill_physics()
        self.publisher.pack("physics", self._pages.vals["physics"])
        self._write_graphics()
        self.publisher.pack("static", self._pages.vals["static"])

    def _write_graphics(self) -> None:
        assert self.publisher is not None
        self._pages.fill_graphics()
        self.publisher.pack("graphics", self._pages.vals["graphics"])
        self._graphics_written = self.graphics_packet_id

    @property
    def pages(self) -> PageFill:
        """The value lists of the pages as last written."""
        return self._pages

    # the session's timing, as the pages and callers read it
    @property
    def completed_laps(self) -> int:
        return self.timing.completed_laps

    @property
    def lap_times(self) -> list[float]:
        """Every line crossing's lap time (s), the out lap first."""
        return self.timing.lap_times

    @property
    def lap_valid(self) -> list[bool]:
        return self.timing.lap_valid

    @property
    def lap_valid_now(self) -> bool:
        return self.timing.lap_valid_now

    @property
    def best_lap_ms(self) -> int:
        return self.timing.best_lap_ms

    @property
    def last_lap_ms(self) -> int:
        return self.timing.last_lap_ms

    @property
    def fuel_per_lap(self) -> list[float]:
        return self.timing.fuel_per_lap

    @property
    def track_index(self) -> int:
        """The centre-line point beside the car (its height, grade, widths)."""
        return self._cidx

    def _track_position(self, dt: float) -> None:
        """Lap distance, tyres out, surface grip, damage, lap and sector timing."""
        tr = self.track
        cs = self.car.s
        s_prev = self.s_lap
        i, s, d = tr.project(cs.x, cs.z, self._cidx)
        self._cidx = i
        self.s_lap = s
        self.offset = d
        self.car.grade = tr.grade[i]
        self.car.vertical_curvature = tr.vertical_curvature[i]
        wheels = wheels_out(self._wheel_geometry, d, cs.heading - tr.centre.heading[i],
                            tr.width_right[i], tr.width_left[i])
        if wheels.surface is not None:
            self.car.set_surface(wheels.surface)
            self._off_surface = True
        elif self._off_surface:
            self.car.set_surface(list(ON_TRACK))
            self._off_surface = False
        out, beyond = wheels.count, wheels.beyond
        self.tyres_out = out
        self.timing.tyres_out(out)
        in_gravel(cs, wheels, d, dt)
        # stuck, or far from the track: put the car back on its line (as the game's
        # "back to track"), so a session always reaches its last lap
        if cs.u < 1.0 and self.time > 5.0:
            self._stuck_s += dt
        else:
            self._stuck_s = 0.0
        if self._stuck_s > STUCK_SECONDS or beyond > RECOVER_BEYOND_M:
            self._recover()
        if self.timing.advance(self.time, dt, s_prev, s, i, cs.fuel, out):
            laps = self.timing.completed_laps
            if laps > self.laps and self._finish_at is None:
                # drive on a little, as the game stays live after the flag: a reader
                # sees the final lap's time in the pages before the session closes
                self._finish_at = self.time + COOLDOWN_S
            self.driver.new_lap(laps, cs.fuel)
            self.driver.locate(cs.x, cs.z)

    def _recover(self) -> None:
        """Back on the race line beside where the car is, at rest; the lap is invalid."""
        cs = self.car.s
        x, z, heading = self.driver.recover(cs.x, cs.z)
        fuel, temps, brakes, damage = cs.fuel, cs.tyre_core[:], cs.brake_temp[:], cs.damage[:]
        self.car.reset(x, z, heading, fuel=fuel, air_temp=self.air_temp)
        cs = self.car.s
        cs.tyre_core, cs.tyre_surface, cs.brake_temp, cs.damage = temps, temps[:], brakes, damage
        self.car.slow_update(0.0, self.air_temp, self.road_temp)
        self._controls = (0.0, 0.0, 0.0)
        self._cidx, self.s_lap, self.offset = self.track.project(cs.x, cs.z, self._cidx)
        self.timing.invalidate()
        self._stuck_s = 0.0
        self.recoveries += 1
