"""The capture loop: sample the pages on a drift-free schedule, only while the game drives.

Every sample is gated on the physics packetId, read in place (a 4-byte look, cheap enough
to poll at kilohertz): a repeated id is never logged, and a slot that finds one waits for
the next physics step instead of giving up its sample, so the achieved rate is the target
rate whenever the game steps faster. At rates of the physics rate and above the loop keeps
every new step, looking when the pacer (pacing.py) expects the next one. A jump in
packetId counts the steps skipped. Only a new id pays for a consistent copy of the pages.

Recording happens only while status is LIVE and the packetId advances; pauses, replays
and menus leave a marked gap. A packetId restart, fewer completed laps, a new session
type, the lap timer jumping back outside a lap crossing, or another car/track on the
static page closes the session file and opens another. The game quitting (status OFF for
a second, its pages or its process gone) closes the session and keeps it.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from actelemetry.capture.options import CaptureOptions, CaptureResult, CaptureStats, open_source
from actelemetry.capture.pacing import StepPacer
from actelemetry.capture.sinks import Sample, Session, Sink
from actelemetry.channels.decode import as_records, decode_static
from actelemetry.channels.laps import LapCounter
from actelemetry.channels.plausible import look_plausible
from actelemetry.errors import GameNotRunning, PageError, UsageError
from actelemetry.game.constants import PHYSICS_HZ, STATUS_LIVE, STATUS_NAMES, STATUS_OFF
from actelemetry.game.detect import detect_game, running_game
from actelemetry.game.layouts import LAYOUTS
from actelemetry.game.mapping import GAME_NOT_FOUND
from actelemetry.game.reader import PageReader, Snapshot, peek
from actelemetry.sources.base import Source, SourceKind

__all__ = ["CaptureLoop", "CaptureOptions", "CaptureResult", "CaptureStats", "run_capture"]
#: implausible pages in a row after which the capture stops: these are not a game's pages
IMPLAUSIBLE_STOP = 50
#: pages that advance this many times faster than real time come from a simulator in
#: fast mode: a reader on the wall clock keeps almost nothing of them
OUTRUN_FACTOR = 10.0
#: seconds of wall time over which the pages' pace is judged
PACE_WINDOW_S = 1.0
#: packetId frozen this long while LIVE counts as a pause (AC does not always set PAUSE)
PAUSE_AFTER_S = 0.05
#: status OFF this long, or a frozen packetId with the game's pages/process gone: it quit
GONE_AFTER_S = 1.0
#: a loop this far behind its schedule gives up the missed slots instead of catching up
MAX_BACKLOG_S = 0.25
#: how often the static page is compared with the session's (car, track, driver)
STATIC_CHECK_S = 1.0
#: poll interval while paused or waiting
IDLE_POLL_S = 0.01
#: the lap timer going back this far (ms), to near zero, without a lap: a restart
_TIMER_RESTART_MS = 3000
_FINISHED = {SourceKind.sim: "simulator finished", SourceKind.replay: "replay finished"}


@dataclass(frozen=True)
class _Offsets:
    """Where the session bookkeeping fields sit in a game's graphics page."""

    completed_laps: int
    session: int
    current_time: int
    position: int
    in_pit_lane: int
    speed_kmh: int  # in the physics page

    @classmethod
    def of(cls, game: str) -> _Offsets:
        g = LAYOUTS[(game, "graphics")]
        return cls(g.completedLaps.offset, g.session.offset, g.iCurrentTime.offset,
                   g.normalizedCarPosition.offset, g.isInPitLane.offset,
                   LAYOUTS[(game, "physics")].speedKmh.offset)


def _int(buf: bytes, offset: int) -> int:
    return int.from_bytes(buf[offset:offset + 4], "little", signed=True)


