"""A virtual pad between processes: an agent in one process drives a real-time simulator
in another, the way a uinput or ViGEm pad drives the game.

The pad is a small file (on tmpfs where there is one) that the simulator maps and reads at
every driver step: ``magic, sequence, steer, gas, brake, restarts`` (little-endian). The
agent's side, :class:`PadControls`, is a :class:`~actelemetry.game.controls.Controls`;
bumping ``restarts`` asks the simulator for a new session, as the game's restart binding
does. ``actelemetry sim --pad FILE`` publishes pages driven by it.
"""

from __future__ import annotations

import mmap
import os
import struct
from pathlib import Path
from typing import TYPE_CHECKING

from actelemetry.game.controls import NEUTRAL, ControlsUnavailable
from actelemetry.sim.agent import AgentSeat
from actelemetry.sim.vehicle import Vehicle

if TYPE_CHECKING:
    from actelemetry.sim.simulator import Simulator

MAGIC = b"ACPD"
PAD = struct.Struct("<4sIfffI")


def read_pad(path: Path) -> tuple[float, float, float, int]:
    """(steer, gas, brake, restarts) as the pad file holds them now."""
    magic, _, steer, gas, brake, restarts = PAD.unpack(Path(path).read_bytes()[:PAD.size])
    if magic != MAGIC:
        raise ValueError(f"{path} is not a pad file")
    return steer, gas, brake, restarts


class PadControls:
    """The agent's side of a pad file that a simulator created (``actelemetry sim --pad``)."""

    name = "sim-pad"

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        try:
            fd = os.open(self.path, os.O_RDWR)
        except OSError as exc:
            raise ControlsUnavailable(f"no pad at {self.path} ({exc.strerror}): start "
                                      "`actelemetry sim --pad FILE` first") from None
        try:
            self._map = mmap.mmap(fd, PAD.size)
        finally:
            os.close(fd)
        magic, self._seq, *_, self._restarts = PAD.unpack_from(self._map)
        if magic != MAGIC:
            self._map.close()
            raise ControlsUnavailable(f"{self.path} is not a pad file")
        self._last = NEUTRAL

    def send(self, steer: float, gas: float, brake: float) -> None:
        self._seq += 1
        self._last = (steer, gas, brake)
        PAD.pack_into(self._map, 0, MAGIC, self._seq & 0xFFFFFFFF, steer, gas, brake,
                      self._restarts)

    def release(self) -> None:
        if not self._map.closed:
            self.send(*NEUTRAL)

    def restart(self) -> None:
        self._restarts += 1
        self.send(*NEUTRAL)

    def close(self) -> None:
        self.release()
        self._map.close()


class PadSeat(AgentSeat):
    """The simulator's side: drives with what the pad says, restarts when asked to."""

    name = "sim-pad-seat"

    def __init__(self, sim: Simulator, path: Path) -> None:
        super().__init__(sim)
        self.path = Path(path)
        self.path.write_bytes(PAD.pack(MAGIC, 0, *NEUTRAL, 0))
        fd = os.open(self.path, os.O_RDONLY)
        try:
            self._map = mmap.mmap(fd, PAD.size, access=mmap.ACCESS_READ)
        finally:
            os.close(fd)
        self._restarts = 0

    def control(self, car: Vehicle, dt: float) -> tuple[float, float, float]:
        _, _, steer, gas, brake, _ = PAD.unpack_from(self._map)
        self.send(steer, gas, brake)
        return super().control(car, dt)

    def after_step(self, sim: Simulator) -> None:
        """A listener: a bumped restart counter starts a new session."""
        restarts = PAD.unpack_from(self._map)[5]
        if restarts != self._restarts:
            self._restarts = restarts
            sim.restart()

    def close(self) -> None:
        self._map.close()


def attach_pad(sim: Simulator, path: Path) -> PadSeat:
    """Let the pad at ``path`` (created now, neutral) drive ``sim`` from the next session
    on, which starts at once."""
    seat = PadSeat(sim, path)
    sim.driver = seat
    sim.listeners.append(seat.after_step)
    sim.restart()
    return seat
