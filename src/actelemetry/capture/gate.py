"""The packet gate: what one look at the pages means for the recording, with no I/O.

The capture loop looks at the pages (a cheap in-place read of packetId and status) and
feeds the :class:`Look` to :meth:`Gate.look`; when the verdict is ``COPY`` it takes a
consistent copy and feeds the :class:`Frame` read from it to :meth:`Gate.judge`. The
gate keeps the whole state of one session between looks (the last packet, pauses, the
menus, the pace, the laps) and answers with a :class:`Verdict`; it never sleeps, reads a
page or asks the clock, so it is tested with plain lists of looks.

Rules (as the game behaves):

* a repeated packetId is never recorded; a scheduled read that finds one is a counted
  duplicate, and the read waits for the next step;
* status other than LIVE, or a packetId frozen for :data:`PAUSE_AFTER_S`, is a pause: the
  next recorded sample carries the gap before it;
* status OFF for :data:`GONE_AFTER_S`, or a writer whose process ended or whose pages
  went while nothing new came for that long: the game is gone;
* LIVE pages frozen for ``frozen_after_s`` with no game process: the game died;
* a packetId going back, fewer completed laps, another session type, or the lap timer
  jumping back outside a line crossing: a new session;
* pages no car can show are refused, and :data:`IMPLAUSIBLE_STOP` of them in a row are
  not a game's pages;
* the game's pages advancing :data:`OUTRUN_FACTOR` times faster than real time come from
  a simulator in fast mode.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import Enum

from actelemetry.channels.laps import LapCounter
from actelemetry.game.constants import (
    PACKET_ID_OFFSET,
    PHYSICS_HZ,
    STATUS_LIVE,
    STATUS_OFF,
    STATUS_OFFSET,
)
from actelemetry.game.layouts import LAYOUTS

#: packetId frozen this long while LIVE counts as a pause (AC does not always set PAUSE)
PAUSE_AFTER_S = 0.05
#: status OFF this long, or a frozen packetId with the game's pages/process gone: it quit
GONE_AFTER_S = 1.0
#: implausible pages in a row after which the capture stops: these are not a game's pages
IMPLAUSIBLE_STOP = 50
#: pages that advance this many times faster than real time come from a simulator in
#: fast mode: a reader on the wall clock keeps almost nothing of them
OUTRUN_FACTOR = 10.0
#: seconds over which the pages' pace is judged
PACE_WINDOW_S = 1.0
#: how often the static page is compared with the session's (car, track, driver)
STATIC_CHECK_S = 1.0
#: the lap timer going back this far (ms), to near zero, without a lap: a restart
TIMER_RESTART_MS = 3000
#: a line crossing: the car's lap position goes from above the first to below the second
LINE_BEFORE, LINE_AFTER = 0.9, 0.1
KMH_PER_MS = 3.6
_INT = struct.Struct("<i")
_FLOAT = struct.Struct("<f")


class Kind(Enum):
    """What a look or a copy means."""

    COPY = "copy"  # a new packet: take a consistent copy and judge it
    NEW_PACKET = "new packet"  # record this frame
    DUPLICATE = "duplicate"  # the packet already seen (counted when ``duplicate`` is set)
    PAUSED = "paused"  # not live now (the pacer's rhythm is lost)
    RECHECK = "recheck"  # the pages changed between the look and the copy
    IMPLAUSIBLE = "implausible"  # no car shows these values: refused
    NEW_SESSION = "new session"  # a restart: close this session, open another
    OUTRUN = "outrun"  # far faster than real time: not the game
    GONE = "gone"  # the game quit
    FROZEN = "frozen"  # the game died with its pages LIVE


@dataclass(slots=True)
class Look:
    """One cheap look at the pages, with the facts about the writer the loop gathered.

    ``writer_ended``: the source says its writer has finished (asked when the pages are not
    LIVE or have stalled for :data:`GONE_AFTER_S`). ``pages_gone``: a page file was
    removed (asked after that stall). ``process_gone``: the writer's process (the game's,
    or a child's) is not running (asked after ``frozen_after_s`` of stall). See
    :meth:`Gate.stalled_for`. (Not frozen: a frozen dataclass costs a microsecond more to
    build, and the loop builds one per look, thousands a second.)
    """

    now: float
    packet_id: int
    status: int
    writer_ended: bool = False
    pages_gone: bool = False
    process_gone: bool = False


@dataclass(slots=True)
class Frame:
    """What the gate needs from a consistent copy of the pages (kept as the session's
    last recorded frame; never changed after it is built)."""

    now: float
    packet_id: int
    status: int
    completed_laps: int = 0
    session_type: int = 0
    lap_timer_ms: int = 0
    position: float = 0.0  # normalised lap position
    in_pit_lane: bool = False
    speed_ms: float = 0.0
    plausible: bool = True


@dataclass(frozen=True, slots=True)
class Verdict:
    """The gate's answer. ``duplicate``: count a duplicate read. For NEW_PACKET:
    ``skipped`` physics steps never seen; ``resumed`` after a pause, and ``after_gap``
    when a recorded sample came before that pause, then ``gap`` is the unrecorded time
    before it, otherwise ``interval`` the recorded time since the last sample;
    ``timed_laps`` completed this session, and ``check_static``: compare the static page
    now. For IMPLAUSIBLE: ``run`` in a row. For OUTRUN: ``factor`` over real time."""

    kind: Kind
    duplicate: bool = False
    skipped: int = 0
    gap: float = 0.0
    interval: float = 0.0
    resumed: bool = False
    after_gap: bool = False
    timed_laps: int = 0
    check_static: bool = False
    run: int = 0
    factor: float = 0.0


_COPY = Verdict(Kind.COPY)
_PAUSED = Verdict(Kind.PAUSED)
_RECHECK = Verdict(Kind.RECHECK)
#: the verdicts of a look at the packet already seen, by (it froze now, a counted read)
_SAME = {(froze, dup): Verdict(Kind.PAUSED if froze else Kind.DUPLICATE, dup)
         for froze in (False, True) for dup in (False, True)}


class Gate:
    """The state of one session's recording between looks.

    ``every_packet``: the loop follows every physics step (a pacer plans its looks, so a
    repeated packet is never a counted duplicate). ``judge_pace``: the pages are the
    game's, on the wall clock. ``count_laps``: feed the lap counter (``--laps``).
    """

    def __init__(self, start: float, every_packet: bool = False, judge_pace: bool = False,
                 count_laps: bool = False, frozen_after_s: float = 10.0) -> None:
        self.every_packet = every_packet
        self.judge_pace = judge_pace
        self.frozen_after_s = frozen_after_s
        self.laps = LapCounter() if count_laps else None
        self.paused = False
        self.pending = False  # a scheduled read found no new step and waits for one
        self.last_pid: int | None = None
        self._last = Frame(start, -1, STATUS_LIVE)
        self._last_new_t = start
        self._last_rec_t: float | None = None
        self._off_since: float | None = None
        self._next_static = start + STATIC_CHECK_S
        self._pace: tuple[float, int] | None = None
        self._implausible_run = 0

    def stalled_for(self, now: float) -> float:
        """Seconds since the last new packet: the loop asks about the writer
        (:class:`Look`) only once this passes :data:`GONE_AFTER_S` or ``frozen_after_s``."""
        return now - self._last_new_t

    def look(self, look: Look) -> Verdict:
        """Judge one look; ``COPY`` asks for a consistent copy to feed :meth:`judge`."""
        now = look.now
        stalled = now - self._last_new_t
        if look.status != STATUS_LIVE:
            self.paused, self.pending = True, False
            if look.status == STATUS_OFF:
                self._off_since = now if self._off_since is None else self._off_since
                if now - self._off_since >= GONE_AFTER_S or look.writer_ended:
                    return Verdict(Kind.GONE)
            if stalled > GONE_AFTER_S and (look.writer_ended or look.pages_gone):
                return Verdict(Kind.GONE)
            return _PAUSED
        if self._off_since is not None:  # back from the menus: maybe another car or track
            self._off_since, self._next_static = None, now
        if look.packet_id != self.last_pid:
            return _COPY
        duplicate = not self.every_packet and not self.pending and not self.paused
        self.pending = not self.every_packet
        froze = not self.paused and stalled > PAUSE_AFTER_S
        self.paused = self.paused or froze
        if self.paused and stalled > GONE_AFTER_S and (look.writer_ended or look.pages_gone):
            return Verdict(Kind.GONE, duplicate)
        if stalled > self.frozen_after_s and look.process_gone:
            return Verdict(Kind.FROZEN, duplicate)
        return _SAME[froze, duplicate]

    def judge(self, frame: Frame) -> Verdict:
        """Judge the consistent copy a ``COPY`` verdict asked for."""
        pid, now, last = frame.packet_id, frame.now, self._last
        if frame.status != STATUS_LIVE or pid == self.last_pid:
            return _RECHECK  # changed between the look and the copy: the next look decides
        if not frame.plausible:
            # not what a game writes (a broken bridge, another program): never recorded,
            # never a reason for a new session
            self._implausible_run += 1
            self.last_pid = pid
            return Verdict(Kind.IMPLAUSIBLE, run=self._implausible_run)
        self._implausible_run = 0
        check_static = now >= self._next_static
        if check_static:
            self._next_static = now + STATIC_CHECK_S
        if self.last_pid is not None and (
                pid < self.last_pid or frame.completed_laps < last.completed_laps
                or frame.session_type != last.session_type
                or (frame.completed_laps == last.completed_laps
                    and frame.lap_timer_ms < TIMER_RESTART_MS
                    and last.lap_timer_ms - frame.lap_timer_ms > TIMER_RESTART_MS
                    and not (last.position > LINE_BEFORE and frame.position < LINE_AFTER))):
            return Verdict(Kind.NEW_SESSION)
        if self.judge_pace:
            if self._pace is None or self.paused:
                self._pace = (now, pid)
            elif now - self._pace[0] >= PACE_WINDOW_S:
                factor = (pid - self._pace[1]) / (now - self._pace[0]) / PHYSICS_HZ
                self._pace = (now, pid)
                if factor >= OUTRUN_FACTOR:
                    return Verdict(Kind.OUTRUN, factor=factor)
        skipped = (pid - self.last_pid - 1
                   if self.last_pid is not None and pid > self.last_pid + 1 else 0)
        gap = interval = 0.0
        had_sample = self._last_rec_t is not None
        if self._last_rec_t is not None:
            if self.paused:
                gap = now - self._last_rec_t
            else:
                interval = now - self._last_rec_t
        resumed, self.paused, self.pending = self.paused, False, False
        if self.laps is not None:  # timed laps only (not out, in or partial ones)
            self.laps.feed(frame.completed_laps, frame.position, frame.in_pit_lane,
                           frame.speed_ms)
        self.last_pid, self._last = pid, frame
        self._last_new_t = self._last_rec_t = now
        return Verdict(Kind.NEW_PACKET, skipped=skipped, gap=gap, interval=interval,
                       resumed=resumed, after_gap=resumed and had_sample,
                       check_static=check_static,
                       timed_laps=self.laps.timed if self.laps is not None else 0)


class FrameReader:
    """Reads the :class:`Frame` fields out of one game's page bytes."""

    def __init__(self, game: str) -> None:
        g = LAYOUTS[(game, "graphics")]
        self._completed = g.completedLaps.offset
        self._session = g.session.offset
        self._timer = g.iCurrentTime.offset
        self._position = g.normalizedCarPosition.offset
        self._pit = g.isInPitLane.offset
        self._speed = LAYOUTS[(game, "physics")].speedKmh.offset

    def frame(self, now: float, physics: bytes, graphics: bytes, plausible: bool = True,
              ) -> Frame:
        g = graphics
        return Frame(
            now=now, packet_id=_INT.unpack_from(physics, PACKET_ID_OFFSET)[0],
            status=_INT.unpack_from(g, STATUS_OFFSET)[0],
            completed_laps=_INT.unpack_from(g, self._completed)[0],
            session_type=_INT.unpack_from(g, self._session)[0],
            lap_timer_ms=_INT.unpack_from(g, self._timer)[0],
            position=_FLOAT.unpack_from(g, self._position)[0],
            in_pit_lane=bool(_INT.unpack_from(g, self._pit)[0]),
            speed_ms=_FLOAT.unpack_from(physics, self._speed)[0] / KMH_PER_MS,
            plausible=plausible)
