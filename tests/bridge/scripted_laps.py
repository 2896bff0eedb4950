"""A scripted game that drives laps round a circle: known lap times, one invalid lap.

Runs in another process (spawn) and writes real pages at ``hz`` physics steps a second,
so the capture loop, the bridge sink and the server all run for real.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

from scripted_game import ScriptedGame

#: physics steps per lap; lap k (1-based) has these many steps of 1 ms game time each...
STEPS_PER_LAP = 120
INVALID_LAP = 2  # this lap has three tyres out for a moment


def lap_time_ms(lap: int) -> int:
    """The game's time for completed lap ``lap`` (1-based); lap 3 is the fastest."""
    return 60_000 + (1000 if lap != 3 else 0) + lap


def drive(folder: str, seconds: float, hz: float = 200.0, laps: int = 4,
          go: str | None = None) -> None:
    """Drive ``laps`` laps; with ``go``, first wait at the start of lap 1 (steps still
    counting) until that file appears, so a capture slow to start misses nothing."""
    game = ScriptedGame(Path(folder))
    game.static.trackSPlineLength = 1000.0
    game.write_page("static")
    pid = 1
    deadline = time.perf_counter() + seconds
    while go is not None and not Path(go).exists() and time.perf_counter() < deadline:
        game.step(pid, speedKmh=100.0, gear=4, rpms=5000)
        pid += 1
        time.sleep(1 / hz)
    base = pid - 1
    t0 = time.perf_counter()
    total = laps * STEPS_PER_LAP
    while time.perf_counter() - t0 < seconds and pid - base <= total + STEPS_PER_LAP // 2:
        step = pid - 1 - base
        lap, k = divmod(step, STEPS_PER_LAP)
        frac = k / STEPS_PER_LAP
        g = game.graphics
        if k == 0 and lap > 0:
            g.iLastTime = lap_time_ms(lap)
        g.completedLaps = lap
        g.normalizedCarPosition = frac
        g.iCurrentTime = int(frac * lap_time_ms(lap + 1))
        angle = 2 * math.pi * frac
        g.carCoordinates[0] = 100 * math.cos(angle)
        g.carCoordinates[2] = 100 * math.sin(angle)
        out = 3 if (lap + 1 == INVALID_LAP and k == STEPS_PER_LAP // 2) else 0
        game.step(pid, speedKmh=100.0 + 50 * math.sin(angle), gas=0.5 + 0.5 * math.sin(angle),
                  brake=max(0.0, -math.sin(angle)), steerAngle=math.cos(angle) * 0.3,
                  gear=4, rpms=5000 + step % 1000, numberOfTyresOut=out)
        pid += 1
        time.sleep(max(0.0, (pid - 1 - base) / hz - (time.perf_counter() - t0)))
    game.step(pid, status=0)  # back to the menus: the session ends
    game.close()


class StartWhenSeen:
    """A sink that lets :func:`drive` start its laps once the capture has seen ``after``
    samples: however long a busy machine takes to start the capture, no lap passes
    unseen."""

    def __init__(self, go: Path, after: int = 20) -> None:
        self.go, self.after, self.seen = go, after, 0

    def open(self, session: object) -> None: ...

    def write(self, sample: object) -> None:
        self.seen += 1
        if self.seen == self.after:
            self.go.touch()

    def close(self, session: object) -> None: ...
