"""Where the env's pages come from and where its actions go.

Both backends read the pages through the capture's own reader and decoder
(:class:`PageSensor`); they differ in who writes them. ``sim``: a simulator stepped here in
lockstep, a control period at a time, as fast as the machine allows, driven through its
own :class:`~actelemetry.sim.agent.AgentSeat`. ``live`` (:mod:`actelemetry.gym.live`): the
game (or ``actelemetry sim``) writing on its own clock, driven through a virtual controller.
"""

from __future__ import annotations

from contextlib import ExitStack
from typing import Protocol

import numpy as np

from actelemetry.channels.catalogue import Values
from actelemetry.channels.decode import StaticInfo, decode_static
from actelemetry.channels.derive import LiveDeriver
from actelemetry.errors import UsageError
from actelemetry.game.mapping import PageLocation, open_pages, private_pages
from actelemetry.game.reader import PageReader
from actelemetry.game.writer import PageWriter
from actelemetry.sim import Simulator
from actelemetry.sim.agent import AgentSeat, seat_agent
from actelemetry.sim.setup import Setup
from actelemetry.sim.track import Track

#: laps a simulated session lasts: more than any episode drives
SIM_SESSION_LAPS = 1000
#: where a simulated episode starts: at rest before the line, or anywhere already rolling
STARTS = ("grid", "flying")


class Backend(Protocol):
    """One car to drive: ``reset`` starts a session and returns its first sample,
    ``advance`` lets one control period pass and returns the sample at its end."""

    game: str
    period_s: float

    def send(self, steer: float, gas: float, brake: float) -> None: ...

    def release(self) -> None: ...

    def reset(self, seed: int) -> Values: ...

    def advance(self) -> Values: ...

    def track(self) -> Track | None: ...

    def track_length_m(self) -> float: ...

    def close(self) -> None: ...


class PageSensor:
    """The pages read the way the capture reads them: consistent snapshots, decoded and
    derived by the channel catalogue's own code."""

    def __init__(self, location: PageLocation, game: str) -> None:
        self.game = game
        self.reader = PageReader(open_pages(location), game)
        self.new_session()

    def new_session(self) -> StaticInfo:
        """Read the static page again and start the derived channels afresh."""
        self.static = decode_static(self.game, self.reader.static())
        self._deriver = LiveDeriver(self.game, self.static)
        return self.static

    def read(self, t: float) -> Values:
        snap = self.reader.snapshot()
        return self._deriver.derive(snap.physics, snap.graphics, t, 0.0, 0, 0.0)

    def close(self) -> None:
        self.reader.close()


class SimBackend:
    """The built-in simulator in lockstep: each control period is integrated at the
    physics rate and only its last step publishes pages."""

    def __init__(self, track: str | Track = "monza", game: str = "ac",
                 control_hz: float = 20.0, start: str = "grid") -> None:
        from actelemetry.sim.track import load_track

        if start not in STARTS:
            raise UsageError(f"start must be one of {', '.join(STARTS)}, not {start!r}")
        self.start = start
        self.game = game
        self._track = track if isinstance(track, Track) else load_track(track)
        self.period_s = 1.0 / control_hz
        self.sim: Simulator | None = None
        self.controls: AgentSeat | None = None
        self._pages = ExitStack()  # the private pages, while a session is open
        self._publisher: PageWriter | None = None
        self._sensor: PageSensor | None = None
        self._steps = 1

    def reset(self, seed: int) -> Values:
        """A new session. The simulator is built once and restarted after that (its car,
        laps and timers start afresh; the agent's seat keeps its one lap plan), since
        building one costs more than a hundred steps; nothing in it is random once the
        agent drives, so ``seed`` changes nothing."""
        if self.sim is None or self._sensor is None:
            self.close()
            location = self._pages.enter_context(private_pages())
            self._publisher = PageWriter(location, self.game)
            # the car as it comes, whatever the seed: the agent is the driver, and a
            # seed-drawn set-up would give every reset seed a different car
            sim = Simulator(game=self.game, track=self._track, laps=SIM_SESSION_LAPS,
                            seed=seed, publisher=self._publisher, setup=Setup.default())
            self.controls = seat_agent(sim)
            self.sim = sim
            self._steps = max(1, round(self.period_s / sim.dt))
            self._sensor = PageSensor(location, self.game)
        else:
            assert self.controls is not None
            self.controls.release()
            self.sim.restart()
            self._sensor.new_session()
        if self.start == "flying":
            self._flying_start(np.random.default_rng(seed))
        return self._sensor.read(self.sim.time)

    def _flying_start(self, rng: np.random.Generator) -> None:
        """Anywhere on the lap, rolling at 60-100 % of the speed the simulator's own driver
        plans there, so that every corner is met from the first episodes on."""
        sim, seat = self.sim, self.controls
        assert sim is not None and seat is not None and seat.plan is not None
        s = float(rng.uniform(0.0, sim.track.length))
        x, z, _ = sim.track.centre_point(s)
        plan = seat.plan
        k = int(np.argmin((np.asarray(plan.x) - x) ** 2 + (np.asarray(plan.z) - z) ** 2))
        sim.restart(start_s=s, speed=plan.speed[k] * float(rng.uniform(0.6, 1.0)))
        assert self._sensor is not None
        self._sensor.new_session()

    def send(self, steer: float, gas: float, brake: float) -> None:
        assert self.controls is not None, "call reset() first"
        self.controls.send(steer, gas, brake)

    def release(self) -> None:
        if self.controls is not None:
            self.controls.release()

    def advance(self) -> Values:
        sim, sensor = self.sim, self._sensor
        assert sim is not None and sensor is not None, "call reset() first"
        n = self._steps
        for k in range(n):
            sim.step(publish=k == n - 1)
        return sensor.read(sim.time)

    def track(self) -> Track:
        return self._track

    def track_length_m(self) -> float:
        return self._sensor.static.track_length_m if self._sensor is not None else 0.0

    @property
    def recoveries(self) -> int:
        """Times the simulator put the car back on the track (a jump in lap distance)."""
        return self.sim.recoveries if self.sim is not None else 0

    def close(self) -> None:
        if self._sensor is not None:
            self._sensor.close()
            self._sensor = None
        if self._publisher is not None:
            self._publisher.close()
            self._publisher = None
        self._pages.close()  # the private pages go
        self.sim = None
