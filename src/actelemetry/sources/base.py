"""What a capture reads: a :class:`Source` of pages and the :class:`Clock` it is read on.

Every source ends up as the game's pages at a
:class:`~actelemetry.game.mapping.PageLocation` (named mappings, or page files in a
folder) read through :func:`~actelemetry.game.mapping.open_pages`, so the capture never
knows which it reads. A source also says which clock to schedule on and whether its writer is
still there.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Protocol

from actelemetry.game.mapping import PageLocation, PageMapping, open_pages


class SourceKind(str, Enum):
    """Where pages come from: the game (its shared memory, or its UDP telemetry), the
    built-in simulator, or a raw recording played back."""

    shm = "shm"
    sim = "sim"
    replay = "replay"
    udp = "udp"


class Clock(Protocol):
    """``realtime`` is False for lockstep clocks: their sleep steps the game instead of
    waiting, and may return before ``t`` when the game published a page (an event)."""

    @property
    def realtime(self) -> bool: ...

    def now(self) -> float:
        """Seconds on this clock (arbitrary origin)."""
        ...

    def sleep_until(self, t: float) -> None: ...


class Source(Protocol):
    """An opened source of pages.

    ``kind``: which source this is. ``is_game``: the pages are the game's own (their pace
    is judged, and ``--no-wait`` applies). ``watch_process``: the game's process can be
    looked up to tell a quit from a pause (the game at its platform place). ``alive()``
    returns True, False, or None when it cannot tell (then only the pages decide).
    """

    @property
    def kind(self) -> SourceKind: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def is_game(self) -> bool: ...

    @property
    def watch_process(self) -> bool: ...

    def open_pages(self) -> dict[str, PageMapping]: ...

    def alive(self) -> bool | None: ...


class RealClock:
    """Monotonic wall clock with a high-resolution sleep."""

    realtime = True

    def now(self) -> float:
        return time.perf_counter()

    def sleep_until(self, t: float) -> None:
        delay = t - time.perf_counter()
        if delay > 0:
            time.sleep(delay)


@dataclass
class PublishedSource:
    """Pages another writer publishes at a private location: a child process, or a
    lockstep writer in this process whose clock steps it."""

    kind: SourceKind
    location: PageLocation
    clock: Clock
    writer_alive: Callable[[], bool]
    is_game: bool = field(default=False, init=False)
    watch_process: bool = field(default=False, init=False)

    def open_pages(self) -> dict[str, PageMapping]:
        return open_pages(self.location)

    def alive(self) -> bool | None:
        return self.writer_alive()
