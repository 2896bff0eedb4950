"""`actelemetry read` (console view + JSONL) and `actelemetry stream` (WebSocket + page)."""

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from actelemetry.capture.rate import MAX_RATE_HZ, MIN_RATE_HZ
from actelemetry.cli.app import app, console
from actelemetry.cli.capture import SkillOpt, parse_skill, run_with_spinner, udp_options
from actelemetry.errors import UsageError
from actelemetry.game.names import Game
from actelemetry.signals import stop_on_sigterm
from actelemetry.sources.base import SourceKind

if TYPE_CHECKING:
    from actelemetry.capture.options import CaptureOptions
    from actelemetry.capture.sinks import Sink


def capture_options(source: SourceKind, session: Path | None, *, shm_dir: Path | None,
                    game: Game | None, rate: float, duration: float | None, wait: bool,
                    track: str, laps: int | None, sim_laps: int | None, seed: int,
                    speed: float, skill: str = "pro", game_host: str | None = None,
                    game_port: int = 9996, timeout: float = 10.0) -> "CaptureOptions":
    """CaptureOptions for a live command; ``replay`` takes the session file to play. One
    ``--laps`` as for ``capture``: with the simulator, the laps it drives are the laps
    recorded (3 when neither ``--laps`` nor its old spelling ``--sim-laps`` is given)."""
    from actelemetry.capture.options import CaptureOptions, one_laps

    if source is SourceKind.replay and session is None:
        raise UsageError("--source replay needs the session file to replay (SESSION)")
    if source is not SourceKind.replay and session is not None:
        raise UsageError("SESSION is only for --source replay")
    driven = 3
    if source is SourceKind.sim:
        laps, driven = one_laps(laps, sim_laps, default=3)
    return CaptureOptions(source=source.value, replay_path=session, shm_dir=shm_dir,
                          game=game.value if game else None, rate=rate, duration=duration,
                          laps=laps, wait=wait, track=track, sim_laps=driven, seed=seed,
                          skill=parse_skill(skill), speed=speed,
                          **udp_options(source, game_host, game_port, timeout))


