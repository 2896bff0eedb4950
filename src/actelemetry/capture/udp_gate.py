"""The UDP capture's gate, sans I/O: each datagram (bytes, sender, arrival time) in, a
verdict out. Its tests are lists of datagrams with no socket or clock.

RTCarInfo has no packet counter, so the game's own lap timer stands in for one: the
milliseconds between two datagrams (across a line crossing: what was left of the last
lap, from ``lastLap``, plus the new lap's time), over the period the stream keeps,
say how many datagrams never came. The same timer is the session's clock, so a UDP
session's time is the game's, whatever the network did to the datagrams' arrival.

A datagram that is not the protocol's (short, long, random, wrong tag or size) is
malformed; one from another address than the game's is foreign; both are refused and
counted, never recorded. A datagram that repeats the last one is a duplicate, unless
the game's clock has stood still long enough to be a pause (then it is only a repeat).
One that goes back in time by less than :data:`REORDER_MS` arrived out of order and is
refused; further back, or laps back or skipped, is a new session (the game restarted).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import Enum
from typing import Final

import numpy as np

from actelemetry.game.udp import (
    CAR_INFO_SIZE,
    LAP_SIZE,
    RESPONSE_SIZE,
    GameInfo,
    LapEvent,
    decode_car_info,
    decode_lap,
    decode_response,
)

#: a datagram this far behind the last one recorded (game time) is late, not a restart
REORDER_MS: Final = 1000
#: repeats of the last datagram this long after it (wall time) are a paused game
PAUSE_AFTER_S: Final = 0.05
#: the stream's period is learned from this many recent steps of the lap timer
PERIOD_WINDOW: Final = 64
#: ... once this many were seen (before, no datagram is counted lost)
PERIOD_MIN: Final = 8


class Kind(Enum):
    SAMPLE = "sample"  # a new RTCarInfo: record it
    NEW_SESSION = "new session"  # a new RTCarInfo that starts another session
    DUPLICATE = "duplicate"
    REPEAT = "repeat"  # the same datagram again while the game's clock stands (paused)
    REORDERED = "reordered"
    LAP = "lap"  # an RTLap spot event
    RESPONSE = "response"  # a handshake response
    FOREIGN = "foreign"
    MALFORMED = "malformed"


@dataclass(frozen=True)
class Verdict:
    """What a datagram is. For SAMPLE / NEW_SESSION: ``car`` (the decoded record),
    ``t`` (the game's clock, s since the session's first sample) and ``lost`` (datagrams
    missing before it)."""

    kind: Kind
    car: np.void | None = None
    t: float = 0.0
    lost: int = 0
    info: GameInfo | None = None
    lap: LapEvent | None = None


@dataclass
class UdpCounts:
    """Datagrams by what they were, across the whole capture."""

    samples: int = 0
    lost: int = 0
    duplicates: int = 0
    repeats: int = 0
    reordered: int = 0
    foreign: int = 0
    malformed: int = 0
    laps: int = 0
    responses: int = 0

    def quality(self) -> dict[str, int]:
        """The counts a session file's capture quality adds for UDP."""
        return {"datagrams_lost": self.lost, "datagrams_reordered": self.reordered,
                "datagrams_foreign": self.foreign, "datagrams_malformed": self.malformed}


class PeriodEstimate:
    """The stream's period (ms of the game's lap timer per datagram): the mean of recent
    steps no longer than 1.5 times their median, so a step across lost datagrams does not
    stretch it."""

    def __init__(self) -> None:
        self._steps: deque[int] = deque(maxlen=PERIOD_WINDOW)
        self.period: float | None = None
        self._fresh = 0

    def add(self, step_ms: int) -> None:
        self._steps.append(step_ms)
        self._fresh += 1
        if len(self._steps) >= PERIOD_MIN and (self.period is None or self._fresh >= 16):
            steps = np.fromiter(self._steps, float)
            median = float(np.median(steps))
            single = steps[steps <= 1.5 * median]
            self.period = float(single.mean()) if len(single) and median > 0 else None
            self._fresh = 0

    def lost(self, step_ms: int) -> int:
        if not self.period:
            return 0
        return max(int(round(step_ms / self.period)) - 1, 0)


