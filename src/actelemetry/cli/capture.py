"""`actelemetry capture` and `actelemetry channels`."""

import threading
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

import typer

from actelemetry.analysis.tables import Format as TableFormat
from actelemetry.capture.rate import RATE_HELP
from actelemetry.cli.app import app, console
from actelemetry.errors import UsageError
from actelemetry.game.names import Game
from actelemetry.signals import stop_on_sigterm
from actelemetry.sources.base import SourceKind

if TYPE_CHECKING:  # the capture machinery (NumPy, PyArrow) loads when a command runs
    from actelemetry.capture.options import CaptureOptions, CaptureResult
    from actelemetry.capture.sinks import Sample, Session, Sink

__all__ = ["SkillOpt", "capture", "channels", "parse_skill", "run_with_spinner",
           "udp_options"]

#: the simulated driver's skill, wherever the simulator is a source
SkillOpt = typer.Option("pro", "--skill", help="The simulated driver's skill: novice, "
                        "club, good, pro, alien, or 0..1")


def parse_skill(text: str) -> float:
    """``--skill`` as a number 0..1 (a name or a number; anything else: a one-line error)."""
    from actelemetry.sim.driver import skill_value

    try:
        return skill_value(text)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


class Format(str, Enum):
    parquet = "parquet"
    csv = "csv"
    jsonl = "jsonl"


class _Spinner:
    """A spinner while the capture waits for the game (a plain line when piped); a sink
    that stops it when a session opens."""

    def __init__(self) -> None:
        self.status = console.status("Waiting for Assetto Corsa...", spinner="dots")
        self.shown = False

    def on_wait(self, msg: str) -> None:
        if not console.is_terminal:  # piped: a plain line, since a spinner shows nothing
            console.print(f"{msg} (Ctrl+C stops)")
        elif not self.shown:
            self.status.start()
            self.shown = True

    def open(self, session: "Session") -> None:
        self.hide()

    def write(self, sample: "Sample") -> None: ...

    def close(self, session: "Session") -> None: ...

    def hide(self) -> None:
        if self.shown:
            self.status.stop()
            self.shown = False


def run_with_spinner(opts: "CaptureOptions", sinks: "list[Sink]",
                     stop: threading.Event) -> "CaptureResult":
    """Run a capture, showing a spinner while it waits for the game."""
    from actelemetry.capture.loop import run_capture

    spinner = _Spinner()
    try:
        return run_capture(opts, [spinner, *sinks], stop, spinner.on_wait)
    except KeyboardInterrupt:
        stop.set()
        raise
    finally:
        spinner.hide()


HostOpt = typer.Option(None, "--host", "--game-host",
                       help="udp: the game's PC (name or address)")
PortOpt = typer.Option(9996, "--port", "--game-port", help="udp: the game's UDP port")
TimeoutOpt = typer.Option(10.0, "--timeout",
                          help="udp: seconds to wait for the game's first answer")
SpotOpt = typer.Option(False, "--spot", help="udp: also subscribe to spot events (every "
                       "car's lap times, kept in the session's metadata as spot_laps)")


class UdpOptions(TypedDict, total=False):
    """The fields of CaptureOptions that only ``--source udp`` sets."""

    host: str | None
    port: int
    udp_timeout: float
    udp_spot: bool


def udp_options(source: SourceKind | str, host: str | None, port: int,
                timeout: float, spot: bool = False) -> UdpOptions:
    """The capture options of ``--source udp`` (the address goes with it only)."""
    udp = SourceKind(source) is SourceKind.udp
    if host is not None and not udp:
        raise UsageError("the game's address (--host, --game-host) is for --source udp")
    return UdpOptions(host=host, port=port, udp_timeout=timeout, udp_spot=spot) if udp \
        else UdpOptions()


@app.command()
def capture(
    session: Path | None = typer.Argument(
        None, help="--source replay: the raw session file (capture --raw) to play back"),
    source: SourceKind = typer.Option(
        SourceKind.shm, help="shm: the game; sim: the built-in simulator; replay: a raw "
        "session; udp: the game on another PC (--host), over its UDP telemetry"),
    game: Game | None = typer.Option(None, help="Force the layout instead of detecting it"),
    rate: float = typer.Option(100.0, help=RATE_HELP),
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
    smoothing: int | None = typer.Option(
        None, min=1, help="Samples in the trailing input smoothing window [default: the "
        "library's, which reading a session file uses too]"),
    track: str = typer.Option("monza", help="sim: track name or centre-line CSV"),
    car: str = typer.Option("actelemetry_gt3", help="sim: actelemetry_gt3 or "
                            "actelemetry_gt4"),
    sim_laps: int | None = typer.Option(None, "--sim-laps", hidden=True),  # old spelling
    seed: int = typer.Option(0, help="sim: random seed"),
    skill: str = SkillOpt,
    speed: float = typer.Option(1.0, help="sim/replay: simulated seconds per second"),
    fast: bool = typer.Option(False, help="sim/replay: as fast as possible (lockstep)"),
    host: str | None = HostOpt,
    port: int = PortOpt,
    timeout: float = TimeoutOpt,
    spot: bool = SpotOpt,
) -> None:
    """Record telemetry at the game's physics rate into crash-safe session files."""
    from actelemetry.app.capture_session import record
    from actelemetry.capture.options import CaptureOptions, one_laps
    from actelemetry.channels.derive import DEFAULT_SMOOTHING

    if (session is not None) != (source is SourceKind.replay):
        raise UsageError("a session file goes with --source replay (and only with it)")
    if source is SourceKind.sim:  # one --laps: what the driver drives is what is recorded
        laps, sim_laps = one_laps(laps, sim_laps, default=3)
    opts = CaptureOptions(
        source=source.value, shm_dir=shm_dir, game=game.value if game else None, rate=rate,
        busy_poll=busy_poll, duration=duration, laps=laps, wait=wait,
        smoothing=DEFAULT_SMOOTHING if smoothing is None else smoothing,
        track=track, car=car, sim_laps=3 if sim_laps is None else sim_laps, seed=seed,
        skill=parse_skill(skill), speed=speed,
        fast=fast, replay_path=session, freeze_gc=True, raise_priority=True,
        **udp_options(source, host, port, timeout, spot))
    stop = stop_on_sigterm(ctrl_c=True)
    spinner = _Spinner()
    try:
        done = record(opts, out, fmt.value, raw, stop, view=console.print,
                      on_wait=spinner.on_wait, sinks=[spinner],
                      on_recovered=lambda path: console.print(
                          f"[yellow]Recovered an unfinished session:[/] {path}"))
    finally:
        spinner.hide()
    if done.result is None:
        console.print("Stopped.")
    print_summaries(done.paths)
    if done.error is not None:
        raise done.error
    if done.nothing_recorded:
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
