"""The source's pages as a capture opens them: waiting for the game to go live, telling
its layout each time it does, and asking whether the pages' writer is still there."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from actelemetry.capture.gate import PAUSE_AFTER_S
from actelemetry.capture.options import CaptureOptions
from actelemetry.capture.sinks import Session
from actelemetry.channels.decode import decode_static
from actelemetry.errors import GameNotRunning
from actelemetry.game.constants import STATUS_LIVE, STATUS_NAMES
from actelemetry.game.detect import detect_game, running_game
from actelemetry.game.mapping import GAME_NOT_FOUND
from actelemetry.game.reader import PageReader, peek
from actelemetry.sources.base import Source

#: how often the game's process is listed, at most (a process scan costs milliseconds)
PROCESS_LOOKUP_S = 1.0
#: how often the pages are looked at while waiting for the game
WAIT_POLL_S = 0.1


class PageWatch:
    """Opens ``source``'s pages and keeps the reader (``reader``, None while closed)."""

    def __init__(self, opts: CaptureOptions, source: Source, stop: threading.Event,
                 on_wait: Callable[[str], None]) -> None:
        self.opts = opts
        self.source = source
        self.clock = source.clock
        self.stop = stop
        self.on_wait = on_wait
        self.reader: PageReader | None = None
        self._process_looked_at = -1.0
        self._process_seen = False

    def drop(self) -> None:
        if self.reader is not None:
            self.reader.close()
            self.reader = None

    def _open(self) -> bool:
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
        game, reason = detect_game(static, graphics, self.opts.game,
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

    def wait_for_live(self, sessions: int, t_first: float | None) -> tuple[str, str] | None:
        """Block until the game is live (status LIVE, packetId advancing); None to stop."""
        opts = self.opts
        # --no-wait: the game must be live now; later waits (between sessions) are short
        no_wait = not opts.wait and self.source.is_game and not sessions
        announced = False
        while not self.stop.is_set():
            if opts.duration is not None and t_first is not None \
                    and self.clock.now() - t_first >= opts.duration:
                return None
            if self.reader is not None and not self.reader.pages_exist():
                self.drop()  # the pages were removed (and may come back): reopen
            if self.reader is not None or self._open():
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
                self.on_wait("Waiting for the next session..." if sessions
                             else "Waiting for Assetto Corsa...")
                announced = True
            if self.clock.realtime:
                time.sleep(WAIT_POLL_S)
            else:
                self.clock.sleep_until(self.clock.now() + WAIT_POLL_S)
        return None

    def process_gone(self) -> bool:
        """No game process runs (a pause can freeze LIVE pages while the game lives).
        Processes are listed at most once a second: it costs milliseconds."""
        alive = self.source.alive()
        if alive is not None:
            return not alive
        now = time.monotonic()
        if now - self._process_looked_at >= PROCESS_LOOKUP_S:
            self._process_looked_at = now
            self._process_seen = running_game() is not None
        return not self._process_seen

    def static_changed(self, session: Session) -> bool:
        """Another car, track or driver on the static page than at the session's start."""
        assert self.reader is not None
        now = decode_static(session.game, self.reader.static()).as_metadata()
        return now != session.static.as_metadata()
