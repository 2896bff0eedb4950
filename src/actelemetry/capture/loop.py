"""The capture loop: sample the pages on a drift-free schedule, only while the game drives.

Every sample is gated on the physics packetId: a repeated id is refused (counted, never
logged), a jump counts the skipped physics steps. Recording happens only while status is
LIVE and the packetId advances; pauses leave a marked gap; a restart, a new session or a
new car/track closes the session file and opens another; the game quitting closes it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from actelemetry.capture.clock import Clock, RealClock, SimClock
from actelemetry.capture.sinks import Sample, Session, Sink
from actelemetry.channels.decode import decode_static
from actelemetry.channels.derive import DEFAULT_SMOOTHING
from actelemetry.errors import GameNotRunning, UsageError
from actelemetry.game.detect import detect_game
from actelemetry.game.mapping import GAME_NOT_FOUND, open_pages
from actelemetry.game.reader import STATUS_LIVE, STATUS_OFF, PageReader, Snapshot, peek

#: AC's physics rate; asking for it (or more) means "every physics step"
PHYSICS_HZ = 333.0
#: packetId frozen this long while LIVE counts as a pause (AC does not always set PAUSE)
PAUSE_AFTER_S = 0.05
#: status OFF or a frozen packetId this long means the game has gone
GONE_AFTER_S = 1.0
_GRAPHICS_COMPLETED_LAPS = 132
_GRAPHICS_SESSION = 8


@dataclass
class CaptureOptions:
    """What to capture and how; mirrors ``actelemetry capture``'s options."""

    source: str = "shm"  # shm | sim
    shm_dir: Path | None = None
    game: str | None = None
    rate: float = 100.0
    duration: float | None = None
    laps: int | None = None
    wait: bool = True
    smoothing: int = DEFAULT_SMOOTHING
    # the built-in simulator (source "sim")
    track: str = "monza"
    sim_laps: int = 3
    seed: int = 0
    speed: float = 1.0
    fast: bool = False

    def __post_init__(self) -> None:
        if not 0 < self.rate <= 1000:
            raise UsageError(f"--rate must be between 0 and 1000 Hz, not {self.rate}")
        if self.source not in ("shm", "sim"):
            raise UsageError(f"unknown source {self.source!r} (shm or sim)")
        if self.game not in (None, "ac", "acc"):
            raise UsageError(f"unknown game {self.game!r} (ac or acc)")


@dataclass
class CaptureStats:
    """Capture quality across the whole run."""

    samples: int = 0
    duplicates: int = 0
    skipped: int = 0
    retries: int = 0
    gaps: int = 0
    recorded_s: float = 0.0
    lateness: deque = field(default_factory=lambda: deque(maxlen=200_000))
    ended: str = ""

    @property
    def achieved_rate(self) -> float:
        return (self.samples - 1) / self.recorded_s if self.recorded_s > 0 else 0.0

    def jitter_ms(self, q: float) -> float:
        return float(np.quantile(np.asarray(self.lateness), q) * 1e3) if self.lateness else 0.0


@dataclass
class CaptureResult:
    sessions: list[Session]
    stats: CaptureStats


@contextmanager
def simulator_source(opts: CaptureOptions) -> Iterator[tuple[Path, Clock, object | None]]:
    """Start the built-in simulator for the session: (page folder, clock, in-process sim).

    Fast mode runs the simulator in this process in lockstep with the capture; real time
    runs it as another process writing pages, exactly as the game would.
    """
    from actelemetry.sim import PagePublisher, Simulator

    base = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    folder = Path(tempfile.mkdtemp(prefix="actelemetry-sim-", dir=base))
    proc = None
    try:
        if opts.fast:
            pub = PagePublisher(folder, opts.game or "ac")
            sim = Simulator(game=opts.game or "ac", track=opts.track, laps=opts.sim_laps,
                            seed=opts.seed, publisher=pub)
            sim.publish()
            yield folder, SimClock(sim), sim
            pub.close()
        else:
            cmd = [sys.executable, "-m", "actelemetry", "sim", "--game", opts.game or "ac",
                   "--track", str(opts.track), "--laps", str(opts.sim_laps), "--seed",
                   str(opts.seed), "--speed", str(opts.speed), "--shm-dir", str(folder),
                   "--quiet"]
            proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            deadline = time.monotonic() + 30
            while not (folder / "acpmf_static").exists():
                if proc.poll() is not None or time.monotonic() > deadline:
                    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
                    raise UsageError(f"the simulator did not start: {err.strip()[-300:]}")
                time.sleep(0.02)
            yield folder, RealClock(), None
    finally:
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(folder, ignore_errors=True)


