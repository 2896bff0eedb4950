"""Lap and sector timing of one simulated session, as the games keep it.

Line and sector crossings are timed within the physics step (interpolated on the lap
distance), so a lap time does not carry the 3 ms step's rounding. A lap is valid until
more than two wheels leave the track or the car is put back on it; the out lap never is:
the one rule of :func:`actelemetry.game.validity.lap_valid`, which the capture applies to
the game's pages too.
The delta to the best lap compares the lap time at each centre-line point with the best
valid lap's time there.
"""

from __future__ import annotations

from actelemetry.game.validity import lap_valid
from actelemetry.sim.pages import NO_BEST_MS, SECTORS

#: the car's lap distance going from the last quarter of the lap to the first: the line
LINE_FROM, LINE_TO = 0.75, 0.25


def crossing_fraction(s_prev: float, s_now: float, bound: float) -> float:
    """Fraction of the step at which the lap distance passed ``bound``."""
    span = s_now - s_prev
    if span <= 0:
        return 1.0
    return min(max((bound - s_prev) / span, 0.0), 1.0)


class LapTiming:
    """Laps, sectors, validity, fuel per lap and the delta to the best lap."""

    def __init__(self, game: str, length: float, points: int, fuel: float,
                 s_lap: float) -> None:
        self.no_best_ms = NO_BEST_MS[game]
        self.length = length
        self.completed_laps = 0
        self.lap_start = 0.0
        self.last_lap_ms = 0
        self.best_lap_ms = self.no_best_ms
        self.lap_times: list[float] = []  # every completed lap, out lap first (s)
        self.lap_valid: list[bool] = []
        self.lap_valid_now = False  # the out lap is partial: never a valid timed lap
        self.sector_start = 0.0
        self.last_sector_ms = 0
        self.max_tyres_out_lap = 0
        self.fuel_at_lap_start = fuel
        self.fuel_per_lap: list[float] = []
        self._trace = [0.0] * points  # lap time at each centre-line point
        self._best_trace: list[float] | None = None
        self.delta = 0.0  # to the best lap at this point of the lap (s)
        self._bounds = [length * k / SECTORS for k in range(1, SECTORS)]
        self.sector = self.sector_of(s_lap)

    @property
    def has_best(self) -> bool:
        """A valid timed lap exists, so the delta to it is known."""
        return self._best_trace is not None

    def sector_of(self, s: float) -> int:
        return sum(1 for bound in self._bounds if s >= bound)

    def tyres_out(self, out: int) -> None:
        """Wheels beyond the edges at this step: too many make the lap invalid."""
        if out > self.max_tyres_out_lap:
            self.max_tyres_out_lap = out
        if not lap_valid(False, out):
            self.lap_valid_now = False

    def invalidate(self) -> None:
        self.lap_valid_now = False

    def advance(self, time: float, dt: float, s_prev: float, s: float, point: int,
                fuel: float, tyres_out: int) -> bool:
        """The step that ended at ``time`` moved the car from ``s_prev`` to ``s`` (lap
        distance, m), now nearest centre-line ``point``; True when it crossed the line."""
        sec = self.sector_of(s)
        crossed = s_prev > LINE_FROM * self.length and s < LINE_TO * self.length
        if sec != self.sector and not crossed and sec == self.sector + 1:
            frac = crossing_fraction(s_prev, s, self._bounds[self.sector])
            t_cross = time - dt * (1.0 - frac)
            self.last_sector_ms = int(round((t_cross - self.sector_start) * 1000))
            self.sector_start = t_cross
            self.sector = sec
        if crossed:
            self._line(time, dt, s_prev, s, fuel, tyres_out)
        t_lap = time - self.lap_start
        self._trace[point] = t_lap
        if self._best_trace is not None:
            self.delta = t_lap - self._best_trace[point]
        return crossed

    def _line(self, time: float, dt: float, s_prev: float, s: float, fuel: float,
              tyres_out: int) -> None:
        length = self.length
        frac = (length - s_prev) / max(length - s_prev + s, 1e-9)
        t_cross = time - dt * (1.0 - frac)
        lap_time = t_cross - self.lap_start
        self.lap_times.append(lap_time)
        # the tyres were judged sample by sample (tyres_out); the out lap never counts
        self.lap_valid.append(lap_valid(self.completed_laps == 0,
                                        game_flag=self.lap_valid_now))
        lap_ms = int(round(lap_time * 1000))
        self.last_lap_ms = lap_ms
        if self.sector == SECTORS - 1:
            self.last_sector_ms = int(round((t_cross - self.sector_start) * 1000))
        if self.completed_laps > 0:
            self.fuel_per_lap.append(self.fuel_at_lap_start - fuel)
            if self.lap_valid_now and (self.best_lap_ms == self.no_best_ms
                                       or lap_ms < self.best_lap_ms):
                self.best_lap_ms = lap_ms
                self._best_trace = list(self._trace)
        self.fuel_at_lap_start = fuel
        self.completed_laps += 1
        self.lap_start = t_cross
        self.sector_start = t_cross
        self.sector = 0
        self.lap_valid_now = True
        self.max_tyres_out_lap = tyres_out
        self.delta = 0.0
