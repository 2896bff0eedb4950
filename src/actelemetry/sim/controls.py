"""Who drives the simulator's car: the :class:`Controls` the simulator steps with.

The built-in :class:`~actelemetry.sim.driver.Driver` is one; the Gymnasium environment's
agent is another (its actions in, gears shifted for it).
"""

from __future__ import annotations

from typing import Protocol

from actelemetry.sim.vehicle import Vehicle


class Controls(Protocol):
    """Hands and feet on one car for one session.

    ``new_lap`` is told each lap as it starts (and the fuel aboard); ``locate`` puts the
    driver's idea of where the car is at ``(x, z)`` after a jump; ``control`` is asked every
    driver step for steering (road-wheel rad, + right), gas and brake (0..1) and may shift;
    ``recover`` is told the car is put back on the track near ``(x, z)`` at rest, lets go
    of every control, and says where: ``(x, z, heading)``.
    """

    def new_lap(self, lap: int, fuel: float) -> object: ...

    def locate(self, x: float, z: float) -> None: ...

    def control(self, car: Vehicle, dt: float) -> tuple[float, float, float]: ...

    def recover(self, x: float, z: float) -> tuple[float, float, float]: ...