class CaptureLoop:
    """The state machine between the pages and the sinks."""

    def __init__(self, opts: CaptureOptions, source: Source, sinks: list[Sink],
                 stop: threading.Event | None = None,
                 on_wait: Callable[[str], None] | None = None) -> None:
        self.opts = opts
        self.source = source
        self.clock = source.clock
        self.sinks = sinks
        self.stop = stop or threading.Event()
        self.on_wait = on_wait or (lambda msg: None)
        self.stats = CaptureStats()
        self.sessions: list[Session] = []
        self.session: Session | None = None
        self.reader: PageReader | None = None
        self._reason = ""
        self._t_first: float | None = None
        self._process_looked_at = -1.0
        self._process_seen = False

    # --- sessions ---------------------------------------------------------------------------
    def _open_session(self, game: str, detection: str) -> None:
        assert self.reader is not None
        static_page = self.reader.static()
        self.session = Session(
            game=game, detection=detection, static_page=static_page,
            static=decode_static(game, static_page), start_wall=time.time(),
            source=self.source.kind.value, rate=self.opts.rate, smoothing=self.opts.smoothing)
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
    def _drop_reader(self) -> None:
        if self.reader is not None:
            self.reader.close()
            self.reader = None

    def _open_reader(self) -> bool:
        """Open the pages (AC layout until the game is live and detected)."""
        try:
            mappings = self.source.open_pages()
        except GameNotRunning:
            return False
        try:
            self.reader = PageReader(mappings, self.opts.game or "ac")
        except BaseException:
            for mapping in mappings.values():
                mapping.close()
            raise
        return True

    def _detect(self) -> tuple[str, str]:
        """Decide the layout from the pages as they are now (each time the game goes live)."""
        assert self.reader is not None
        mappings = self.reader.mappings
        graphics = peek(mappings["graphics"], "graphics")
        static = peek(mappings["static"], "static")
        game, reason = detect_game(
            static, graphics, self.opts.game,
            check_process=self.source.watch_process)
        if game != self.reader.game:
            self.reader = PageReader(mappings, game)
        return game, reason

    def _advancing(self) -> bool:
        """The physics packetId moves within a pause's length (live, not just LIVE)."""
        assert self.reader is not None
        if not self.clock.realtime:
            return True  # a lockstep source steps when the capture sleeps
        first = self.reader.packet_id()
        deadline = time.perf_counter() + 2 * PAUSE_AFTER_S
        while time.perf_counter() < deadline:
            time.sleep(0.001)
            if self.reader.packet_id() != first and self.reader.status() == STATUS_LIVE:
                return True
        return False

    def _wait_for_live(self) -> tuple[str, str] | None:
        """Block until the game is live (status LIVE, packetId advancing); None to stop."""
        opts = self.opts
        # --no-wait: the game must be live now; later waits (between sessions) are short
        no_wait = not opts.wait and self.source.is_game and not self.sessions
        announced = False
        while not self.stop.is_set():
            if opts.duration is not None and self._t_first is not None \
                    and self.clock.now() - self._t_first >= opts.duration:
                return None
            if self.reader is not None and not self.reader.pages_exist():
                self._drop_reader()  # the pages were removed (and may come back): reopen
            if self.reader is not None or self._open_reader():
                assert self.reader is not None
                status = self.reader.status()
                if status == STATUS_LIVE and self._advancing():
                    return self._detect()
                if no_wait:
                    what = STATUS_NAMES.get(status, f"status {status}")
                    raise GameNotRunning(
                        f"Assetto Corsa shared memory holds no live session (status {what}, "
                        f"packetId {self.reader.packet_id()}): start driving, or leave out "
                        "--no-wait to wait")
            elif no_wait:
                raise GameNotRunning(GAME_NOT_FOUND)
            if self.source.alive() is False:
                return None  # the simulator or replay has finished
            if not announced:
                self.on_wait("Waiting for the next session..." if self.sessions
                             else "Waiting for Assetto Corsa...")
                announced = True
            if self.clock.realtime:
                time.sleep(0.1)
            else:
                self.clock.sleep_until(self.clock.now() + 0.1)
        return None

    def _writer_gone(self) -> bool:
        """The pages' writer is gone: its process ended or its pages were removed."""
        assert self.reader is not None
        return self.source.alive() is False or not self.reader.pages_exist()

    def _game_process_gone(self) -> bool:
        """No game process runs (a pause can freeze LIVE pages while the game lives).
        Processes are listed at most once a second: it costs milliseconds."""
        alive = self.source.alive()
        if alive is not None:
            return not alive
        now = time.monotonic()
        if now - self._process_looked_at >= 1.0:
            self._process_looked_at = now
            self._process_seen = running_game() is not None
        return not self._process_seen

    def _static_changed(self) -> bool:
        """Another car, track or driver on the static page than at the session's start."""
        assert self.reader is not None and self.session is not None
        now = decode_static(self.session.game, self.reader.static()).as_metadata()
        return now != self.session.static.as_metadata()

    # --- the loop ---------------------------------------------------------------------------
    def run(self) -> CaptureResult:
        opts = self.opts
        laps_done = 0
        try:
            while not self.stop.is_set():
                found = self._wait_for_live()
                if found is None:
                    break
                game, reason = found
                self._open_session(game, reason)
                # everything allocated so far lives for the whole run: a full garbage
                # collection walking it all would stall sampling for milliseconds
                gc.collect()
                gc.freeze()
                t_start, laps_done, reason_end = self._record(self._t_first, laps_done)
                self._t_first = t_start
                self._close_session()
                if reason_end in ("duration", "laps", "stopped"):
                    self.stats.ended = reason_end
                    break
                if reason_end == "frozen":
                    self.on_wait(f"The game stopped publishing (pages frozen at LIVE for "
                                 f"{opts.frozen_after_s:g} s, no game process): session closed")
                    reason_end = "gone"
                if reason_end == "gone":
                    self._drop_reader()
                    if not self.source.is_game:
                        self.stats.ended = _FINISHED[self.source.kind]
                        break
                    if not opts.wait:
                        self.stats.ended = "game quit"
                        break
                # "new": a new session; straight into the next one
            self.stats.ended = self.stats.ended or (
                "stopped" if self.stop.is_set() or self.source.is_game else
                _FINISHED[self.source.kind])
        finally:
            try:
                self._close_session()
            finally:
                self._drop_reader()
                gc.unfreeze()  # a library caller's later garbage is collected as usual
        return CaptureResult(self.sessions, self.stats)

    def _record(self, t_start: float | None, laps_done: int) -> tuple[float, int, str]:
        """Record one session; returns why it ended: duration, laps, stopped, gone, new."""
        assert self.reader is not None and self.session is not None
        opts, clock, stats, reader, session = (self.opts, self.clock, self.stats, self.reader,
                                               self.session)
        sinks, stop = self.sinks, self.stop
        realtime = clock.realtime
        every_packet = realtime and opts.rate >= PHYSICS_HZ * 0.99
        period = 1.0 / (4 * PHYSICS_HZ) if every_packet else 1.0 / opts.rate
        poll = period if every_packet else min(period / 4, 0.001)
        idle = min(IDLE_POLL_S, period)
        pacer = StepPacer(busy=opts.busy_poll) if every_packet else None
        off = _Offsets.of(session.game)
        lateness = stats.lateness.append
        perf = time.perf_counter

        now = clock.now()
        t_start = now if t_start is None else t_start
        due = now
        last_pid: int | None = None
        last_laps = last_type = last_timer = 0
        last_pos = 0.0
        last_new_t = now
        last_rec_t: float | None = None
        paused = pending = timed = False
        off_since: float | None = None
        next_static = now + STATIC_CHECK_S
        pace_t, pace_pid = now, -1
        laps = LapCounter() if opts.laps is not None else None
        laps_before = laps_done
        implausible_run = 0
        judge_pace = realtime and self.source.is_game and opts.refuse_outrun
        while True:
            if stop.is_set():
                return t_start, laps_done, "stopped"
            if paused:
                clock.sleep_until(clock.now() + idle)
            elif pending:
                clock.sleep_until(clock.now() + poll)
            else:
                # jitter is how late a planned wake-up came; a pacer's busy looks plan none
                timed = realtime and (pacer is None or due > now)
                clock.sleep_until(due)
            now = clock.now()
            if not pending and not paused:
                late = now - due
                if timed:
                    lateness(late if late > 0 else 0.0)
                if late > MAX_BACKLOG_S:  # suspended or starved: give the slots up
                    stats.slots_lost += int(late / period)
                    due = now
            if opts.duration is not None and now - t_start >= opts.duration:
                return t_start, laps_done, "duration"
            stats.polls += 1
            pid = reader.packet_id()
            status = reader.status()
            if status != STATUS_LIVE:  # a look may land mid-write: ask a consistent copy
                status = reader.snapshot().status
            if status != STATUS_LIVE:
                paused, pending = True, False
                if pacer is not None:
                    pacer.reset()
                if status == STATUS_OFF:
                    off_since = now if off_since is None else off_since
                    if now - off_since >= GONE_AFTER_S or self.source.alive() is False:
                        return t_start, laps_done, "gone"
                if now - last_new_t > GONE_AFTER_S and self._writer_gone():
                    return t_start, laps_done, "gone"
                continue
            if off_since is not None:  # back from the menus: maybe another car or track
                off_since, next_static = None, now
            if pid == last_pid:
                if pacer is not None:  # following the game's steps: look again when due
                    due = pacer.after_look(now, None)
                elif not pending and not paused:
                    stats.duplicates += 1
                    self._count_duplicate()
                pending = not every_packet
                if not paused and now - last_new_t > PAUSE_AFTER_S:
                    paused = True
                    if pacer is not None:
                        pacer.reset()
                if paused and now - last_new_t > GONE_AFTER_S and self._writer_gone():
                    return t_start, laps_done, "gone"
                if now - last_new_t > opts.frozen_after_s and self._game_process_gone():
                    return t_start, laps_done, "frozen"
                continue
            # a new physics step: take a consistent copy of both pages
            t0 = perf()
            snap = reader.snapshot()
            stats.snapshot_s += perf() - t0
            stats.retries = reader.retries
            pid = snap.packet_id
            if snap.status != STATUS_LIVE or pid == last_pid:
                continue  # changed between the look and the copy: the next poll decides
            if opts.check_plausible and not look_plausible(session.game, snap.physics,
                                                           snap.graphics):
                # not what a game writes (a broken bridge, another program): never recorded,
                # never a reason for a new session; a run of them ends the capture
                stats.implausible += 1
                implausible_run += 1
                if implausible_run >= IMPLAUSIBLE_STOP:
                    raise PageError(
                        f"the {session.game.upper()} pages hold values no car shows "
                        f"({implausible_run} pages in a row, e.g. {_example(session.game, snap)});"
                        " not the game's pages, or the wrong --game")
                last_pid = pid
                continue
            implausible_run = 0
            g = snap.graphics
            completed, session_type = _int(g, off.completed_laps), _int(g, off.session)
            timer = _int(g, off.current_time)
            pos = float(np.frombuffer(g, "<f4", 1, off.position)[0])
            if now >= next_static:
                next_static = now + STATIC_CHECK_S
                if self._static_changed():
                    return t_start, laps_done, "new"
            if last_pid is not None and (
                    pid < last_pid or completed < last_laps or session_type != last_type
                    or (completed == last_laps and timer < _TIMER_RESTART_MS
                        and last_timer - timer > _TIMER_RESTART_MS
                        and not (last_pos > 0.9 and pos < 0.1))):
                return t_start, laps_done, "new"  # restart / new session: a new file
            if judge_pace:
                if pace_pid < 0 or paused:
                    pace_t, pace_pid = now, pid
                elif now - pace_t >= PACE_WINDOW_S:
                    _refuse_outrun((pid - pace_pid) / (now - pace_t))
                    pace_t, pace_pid = now, pid
            skipped = pid - last_pid - 1 if last_pid is not None and pid > last_pid + 1 else 0
            gap = 0.0
            if last_rec_t is not None:
                if paused:
                    gap = now - last_rec_t
                    stats.gaps += 1
                else:
                    stats.recorded_s += now - last_rec_t
            if paused:
                paused, due = False, now  # the schedule starts again from here
            pending = False
            if laps is not None:  # --laps counts timed laps (not out, in or partial ones)
                laps.feed(completed, pos, bool(_int(g, off.in_pit_lane)),
                          float(np.frombuffer(snap.physics, "<f4", 1, off.speed_kmh)[0]) / 3.6)
                laps_done = laps_before + laps.timed
            last_pid, last_laps, last_type, last_timer, last_pos = (
                pid, completed, session_type, timer, pos)
            last_new_t = last_rec_t = now
            stats.samples += 1
            stats.skipped += skipped
            session.samples += 1
            sample = Sample(now, skipped, gap, snap, session)
            for sink in sinks:
                sink.write(sample)
            if opts.laps is not None and laps_done >= opts.laps:
                return t_start, laps_done, "laps"
            due = pacer.after_look(now, pid) if pacer is not None else due + period

    def _count_duplicate(self) -> None:
        for sink in self.sinks:
            count = getattr(sink, "count_duplicate", None)
            if count is not None:
                count()