SourceOpt = typer.Option(SourceKind.shm, help="shm: the game; sim: the built-in simulator; "
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
LapsOpt = typer.Option(None, help="Stop after this many timed laps (out, in and partial "
                       "laps do not count); sim: the simulated driver drives that many "
                       "(default 3)")
SimLapsOpt = typer.Option(None, "--sim-laps", hidden=True)  # old spelling of --laps
RATE_RANGE = f"{MIN_RATE_HZ:g} up to the physics rate ({MAX_RATE_HZ:g})"
SeedOpt = typer.Option(0, help="sim: random seed")
SpeedOpt = typer.Option(1.0, help="sim: simulated seconds per second")


@app.command()
def read(
    session: Path | None = SessionArg,
    rate: float = typer.Option(10.0, help=f"Samples per second, {RATE_RANGE}"),
    json_output: Path | None = typer.Option(None, "--json-output", "-j",
                                            help="Also write one JSON object per sample here"),
    append: bool = typer.Option(False, help="Append to --json-output instead of replacing"),
    source: SourceKind = SourceOpt,
    game: Game | None = GameOpt,
    shm_dir: Path | None = ShmOpt,
    duration: float | None = DurationOpt,
    wait: bool = WaitOpt,
    track: str = TrackOpt,
    laps: int | None = LapsOpt,
    sim_laps: int | None = SimLapsOpt,
    seed: int = SeedOpt,
    skill: str = SkillOpt,
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

    opts = capture_options(source, session, shm_dir=shm_dir, game=game,
                           rate=rate, duration=duration, wait=wait, track=track,
                           laps=laps, sim_laps=sim_laps, seed=seed, speed=speed, skill=skill,
                           game_host=game_host, game_port=game_port, timeout=timeout)
    sinks: list[Sink] = [ConsoleView(console)]
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
    rate: float = typer.Option(10.0, help=f"Frames per second, {RATE_RANGE}"),
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
    source: SourceKind = SourceOpt,
    game: Game | None = GameOpt,
    shm_dir: Path | None = ShmOpt,
    duration: float | None = DurationOpt,
    wait: bool = WaitOpt,
    track: str = TrackOpt,
    laps: int | None = LapsOpt,
    sim_laps: int | None = SimLapsOpt,
    seed: int = SeedOpt,
    skill: str = SkillOpt,
    speed: float = SpeedOpt,
    game_host: str | None = GameHostOpt,
    game_port: int = GamePortOpt,
    timeout: float = TimeoutOpt,
    mqtt: str | None = typer.Option(None, "--mqtt", help="Publish to this MQTT broker "
                                    "instead of serving WebSocket: mqtt://[USER:PASS@]HOST"
                                    "[:1883] or mqtts://HOST[:8883]"),
    topic_prefix: str = typer.Option("actelemetry/", "--topic-prefix",
                                     help="--mqtt: the topics' first levels"),
    encoding: str = typer.Option("json", "--encoding", help="--mqtt: json or msgpack"),
) -> None:
    """Broadcast live telemetry over WebSocket (and serve the live web page), or publish it
    to an MQTT broker (--mqtt)."""
    from actelemetry.bridge.server import BridgeConfig, BridgeServer
    from actelemetry.bridge.sink import BridgeSink, stream_capture_rate
    from actelemetry.capture.rate import check_rate

    check_rate(rate)  # before a generated token is shown
    capture_rate = stream_capture_rate(rate)
    opts = capture_options(source, session, shm_dir=shm_dir, game=game,
                           rate=capture_rate, duration=duration, wait=wait, track=track,
                           laps=laps, sim_laps=sim_laps, seed=seed, speed=speed, skill=skill,
                           game_host=game_host, game_port=game_port, timeout=timeout)
    if mqtt is not None:
        _stream_mqtt(mqtt, topic_prefix, encoding, rate, opts)
        return
    if token == "generate":
        from actelemetry.bridge.broadcaster import generate_token

        token = generate_token()
        console.print(f"token: {token}", highlight=False)
    config = BridgeConfig(host=host, port=port, token=token, rate=rate,
                          max_clients=max_clients, queue_size=queue)
    stop = stop_on_sigterm()
    with BridgeServer(config) as server:
        ws_url = server.url.replace("http", "ws", 1)
        console.print(f"Streaming at {rate:g} Hz on {ws_url}  (live page: {server.url})",
                      highlight=False)
        try:
            run_with_spinner(opts, [BridgeSink(server, capture_rate)], stop)
        except KeyboardInterrupt:
            console.print("Stopped.")


def _stream_mqtt(url: str, prefix: str, encoding: str, rate: float,
                 opts: "CaptureOptions") -> None:
    """``stream --mqtt``: the capture's frames and events published to a broker."""
    from actelemetry.bridge.broadcaster import is_loopback
    from actelemetry.bridge.mqtt import MqttPublisher, check_prefix, parse_broker
    from actelemetry.bridge.sink import BridgeSink
    from actelemetry.cli.app import err_console

    broker = parse_broker(url)
    prefix = check_prefix(prefix)
    stop = stop_on_sigterm()

    def warn(line: str) -> None:
        err_console.print(f"warning: {line}", highlight=False, markup=False, soft_wrap=True)

    if not broker.tls and not is_loopback(broker.host):
        warn(f"{broker.url} is clear text{' (the password too)' if broker.password else ''}"
             "; mqtts:// uses TLS")
    with MqttPublisher(broker, rate, prefix, encoding, warn) as publisher:
        console.print(f"Publishing at {rate:g} Hz to {broker.url} under {prefix}"
                      f"SESSION/frames/GROUP ({encoding})", highlight=False, soft_wrap=True)
        try:
            run_with_spinner(opts, [BridgeSink(publisher, opts.rate)], stop)
        except KeyboardInterrupt:
            console.print("Stopped.")
    stats = publisher.stats
    console.print(f"published {stats.frames} frames ({stats.messages} messages), "
                  f"{stats.dropped} dropped", highlight=False)
