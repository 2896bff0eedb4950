"""Track limits: which wheels are beyond the track's edges, the grip they find there, and
what gravel does to a car that arrives in it.

Pure functions of the car's place and the track's widths, so the session only decides
what follows (an invalid lap, a recovery).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from actelemetry.sim.vehicle import CarParams, CarState

#: half a tyre's width: a wheel is out when its outer shoulder passes the edge (m)
TYRE_HALF_WIDTH = 0.15
#: grip of a wheel just beyond the edge (kerb, grass verge) and further out (grass, gravel)
VERGE_GRIP = 0.92
GRASS_GRIP = 0.65
#: beyond this (m) a wheel is on the grass rather than the verge
VERGE_WIDTH_M = 1.2
#: all four wheels this far out (m): the car is in the gravel
GRAVEL_BEYOND_M = 1.5
#: gravel slows a car faster than this (m/s) by this much per second (m/s2)...
GRAVEL_SLOWS_ABOVE_MS = 8.0
GRAVEL_DECEL_MS2 = 5.0
#: ...and a car faster than this (m/s) hits things: damage per m/s over it, per second
GRAVEL_HITS_ABOVE_MS = 22.0
GRAVEL_DAMAGE_PER_MS = 0.6
#: of a hit, the front takes it all, the side facing the track this share, the rear this
GRAVEL_SIDE_SHARE = 0.7
GRAVEL_REAR_SHARE = 0.2
#: grip of every wheel on the track
ON_TRACK = (1.0, 1.0, 1.0, 1.0)


@dataclass(frozen=True)
class WheelGeometry:
    """Where the wheels sit relative to the centre of gravity (m)."""

    front: float  # CG to front axle
    rear: float  # CG to rear axle
    half_track_front: float
    half_track_rear: float

    @classmethod
    def of(cls, p: CarParams) -> WheelGeometry:
        a = p.wheelbase * (1 - p.front_weight)
        return cls(a, p.wheelbase - a, 0.5 * p.track_front, 0.5 * p.track_rear)


@dataclass(frozen=True)
class WheelsOut:
    """Wheels beyond the edges: how many, the furthest one's distance beyond (m), and
    every wheel's grip (None when all four are on the track)."""

    count: int
    beyond: float
    surface: list[float] | None


def wheels_out(geo: WheelGeometry, offset: float, rel_heading: float, width_right: float,
               width_left: float) -> WheelsOut:
    """The wheels beyond the edges of a car ``offset`` m right of the centre line, heading
    ``rel_heading`` rad from it, where the track is ``width_right`` / ``width_left`` m wide
    each side of the centre line."""
    sr = math.sin(rel_heading)
    cr = math.cos(rel_heading)
    wr = width_right + TYRE_HALF_WIDTH
    wl = -(width_left + TYRE_HALF_WIDTH)
    front = offset + geo.front * sr
    rear = offset - geo.rear * sr
    htf, htr = geo.half_track_front, geo.half_track_rear
    offs = (front - htf * cr, front + htf * cr, rear - htr * cr, rear + htr * cr)
    if not (max(offs) > wr or min(offs) < wl):
        return WheelsOut(0, 0.0, None)
    out = 0
    beyond = 0.0
    surface = list(ON_TRACK)
    for k in range(4):
        off = offs[k]
        over = off - wr if off > wr else (wl - off if off < wl else 0.0)
        if over > 0.0:
            out += 1
            surface[k] = VERGE_GRIP if over < VERGE_WIDTH_M else GRASS_GRIP
            beyond = max(beyond, over)
    return WheelsOut(out, beyond, surface)


def in_gravel(cs: CarState, wheels: WheelsOut, offset: float, dt: float) -> None:
    """A car with all four wheels deep beyond the edge digs in, and hits things when it
    arrives fast: its speed and damage change for this step."""
    if wheels.count != 4 or wheels.beyond <= GRAVEL_BEYOND_M:
        return
    speed = cs.u
    if speed > GRAVEL_SLOWS_ABOVE_MS:
        cs.u -= GRAVEL_DECEL_MS2 * dt
    if speed > GRAVEL_HITS_ABOVE_MS:
        hit = (speed - GRAVEL_HITS_ABOVE_MS) * GRAVEL_DAMAGE_PER_MS * dt
        dmg = cs.damage
        dmg[0] += hit
        dmg[3 if offset > 0 else 2] += hit * GRAVEL_SIDE_SHARE
        dmg[4] += hit * GRAVEL_REAR_SHARE
