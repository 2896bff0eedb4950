"""Where samples go: the session file, the live terminal view, and any other consumer.

A sink sees sessions open and close and every recorded sample in between. Decoding a
sample into channels happens at most once, on the first sink that asks for it.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from actelemetry.channels.catalogue import Values
from actelemetry.channels.decode import StaticInfo
from actelemetry.channels.derive import LiveDeriver
from actelemetry.errors import StorageError
from actelemetry.game.reader import Snapshot
from actelemetry.jsontypes import JsonObject
from actelemetry.store.session import FooterMaker, finalize_spool
from actelemetry.store.spool import SUFFIX, SpoolWriter
from actelemetry.timefmt import lap_time_ms


@dataclass
class Session:
    """One recorded session: from going live to the game stopping, restarting or quitting."""

    game: str
    detection: str
    static_page: bytes
    static: StaticInfo
    start_wall: float
    source: str
    rate: float
    smoothing: int
    path: Path | None = None  # the session file, once closed
    samples: int = 0
    duplicates: int = 0  # scheduled reads that found the packet already recorded
    #: the channels the source carries (None: every channel of the game); the session
    #: file holds only these
    channels: tuple[str, ...] | None = None
    #: capture-quality counts beyond the pages' (a UDP capture's datagrams lost, ...)
    quality_extra: dict[str, int] = field(default_factory=dict)
    #: other metadata the source adds (a UDP capture's spot lap events)
    meta_extra: JsonObject = field(default_factory=dict)
    deriver: LiveDeriver = field(init=False)

    def __post_init__(self) -> None:
        self.deriver = LiveDeriver(self.game, self.static, self.smoothing)

    def metadata(self) -> JsonObject:
        meta: JsonObject = {
            "game": self.game, "detection": self.detection, "source": self.source,
            "rate": self.rate, "start_wall": self.start_wall, **self.static.as_metadata()}
        if self.channels is not None:
            meta["channels"] = list(self.channels)
        return meta


@dataclass
class Sample:
    """One recorded physics step."""

    t: float
    skipped: int
    gap: float
    snapshot: Snapshot
    session: Session
    _channels: Values | None = None

    def channels(self) -> Values:
        """All catalogue channels of this sample (decoded once, then cached)."""
        if self._channels is None:
            snap = self.snapshot
            self._channels = self.session.deriver.derive(
                snap.physics, snap.graphics, self.t, self.session.start_wall, self.skipped,
                self.gap)
        return self._channels


class Sink(Protocol):
    def open(self, session: Session) -> None: ...

    def write(self, sample: Sample) -> None: ...

    def close(self, session: Session) -> None: ...


def close_all(sinks: list[Sink], session: Session) -> None:
    """Close ``session`` in every sink, even after one fails (each keeps what it can), then
    raise the first failure."""
    errors = []
    for sink in sinks:
        try:
            sink.close(session)
        except Exception as exc:
            errors.append(exc)
    if errors:
        raise errors[0]


def session_stem(game: str, start_wall: float) -> str:
    """Session file name without suffix: the game and the local start time."""
    return f"{game}_session_{datetime.fromtimestamp(start_wall):%Y%m%d_%H%M%S}"


class SessionFileSink:
    """Spools raw pages crash-safely, then writes the session file when the session closes.

    When writing fails (disk full, file too large), the samples flushed before stay in the
    spool; closing then tries to turn them into a session file, and otherwise leaves the
    spool for the next run to recover. ``failure`` says, in one line, where they are.
    """

    def __init__(self, out_dir: Path, fmt: str = "parquet", raw: bool = False,
                 flush_interval: float = 0.25, footer: FooterMaker | None = None) -> None:
        self.out_dir = Path(out_dir)
        self.footer = footer  # what the layers above store with the samples (a summary)
        self.fmt = fmt
        self.raw = raw
        self.flush_interval = flush_interval
        self.writer: SpoolWriter | None = None
        self.paths: list[Path] = []
        self.failure: str | None = None
        self._failed = False

    def open(self, session: Session) -> None:
        stem = session_stem(session.game, session.start_wall)
        path, k = self.out_dir / f"{stem}{SUFFIX}", 2
        while path.exists() or path.with_suffix(f".{self.fmt}").exists():
            path, k = self.out_dir / f"{stem}_{k}{SUFFIX}", k + 1
        header = {**session.metadata(), "format": self.fmt, "raw": self.raw,
                  "smoothing": session.smoothing,
                  "static_page": base64.b64encode(session.static_page).decode()}
        self._failed = False
        self.writer = SpoolWriter(path, header, self.flush_interval)

    def write(self, sample: Sample) -> None:
        assert self.writer is not None
        snap = sample.snapshot
        self.writer.duplicates = sample.session.duplicates
        try:
            self.writer.append(sample.t, sample.skipped, sample.gap, snap.physics,
                               snap.graphics)
        except StorageError as exc:
            self._failed = True
            self.failure = str(exc)
            raise

    def close(self, session: Session) -> None:
        if self.writer is None:
            return
        writer, self.writer = self.writer, None
        writer.duplicates = session.duplicates
        if self._failed:
            writer.abandon()
        else:
            try:
                writer.close()
            except StorageError as exc:
                self.failure = str(exc)
                self._failed = True
        try:
            session.path = finalize_spool(writer.path, self.fmt, self.raw,
                                          extra_quality=session.quality_extra,
                                          extra_meta=session.meta_extra, footer=self.footer)
        except StorageError as exc:
            if not self._failed:
                raise StorageError(f"{exc}; the samples stay in {writer.path} and are "
                                   "recovered by the next run") from exc
            self.failure = (f"{self.failure}; the {writer.samples} samples written before "
                            f"stay in {writer.path} and are recovered by the next run")
            return
        if session.path is not None:
            self.paths.append(session.path)
            if self._failed:
                self.failure = (f"{self.failure}; the {writer.samples} samples written before "
                                f"are saved in {session.path}")


class LiveView:
    """Prints a status line every ``interval`` seconds of wall time."""

    def __init__(self, printer: Callable[[str], None], interval: float = 5.0) -> None:
        self.print = printer
        self.interval = interval
        self._next = 0.0
        self._count = 0
        self._t0 = 0.0
        self._skipped = 0

    def open(self, session: Session) -> None:
        self.print(f"Recording {session.game.upper()}: {session.static.car} at "
                   f"{session.static.track} ({session.detection})")
        self._next = time.monotonic() + self.interval
        self._count, self._skipped, self._t0 = 0, 0, time.monotonic()

    def write(self, sample: Sample) -> None:
        self._count += 1
        self._skipped += sample.skipped
        now = time.monotonic()
        if now < self._next:
            return
        self._next = now + self.interval
        c = sample.channels()
        rate = self._count / max(now - self._t0, 1e-9)
        self.print(
            f"{c['speed_kmh']:6.1f} km/h  gas {c['gas']:4.2f}  brake {c['brake']:4.2f}  "
            f"steer {c['steer']:+5.2f}  gear {c['gear']:>2}  lap {c['current_lap']:>3}  "
            f"{lap_time_ms(float(c['game_lap_ms'])):>9}  rate {rate:6.1f} Hz")

    def close(self, session: Session) -> None:
        if session.path is not None:
            self.print(f"Session saved: {session.path}")

