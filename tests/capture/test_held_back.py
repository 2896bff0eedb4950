"""A capture at the physics rate says which missed steps the machine cost it: steps that
came and went while it was held back (a sleep that overran, or the process not running),
told apart from steps that came bunched between two timely looks."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from actelemetry.capture.loop import CaptureLoop, CaptureOptions
from actelemetry.capture.sinks import Sample, Session
from actelemetry.game.writer import PageWriter
from actelemetry.sim import Simulator
from actelemetry.sources.base import RealClock
from actelemetry.sources.game import GameSource

#: the writer's pause after each step: it never publishes two steps closer than this
WRITER_PAUSE_S = 0.004


class OverrunningClock(RealClock):
    """The wall clock, except that every 20th sleep overruns by 15 ms (as a loaded
    machine's sleeps now and then do)."""

    def __init__(self) -> None:
        self.sleeps = self.overruns = 0

    def sleep_until(self, t: float) -> None:
        if t > self.now():  # a real sleep (a look due at once does not sleep)
            self.sleeps += 1
            if self.sleeps % 20 == 0:
                self.overruns += 1
                t += 0.015
        super().sleep_until(t)


class Count:
    """A sink that only counts samples."""

    def __init__(self) -> None:
        self.samples = 0

    def open(self, session: Session) -> None: ...

    def write(self, sample: Sample) -> None:
        self.samples += 1

    def close(self, session: Session) -> None: ...


def test_steps_missed_while_held_back_are_told_apart(tmp_path: Path) -> None:
    stop = threading.Event()
    with PageWriter(tmp_path, "ac") as pub:
        sim = Simulator(game="ac", track="monza", laps=3, seed=0, publisher=pub)
        sim.step()

        def publish() -> None:  # a pause after each step, so steps never come bunched
            while not stop.is_set():
                sim.step()
                time.sleep(WRITER_PAUSE_S)

        writer = threading.Thread(target=publish, daemon=True)
        writer.start()
        try:
            source = GameSource(tmp_path)
            clock = source.clock = OverrunningClock()
            count = Count()
            opts = CaptureOptions(shm_dir=tmp_path, rate=333, duration=2.5)
            loop = CaptureLoop(opts, source, [count])
            assert loop.every_packet
            stats = loop.run().stats
        finally:
            stop.set()
            writer.join(5)
    assert count.samples > 50 and clock.overruns > 5
    assert stats.skipped > 0, "15 ms overruns at a step every 4 ms lose steps"
    # no step can pass unseen unless the capture looked away for longer than the
    # writer's pause: every miss here is the machine's (the overruns and anything else
    # that held this process back), and some followed an overrun sleep
    assert stats.skipped_held_back == stats.skipped
    assert 0 < stats.skipped_late_wake <= stats.skipped_held_back
