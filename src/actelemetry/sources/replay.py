"""Replay: a raw recording (``capture --raw``) published again as live pages.

The pages are written back byte for byte, in the game's pattern (in place, one page at a
time) and with the recording's own timing (``session_time``), so anything that reads the
game (the capture, the bridge, other tools through the game's named mappings or the Linux
bridges' files) reads the replay as if the
game were driving. Pauses come back as pauses: the pages stand still for the gap.

Two ways to play: :func:`play` in real time (``actelemetry replay``, or a child process
of a capture), or a :class:`ReplayPlayer` stepped by :class:`ReplayClock`, where a capture
in lockstep sees every recorded frame exactly once.
"""

from __future__ import annotations

import base64
import ctypes
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from actelemetry.errors import SessionFileError
from actelemetry.game.constants import STATUS_OFF
from actelemetry.game.layouts import LAYOUTS
from actelemetry.game.mapping import PageLocation, private_pages
from actelemetry.game.names import GAMES
from actelemetry.game.timer import fine_timer
from actelemetry.game.writer import PageWriter
from actelemetry.sources.base import PublishedSource, RealClock, Source, SourceKind
from actelemetry.sources.child import run_child
from actelemetry.store.session import META_KEY, parse_metadata


@dataclass
class Recording:
    """The frames of a raw session: times (s from the first sample) and page bytes."""

    path: Path
    game: str
    static_page: bytes
    t: np.ndarray
    physics: list[bytes]
    graphics: list[bytes]

    def __len__(self) -> int:
        return len(self.t)


#: a pause in a recording longer than this is replayed as this long
MAX_GAP_S = 5.0


def load_recording(path: Path) -> Recording:
    """Read a Parquet session recorded with ``--raw``; a one-line error otherwise.

    Every raw page must be present and exactly its layout's size, the static page valid
    base64 of the static layout's size, and the times finite; a pause longer than
    :data:`MAX_GAP_S` is shortened to it (a recording's gap cannot stall a replay).
    """
    path = Path(path)
    if not path.is_file():
        raise SessionFileError(f"{path}: no such session file")
    try:
        pf = pq.ParquetFile(path)
        raw_meta = (pf.schema_arrow.metadata or {}).get(META_KEY, b"{}")
        names = set(pf.schema_arrow.names)
    except (pa.ArrowException, OSError, ValueError) as exc:
        raise SessionFileError(f"{path}: not a readable Parquet session file ({exc})") from exc
    meta = parse_metadata(raw_meta, f"{path}: metadata")
    need = {"session_time", "raw_physics", "raw_graphics"}
    if not need <= names or "static_page" not in meta:
        raise SessionFileError(
            f"{path}: holds no raw pages; record it with `actelemetry capture --raw` to replay it")
    game = meta.get("game", "ac")
    if game not in GAMES:
        raise SessionFileError(f"{path}: unknown game {game!r} in its metadata")
    try:
        static_page = base64.b64decode(meta["static_page"], validate=True)
        table = pf.read(columns=sorted(need))
        t = np.asarray(table["session_time"].to_numpy(zero_copy_only=False), dtype="f8")
        physics = table["raw_physics"].to_pylist()
        graphics = table["raw_graphics"].to_pylist()
    except (pa.ArrowException, OSError, ValueError, TypeError) as exc:
        raise SessionFileError(f"{path}: its raw pages cannot be read ({exc})") from exc
    _check_pages(path, game, "static", [static_page])
    _check_pages(path, game, "physics", physics)
    _check_pages(path, game, "graphics", graphics)
    if len(t) == 0:
        raise SessionFileError(f"{path}: the session holds no samples")
    if not np.isfinite(t).all():
        raise SessionFileError(f"{path}: session_time holds values that are not finite")
    steps = np.clip(np.diff(t, prepend=t[0]), 0.0, MAX_GAP_S)
    return Recording(path=path, game=game, static_page=static_page, t=t[0] + np.cumsum(steps),
                     physics=physics, graphics=graphics)


def _check_pages(path: Path, game: str, page: str, pages: list[object]) -> None:
    size = ctypes.sizeof(LAYOUTS[(game, page)])
    for i, data in enumerate(pages):
        if not isinstance(data, bytes) or len(data) != size:
            what = "missing" if data is None else (
                f"{len(data)} bytes" if isinstance(data, bytes) else type(data).__name__)
            raise SessionFileError(f"{path}: raw {page} page of row {i} is {what}; the "
                                   f"{game.upper()} layout has {size} bytes")


