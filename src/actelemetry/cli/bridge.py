"""`actelemetry read` (console view + JSONL) and `actelemetry stream` (WebSocket + page)."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from actelemetry.cli.app import app, console
from actelemetry.cli.capture import Game, run_with_spinner, stop_on_sigterm, udp_options
from actelemetry.errors import UsageError

if TYPE_CHECKING:
    from actelemetry.capture.options import CaptureOptions


class LiveSource(str, Enum):
    shm = "shm"
    sim = "sim"
    replay = "replay"
    udp = "udp"


def capture_options(source: LiveSource, session: Path | None, *, shm_dir: Path | None,
                    game: Game | None, rate: float, duration: float | None, wait: bool,
                    track: str, sim_laps: int, seed: int, speed: float,
                    game_host: str | None = None, game_port: int = 9996,
                    timeout: float = 10.0) -> CaptureOptions:
    """CaptureOptions for a live command; ``replay`` takes the session file to play."""
    from actelemetry.capture.options import CaptureOptions

    if source is LiveSource.replay and session is None:
        raise UsageError("--source replay needs the session file to replay (SESSION)")
    if source is not LiveSource.replay and session is not None:
        raise UsageError("SESSION is only for --source replay")
    return CaptureOptions(source=source.value, replay_path=session, shm_dir=shm_dir,
                          game=game.value if game else None, rate=rate, duration=duration,
                          wait=wait, track=track, sim_laps=sim_laps, seed=seed, speed=speed,
                          **udp_options(source.value, game_host, game_port, timeout))


SourceOpt = typer.Option(LiveSource.shm, help="shm: the game; sim: the built-in simulator; "
                         "replay: a recorded session (give SESSION); udp: the game on "
                         "another PC (--game-host)")
GameHostOpt = typer.Option(None, "--game-host", help="udp: the game's PC (name or address)")
GamePortOpt = typer.Option(9996, "--game-port", help="udp: the game's UDP port")
TimeoutOpt = typer.Option(10.0, "--timeout",
                          help="udp: seconds to wait for the game's first answer")
SessionArg = typer.Argument(None, help="Session file for --source replay")
GameOpt = typer.Option(None, help="Force the layout instead of detecting it")
ShmOpt = typer.Option(None, help="Read pages from this folder")
DurationOpt = typer.Option(None, help="Stop after this many seconds")
WaitOpt = typer.Option(True, help="Wait for the game (--no-wait exits 2 at once)")
TrackOpt = typer.Option("monza", help="sim: track name or centre-line CSV")
SimLapsOpt = typer.Option(3, "--laps", "--sim-laps", help="sim: timed laps the simulated "
                          "driver drives (after its out lap)")
SeedOpt = typer.Option(0, help="sim: random seed")
SpeedOpt = typer.Option(1.0, help="sim: simulated seconds per second")


@app.command()
def read(
    session: Path | None = SessionArg,
    rate: float = typer.Option(10.0, help="Samples per second, 1 up to the physics rate (333)"),
    json_output: Path | None = typer.Option(None, "--json-output", "-j",
                                            help="Also write one JSON object per sample here"),
    append: bool = typer.Option(False, help="Append to --json-output instead of replacing"),
    source: LiveSource = SourceOpt,
    game: Game | None = GameOpt,
    shm_dir: Path | None = ShmOpt,
    duration: float | None = DurationOpt,
    wait: bool = WaitOpt,
    track: str = TrackOpt,
    sim_laps: int = SimLapsOpt,
    seed: int = SeedOpt,
    speed: float = SpeedOpt,
    game_host: str | None = typer.Option(None, "--host", "--game-host",
                                         help="udp: the game's PC (name or address)"),
    game_port: int = typer.Option(9996, "--port", "--game-port",
                                  help="udp: the game's UDP port"),
    timeout: float = TimeoutOpt,
) -> None:
    """Show live telemetry in the console, optionally exporting it as JSONL."""
    from actelemetry.bridge.console import ConsoleView
    from actelemetry.bridge.jsonl import JsonlSink
    from actelemetry.bridge.protocol import check_frame_rate

    check_frame_rate(rate)
    opts = capture_options(source, session, shm_dir=shm_dir, game=game,
                           rate=rate, duration=duration, wait=wait, track=track,
                           sim_laps=sim_laps, seed=seed, speed=speed, game_host=game_host,
                           game_port=game_port, timeout=timeout)
    sinks: list = [ConsoleView(console)]
    jsonl = JsonlSink(json_output, append) if json_output else None
    if jsonl is not None:
        sinks.append(jsonl)
    stop = stop_on_sigterm()
    try:
        run_with_spinner(opts, sinks, stop)
    except KeyboardInterrupt:
        console.print("Stopped.")
    finally:
        if jsonl is not None:
            jsonl.finish()
            console.print(f"Wrote {jsonl.lines} samples to {jsonl.path}")


@app.command()
def stream(
    session: Path | None = SessionArg,
    rate: float = typer.Option(10.0, help="Frames per second, 1 up to the physics rate (333)"),
    host: str = typer.Option("127.0.0.1", help="Address to bind; other than loopback needs "
                                               "--token"),
    port: int = typer.Option(8765, help="TCP port (0: any free port)"),
    token: str | None = typer.Option(None, envvar="ACTELEMETRY_TOKEN",
                                     help="Clients must present this (?token= or "
                                          "Authorization: Bearer); at least 16 characters, "
                                          "or 'generate' for a random one"),
    max_clients: int = typer.Option(200, help="Connections past this are refused politely"),
    queue: int = typer.Option(32, help="Frames a slow client may fall behind before the "
                                       "oldest are dropped"),
    source: LiveSource = SourceOpt,
    game: Game | None = GameOpt,
    shm_dir: Path | None = ShmOpt,
    duration: float | None = DurationOpt,
    wait: bool = WaitOpt,
    track: str = TrackOpt,
    sim_laps: int = SimLapsOpt,
    seed: int = SeedOpt,
    speed: float = SpeedOpt,
    game_host: str | None = GameHostOpt,
    game_port: int = GamePortOpt,
    timeout: float = TimeoutOpt,
) -> None:
    """Broadcast live telemetry over WebSocket and serve the live web page."""
    from actelemetry.bridge.protocol import check_frame_rate
    from actelemetry.bridge.server import BridgeConfig, BridgeServer
    from actelemetry.bridge.sink import BridgeSink, stream_capture_rate

    check_frame_rate(rate)
    if token == "generate":
        from actelemetry.bridge.broadcaster import generate_token

        token = generate_token()
        console.print(f"token: {token}", highlight=False)
    config = BridgeConfig(host=host, port=port, token=token, rate=rate,
                          max_clients=max_clients, queue_size=queue)
    capture_rate = stream_capture_rate(rate)
    opts = capture_options(source, session, shm_dir=shm_dir, game=game,
                           rate=capture_rate, duration=duration, wait=wait, track=track,
                           sim_laps=sim_laps, seed=seed, speed=speed, game_host=game_host,
                           game_port=game_port, timeout=timeout)
    stop = stop_on_sigterm()
    with BridgeServer(config) as server:
        ws_url = server.url.replace("http", "ws", 1)
        console.print(f"Streaming at {rate:g} Hz on {ws_url}  (live page: {server.url})",
                      highlight=False)
        try:
            run_with_spinner(opts, [BridgeSink(server, capture_rate)], stop)
        except KeyboardInterrupt:
            console.print("Stopped.")
