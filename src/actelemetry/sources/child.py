"""Page writers in a child process: the simulator or a replay on the wall clock, writing
pages exactly as the game would, while the capture reads them from another process.

The parent starts ``python -m actelemetry.sources.child JOB`` where JOB is one JSON object
(the writer's spec and where its pages go), so the library never depends on how the
command line spells its options. The child stops on SIGTERM (CTRL_BREAK_EVENT on Windows),
leaving its pages saying OFF, and dies with its parent where the platform allows. The
parent holds the pages from when they exist until the source ends, so pages that live
only while someone holds them (named mappings) outlive a child that has finished.
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
from actelemetry.game.mapping import PageLocation, hold_pages

#: how long a child may take to create its pages
START_TIMEOUT_S = 60.0
#: how long a stopped child may take to write its last pages and exit
STOP_TIMEOUT_S = 5.0


def _did_not_start(proc: subprocess.Popen[bytes], what: str) -> UsageError:
    """The one-line error for a child that never published: the last line it printed."""
    if proc.poll() is None:
        proc.kill()  # past its deadline: its output ends only when it does
        proc.wait()
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    lines = [ln for ln in err.strip().splitlines() if ln.strip()]
    return UsageError(f"the {what} did not start: {lines[-1] if lines else 'no output'}")


@contextmanager
def child_writer(cmd: list[str], location: PageLocation, what: str,
                 ) -> Iterator[subprocess.Popen[bytes]]:
    """Run a page-writing child process until its pages exist at ``location``, hold them
    until the block ends, and stop the child on the way out.

    A child that exits or takes too long before its pages exist is a one-line error with
    the last line it printed.
    """
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            **child_options())
    release = None
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while (release := hold_pages(location)) is None:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise _did_not_start(proc, what)
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
        if release is not None:
            release()


@contextmanager
def run_child(job: dict[str, object], location: PageLocation, what: str,
              ) -> Iterator[subprocess.Popen[bytes]]:
    """Start this module as a child writing ``job``'s pages at ``location``."""
    arg = json.dumps({**job, "pages": location.as_text()})
    with child_writer([sys.executable, "-m", __name__, arg], location, what) as proc:
        yield proc


def run_job(job: dict[str, object]) -> None:
    """Write the pages ``job`` describes until its end or SIGTERM."""
    from actelemetry.signals import stop_on_sigterm

    stop = stop_on_sigterm()
    location = PageLocation.from_text(str(job["pages"]))
    kind = job.get("kind")
    if kind == "sim":
        from actelemetry.sources.sim import SimSpec, drive, publishing_simulator

        spec = SimSpec.from_json(job)
        with publishing_simulator(spec, location) as sim:
            drive(sim, spec, stop)
    elif kind == "replay":
        from actelemetry.sources.replay import play

        play(Path(str(job["path"])), location, float(str(job["speed"])), stop)
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
