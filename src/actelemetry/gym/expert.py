"""An interactive expert for the simulator backend: what the simulator's own driver would
do now, in whatever state the agent has put the car (for DAgger, Ross et al. 2011).

Recorded laps show a learner only the states an expert visits; once the learner's small
errors take the car off that line it has no label for what to do there. The
:class:`SimExpert` labels the learner's own states instead: a shadow
:class:`~actelemetry.sim.driver.Driver` with the seat's lap plan rides along on the agent's
car and runs its ``control`` at every control tick of the physics (166 Hz, through the
seat's :attr:`~actelemetry.sim.agent.AgentSeat.watchers`), so its hands' rate limits, foot
lag and reaction buffers evolve as a person's would while someone else drives. It never
shifts (the seat does; a second ``_shift`` would change the car) and never touches the car:
an episode is the same, bit for bit, with and without it. After a new session (reset) or a
recovery it finds the car on the plan again and starts with its hands at rest.

The expert may read the plan (speeds, line); a policy learning from it sees only the env's
observation.
"""

from __future__ import annotations

import numpy as np

from actelemetry.errors import UsageError
from actelemetry.gym.backends import SimBackend
from actelemetry.gym.env import RacingEnv
from actelemetry.sim.agent import AgentSeat
from actelemetry.sim.driver import Driver
from actelemetry.sim.vehicle import Vehicle


class _Shadow(Driver):
    """The simulator's driver without a hand on the gear lever."""

    def _shift(self, car: Vehicle) -> None:
        pass


class SimExpert:
    """The simulator's own driver, labelling the states of the car an agent drives.

    ``action()`` is the expert's (steer, gas, brake) now, in the env's action convention
    (steer -1..1 of full lock, + right; gas and brake 0..1). Attach it to a ``RacingEnv``
    (or a wrapper of one) with ``backend="sim"``; it follows the env through resets.
    """

    def __init__(self, env: object) -> None:
        inner = getattr(env, "unwrapped", env)
        if not isinstance(inner, RacingEnv) or not isinstance(inner._backend, SimBackend):
            raise UsageError("the expert rides along in the simulator: backend='sim' only")
        self._backend: SimBackend = inner._backend
        self._seat: AgentSeat | None = None
        self._shadow: _Shadow | None = None
        self._session = -1
        self._recoveries = -1

    def action(self) -> np.ndarray:
        """The expert's action for the car as it is now (float32, the env's action)."""
        shadow = self._sync()
        return np.array([shadow.steer / shadow.p.max_steer, shadow.gas, shadow.brake],
                        dtype=np.float32)

    def detach(self) -> None:
        """Stop riding along (the env drives on without the expert's cost)."""
        if self._seat is not None and self._tick in self._seat.watchers:
            self._seat.watchers.remove(self._tick)
        self._seat = None

    # ------------------------------------------------------------------ internals
    def _sync(self) -> _Shadow:
        """On the current session's seat, located on the plan after a reset or recovery."""
        sim, seat = self._backend.sim, self._backend.controls
        if sim is None or seat is None or seat.plan is None:
            raise UsageError("reset the env before asking the expert")
        if seat is not self._seat:  # the simulator was built (again): a new seat
            self.detach()
            self._seat = seat
            seat.watchers.append(self._tick)
            self._shadow = _Shadow(sim.track, sim.params, sim.skill, sim.seed)
            self._session = -1
        shadow = self._shadow
        assert shadow is not None
        if sim.session_index != self._session or sim.recoveries != self._recoveries:
            self._session, self._recoveries = sim.session_index, sim.recoveries
            shadow.plan = seat.plan
            shadow.locate(sim.car.s.x, sim.car.s.z)
            shadow.reset_hands()
        return shadow

    def _tick(self, car: Vehicle, dt: float) -> None:
        self._sync().control(car, dt)
