"""`actelemetry sim`: publish the game's pages from the built-in simulator."""

import threading
import time
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from actelemetry.cli.app import app, console
from actelemetry.cli.capture import SkillOpt, parse_skill
from actelemetry.errors import UsageError
from actelemetry.game.constants import PHYSICS_HZ
from actelemetry.game.names import Game

if TYPE_CHECKING:
    from actelemetry.game.mapping import PageLocation
    from actelemetry.sim.simulator import Simulator
    from actelemetry.sim.udp import UdpServer
    from actelemetry.sources.sim import SimSpec


@app.command("sim")
def sim_command(
    game: Game = typer.Option(Game.ac, "--game", help="Which game's pages to publish"),
    track: str = typer.Option("monza", "--track",
                              help="monza, spa, silverstone, spielberg, catalunya, "
                              "hockenheim, suzuka, or a centre-line CSV path"),
    car: str = typer.Option("actelemetry_gt3", "--car", help="actelemetry_gt3 (GT3-like) "
                            "or actelemetry_gt4 (heavier, less power and downforce)"),
    laps: int = typer.Option(3, "--laps", min=1, help="Timed laps after the out lap"),
    shm_dir: Path | None = typer.Option(
        None, "--shm-dir", help="Folder for acpmf_* (/dev/shm = the Linux bridge names); "
        "by default on Windows the game's named mappings Local\\acpmf_*, elsewhere "
        "required; with --udp private pages unless given"),
    speed: float = typer.Option(1.0, "--speed", help="Times real time (ignored with --fast)"),
    fast: bool = typer.Option(False, "--fast", help="As fast as the machine allows"),
    seed: int = typer.Option(0, "--seed", help="Seed: same seed, same pages"),
    skill: str = SkillOpt,
    quiet: bool = typer.Option(False, "--quiet", help="No progress line"),
    udp: bool = typer.Option(False, "--udp", help="Also serve AC's remote-telemetry UDP "
                             "protocol (handshake, RTCarInfo, RTLap), as the game does"),
    udp_port: int = typer.Option(9996, "--udp-port", min=0, max=65535,
                                 help="UDP port (0: any free port, printed)"),
    udp_host: str = typer.Option("127.0.0.1", "--udp-host",
                                 help="Address to serve UDP on (0.0.0.0: every interface)"),
    udp_rate: float = typer.Option(float(PHYSICS_HZ), "--udp-rate",
                                   help="RTCarInfo per second, at most the physics rate; "
                                   "the real game was seen sending about 20"),
    pad: Path | None = typer.Option(
        None, "--pad", help="Let an agent drive: the car follows the virtual pad file "
        "created here (actelemetry.sim.pad; a Gymnasium env with controls='pad:FILE')"),
) -> None:
    """Drive a GT3-like car round a real circuit and publish AC / ACC shared-memory pages."""
    from actelemetry.game.mapping import NAMED_MAPPINGS, PageLocation
    from actelemetry.signals import stop_on_sigterm
    from actelemetry.sources.sim import SimSpec

    if fast and speed != 1.0:
        raise UsageError("--speed and --fast exclude each other")
    if shm_dir is None and not udp and not NAMED_MAPPINGS:
        raise UsageError("give --shm-dir (where the pages go), or --udp")
    if udp and game is not Game.ac:
        raise UsageError("the remote-telemetry UDP protocol is AC's: use --game ac with --udp")
    spec = SimSpec(game=game.value, track=track, laps=laps, seed=seed, skill=parse_skill(skill),
                   speed=speed, fast=fast, car=car)
    stop = stop_on_sigterm()
    with ExitStack() as stack:
        server = None
        if udp:
            from actelemetry.sim.udp import UdpServer

            server = stack.enter_context(UdpServer(udp_host, udp_port, udp_rate))
        location = PageLocation.of(shm_dir)
        if shm_dir is None and udp:  # private: never in the way of the game's pages
            from actelemetry.game.mapping import private_pages

            location = stack.enter_context(private_pages())
        _run(spec, location, stop, quiet, server, pad)


def _run(spec: "SimSpec", location: "PageLocation", stop: threading.Event, quiet: bool,
         server: "UdpServer | None", pad: Path | None = None) -> None:
    """Drive the simulator until it finishes, Ctrl+C or SIGTERM; ``server`` sends UDP."""
    from actelemetry.sources.sim import drive, publishing_simulator
    from actelemetry.timefmt import lap_time_s

    fast, speed, laps = spec.fast, spec.speed, spec.laps
    t_start = time.perf_counter()
    with publishing_simulator(spec, location) as sim:
        if pad is not None:
            from actelemetry.sim.pad import attach_pad

            attach_pad(sim, pad)
        label = f"{spec.game.upper()} {sim.track.name} ({sim.track.length:.0f} m), {laps} laps"
        if server is not None:
            server.attach(sim)
            host, port = server.address
            # always printed, even --quiet: a client needs the port (--udp-port 0)
            console.print(f"UDP: AC remote telemetry on {host}:{port}", highlight=False)
        if not quiet:
            console.print(f"[bold]sim[/] publishing {label} to {location}"
                          f" ({'fast' if fast else f'{speed:g}x real time'})")
            if fast:
                console.print("note: --fast runs far faster than real time, so a capture "
                              "reading these pages keeps almost nothing; to record a fast "
                              "simulation use 'actelemetry capture --source sim --fast'")
        worker = threading.Thread(target=drive, args=(sim, spec, stop), name="actelemetry-sim",
                                  daemon=True)
        worker.start()
        try:
            if quiet:
                while worker.is_alive():
                    worker.join(0.2)
            else:
                with console.status("starting...") as status:
                    while worker.is_alive():
                        worker.join(0.2)
                        status.update(_status_line(sim, time.perf_counter() - t_start))
        except KeyboardInterrupt:
            pass
        finally:
            stop.set()
            worker.join(timeout=5.0)  # the last step finishes before the pages say OFF
    if not quiet:
        laps_txt = ", ".join(lap_time_s(t) for t in sim.lap_times[1:])
        wall = time.perf_counter() - t_start
        console.print(f"done: {sim.completed_laps} line crossings in {sim.time:.1f} s simulated"
                      f" ({wall:.1f} s wall); laps {laps_txt or '-'}")


def _status_line(sim: "Simulator", wall: float) -> str:
    from actelemetry.timefmt import lap_time_ms

    best = lap_time_ms(sim.best_lap_ms)
    last = lap_time_ms(sim.last_lap_ms)
    factor = sim.time / wall if wall > 0 else 0.0
    return (f"lap {sim.completed_laps}/{sim.laps + 1}  t={sim.time:7.1f}s ({factor:4.1f}x)  "
            f"{sim.car.s.u * 3.6:5.0f} km/h  gear {sim.car.s.gear}  last {last}  best {best}  "
            f"packet {sim.packet_id}")
