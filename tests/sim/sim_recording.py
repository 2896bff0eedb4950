"""Recording a simulator session: pages published into a folder and read back through
the real reader at 100 Hz, as the capture does in --fast mode; or the driver's controls
at every control tick."""

from __future__ import annotations

import ctypes
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from actelemetry.game.layouts import LAYOUTS
from actelemetry.game.mapping import open_pages
from actelemetry.game.writer import PageWriter
from actelemetry.sim import Simulator
from actelemetry.sim.habits import Habits
from actelemetry.sim.simulator import DRIVER_EVERY


@dataclass
class Recording:
    """Physics and graphics structs read back from the page files, one per sample."""

    sim: Simulator
    folder: Path
    physics: list = field(default_factory=list)
    graphics: list = field(default_factory=list)
    static: object = None


def read_page(folder: Path, game: str, page: str) -> ctypes.Structure:
    layout = LAYOUTS[(game, page)]
    data = (folder / f"acpmf_{page}").read_bytes()
    return layout.from_buffer_copy(data[: ctypes.sizeof(layout)])


def record(folder: Path, game: str, laps: int, seed: int = 0, track: str = "monza",
           until: float | None = None, rate: float = 100.0) -> Recording:
    """Lockstep as the capture runs it: step unpublished until the sample time, publish the
    last step, read the pages through :func:`open_pages`."""
    pub = PageWriter(folder, game)
    sim = Simulator(game=game, track=track, laps=laps, seed=seed, publisher=pub)
    rec = Recording(sim=sim, folder=folder)
    pages = open_pages(folder)
    phys_t, gfx_t = LAYOUTS[(game, "physics")], LAYOUTS[(game, "graphics")]
    n_p, n_g = ctypes.sizeof(phys_t), ctypes.sizeof(gfx_t)
    rec.static = read_page(folder, game, "static")
    t_next = 0.0
    try:
        while not sim.finished and (until is None or sim.time < until):
            t_next += 1.0 / rate
            while sim.time + sim.dt < t_next - 1e-9 and not sim.finished:
                sim.step(publish=False)
            sim.step(publish=True)
            rec.physics.append(phys_t.from_buffer_copy(pages["physics"].read(n_p)))
            rec.graphics.append(gfx_t.from_buffer_copy(pages["graphics"].read(n_g)))
    finally:
        for mapping in pages.values():
            mapping.close()
    return rec


def controls(track: str, seed: int = 0, laps: int = 1,
             skill: float | str = 0.9) -> tuple[np.ndarray, float, Habits]:
    """Every control tick's (steer, gas, brake) over a session, the tick (s), and the
    driver's habits."""
    sim = Simulator(track=track, laps=laps, seed=seed, skill=skill)
    ticks: list[tuple[float, float, float]] = []
    control = sim.driver.control

    def recording(car, dt):
        out = control(car, dt)
        ticks.append(out)
        return out

    setattr(sim.driver, "control", recording)  # noqa: B010 (the bound method, wrapped)
    while not sim.finished:
        sim.step(publish=False)
    return np.array(ticks), sim.dt * DRIVER_EVERY, sim.driver.habits
