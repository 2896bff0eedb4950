"""`actelemetry replay`: a raw recording published again as the game's live pages."""

import time
from pathlib import Path

import typer

from actelemetry.cli.app import app, console
from actelemetry.errors import UsageError


@app.command("replay")
def replay_command(
    session: Path = typer.Argument(..., help="A session recorded with `capture --raw`"),
    shm_dir: Path | None = typer.Option(
        None, "--shm-dir", help="Folder for acpmf_* (/dev/shm = the Linux bridge names); "
        "on Windows by default the game's named mappings Local\\acpmf_*, elsewhere required"),
    speed: float = typer.Option(1.0, "--speed", help="Times the original speed"),
    quiet: bool = typer.Option(False, "--quiet", help="No progress line"),
) -> None:
    """Publish a raw session's pages byte for byte, with the original timing."""
    from actelemetry.game.mapping import NAMED_MAPPINGS
    from actelemetry.signals import stop_on_sigterm
    from actelemetry.sources.replay import play

    if speed <= 0:
        raise UsageError(f"--speed must be positive, not {speed}")
    if shm_dir is None and not NAMED_MAPPINGS:
        raise UsageError("give --shm-dir (where the pages go)")
    stop = stop_on_sigterm()
    t0 = time.perf_counter()
    shown = {"next": 0.0}

    def progress(done: int, total: int) -> None:
        now = time.perf_counter()
        if not quiet and now >= shown["next"]:
            shown["next"] = now + 1.0
            console.print(f"replay {done}/{total} frames", end="\r")

    try:
        frames = play(session, shm_dir, speed, stop, progress)
    except KeyboardInterrupt:
        return
    except OSError as exc:
        from actelemetry.game.mapping import PageLocation

        raise UsageError(f"cannot publish pages at {PageLocation.of(shm_dir)}: "
                         f"{exc.strerror or exc}") from None
    if not quiet:
        console.print(f"replayed {frames} frames of {session} in "
                      f"{time.perf_counter() - t0:.1f} s")
