"""The live backend: the game's pages on the game's clock, actions through a virtual pad.

Observations are read at a fixed control rate (a drift-free schedule on the wall clock)
through the capture's reader. Actions go through one :class:`~actelemetry.game.controls.
Controls`, wrapped in :class:`SafeControls`, which puts them neutral whatever happens: on
``close``, on an exception in ``step``, on SIGINT / SIGTERM, at interpreter exit, when the
pages stop advancing (paused, menu, game gone) and when the agent stops sending (a learner
busy with an update) for ``stale_s``.

``reset`` with ``reset_mode="restart"`` presses the controller's restart binding (bind it
to the game's restart-session action) and waits for the pages to show a new session;
``"none"`` keeps driving from where the car is. A controller with no restart binding is a
clear error.
"""

from __future__ import annotations

import atexit
import contextlib
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

from actelemetry.channels.catalogue import Values
from actelemetry.errors import GameNotRunning, UsageError
from actelemetry.game.constants import STATUS_LIVE
from actelemetry.game.controls import NEUTRAL, Controls, open_controls
from actelemetry.game.mapping import PageLocation, default_location
from actelemetry.gym.backends import PageSensor
from actelemetry.sim.track import BUILTIN_TRACKS, Track, load_track

#: how long reset waits for the game to show a new session (s)
RESET_TIMEOUT_S = 30.0
#: how often the watchdog looks at the pages and the agent (s)
WATCH_EVERY_S = 0.02
#: the lap timer a session must have run before a restart can be told from it (ms)
MIN_LAP_MS_BEFORE_RESTART = 100
RESET_MODES = ("restart", "none")


def controls_from(spec: str | Controls | None) -> Controls:
    """A Controls object, or one opened by name: ``uinput``, ``vgamepad``, ``vjoy``, or
    ``pad:FILE`` (the pad of ``actelemetry sim --pad FILE``)."""
    if spec is None:
        raise UsageError("backend='live' needs controls: 'uinput' (Linux), 'vgamepad' or "
                         "'vjoy' (Windows), 'pad:FILE' (actelemetry sim --pad), or an object")
    if not isinstance(spec, str):
        return spec
    if spec.startswith("pad:"):
        from actelemetry.sim.pad import PadControls

        return PadControls(Path(spec[4:]))
    return open_controls(spec)


class SafeControls:
    """A :class:`Controls` that is neutral unless an agent is actively driving.

    Thread-safe: the watchdog thread and a signal handler release it while the main thread
    may be sending. ``release`` never raises.
    """

    def __init__(self, controls: Controls) -> None:
        self.inner = controls
        self.name = controls.name
        self._lock = threading.RLock()
        self.last_send = time.monotonic()
        self.released = True
        self.closed = False
        self._handlers: dict[int, Any] = {}
        atexit.register(self.release)
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._handlers[sig] = signal.signal(sig, self._on_signal)

    def send(self, steer: float, gas: float, brake: float) -> None:
        with self._lock:
            if self.closed:
                raise RuntimeError("the controls are closed")
            self.inner.send(steer, gas, brake)
            self.last_send = time.monotonic()
            self.released = (steer, gas, brake) == NEUTRAL

    def release(self) -> None:
        with self._lock:
            if self.closed:
                return
            with contextlib.suppress(Exception):
                self.inner.release()
            self.released = True

    def restart(self) -> None:
        with self._lock:
            self.inner.restart()
            self.released = True

    def close(self) -> None:
        with self._lock:
            if self.closed:
                return
            self.release()
            with contextlib.suppress(Exception):
                self.inner.close()
            self.closed = True
        atexit.unregister(self.release)
        if threading.current_thread() is threading.main_thread():
            for sig, previous in self._handlers.items():
                if signal.getsignal(sig) == self._on_signal:
                    signal.signal(sig, previous)
        self._handlers.clear()

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        """Release first, then do what the signal did before (raise, exit, call)."""
        self.release()
        previous = self._handlers.get(signum, signal.SIG_DFL)
        if callable(previous):
            previous(signum, frame)
        elif previous == signal.SIG_DFL:
            self.close()
            signal.signal(signum, signal.SIG_DFL)
            signal.raise_signal(signum)


