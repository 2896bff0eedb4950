"""`actelemetry sim`: publish the game's pages from the built-in simulator."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from actelemetry.cli.app import app, console
from actelemetry.errors import UsageError
from actelemetry.game.names import Game

if TYPE_CHECKING:
    from actelemetry.sim.simulator import Simulator


@app.command("sim")
def sim_command(
    game: Game = typer.Option(Game.ac, "--game", help="Which game's pages to publish"),
    track: str = typer.Option("monza", "--track",
                              help="monza, spa, silverstone, or a centre-line CSV path"),
    laps: int = typer.Option(3, "--laps", min=1, help="Timed laps after the out lap"),
    shm_dir: Path = typer.Option(..., "--shm-dir",
                                 help="Folder for acpmf_* (/dev/shm = the Linux bridge names)"),
    speed: float = typer.Option(1.0, "--speed", help="Times real time (ignored with --fast)"),
    fast: bool = typer.Option(False, "--fast", help="As fast as the machine allows"),
    seed: int = typer.Option(0, "--seed", help="Seed: same seed, same pages"),
    skill: float = typer.Option(0.9, "--skill", min=0.0, max=1.0, help="Driver skill 0..1"),
    quiet: bool = typer.Option(False, "--quiet", help="No progress line"),
) -> None:
    """Drive a GT3-like car round a real circuit and publish AC / ACC shared-memory pages."""
    from actelemetry.signals import stop_on_sigterm
    from actelemetry.sources.sim import SimSpec, drive, publishing_simulator
    from actelemetry.timefmt import lap_time_s

    if fast and speed != 1.0:
        raise UsageError("--speed and --fast exclude each other")
    spec = SimSpec(game=game.value, track=track, laps=laps, seed=seed, skill=skill,
                   speed=speed, fast=fast)
    stop = stop_on_sigterm()
    t_start = time.perf_counter()
    with publishing_simulator(spec, shm_dir) as sim:
        label = f"{game.value.upper()} {sim.track.name} ({sim.track.length:.0f} m), {laps} laps"
        if not quiet:
            console.print(f"[bold]sim[/] publishing {label} to {shm_dir}"
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


def _status_line(sim: Simulator, wall: float) -> str:
    from actelemetry.timefmt import lap_time_ms

    best = lap_time_ms(sim.best_lap_ms)
    last = lap_time_ms(sim.last_lap_ms)
    factor = sim.time / wall if wall > 0 else 0.0
    return (f"lap {sim.completed_laps}/{sim.laps + 1}  t={sim.time:7.1f}s ({factor:4.1f}x)  "
            f"{sim.car.s.u * 3.6:5.0f} km/h  gear {sim.car.s.gear}  last {last}  best {best}  "
            f"packet {sim.packet_id}")
