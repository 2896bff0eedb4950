"""`actelemetry capture` and `actelemetry channels`."""

from __future__ import annotations

import threading
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from actelemetry.analysis.tables import Format as TableFormat
from actelemetry.cli.app import app, console
from actelemetry.errors import GameNotRunning, StorageError, UsageError
from actelemetry.game.names import Game
from actelemetry.signals import stop_on_sigterm
from actelemetry.sources.base import SourceKind

if TYPE_CHECKING:  # the capture machinery (NumPy, PyArrow) loads when a command runs
    from actelemetry.capture.options import CaptureOptions, CaptureResult

__all__ = ["Game", "capture", "channels", "run_with_spinner", "stop_on_sigterm"]


class Format(str, Enum):
    parquet = "parquet"
    csv = "csv"
    jsonl = "jsonl"


def run_with_spinner(opts: CaptureOptions, sinks: list, stop: threading.Event) -> CaptureResult:
    """Run a capture, showing a spinner while it waits for the game."""
    from actelemetry.capture.loop import run_capture

    status = console.status("Waiting for Assetto Corsa...", spinner="dots")
    shown = False

    def on_wait(msg: str) -> None:
        nonlocal shown
        if not console.is_terminal:  # piped: a plain line, since a spinner shows nothing
            console.print(f"{msg} (Ctrl+C stops)")
        elif not shown:
            status.start()
            shown = True

    class _StopSpinner:
        def open(self, session: object) -> None:
            nonlocal shown
            if shown:
                status.stop()
                shown = False

        def write(self, sample: object) -> None: ...

        def close(self, session: object) -> None: ...

    try:
        return run_capture(opts, [_StopSpinner(), *sinks], stop, on_wait)
    except KeyboardInterrupt:
        stop.set()
        raise
    finally:
        if shown:
            status.stop()


@app.command()
def capture(
    session: Path | None = typer.Argument(
        None, help="--source replay: the raw session file (capture --raw) to play back"),
    source: SourceKind = typer.Option(
        SourceKind.shm, help="shm: the game; sim: the built-in simulator; replay: a raw session"),
    game: Game | None = typer.Option(None, help="Force the layout instead of detecting it"),
    rate: float = typer.Option(100.0, help="Samples per second, up to the physics rate (333)"),
    busy_poll: bool = typer.Option(
        False, help="At the physics rate, never sleep: no step lost to a late wake-up, "
        "at the cost of a whole core"),
    out: Path = typer.Option(Path("telemetry_logs"), "--out", "-o", help="Session folder"),
    fmt: Format = typer.Option(Format.parquet, "--format", help="Session file format"),
    raw: bool = typer.Option(False, help="Also keep the raw page bytes (for replay)"),
    duration: float | None = typer.Option(None, help="Stop after this many seconds"),
    laps: int | None = typer.Option(None, help="Stop after this many timed laps (out, in "
                                    "and partial laps do not count); sim: the simulated "
                                    "driver drives that many (default 3)"),
    wait: bool = typer.Option(True, help="Wait for the game (--no-wait exits 2 at once)"),
    shm_dir: Path | None = typer.Option(None, help="Read pages from this folder"),
    smoothing: int = typer.Option(5, help="Samples in the input smoothing window"),
    track: str = typer.Option("monza", help="sim: track name or centre-line CSV"),
    sim_laps: int | None = typer.Option(None, "--sim-laps", hidden=True),  # old spelling
    seed: int = typer.Option(0, help="sim: random seed"),
    speed: float = typer.Option(1.0, help="sim/replay: simulated seconds per second"),
    fast: bool = typer.Option(False, help="sim/replay: as fast as possible (lockstep)"),
) -> None:
    """Record telemetry at the game's physics rate into crash-safe session files."""
    from actelemetry.capture.options import CaptureOptions
    from actelemetry.capture.sinks import LiveView, SessionFileSink
    from actelemetry.store.session import recover_folder

    if (session is not None) != (source is SourceKind.replay):
        raise UsageError("a session file goes with --source replay (and only with it)")
    if source is SourceKind.sim:  # one --laps: what the driver drives is what is recorded
        laps = laps if laps is not None else sim_laps
        sim_laps = laps if laps is not None else 3
    opts = CaptureOptions(
        source=source.value, shm_dir=shm_dir, game=game.value if game else None, rate=rate,
        busy_poll=busy_poll, duration=duration, laps=laps, wait=wait, smoothing=smoothing,
        track=track, sim_laps=sim_laps, seed=seed, speed=speed, fast=fast, replay_path=session,
        freeze_gc=True)
    stop = stop_on_sigterm()
    for path in recover_folder(out, fmt.value):
        console.print(f"[yellow]Recovered an unfinished session:[/] {path}")
    file_sink = SessionFileSink(out, fmt.value, raw)
    try:
        result = run_with_spinner(opts, [file_sink, LiveView(console.print)], stop)
    except KeyboardInterrupt:
        console.print("Stopped.")
        result = None
    except StorageError as exc:
        print_summaries(file_sink.paths)
        raise StorageError(file_sink.failure or str(exc)) from None
    print_summaries(file_sink.paths)
    if result is not None and result.stats.ended == "game quit":
        saved = f": {file_sink.paths[-1]}" if file_sink.paths else ""
        raise GameNotRunning(f"Assetto Corsa quit; the session was saved{saved}")
    if not file_sink.paths and result is not None and result.stats.samples == 0:
        console.print("No live driving was recorded.")


def print_summaries(paths: list[Path]) -> None:
    from actelemetry.capture.summary import summarize_session

    for path in paths:
        console.print()
        for line in summarize_session(path).lines():
            console.print(line, highlight=False)


@app.command()
def channels(game: Game | None = typer.Option(None, help="Only this game's channels"),
             fmt: TableFormat = typer.Option(TableFormat.table, "--format",
                                             help="table (plain text when piped), csv, json "
                                             "or markdown"),
             long: bool = typer.Option(False, "--long", help="Also each channel's origin "
                                       "in the pages")) -> None:
    """Print the channel catalogue: names, units, types, games and meanings."""
    from actelemetry.analysis.tables import TextTable, render
    from actelemetry.channels.catalogue import CATALOGUE

    headings = ["name", "unit", "type", "games", "description"] + (["origin"] if long else [])
    table = TextTable(f"{len(CATALOGUE)} channels (docs/channels.md has them all)", headings,
                      wrap=(4,))
    for ch in CATALOGUE:
        if game is None or game.value in ch.games:
            table.add(ch.name, ch.unit, ch.dtype, ",".join(ch.games), ch.description,
                      *([ch.origin] if long else []))
    render(table, console, fmt)
