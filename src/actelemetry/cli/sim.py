"""`actelemetry sim`: publish the game's pages from the built-in simulator."""

from __future__ import annotations

import signal
import threading
import time
from enum import Enum
from pathlib import Path

import typer

from actelemetry.cli.app import app, console
from actelemetry.errors import UsageError


class SimGame(str, Enum):
    ac = "ac"
    acc = "acc"


@app.command("sim")
def sim_command(
    game: SimGame = typer.Option(SimGame.ac, "--game", help="Which game's pages to publish"),
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
    from actelemetry.sim import PagePublisher, Simulator
    from actelemetry.timefmt import lap_time_s

    if speed <= 0:
        raise UsageError("--speed must be positive")
    if fast and speed != 1.0:
        raise UsageError("--speed and --fast exclude each other")
    try:
        publisher = PagePublisher(shm_dir, game.value)
    except OSError as exc:
        raise UsageError(f"cannot create pages in {shm_dir}: {exc.strerror or exc}") from None
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    sim = None
    worker: threading.Thread | None = None
    t_start = time.perf_counter()
    try:
        sim = Simulator(game=game.value, track=track, laps=laps, seed=seed, skill=skill,
                        publisher=publisher)
        label = f"{game.value.upper()} {sim.track.name} ({sim.track.length:.0f} m), {laps} laps"
        if not quiet:
            console.print(f"[bold]sim[/] publishing {label} to {shm_dir}"
                          f" ({'fast' if fast else f'{speed:g}x real time'})")
            if fast:
                console.print("note: --fast runs far faster than real time, so a capture "
                              "reading these pages keeps almost nothing; to record a fast "
                              "simulation use 'actelemetry capture --source sim --fast'")
        worker = threading.Thread(
            target=_drive, args=(sim, fast, speed, stop), name="actelemetry-sim", daemon=True)
        worker.start()
        if quiet:
            while worker.is_alive():
                worker.join(0.2)
        else:
            with console.status("starting...") as status:
                while worker.is_alive():
                    worker.join(0.2)
                    status.update(_status_line(sim, time.perf_counter() - t_start))
    except KeyboardInterrupt:
        stop.set()
    finally:
        stop.set()
        if worker is not None:
            worker.join(timeout=5.0)  # the last step finishes before the pages say OFF
        if sim is not None:
            sim.stop()  # status OFF, last pages written
        publisher.close()
    if sim is not None and not quiet:
        laps_txt = ", ".join(lap_time_s(t) for t in sim.lap_times[1:])
        wall = time.perf_counter() - t_start
        console.print(f"done: {sim.completed_laps} line crossings in {sim.time:.1f} s simulated"
                      f" ({wall:.1f} s wall); laps {laps_txt or '-'}")


def _drive(sim: object, fast: bool, speed: float, stop: threading.Event) -> None:
    from actelemetry.sim import run_realtime

    if not fast:
        run_realtime(sim, speed=speed, stop=stop)  # type: ignore[arg-type]
        return
    # fast: publish at 100 Hz of simulated time, as a capture would sample
    every = max(int(round(0.01 / sim.dt)), 1)  # type: ignore[attr-defined]
    k = 0
    while not sim.finished and not stop.is_set():  # type: ignore[attr-defined]
        k += 1
        sim.step(publish=k % every == 0)  # type: ignore[attr-defined]


def _status_line(sim: object, wall: float) -> str:
    from actelemetry.timefmt import lap_time_ms

    s = sim  # type: ignore[assignment]
    best = lap_time_ms(s.best_lap_ms)
    last = lap_time_ms(s.last_lap_ms)
    factor = s.time / wall if wall > 0 else 0.0
    return (f"lap {s.completed_laps}/{s.laps + 1}  t={s.time:7.1f}s ({factor:4.1f}x)  "
            f"{s.car.s.u * 3.6:5.0f} km/h  gear {s.car.s.gear}  last {last}  best {best}  "
            f"packet {s.packet_id}")
