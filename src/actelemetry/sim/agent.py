"""The simulator's own controls: an agent's steer, gas and brake at the wheel of the car.

:class:`AgentSeat` is both sides of one seat: to the simulator it is the driver it steps
with (:class:`actelemetry.sim.controls.Controls`), to an agent it is a virtual controller
(:class:`actelemetry.game.controls.Controls`), the same protocol as a uinput or ViGEm pad
on the real game. Gears shift automatically, as with the game's auto-shifter aid.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from actelemetry.game.controls import NEUTRAL
from actelemetry.sim.driver import Driver, LapPlan
from actelemetry.sim.vehicle import Vehicle

if TYPE_CHECKING:
    from actelemetry.sim.simulator import Simulator


class AgentSeat(Driver):
    """Drives the car with whatever was last sent; ``restart`` restarts the session."""

    name = "sim"

    def __init__(self, sim: Simulator) -> None:
        super().__init__(sim.track, sim.params, sim.skill, sim.seed)
        self.sim = sim
        self.action: tuple[float, float, float] = NEUTRAL  # steer -1..1, gas, brake 0..1
        #: called with the car at every control tick, before the seat acts: whatever rides
        #: along (an expert that labels the agent's states, :mod:`actelemetry.gym.expert`)
        #: sees the car at the driver's own rate; a watcher must not change the car
        self.watchers: list[Callable[[Vehicle, float], None]] = []

    # ----------------------------------------------------------- the agent's side
    def send(self, steer: float, gas: float, brake: float) -> None:
        self.action = (min(max(steer, -1.0), 1.0), min(max(gas, 0.0), 1.0),
                       min(max(brake, 0.0), 1.0))

    def release(self) -> None:
        self.action = NEUTRAL

    def restart(self) -> None:
        self.release()
        self.sim.restart()

    def close(self) -> None:
        self.release()

    # ----------------------------------------------------------- the simulator's side
    def new_lap(self, lap: int, fuel: float) -> LapPlan:
        """The lap's path, planned once: an agent follows no plan of its own, the path only
        says where the car goes back on the track after a recovery."""
        if self.plan is None:
            return super().new_lap(lap, fuel)
        return self.plan

    def control(self, car: Vehicle, dt: float) -> tuple[float, float, float]:
        for watch in self.watchers:
            watch(car, dt)
        steer, gas, brake = self.action
        self.gas = gas
        self._shift(car)
        return steer * self.p.max_steer, gas, brake


def seat_agent(sim: Simulator) -> AgentSeat:
    """Put an agent at the wheel of ``sim`` (the session restarts with it driving)."""
    seat = AgentSeat(sim)
    sim.driver = seat
    sim.restart()
    return seat