class UdpGate:
    """Judges every datagram the capture's socket receives; ``game`` is the game's
    address (anything else is foreign)."""

    def __init__(self, game: tuple[str, int]) -> None:
        self.game = game
        self.counts = UdpCounts()
        self._period = PeriodEstimate()
        self._last: bytes | None = None
        self._lap = 0
        self._ms = 0
        self._last_lap_ms = 0
        self._t_ms = 0  # the session's clock: game ms since its first sample
        self._arrived = 0.0

    def restart(self) -> None:
        """Forget the stream: the next RTCarInfo starts a session's clock again."""
        self._last = None
        self._period = PeriodEstimate()

    def judge(self, data: bytes, sender: tuple[str, int], now: float) -> Verdict:
        counts = self.counts
        if sender != self.game:
            counts.foreign += 1
            return Verdict(Kind.FOREIGN)
        n = len(data)
        if n == CAR_INFO_SIZE:
            car = decode_car_info(data)
            if car is not None:
                return self._car(data, car, now)
        elif n == LAP_SIZE:
            lap = decode_lap(data)
            if lap is not None:
                counts.laps += 1
                return Verdict(Kind.LAP, lap=lap)
        elif n == RESPONSE_SIZE:
            info = decode_response(data)
            if info is not None:
                counts.responses += 1
                return Verdict(Kind.RESPONSE, info=info)
        counts.malformed += 1
        return Verdict(Kind.MALFORMED)

    def _car(self, data: bytes, car: np.void, now: float) -> Verdict:
        counts = self.counts
        lap, ms, last_lap = int(car["lapCount"]), int(car["lapTime"]), int(car["lastLap"])
        if self._last is None:
            return self._accept(data, lap, ms, last_lap, now, Kind.SAMPLE, car, 0, 0)
        if data == self._last:
            if now - self._arrived > PAUSE_AFTER_S:
                counts.repeats += 1
                return Verdict(Kind.REPEAT)
            counts.duplicates += 1
            return Verdict(Kind.DUPLICATE)
        step = self._step(lap, ms, last_lap)
        if step is None or step < -REORDER_MS:
            self._period = PeriodEstimate()
            return self._accept(data, lap, ms, last_lap, now, Kind.NEW_SESSION, car, 0, 0)
        if step < 0:
            counts.reordered += 1
            return Verdict(Kind.REORDERED)
        if step == 0:  # the same instant of the game, sent twice
            counts.duplicates += 1
            return Verdict(Kind.DUPLICATE)
        lost = self._period.lost(step)
        if lost == 0:
            self._period.add(step)
        counts.lost += lost
        return self._accept(data, lap, ms, last_lap, now, Kind.SAMPLE, car, step, lost)

    def _step(self, lap: int, ms: int, last_lap: int) -> int | None:
        """Game ms from the last recorded datagram to this one (negative: earlier), or
        None when they are not of the same or neighbouring laps."""
        if lap == self._lap:
            return ms - self._ms
        if lap == self._lap + 1:  # the line was crossed: the rest of that lap, then this
            rest = last_lap - self._ms if last_lap > self._ms else 0
            return rest + ms
        if lap == self._lap - 1:  # from before the crossing
            rest = self._last_lap_ms - ms if self._last_lap_ms > ms else 0
            return -(rest + self._ms)
        return None

    def _accept(self, data: bytes, lap: int, ms: int, last_lap: int, now: float, kind: Kind,
                car: np.void, step: int, lost: int) -> Verdict:
        self._t_ms = 0 if kind is Kind.NEW_SESSION or self._last is None else self._t_ms + step
        self._last, self._lap, self._ms, self._last_lap_ms = data, lap, ms, last_lap
        self._arrived = now
        self.counts.samples += 1
        return Verdict(kind, car=car, t=self._t_ms / 1000.0, lost=lost)