class ReplayPlayer:
    """Publishes a recording frame by frame; the game "goes back to its menus" (status OFF)
    once the last frame has been read."""

    def __init__(self, recording: Recording, writer: PageWriter) -> None:
        self.recording = recording
        self.writer = writer
        self.index = 0
        self.ended = False
        self.start_time = float(recording.t[0])
        self.writer.clear()
        self.writer.write("static", recording.static_page)

    @property
    def finished(self) -> bool:
        return self.ended

    def next_time(self) -> float | None:
        """Recording time of the next frame, or None after the last (the end is published)."""
        if self.index < len(self.recording):
            return float(self.recording.t[self.index])
        if not self.ended:
            self.end()
        return None

    def publish_next(self) -> None:
        """Write the next frame's graphics page, then its physics page: a reader learns of
        a new step from the physics packetId, and then finds the step's own graphics
        already there, so a capture of the replay pairs the pages as they were recorded
        even when this process is held back between the two writes (a game writes them
        from two threads, in no order a reader could rely on)."""
        i = self.index
        self.writer.write("graphics", self.recording.graphics[i])
        self.writer.write("physics", self.recording.physics[i])
        self.index += 1

    def end(self) -> None:
        self.writer.set_status(STATUS_OFF)
        self.ended = True


def play(path: Path, where: PageLocation | Path | None, speed: float = 1.0,
         stop: threading.Event | None = None,
         on_frame: Callable[[int, int], None] | None = None) -> int:
    """Publish ``path`` in real time (``speed`` x) at ``where`` (a folder; None: the game's
    named mappings, on Windows); returns frames played.

    Each frame is written when its ``session_time`` (scaled by ``speed``) comes due on a
    drift-free schedule; at the end the graphics page says OFF, like the game quitting.
    """
    if speed <= 0:
        raise SessionFileError(f"--speed must be positive, not {speed}")
    rec = load_recording(path)
    writer = PageWriter(where, rec.game)
    player = ReplayPlayer(rec, writer)
    stop = stop or threading.Event()
    try:
        with fine_timer():  # the frames' waits are milliseconds: Windows' timer is coarser
            t0 = time.perf_counter()
            while (due := player.next_time()) is not None and not stop.is_set():
                delay = t0 + (due - player.start_time) / speed - time.perf_counter()
                if delay > 0 and stop.wait(delay):
                    break
                player.publish_next()
                if on_frame is not None:
                    on_frame(player.index, len(rec))
            if not player.ended:
                player.end()
            return player.index
    finally:
        writer.close()


class ReplayClock:
    """A raw recording's own clock: sleeping publishes the next recorded frame when it is
    due by ``t`` and stops there, so a lockstep capture sees every frame exactly once at
    its original time."""

    realtime = False

    def __init__(self, player: ReplayPlayer) -> None:
        self.player = player
        self._now = player.start_time

    def now(self) -> float:
        return self._now

    def sleep_until(self, t: float) -> None:
        due = self.player.next_time()
        if due is not None and due <= t:
            self.player.publish_next()
            self._now = max(self._now, due)
        else:
            self._now = max(self._now, t)


@contextmanager
def replay_source(path: Path, speed: float = 1.0, fast: bool = False) -> Iterator[Source]:
    """A recording's pages: stepped in lockstep here with ``fast`` (every frame seen once,
    at its own time), otherwise played by a child process on the wall clock."""
    path = Path(path)
    with private_pages() as location:
        if fast:
            rec = load_recording(path)
            writer = PageWriter(location, rec.game)
            try:
                player = ReplayPlayer(rec, writer)
                yield PublishedSource(SourceKind.replay, location, ReplayClock(player),
                                      lambda: not player.finished)
            finally:
                writer.close()
            return
        load_recording(path)  # a bad file is a one-line error here, not a child's failure
        job: dict[str, object] = {"kind": "replay", "path": str(path), "speed": speed}
        with run_child(job, location, "replay") as proc:
            yield PublishedSource(SourceKind.replay, location, RealClock(),
                                  lambda: proc.poll() is None)