class LiveBackend:
    """The game (or a real-time simulator) writing its pages on its own clock."""

    def __init__(self, game: str, controls: str | Controls | None,
                 shm_dir: str | Path | PageLocation | None,
                 control_hz: float, track: str | None, reset_mode: str = "restart",
                 stale_s: float = 1.0) -> None:
        if reset_mode not in RESET_MODES:
            raise UsageError(f"reset_mode must be one of {', '.join(RESET_MODES)}, "
                             f"not {reset_mode!r}")
        if stale_s <= 0:
            raise UsageError("stale_s must be positive")
        self.game = game
        self.period_s = 1.0 / control_hz
        #: where the pages are read: ``shm_dir``, or where the game publishes them here
        self.location = default_location() if shm_dir is None else PageLocation.of(shm_dir)
        self.reset_mode = reset_mode
        self.stale_s = stale_s
        self._track_name = track
        self._track: Track | None = None
        self.controls = SafeControls(controls_from(controls))
        self._sensor: PageSensor | None = None
        self._watchdog: threading.Thread | None = None
        self._stop = threading.Event()
        self._next = 0.0
        self._last_packet = 0
        self._last_advance = 0.0
        self._t0 = time.monotonic()

    # ------------------------------------------------------------------ Backend
    def send(self, steer: float, gas: float, brake: float) -> None:
        self.controls.send(steer, gas, brake)

    def release(self) -> None:
        self.controls.release()

    def reset(self, seed: int) -> Values:
        """``seed`` cannot steer the game: it is accepted and ignored."""
        self.controls.release()
        sensor = self._open()
        if self.reset_mode == "restart":
            self._restart(sensor)
        self._wait(lambda: sensor.reader.status() == STATUS_LIVE,
                   "the game is not live (in a menu, paused or replaying)")
        sensor.new_session()
        values = sensor.read(self._now())
        self._last_packet = sensor.reader.packet_id()
        self._last_advance = time.monotonic()
        self._next = time.monotonic()
        return values

    def advance(self) -> Values:
        """Wait for the next control tick, then read the pages; ``stalled`` is set when
        they have not moved for ``stale_s`` (the controls are released then)."""
        sensor = self._sensor
        assert sensor is not None, "call reset() first"
        self._next += self.period_s
        now = time.monotonic()
        if self._next > now:
            time.sleep(self._next - now)
        elif now - self._next > self.period_s:
            self._next = now  # far behind: a new schedule, not a burst of catch-up steps
        values = sensor.read(self._now())
        packet = int(values["packet_id"])
        now = time.monotonic()
        if packet != self._last_packet:
            self._last_packet, self._last_advance = packet, now
        elif now - self._last_advance >= self.stale_s:
            self.controls.release()
            values["stalled"] = True
        return values

    def track(self) -> Track | None:
        """The circuit named, or the built-in one the static page names, else None."""
        if self._track is None:
            name = self._track_name
            if name is None and self._sensor is not None:
                found = self._sensor.static.track.strip().lower()
                name = found if found in BUILTIN_TRACKS else None
            if name is not None:
                self._track = load_track(name)
        return self._track

    def track_length_m(self) -> float:
        return self._sensor.static.track_length_m if self._sensor is not None else 0.0

    def close(self) -> None:
        self._stop.set()
        self.controls.close()
        if self._watchdog is not None:
            self._watchdog.join(timeout=5.0)
            self._watchdog = None
        if self._sensor is not None:
            self._sensor.close()
            self._sensor = None

    # ------------------------------------------------------------------ internals
    def _now(self) -> float:
        return time.monotonic() - self._t0

    def _open(self) -> PageSensor:
        if self._sensor is None:
            try:
                self._sensor = PageSensor(self.location, self.game)
            except GameNotRunning as exc:
                raise GameNotRunning(f"no game to drive: {exc}") from None
            self._watchdog = threading.Thread(target=self._watch, name="actelemetry-gym-watch",
                                              daemon=True)
            self._watchdog.start()
        return self._sensor

    def _restart(self, sensor: PageSensor) -> None:
        """Press the restart binding; wait for the lap timer to start again at lap 0."""
        def lap_ms() -> tuple[int, int]:
            values = sensor.read(self._now())
            return int(values["game_lap_ms"]), int(values["completed_laps"])

        self._wait(lambda: lap_ms()[0] >= MIN_LAP_MS_BEFORE_RESTART,
                   "the session's lap timer does not run")
        before = lap_ms()[0]
        try:
            self.controls.restart()
        except (NotImplementedError, AttributeError) as exc:
            raise UsageError(f"{self.controls.name} controls cannot restart the session "
                             f"({exc}); use reset_mode='none'") from None

        def restarted() -> bool:
            now_ms, laps = lap_ms()
            return laps == 0 and now_ms < before

        self._wait(restarted, "the game did not restart the session: bind the restart "
                   "button to the game's restart-session action, or use reset_mode='none'")

    def _wait(self, done: Callable[[], bool], why: str) -> None:
        deadline = time.monotonic() + RESET_TIMEOUT_S
        while not done():
            if time.monotonic() > deadline:
                raise GameNotRunning(f"{why} (waited {RESET_TIMEOUT_S:.0f} s)")
            time.sleep(0.001)

    def _watch(self) -> None:
        """Release the controls when the pages stop advancing or the agent stops sending."""
        last_packet, moved = None, time.monotonic()
        while not self._stop.wait(WATCH_EVERY_S):
            sensor = self._sensor
            try:
                packet = sensor.reader.packet_id() if sensor is not None else None
            except Exception:
                packet = None
            now = time.monotonic()
            if packet is not None and packet != last_packet:
                last_packet, moved = packet, now
            quiet = now - self.controls.last_send
            if not self.controls.released and (now - moved >= self.stale_s
                                               or quiet >= self.stale_s):
                self.controls.release()
