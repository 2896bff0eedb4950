"""Where the pages come from: the game, the built-in simulator, or a raw recording.

Every source ends up as page files (or the game's named mappings) read through the same
:func:`~actelemetry.game.mapping.open_pages`, so the capture never knows which it reads.
A source also says which clock to schedule on and whether its writer is still there.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from actelemetry.capture.clock import Clock, RealClock, ReplayClock, SimClock
from actelemetry.errors import UsageError
from actelemetry.game.mapping import PageMapping, open_pages

if TYPE_CHECKING:
    from actelemetry.capture.loop import CaptureOptions

_TMP_PREFIX = "actelemetry-pages-"
_PR_SET_PDEATHSIG = 1


@dataclass
class Source:
    """An opened source: how to open its pages, its clock, and whether its writer lives.

    ``alive`` returns True, False, or None when it cannot tell (then only the pages'
    contents decide). ``lockstep`` is the in-process simulator or replay player.
    """

    name: str
    open_pages: Callable[[], dict[str, PageMapping]]
    clock: Clock
    alive: Callable[[], bool | None]
    lockstep: object | None = None
    folder: Path | None = None


class GameProcess:
    """The game's process, looked up at most once a second (a process scan costs ms)."""

    def __init__(self) -> None:
        self._seen = False
        self._checked = -1e9
        self._last: bool | None = None

    def __call__(self) -> bool | None:
        now = time.monotonic()
        if now - self._checked >= 1.0:
            from actelemetry.game.detect import running_game

            self._checked = now
            running = running_game() is not None
            self._seen |= running
            # never seen: this machine cannot see the game (container, other prefix)
            self._last = running if self._seen else None
        return self._last


def _page_folder() -> Path:
    """A private folder for a child's pages, on tmpfs when there is one; folders left by
    a capture that was killed are removed first."""
    base = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    root = Path(base or tempfile.gettempdir())
    for old in root.glob(f"{_TMP_PREFIX}*"):
        try:
            owner = int(old.name[len(_TMP_PREFIX):].split("-", 1)[0])
            os.kill(owner, 0)
        except ProcessLookupError:
            shutil.rmtree(old, ignore_errors=True)
        except (ValueError, PermissionError, OSError):
            continue
    return Path(tempfile.mkdtemp(prefix=f"{_TMP_PREFIX}{os.getpid()}-", dir=base))


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    """Linux: the child gets SIGTERM when the capture dies, even by SIGKILL."""
    with contextlib.suppress(Exception):
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _pages_ready(folder: Path) -> bool:
    """The child has created the last page file at its full size."""
    try:
        return (folder / "acpmf_static").stat().st_size > 0
    except OSError:
        return False


@contextmanager
def child_writer(cmd: list[str], folder: Path, what: str) -> Iterator[subprocess.Popen]:
    """Run a page-writing child process until its pages exist; stop it on the way out."""
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None)
    try:
        deadline = time.monotonic() + 60
        while not _pages_ready(folder):
            if proc.poll() is not None or time.monotonic() > deadline:
                err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
                lines = [ln for ln in err.strip().splitlines() if ln.strip()]
                raise UsageError(f"the {what} did not start: {lines[-1] if lines else 'no output'}")
            time.sleep(0.02)
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@contextmanager
def open_source(opts: CaptureOptions) -> Iterator[Source]:
    """Open the source ``opts`` names; children and temporary pages go on exit."""
    if opts.source == "shm":
        yield Source("shm", lambda: open_pages(opts.shm_dir), RealClock(),
                     GameProcess() if opts.shm_dir is None else (lambda: None))
        return
    folder = _page_folder()
    try:
        if opts.source == "sim":
            with _sim_source(opts, folder) as source:
                yield source
        else:
            with _replay_source(opts, folder) as source:
                yield source
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def _sim_source(opts: CaptureOptions, folder: Path) -> Iterator[Source]:
    """Fast mode runs the simulator here in lockstep; real time runs ``actelemetry sim`` as
    another process writing pages, exactly as the game would."""
    game = opts.game or "ac"
    if opts.fast:
        from actelemetry.sim import PagePublisher, Simulator

        pub = PagePublisher(folder, game)
        try:
            sim = Simulator(game=game, track=opts.track, laps=opts.sim_laps, seed=opts.seed,
                            publisher=pub)
            sim.publish()
            yield Source("sim", lambda: open_pages(folder), SimClock(sim),
                         lambda: not sim.finished, sim, folder)
        finally:
            pub.close()
        return
    cmd = [sys.executable, "-m", "actelemetry", "sim", "--game", game, "--track",
           str(opts.track), "--laps", str(opts.sim_laps), "--seed", str(opts.seed),
           "--speed", str(opts.speed), "--shm-dir", str(folder), "--quiet"]
    with child_writer(cmd, folder, "simulator") as proc:
        yield Source("sim", lambda: open_pages(folder), RealClock(),
                     lambda: proc.poll() is None, None, folder)


@contextmanager
def _replay_source(opts: CaptureOptions, folder: Path) -> Iterator[Source]:
    """Fast mode steps the recording in lockstep (every frame seen once, at its own time);
    real time runs ``actelemetry replay`` as another process."""
    from actelemetry.replay import PageWriter, ReplayPlayer, load_recording

    path = Path(opts.replay_path)  # type: ignore[arg-type]
    if opts.fast:
        writer = PageWriter(folder)
        try:
            player = ReplayPlayer(load_recording(path), writer)
            yield Source("replay", lambda: open_pages(folder), ReplayClock(player),
                         lambda: not player.finished, player, folder)
        finally:
            writer.close()
        return
    load_recording(path)  # a bad file is a one-line error here, not a child's failure
    cmd = [sys.executable, "-m", "actelemetry", "replay", str(path), "--shm-dir", str(folder),
           "--speed", str(opts.speed), "--quiet"]
    with child_writer(cmd, folder, "replay") as proc:
        yield Source("replay", lambda: open_pages(folder), RealClock(),
                     lambda: proc.poll() is None, None, folder)
