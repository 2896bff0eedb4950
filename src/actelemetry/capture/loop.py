"""The capture loop: sample the pages on a drift-free schedule, only while the game drives.

This module does the I/O: it sleeps on the source's clock, looks at the pages, copies
them, and hands samples to the sinks. What each look means (a new packet, a duplicate,
a pause, a new session, the game gone) is decided by the pure :mod:`~.gate`.

Every sample is gated on the physics packetId, read in place (a 4-byte look, cheap enough
to poll at kilohertz): a slot that finds a repeated id waits for the next physics step
instead of giving up its sample, so the achieved rate is the target rate whenever the
game steps faster. At the physics rate the loop keeps every new step, looking when the
pacer (pacing.py) expects the next one. Only a new id pays for a consistent copy.
"""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Callable

from actelemetry.capture.gate import (
    GONE_AFTER_S,
    IMPLAUSIBLE_STOP,
    FrameReader,
    Gate,
    Kind,
    Look,
)
from actelemetry.capture.options import CaptureOptions, CaptureResult, CaptureStats, open_source
from actelemetry.capture.pacing import HELD_BACK, SPIN_BEFORE_S, StepPacer
from actelemetry.capture.sinks import Sample, Session, Sink, close_all
from actelemetry.capture.watch import PageWatch
from actelemetry.channels.decode import as_records, decode_static
from actelemetry.channels.plausible import look_plausible
from actelemetry.errors import PageError, UsageError
from actelemetry.game.constants import PHYSICS_HZ, STATUS_LIVE
from actelemetry.game.reader import Glance, Snapshot
from actelemetry.game.timer import fine_timer, raised_priority, sleep_granularity
from actelemetry.sources.base import Source, SourceKind

__all__ = ["CaptureLoop", "CaptureOptions", "CaptureResult", "CaptureStats", "run_capture"]

