"""The game itself as a source: its shared memory pages, read on the wall clock."""

from __future__ import annotations

import time
from pathlib import Path

from actelemetry.game.mapping import PageLocation, PageMapping, open_pages
from actelemetry.sources.base import RealClock, SourceKind

#: how often the game's process is looked up (a process scan costs milliseconds)
PROCESS_LOOKUP_S = 1.0


class GameProcess:
    """Whether the game's process runs, looked up at most once a :data:`PROCESS_LOOKUP_S`.

    None until it has been seen once: a machine that never sees the game's process (a
    container, another Proton prefix) cannot tell, and then only the pages decide.
    """

    def __init__(self) -> None:
        self._seen = False
        self._checked = -1e9
        self._last: bool | None = None

    def __call__(self) -> bool | None:
        now = time.monotonic()
        if now - self._checked >= PROCESS_LOOKUP_S:
            from actelemetry.game.detect import running_game

            self._checked = now
            running = running_game() is not None
            self._seen |= running
            self._last = running if self._seen else None
        return self._last


class GameSource:
    """The game's pages at the platform's place, or at ``shm_dir`` (a bridge elsewhere,
    another program's folder or location: then the game's process is not looked for)."""

    kind = SourceKind.shm
    is_game = True

    def __init__(self, shm_dir: PageLocation | Path | None = None) -> None:
        self.shm_dir = shm_dir
        self.clock = RealClock()
        self.watch_process = shm_dir is None
        self._process = GameProcess() if shm_dir is None else None

    def open_pages(self) -> dict[str, PageMapping]:
        return open_pages(self.shm_dir)

    def alive(self) -> bool | None:
        return self._process() if self._process is not None else None
