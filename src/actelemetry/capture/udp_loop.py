"""The capture over AC's remote-telemetry UDP protocol: handshake, subscribe, record, and
always dismiss on the way out (an error, Ctrl+C, SIGTERM), so the game stops sending.

This module does the I/O: the socket, the wall clock, the sinks. What each datagram is
(a sample, lost ones before it, a duplicate, a late one, another sender's) is the pure
:mod:`~.udp_gate`'s verdict. Samples are the AC pages each datagram stands for
(:class:`~actelemetry.sources.udp.CarInfoPages`), so the sinks, the spool and the session
file are those of a shared-memory capture; the file holds only the channels UDP carries.

The game is asked again (a new handshake) whenever it has been silent for
:data:`RETRY_S`: a game that restarted has forgotten its clients. A session ends when the
game answers such a handshake (it quit and restarted, or stopped sending for a while),
when it names another car, track or driver, when its lap count or timer goes back (the
gate's new session), or after ``frozen_after_s`` of silence.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Final

from actelemetry.capture.options import CaptureOptions, CaptureResult, CaptureStats
from actelemetry.capture.sinks import Sample, Session, Sink, close_all
from actelemetry.capture.udp_gate import Kind, UdpGate, Verdict
from actelemetry.channels.decode import decode_static
from actelemetry.channels.laps import LapCounter
from actelemetry.channels.udp import UDP_CHANNELS
from actelemetry.errors import GameNotRunning
from actelemetry.game.constants import PHYSICS_HZ
from actelemetry.game.reader import Snapshot
from actelemetry.game.udp import GameInfo, Operation
from actelemetry.sources.udp import CarInfoPages, UdpLink, static_page

__all__ = ["UdpCapture", "run_udp_capture"]

#: a game silent this long is asked again (handshake, subscribe); a restarted game is
#: silent far longer while it loads, and a stall of a busy machine (a second or two) must
#: not split a session
RETRY_S: Final = 3.0
#: how long each wait for a datagram lasts before the loop looks at its stop event
POLL_S: Final = 0.1
#: a sample counts as due this much before its slot (game seconds), at rates below the
#: stream's: the game's timer has millisecond steps
DUE_SLACK_S: Final = 0.001


class UdpCapture:
    """The state machine between the game's datagrams and the sinks."""

    def __init__(self, opts: CaptureOptions, link: UdpLink, sinks: list[Sink],
                 stop: threading.Event | None = None,
                 on_wait: Callable[[str], None] | None = None) -> None:
        self.opts = opts
        self.link = link
        self.sinks = sinks
        self.stop = stop or threading.Event()
        self.on_wait = on_wait or (lambda msg: None)
        self.gate = UdpGate(link.game)
        self.stats = CaptureStats()
        self.sessions: list[Session] = []
        self.session: Session | None = None
        self.info: GameInfo | None = None
        self._pages = CarInfoPages()
        self._packet = 0
        self._laps = LapCounter()
        self._due = 0.0
        self._t_last = 0.0
        self._pending_skipped = 0  # datagrams left out since the last sample (--rate)
        self._rejoin = False  # a handshake went out after the game fell silent
        self._counts_at_open = self.gate.counts.quality()

    @property
    def where(self) -> str:
        host, port = self.link.game
        return f"{host}:{port}"

    # --- sessions ---------------------------------------------------------------------------
    def _open_session(self, verdict: Verdict) -> None:
        assert self.info is not None
        page = static_page(self.info, verdict.car)
        self.session = Session(
            game="ac", detection=f"UDP handshake with {self.where}", static_page=page,
            static=decode_static("ac", page), start_wall=time.time(), source="udp",
            rate=self.opts.rate, smoothing=self.opts.smoothing, channels=UDP_CHANNELS)
        self._counts_at_open = self.gate.counts.quality()
        self._laps = LapCounter()
        self._due = 0.0
        for sink in self.sinks:
            sink.open(self.session)

    def _close_session(self) -> None:
        if self.session is None:
            return
        session, self.session = self.session, None
        now = self.gate.counts.quality()
        session.quality_extra = {k: now[k] - self._counts_at_open[k] for k in now}
        try:
            close_all(self.sinks, session)
        finally:
            self.sessions.append(session)

    # --- the loop ---------------------------------------------------------------------------
    def run(self) -> CaptureResult:
        try:
            self._run()
        finally:
            try:
                self._close_session()
            finally:
                self.link.send(Operation.DISMISS)  # always: the game stops sending
        return CaptureResult(self.sessions, self.stats)

    def _run(self) -> None:
        opts, stats, link, gate = self.opts, self.stats, self.link, self.gate
        perf = time.perf_counter
        start = perf()
        heard = -1.0  # when the game last sent anything (not since the last session: -1)
        ever = False  # whether the game ever answered (then silence is waited out)
        asked = -1e9
        t_first: float | None = None
        while True:
            if self.stop.is_set():
                stats.ended = "stopped"
                return
            now = perf()
            if opts.duration is not None and t_first is not None \
                    and now - t_first >= opts.duration:
                stats.ended = "duration"
                return
            silent = now - (heard if heard >= 0 else start)
            if (self.info is None or silent >= RETRY_S) and now - asked >= RETRY_S:
                link.send(Operation.HANDSHAKE)
                asked = now
                self._rejoin = self.info is not None
            if not ever and now - start >= opts.udp_timeout:
                raise GameNotRunning(
                    f"no answer from Assetto Corsa at {self.where} within "
                    f"{opts.udp_timeout:g} s: is the game in a session, and UDP port "
                    f"{link.game[1]} open to this machine?")
            if heard >= 0 and silent >= opts.frozen_after_s:
                if self.session is not None:
                    self._close_session()
                    self.on_wait(f"Assetto Corsa at {self.where} stopped sending for "
                                 f"{opts.frozen_after_s:g} s: session closed")
                if not opts.wait:
                    stats.ended = "game quit"
                    return
                self.info, heard, start = None, -1.0, now
                gate.restart()
                self.on_wait(f"Waiting for Assetto Corsa at {self.where}...")
            got = link.recv(POLL_S)
            if got is None:
                continue
            verdict = gate.judge(got[0], got[1], perf())
            kind = verdict.kind
            if kind is Kind.FOREIGN or kind is Kind.MALFORMED:
                continue
            heard, ever = perf(), True
            if kind is Kind.RESPONSE:
                self._answered(verdict.info)
                continue
            if kind is Kind.DUPLICATE:
                stats.duplicates += 1
                if self.session is not None:
                    self.session.duplicates += 1
                continue
            if kind is Kind.LAP and self.session is not None and verdict.lap is not None:
                lap = verdict.lap
                spot_laps = self.session.meta_extra.setdefault("spot_laps", [])
                assert isinstance(spot_laps, list)
                spot_laps.append(
                    {"car_index": lap.car_index, "lap": lap.lap, "time_ms": lap.time_ms,
                     "driver": lap.driver, "car": lap.car})
                continue
            if kind is not Kind.SAMPLE and kind is not Kind.NEW_SESSION:
                continue  # a late datagram, a paused game's repeat (counted)
            if self.info is None:
                continue  # a stream from before the last handshake was answered
            if kind is Kind.NEW_SESSION:
                self._close_session()
            if self._record(verdict) == "laps":
                stats.ended = "laps"
                return
            if t_first is None:
                t_first = perf()

    def _answered(self, info: GameInfo | None) -> None:
        """A handshake response: subscribe. The answer to a handshake sent after the game
        fell silent, or one naming another car, track or driver, starts another session:
        a game that restarted keeps its car and track, and its timer may run on past
        where the last one stopped."""
        assert info is not None
        if self._rejoin or (self.info is not None and info != self.info):
            self._close_session()
            self.gate.restart()
        self._rejoin = False
        self.info = info
        self.link.send(Operation.SUBSCRIBE_UPDATE)
        if self.opts.udp_spot:
            self.link.send(Operation.SUBSCRIBE_SPOT)

    def _record(self, verdict: Verdict) -> str | None:
        """Hand one datagram's pages to the sinks (below the physics rate, a datagram
        before its slot on the game's clock is left out, as a scheduled read skips steps;
        at it, every datagram: the timer's steps across the line can be shorter than a
        physics step); "laps" when --laps is met."""
        opts, stats = self.opts, self.stats
        first = self.session is None
        if first:
            self._open_session(verdict)
            self._t_last = verdict.t
        session = self.session
        assert session is not None and verdict.car is not None
        self._packet += 1 + verdict.lost
        t = verdict.t
        skipped = verdict.lost
        every = opts.rate >= PHYSICS_HZ * 0.99  # the physics rate: every datagram
        if not first and not every and t < self._due - DUE_SLACK_S:
            self._pending_skipped += 1 + verdict.lost
            return None
        if not first:
            skipped += self._pending_skipped
        self._pending_skipped = 0
        period = 1.0 / opts.rate
        self._due = self._due + period if t - self._due < period else t + period
        physics, graphics = self._pages.pages(verdict.car.tobytes(), self._packet)
        stats.samples += 1
        stats.skipped += 0 if first else skipped
        stats.recorded_s += t - self._t_last
        self._t_last = t
        session.samples += 1
        sample = Sample(t, 0 if first else skipped, 0.0,
                        Snapshot(physics, graphics, 0), session)
        for sink in self.sinks:
            sink.write(sample)
        car = verdict.car
        self._laps.feed(int(car["lapCount"]), float(car["carPositionNormalized"]), False,
                        float(car["speed_Kmh"]) / 3.6)
        if opts.laps is not None and self._laps.timed >= opts.laps:
            return "laps"
        return None


def run_udp_capture(opts: CaptureOptions, sinks: list[Sink],
                    stop: threading.Event | None = None,
                    on_wait: Callable[[str], None] | None = None) -> CaptureResult:
    """Capture from the game over UDP into ``sinks`` until a stop condition."""
    assert opts.host is not None  # checked by CaptureOptions
    link = UdpLink(opts.host, opts.port)
    try:
        result = UdpCapture(opts, link, sinks, stop, on_wait).run()
    finally:
        link.close()
    if not result.stats.ended:
        result.stats.ended = "stopped"
    return result