#: a loop this far behind its schedule gives up the missed slots instead of catching up
MAX_BACKLOG_S = 0.25
#: poll interval while paused or waiting
IDLE_POLL_S = 0.01
_FINISHED = {SourceKind.sim: "simulator finished", SourceKind.replay: "replay finished"}


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
        self.pages = PageWatch(opts, source, self.stop, self.on_wait)
        self._t_first: float | None = None

    @property
    def every_packet(self) -> bool:
        """Whether the loop follows every physics step (the physics rate on the wall
        clock) rather than a schedule of its own."""
        return self.clock.realtime and self.opts.rate >= PHYSICS_HZ * 0.99

    # --- sessions ---------------------------------------------------------------------------
    def _open_session(self, game: str, detection: str) -> None:
        assert self.pages.reader is not None
        static_page = self.pages.reader.static()
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
        try:
            close_all(self.sinks, session)
        finally:
            self.sessions.append(session)

    # --- the loop ---------------------------------------------------------------------------
    def run(self) -> CaptureResult:
        opts = self.opts
        laps_done = 0
        froze = False
        try:
            while not self.stop.is_set():
                found = self.pages.wait_for_live(len(self.sessions), self._t_first)
                if found is None:
                    break
                game, reason = found
                self._open_session(game, reason)
                if opts.freeze_gc and not froze:
                    # everything allocated so far lives for the whole run: a full garbage
                    # collection walking it all would stall sampling for milliseconds
                    gc.collect()
                    gc.freeze()
                    froze = True
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
                    self.pages.drop()
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
                self.pages.drop()
                if froze:
                    gc.unfreeze()  # later garbage is collected as usual
        return CaptureResult(self.sessions, self.stats)

    def _look(self, gate: Gate, now: float, glance: Glance) -> Look:
        """Look at the pages, and ask about the writer only when the gate could use it."""
        reader = self.pages.reader
        assert reader is not None
        pid, status = glance.packet_id, glance.status
        if status != STATUS_LIVE:  # a look may land mid-write: ask a consistent copy
            status = reader.snapshot().status
        stalled = gate.stalled_for(now)
        long = stalled > GONE_AFTER_S
        return Look(now, pid, status,
                    writer_ended=(status != STATUS_LIVE or long) and self.source.alive() is False,
                    pages_gone=long and not reader.pages_exist(),
                    process_gone=(status == STATUS_LIVE and stalled > self.opts.frozen_after_s
                                  and self.pages.process_gone()))

    def _record(self, t_start: float | None, laps_done: int) -> tuple[float, int, str]:
        """Record one session; returns why it ended: duration, laps, stopped, gone, frozen
        or new. The gate judges; this sleeps, looks, copies and writes."""
        reader, session = self.pages.reader, self.session
        assert reader is not None and session is not None
        opts, clock, stats = self.opts, self.clock, self.stats
        sinks, stop = self.sinks, self.stop
        realtime = clock.realtime
        every_packet = self.every_packet
        period = 1.0 / (4 * PHYSICS_HZ) if every_packet else 1.0 / opts.rate
        poll = period if every_packet else min(period / 4, 0.001)
        idle = min(IDLE_POLL_S, period)
        pacer = StepPacer(busy=opts.busy_poll, spin_before_s=max(
            SPIN_BEFORE_S, sleep_granularity())) if every_packet else None
        frames = FrameReader(session.game)
        lateness = stats.lateness.append
        perf = time.perf_counter

        now = clock.now()
        t_start = now if t_start is None else t_start
        due = now
        timed = False
        woke_late = False
        last_look = perf()
        laps_before = laps_done
        gate = Gate(now, every_packet=every_packet, count_laps=opts.laps is not None,
                    judge_pace=realtime and self.source.is_game and opts.refuse_outrun,
                    frozen_after_s=opts.frozen_after_s)
        while True:
            if stop.is_set():
                return t_start, laps_done, "stopped"
            waiting = gate.paused or gate.pending
            if gate.paused:
                clock.sleep_until(clock.now() + idle)
            elif gate.pending:
                clock.sleep_until(clock.now() + poll)
            else:
                # jitter is how late a planned wake-up came; a pacer's busy looks plan none
                timed = realtime and (pacer is None or due > now)
                clock.sleep_until(due)
            now = clock.now()
            woke_late = False
            if not waiting:
                late = now - due
                if timed:
                    lateness(late if late > 0 else 0.0)
                    woke_late = pacer is not None and late > HELD_BACK * pacer.step
                if late > MAX_BACKLOG_S:  # suspended or starved: give the slots up
                    stats.slots_lost += int(late / period)
                    due = now
            if opts.duration is not None and now - t_start >= opts.duration:
                return t_start, laps_done, "duration"
            stats.polls += 1
            t0 = perf()
            glance = reader.glance()
            t1 = perf()
            stats.look_s += t1 - t0
            # how long a step could have come and gone unseen: from the start of the last
            # look to the end of this one (on the wall clock, as the pacer's step is)
            away, last_look = t1 - last_look, t0
            verdict = gate.look(self._look(gate, now, glance))
            if verdict.duplicate:
                stats.duplicates += 1
                session.duplicates += 1
            kind = verdict.kind
            if kind is Kind.GONE or kind is Kind.FROZEN:
                return t_start, laps_done, kind.value
            if kind is Kind.PAUSED:
                if pacer is not None:
                    pacer.reset()
                continue
            if kind is Kind.DUPLICATE:
                if pacer is not None:  # following the game's steps: look again when due
                    due = pacer.after_look(now, None)
                continue
            # a new physics step: take a consistent copy of both pages
            t0 = perf()
            snap = reader.snapshot(glance)
            stats.snapshot_s += perf() - t0
            stats.retries = reader.retries
            plausible = not opts.check_plausible or look_plausible(
                session.game, snap.physics, snap.graphics)
            verdict = gate.judge(frames.frame(now, snap.physics, snap.graphics, plausible))
            kind = verdict.kind
            if kind is Kind.RECHECK:
                continue
            if kind is Kind.IMPLAUSIBLE:
                stats.implausible += 1
                if verdict.run >= IMPLAUSIBLE_STOP:
                    raise PageError(
                        f"the {session.game.upper()} pages hold values no car shows "
                        f"({verdict.run} pages in a row, e.g. {_example(session.game, snap)});"
                        " not the game's pages, or the wrong --game")
                continue
            if kind is Kind.OUTRUN:
                raise _outrun_error(verdict.factor)
            if kind is Kind.NEW_SESSION or (verdict.check_static
                                            and self.pages.static_changed(session)):
                return t_start, laps_done, "new"  # restart / new session: a new file
            stats.gaps += verdict.after_gap
            stats.recorded_s += verdict.interval
            if verdict.resumed:
                due = now  # the schedule starts again from here
            laps_done = laps_before + verdict.timed_laps
            stats.samples += 1
            stats.skipped += verdict.skipped
            if verdict.skipped and pacer is not None and away > HELD_BACK * pacer.step:
                # steps that came and went while the capture did not look: held back
                stats.skipped_held_back += verdict.skipped
                if woke_late:  # by a sleep that overran
                    stats.skipped_late_wake += verdict.skipped
            session.samples += 1
            sample = Sample(now, verdict.skipped, verdict.gap, snap, session)
            for sink in sinks:
                sink.write(sample)
            if opts.laps is not None and laps_done >= opts.laps:
                return t_start, laps_done, "laps"
            due = pacer.after_look(now, snap.packet_id) if pacer is not None else due + period


def _example(game: str, snap: Snapshot) -> str:
    """A few decoded values of an implausible page, for the error message."""
    p = as_records(game, "physics", snap.physics)[0]
    return (f"rpm {int(p['rpms']):.3g}, gear {int(p['gear']) - 1}, "
            f"speed {float(p['speedKmh']):.3g} km/h")


def _outrun_error(factor: float) -> UsageError:
    """Pages far faster than real time (``sim --fast``): a capture on the wall clock
    would keep almost nothing of them."""
    return UsageError(
        f"the pages advance {factor:.0f}x faster than real time (a simulator in --fast "
        "mode?); a capture on the wall clock would keep almost nothing of them: record a "
        "fast simulation with 'actelemetry capture --source sim --fast', or run the "
        "simulator without --fast")


def run_capture(opts: CaptureOptions, sinks: list[Sink],
                stop: threading.Event | None = None,
                on_wait: Callable[[str], None] | None = None) -> CaptureResult:
    """Capture from the game, the simulator or a replay into ``sinks`` until a stop
    condition (``stop`` set, --duration, --laps, the source ending, the game quitting)."""
    if opts.source == SourceKind.udp:  # datagrams, not pages to poll: a loop of its own
        from actelemetry.capture.udp_loop import run_udp_capture

        return run_udp_capture(opts, sinks, stop, on_wait)
    with fine_timer(), open_source(opts) as source:
        loop = CaptureLoop(opts, source, sinks, stop, on_wait)
        if not (opts.raise_priority and loop.every_packet):
            return loop.run()
        with raised_priority() as raised:
            loop.stats.priority_raised = raised
            return loop.run()