class CaptureLoop:
    """The state machine between the pages and the sinks."""

    def __init__(self, opts: CaptureOptions, reader_factory: Callable[[], dict],
                 clock: Clock, sinks: list[Sink], source_name: str,
                 stop: threading.Event | None = None,
                 on_wait: Callable[[str], None] | None = None,
                 sim: object | None = None) -> None:
        self.opts = opts
        self.open_mappings = reader_factory
        self.clock = clock
        self.sinks = sinks
        self.source_name = source_name
        self.stop = stop or threading.Event()
        self.on_wait = on_wait or (lambda msg: None)
        self.sim = sim
        self.stats = CaptureStats()
        self.sessions: list[Session] = []
        self.session: Session | None = None
        self.reader: PageReader | None = None

    # --- sessions ---------------------------------------------------------------------------
    def _open_session(self, game: str, detection: str) -> None:
        assert self.reader is not None
        static_page = self.reader.static()
        self.session = Session(
            game=game, detection=detection, static_page=static_page,
            static=decode_static(game, static_page), start_wall=time.time(),
            source=self.source_name, rate=self.opts.rate, smoothing=self.opts.smoothing)
        for sink in self.sinks:
            sink.open(self.session)

    def _close_session(self) -> None:
        if self.session is None:
            return
        session, self.session = self.session, None
        errors = []
        for sink in self.sinks:
            try:
                sink.close(session)
            except Exception as exc:
                errors.append(exc)
        self.sessions.append(session)
        if errors:
            raise errors[0]

    # --- pages ------------------------------------------------------------------------------
    def _connect(self) -> tuple[str, str] | None:
        """Open the pages and decide the game, or None while no live game is there."""
        try:
            mappings = self.open_mappings()
        except GameNotRunning:
            return None
        graphics = peek(mappings["graphics"], "graphics")
        static = peek(mappings["static"], "static")
        game, reason = detect_game(static, graphics, self.opts.game,
                                   check_process=self.source_name == "shm")
        self.reader = PageReader(mappings, game)
        return game, reason

    def _wait_for_live(self) -> tuple[str, str] | None:
        """Block until the game is live (status LIVE, packetId advancing)."""
        announced = False
        while not self.stop.is_set():
            if self.opts.duration is not None and self._t_first is not None \
                    and self.clock.now() - self._t_first >= self.opts.duration:
                return None
            found = (self.reader is not None and (self.reader.game, self._reason)) or None
            if found is None:
                found = self._connect()
                if found:
                    self._reason = found[1]
            if found is not None:
                assert self.reader is not None
                first = self.reader.snapshot()
                if first.status == STATUS_LIVE:
                    self.clock.sleep_until(self.clock.now() + 2 * PAUSE_AFTER_S)
                    second = self.reader.snapshot()
                    if second.status == STATUS_LIVE and second.packet_id != first.packet_id:
                        return found
                if self.sim is not None and getattr(self.sim, "finished", False):
                    return None
            if not self.opts.wait:
                if found is None:
                    raise GameNotRunning(GAME_NOT_FOUND)
                raise GameNotRunning("Assetto Corsa is running but not in a live session")
            if not announced:
                self.on_wait("Waiting for Assetto Corsa...")
                announced = True
            if self.sim is not None:
                self.clock.sleep_until(self.clock.now() + 0.1)
            else:
                time.sleep(0.1)
        return None

    _reason = ""
    _t_first: float | None = None

    # --- the loop ---------------------------------------------------------------------------
    def run(self) -> CaptureResult:
        opts = self.opts
        every_packet = self.clock is not None and getattr(self.clock, "realtime", False) \
            and opts.rate >= PHYSICS_HZ * 0.99
        period = 1.0 / (opts.rate * 4 if every_packet else opts.rate)
        laps_done = 0
        t_start: float | None = None
        try:
            while not self.stop.is_set():
                found = self._wait_for_live()
                if found is None:
                    self.stats.ended = self.stats.ended or "stopped"
                    break
                game, reason = found
                self._open_session(game, reason)
                outcome = self._record(period, every_packet, t_start, laps_done)
                t_start, laps_done, reason_end = outcome
                self._close_session()
                if reason_end in ("duration", "laps", "stopped"):
                    self.stats.ended = reason_end
                    break
                if reason_end == "gone":
                    self.reader = None
                    if self.source_name == "sim":
                        self.stats.ended = "simulator finished"
                        break
                    if not opts.wait:
                        self.stats.ended = "game quit"
                        break
                # "new session": loop straight into the next one
        finally:
            try:
                self._close_session()
            finally:
                if self.reader is not None:
                    self.reader.close()
        return CaptureResult(self.sessions, self.stats)

    def _record(self, period: float, every_packet: bool, t_start: float | None,
                laps_done: int) -> tuple[float | None, int, str]:
        """Record one session; returns why it ended: duration, laps, stopped, gone, new."""
        assert self.reader is not None and self.session is not None
        opts, clock, stats, reader = self.opts, self.clock, self.stats, self.reader
        last_pid: int | None = None
        last_laps: int | None = None
        last_session_type: int | None = None
        last_new_t = clock.now()
        last_rec_t: float | None = None
        paused_since: float | None = None
        off_since: float | None = None
        next_t = clock.now()
        t_start = next_t if t_start is None else t_start
        self._t_first = t_start
        while True:
            if self.stop.is_set():
                return t_start, laps_done, "stopped"
            next_t += period
            clock.sleep_until(next_t)
            now = clock.now()
            if now - next_t > 0.25:  # fell far behind (suspended machine): re-anchor
                next_t = now
            if getattr(clock, "realtime", False):
                stats.lateness.append(max(now - next_t, 0.0))
            if opts.duration is not None and now - t_start >= opts.duration:
                return t_start, laps_done, "duration"
            try:
                snap: Snapshot = reader.snapshot()
            except (GameNotRunning, OSError, ValueError):
                return t_start, laps_done, "gone"
            stats.retries = snap.retries
            pid, status = snap.packet_id, snap.status
            if status != STATUS_LIVE:
                if status == STATUS_OFF:
                    off_since = now if off_since is None else off_since
                    if now - off_since >= GONE_AFTER_S or self._sim_finished():
                        return t_start, laps_done, "gone"
                paused_since = now if paused_since is None else paused_since
                continue
            off_since = None
            if pid == last_pid:
                stats.duplicates += 1
                self._count_duplicate()
                if now - last_new_t > PAUSE_AFTER_S and paused_since is None:
                    paused_since = last_new_t
                if now - last_new_t > GONE_AFTER_S and self._game_gone():
                    return t_start, laps_done, "gone"
                continue
            completed = int.from_bytes(snap.graphics[_GRAPHICS_COMPLETED_LAPS:
                                                     _GRAPHICS_COMPLETED_LAPS + 4], "little",
                                       signed=True)
            session_type = int.from_bytes(snap.graphics[_GRAPHICS_SESSION:_GRAPHICS_SESSION + 4],
                                          "little", signed=True)
            if last_pid is not None and (pid < last_pid or completed < (last_laps or 0)
                                         or session_type != last_session_type):
                return t_start, laps_done, "new"  # restart / new session: a new file
            skipped = max(pid - last_pid - 1, 0) if last_pid is not None else 0
            gap = 0.0
            if paused_since is not None and last_rec_t is not None:
                gap = now - last_rec_t
                stats.gaps += 1
            elif last_rec_t is not None:
                stats.recorded_s += now - last_rec_t
            paused_since = None
            if last_laps is not None and completed > last_laps:
                laps_done += completed - last_laps
            last_pid, last_laps, last_session_type = pid, completed, session_type
            last_new_t = last_rec_t = now
            stats.samples += 1
            stats.skipped += skipped
            self.session.samples += 1
            sample = Sample(now, skipped, gap, snap, self.session)
            for sink in self.sinks:
                sink.write(sample)
            if opts.laps is not None and laps_done >= opts.laps:
                return t_start, laps_done, "laps"

    def _count_duplicate(self) -> None:
        for sink in self.sinks:
            count = getattr(sink, "count_duplicate", None)
            if count is not None:
                count()

    def _sim_finished(self) -> bool:
        return self.sim is not None and bool(getattr(self.sim, "finished", False))

    def _game_gone(self) -> bool:
        """A frozen packetId means the game is gone when its process is gone too."""
        if self.source_name != "shm" or self.opts.shm_dir is not None:
            return False
        from actelemetry.game.detect import running_game

        return running_game() is None


def run_capture(opts: CaptureOptions, sinks: list[Sink],
                stop: threading.Event | None = None,
                on_wait: Callable[[str], None] | None = None) -> CaptureResult:
    """Capture from the game (or the simulator) into ``sinks`` until a stop condition."""
    if opts.source == "sim":
        with simulator_source(opts) as (folder, clock, sim):
            loop = CaptureLoop(opts, lambda: open_pages(folder), clock, sinks, "sim", stop,
                               on_wait, sim)
            return loop.run()
    loop = CaptureLoop(opts, lambda: open_pages(opts.shm_dir), RealClock(), sinks, "shm", stop,
                       on_wait)
    return loop.run()