def _example(game: str, snap: Snapshot) -> str:
    """A few decoded values of an implausible page, for the error message."""
    p = as_records(game, "physics", snap.physics)[0]
    return (f"rpm {int(p['rpms']):.3g}, gear {int(p['gear']) - 1}, "
            f"speed {float(p['speedKmh']):.3g} km/h")


def _refuse_outrun(steps_per_s: float) -> None:
    """Stop reading pages that run far faster than real time (``sim --fast``)."""
    factor = steps_per_s / PHYSICS_HZ
    if factor >= OUTRUN_FACTOR:
        raise UsageError(
            f"the pages advance {factor:.0f}x faster than real time (a simulator in --fast "
            "mode?); a capture on the wall clock would keep almost nothing of them: record a "
            "fast simulation with 'actelemetry capture --source sim --fast', or run the "
            "simulator without --fast")


def run_capture(opts: CaptureOptions, sinks: list[Sink],
                stop: threading.Event | None = None,
                on_wait: Callable[[str], None] | None = None) -> CaptureResult:
    """Capture from the game, the simulator or a replay into ``sinks`` until a stop
    condition (``stop`` set, --duration, --laps, the source ending, the game quitting)."""
    with open_source(opts) as source:
        return CaptureLoop(opts, source, sinks, stop, on_wait).run()
