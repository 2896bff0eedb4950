"""The built-in simulator as a source.

Fast mode runs the simulator here in lockstep: the capture's clock is the simulator's
(:class:`SimClock`), so sleeping until the next sample steps the physics and the capture
follows the game's clock at any speed. Real time runs the simulator in a child process
writing pages on the wall clock, exactly as the game would.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from actelemetry.errors import UsageError
from actelemetry.game.mapping import PageLocation, private_pages
from actelemetry.sources.base import PublishedSource, RealClock, Source, SourceKind
from actelemetry.sources.child import run_child

if TYPE_CHECKING:
    from actelemetry.sim.simulator import Simulator


@dataclass(frozen=True)
class SimSpec:
    """What the simulator drives: the game's layout, the track, the timed laps after the
    out lap, the seed, the driver's skill, and how fast (``speed`` x real time, or
    ``fast``: as fast as the machine allows)."""

    game: str = "ac"
    track: str = "monza"
    laps: int = 3
    seed: int = 0
    skill: float = 0.9
    speed: float = 1.0
    fast: bool = False
    car: str = "actelemetry_gt3"

    def __post_init__(self) -> None:
        if self.speed <= 0:
            raise UsageError(f"--speed must be positive, not {self.speed}")
        from actelemetry.sim.vehicle import car_params

        try:
            car_params(self.car)
        except ValueError as exc:
            raise UsageError(str(exc)) from None

    @classmethod
    def from_json(cls, job: Mapping[str, object]) -> SimSpec:
        return cls(game=str(job["game"]), track=str(job["track"]), laps=int(str(job["laps"])),
                   seed=int(str(job["seed"])), skill=float(str(job["skill"])),
                   speed=float(str(job["speed"])), fast=bool(job["fast"]),
                   car=str(job.get("car", "actelemetry_gt3")))


class SimClock:
    """The simulator's clock: sleeping until ``t`` steps the simulation up to ``t``.

    Only the last step before ``t`` publishes pages, so a fast capture costs one page
    write per sample, not one per physics step.
    """

    realtime = False

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self._now = sim.time

    def now(self) -> float:
        return max(self._now, self.sim.time)

    def sleep_until(self, t: float) -> None:
        sim = self.sim
        eps = 1e-9
        while sim.time < t - eps and not sim.finished:
            before = sim.time
            sim.step(publish=sim.time + sim.dt >= t - eps)
            if sim.time == before:
                break  # paused: time stands still for the car, not for the capture
        self._now = max(self._now, t)


@contextmanager
def publishing_simulator(spec: SimSpec, where: PageLocation | Path | None,
                         ) -> Iterator[Simulator]:
    """A simulator publishing its pages at ``where`` (a folder; None: the game's named
    mappings, on Windows); on exit its pages say OFF (the game quit) and the writer is
    closed."""
    from actelemetry.game.writer import PageWriter
    from actelemetry.sim import Simulator, load_track
    from actelemetry.sim.vehicle import car_params

    track = load_track(spec.track)  # a bad track is an error before any page exists
    try:
        publisher = PageWriter(where, spec.game)
    except OSError as exc:
        raise UsageError(f"cannot create pages at {PageLocation.of(where)}: "
                         f"{exc.strerror or exc}") from None
    try:
        sim = Simulator(game=spec.game, track=track, laps=spec.laps, seed=spec.seed,
                        skill=spec.skill, publisher=publisher, params=car_params(spec.car))
        try:
            yield sim
        finally:
            sim.stop()
    finally:
        publisher.close()


def drive(sim: Simulator, spec: SimSpec, stop: threading.Event) -> None:
    """Step ``sim`` on the wall clock (``spec.speed`` x), or as fast as possible with
    ``spec.fast``, until it finishes or ``stop`` is set."""
    from actelemetry.sim.realtime import run_fast, run_realtime

    if spec.fast:
        run_fast(sim, stop)
    else:
        run_realtime(sim, speed=spec.speed, stop=stop)


@contextmanager
def sim_source(spec: SimSpec) -> Iterator[Source]:
    """The simulator's pages: in lockstep here with ``spec.fast``, otherwise from a child
    process on the wall clock; the private pages go on exit."""
    with private_pages() as location:
        if spec.fast:
            from actelemetry.game.writer import PageWriter
            from actelemetry.sim import Simulator
            from actelemetry.sim.vehicle import car_params

            pub = PageWriter(location, spec.game)
            try:
                sim = Simulator(game=spec.game, track=spec.track, laps=spec.laps,
                                seed=spec.seed, skill=spec.skill, publisher=pub,
                                params=car_params(spec.car))
                sim.publish()
                yield PublishedSource(SourceKind.sim, location, SimClock(sim),
                                   lambda: not sim.finished)
            finally:
                pub.close()
            return
        job: dict[str, object] = {"kind": "sim", **asdict(spec)}
        with run_child(job, location, "simulator") as proc:
            yield PublishedSource(SourceKind.sim, location, RealClock(),
                                  lambda: proc.poll() is None)
