"""What a capture is asked to do (:class:`CaptureOptions`), what it achieved
(:class:`CaptureStats`), and the source the options name."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from actelemetry.capture.rate import check_rate
from actelemetry.capture.sinks import Session
from actelemetry.channels.derive import DEFAULT_SMOOTHING
from actelemetry.errors import UsageError
from actelemetry.game.constants import PHYSICS_HZ
from actelemetry.game.mapping import PageLocation
from actelemetry.sources.base import Source, SourceKind


@dataclass
class CaptureOptions:
    """What to capture and how; mirrors ``actelemetry capture``'s options."""

    source: str = "shm"  # shm | sim | replay | udp
    #: where the game's pages are (a folder, or any page location); None: the platform's place
    shm_dir: PageLocation | Path | None = None
    game: str | None = None
    rate: float = 100.0
    busy_poll: bool = False  # at the physics rate: never sleep (no step lost; a whole core)
    duration: float | None = None
    laps: int | None = None
    wait: bool = True
    smoothing: int = DEFAULT_SMOOTHING
    #: LIVE pages whose packetId stands still this long, with no game process running,
    #: are a game that died: the session is closed (AC's own pauses keep its process)
    frozen_after_s: float = 10.0
    #: stop when the pages run far faster than real time (a fast simulator, not a game);
    #: a stress test that writes pages as fast as it can turns this off
    refuse_outrun: bool = True
    #: judge each page against what a car can show before recording it (off only for
    #: stress tests whose pages are synthetic patterns)
    check_plausible: bool = True
    #: freeze the objects alive at the first session out of the garbage collector's walks
    #: for the run (a full collection would stall sampling for milliseconds); it changes
    #: process-wide state, so only a program that owns its process (the CLI) turns it on
    freeze_gc: bool = False
    #: at the physics rate on the wall clock, run ahead of ordinary work where the system
    #: allows it (game/timer.py): a wake-up that waits a whole step for a core loses the
    #: step. A program that owns its process (the CLI) turns it on
    raise_priority: bool = False
    # the built-in simulator (source "sim")
    track: str = "monza"
    car: str = "actelemetry_gt3"
    sim_laps: int = 3
    seed: int = 0
    #: the simulated driver's skill, 0 (novice) .. 1 (alien); 0.9 is the default "pro"
    skill: float = 0.9
    speed: float = 1.0
    fast: bool = False
    # a raw recording played back as live pages (source "replay"; speed and fast apply)
    replay_path: Path | None = None
    # the game over UDP (source "udp"): its address, and how long its first answer may take
    host: str | None = None
    port: int = 9996
    udp_timeout: float = 10.0
    #: also subscribe to RTLap spot events (every car's laps, kept in the metadata)
    udp_spot: bool = False

    def __post_init__(self) -> None:
        check_rate(self.rate)
        if self.busy_poll and self.rate < PHYSICS_HZ * 0.99:
            raise UsageError(f"--busy-poll is for every physics step: use it with --rate "
                             f"{PHYSICS_HZ:g}")
        if self.source not in ("shm", "sim", "replay", "udp"):
            raise UsageError(f"unknown source {self.source!r} (shm, sim, replay or udp)")
        if self.source == "udp" and not self.host:
            raise UsageError("--source udp needs the game's address: --host GAME_PC "
                             "(stream: --game-host GAME_PC)")
        if self.source == "udp" and self.game == "acc":
            raise UsageError("the remote-telemetry UDP protocol is AC's; ACC has none")
        if not 0 < self.port < 65536:
            raise UsageError(f"--port must be 1 to 65535, not {self.port}")
        if self.udp_timeout <= 0:
            raise UsageError(f"--timeout must be positive, not {self.udp_timeout}")
        if self.game not in (None, "ac", "acc"):
            raise UsageError(f"unknown game {self.game!r} (ac or acc)")
        if self.source == "replay" and self.replay_path is None:
            raise UsageError("--source replay needs the session file to replay")
        if self.speed <= 0:
            raise UsageError(f"--speed must be positive, not {self.speed}")
        if not 0.0 <= self.skill <= 1.0:
            raise UsageError(f"--skill must be 0..1, not {self.skill}")
        if self.duration is not None and self.duration <= 0:
            raise UsageError(f"--duration must be positive, not {self.duration}")
        if self.laps is not None and self.laps < 1:
            raise UsageError(f"--laps must be at least 1, not {self.laps}")


@dataclass
class CaptureStats:
    """Capture quality across the whole run.

    ``duplicates``: scheduled reads that found the packetId already logged (refused; the
    slot then waits for the next step). ``skipped``: physics steps never seen; of them, when
    every step is followed, ``skipped_held_back`` were missed while the capture had not
    looked for most of a step (a sleep that overran, the process not running, or its own
    work taking that long), and ``skipped_late_wake`` of those after a sleep that overran;
    the rest of ``skipped`` came bunched between two timely looks (a game catching up).
    ``lateness``:
    how late each scheduled read woke (s). ``look_s``: time spent copying the pages to look
    at them (every poll); ``snapshot_s``: time spent completing consistent copies (each sample).
    """

    samples: int = 0
    duplicates: int = 0
    skipped: int = 0
    skipped_held_back: int = 0
    skipped_late_wake: int = 0
    retries: int = 0
    gaps: int = 0
    slots_lost: int = 0
    polls: int = 0
    recorded_s: float = 0.0
    look_s: float = 0.0
    snapshot_s: float = 0.0
    implausible: int = 0  # pages refused because no car shows such values
    priority_raised: bool = False  # ran ahead of ordinary work (raise_priority, allowed)
    lateness: deque = field(default_factory=lambda: deque(maxlen=200_000))
    ended: str = ""

    @property
    def achieved_rate(self) -> float:
        return (self.samples - 1) / self.recorded_s if self.recorded_s > 0 else 0.0

    @property
    def snapshot_us(self) -> float:
        return self.snapshot_s / self.samples * 1e6 if self.samples else 0.0

    @property
    def look_us(self) -> float:
        return self.look_s / self.polls * 1e6 if self.polls else 0.0

    def jitter_ms(self, q: float) -> float:
        return float(np.quantile(np.asarray(self.lateness), q) * 1e3) if self.lateness else 0.0


@dataclass
class CaptureResult:
    sessions: list[Session]
    stats: CaptureStats


def one_laps(laps: int | None, old_spelling: int | None, default: int,
             ) -> tuple[int | None, int]:
    """(timed laps to record, laps the simulator drives) from one ``--laps`` (or its old
    spelling ``--sim-laps``): the simulated driver drives as many laps as are recorded;
    with neither given it drives ``default`` and the capture runs until it finishes."""
    laps = laps if laps is not None else old_spelling
    return laps, laps if laps is not None else default


@contextmanager
def open_source(opts: CaptureOptions) -> Iterator[Source]:
    """Open the source ``opts`` names; children and temporary pages go on exit."""
    if opts.source == SourceKind.shm:
        from actelemetry.sources.game import GameSource

        yield GameSource(opts.shm_dir)
    elif opts.source == SourceKind.sim:
        from actelemetry.sources.sim import SimSpec, sim_source

        spec = SimSpec(game=opts.game or "ac", track=opts.track, laps=opts.sim_laps,
                       seed=opts.seed, skill=opts.skill, speed=opts.speed, fast=opts.fast,
                       car=opts.car)
        with sim_source(spec) as source:
            yield source
    else:
        from actelemetry.sources.replay import replay_source

        assert opts.replay_path is not None  # checked by CaptureOptions
        with replay_source(opts.replay_path, opts.speed, opts.fast) as source:
            yield source
