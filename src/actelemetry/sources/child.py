"""Page writers in a child process: the simulator or a replay on the wall clock, writing
pages exactly as the game would, while the capture reads them from another process.

The parent starts ``python -m actelemetry.sources.child JOB`` where JOB is one JSON object
(the writer's spec and the folder), so the library never depends on how the command line
spells its options. The child stops on SIGTERM (CTRL_BREAK_EVENT on Windows), leaving its
pages saying OFF, and dies with its parent where the platform allows.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from actelemetry.errors import ActelemetryError, UsageError, one_line
from actelemetry.game.host import ask_to_stop, child_options
from actelemetry.game.mapping import PAGE_NAMES

#: how long a child may take to create its pages
START_TIMEOUT_S = 60.0
#: how long a stopped child may take to write its last pages and exit
STOP_TIMEOUT_S = 5.0


def _pages_ready(folder: Path) -> bool:
    """The child has created the last page file at its full size."""
    try:
        return (folder / PAGE_NAMES["static"]).stat().st_size > 0
    except OSError:
        return False


@contextmanager
def child_writer(cmd: list[str], folder: Path, what: str) -> Iterator[subprocess.Popen[bytes]]:
    """Run a page-writing child process until its pages exist; stop it on the way out.

    A child that exits or takes too long before its pages exist is a one-line error with
    the last line it printed.
    """
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            **child_options())
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _pages_ready(folder):
            if proc.poll() is not None or time.monotonic() > deadline:
                err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
                lines = [ln for ln in err.strip().splitlines() if ln.strip()]
                raise UsageError(f"the {what} did not start: {lines[-1] if lines else 'no output'}")
            time.sleep(0.02)
        yield proc
    finally:
        if proc.poll() is None:
            ask_to_stop(proc)
            try:
                proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@contextmanager
def run_child(job: dict[str, object], folder: Path, what: str,
              ) -> Iterator[subprocess.Popen[bytes]]:
    """Start this module as a child writing ``job``'s pages into ``folder``."""
    arg = json.dumps({**job, "folder": str(folder)})
    with child_writer([sys.executable, "-m", __name__, arg], folder, what) as proc:
        yield proc


def run_job(job: dict[str, object]) -> None:
    """Write the pages ``job`` describes until its end or SIGTERM."""
    from actelemetry.signals import stop_on_sigterm

    stop = stop_on_sigterm()
    folder = Path(str(job["folder"]))
    kind = job.get("kind")
    if kind == "sim":
        from actelemetry.sources.sim import SimSpec, drive, publishing_simulator

        spec = SimSpec.from_json(job)
        with publishing_simulator(spec, folder) as sim:
            drive(sim, spec, stop)
    elif kind == "replay":
        from actelemetry.sources.replay import play

        play(Path(str(job["path"])), folder, float(str(job["speed"])), stop)
    else:
        raise UsageError(f"unknown page writer {kind!r}")


def main(argv: list[str] | None = None) -> int:
    """Run the job in ``argv[0]``; an error is one line on stderr and exit code 2."""
    args = sys.argv[1:] if argv is None else argv
    try:
        job = json.loads(args[0])
        if not isinstance(job, dict):
            raise UsageError("a child job is one JSON object")
        run_job(job)
    except (ActelemetryError, ValueError, OSError, IndexError, KeyError) as exc:
        print(f"error: {one_line(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":  # pragma: no cover - runs as the child
    sys.exit(main())
