"""Packet gate cost: what judging one look and one copy adds to the capture loop.

The loop looks at the pages thousands of times a second at the physics rate (tens of
thousands with --busy-poll), so a look's verdict must cost well under a microsecond next
to the two in-place reads it follows; a copy is judged once per recorded sample.

    .venv/bin/python benchmarks/gate.py [--looks 200000]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

from rich.console import Console
from rich.table import Table

from actelemetry.capture.gate import Frame, Gate, Look
from actelemetry.game.constants import PHYSICS_HZ, STATUS_LIVE


def per_call_us(n: int, call: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    for _ in range(n):
        call()
    return (time.perf_counter() - t0) / n * 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--looks", type=int, default=200_000)
    args = ap.parse_args()
    n = args.looks
    dt = 1.0 / PHYSICS_HZ

    gate = Gate(0.0)
    gate.look(Look(0.0, 1, STATUS_LIVE))
    gate.judge(Frame(0.0, 1, STATUS_LIVE))
    repeat = per_call_us(n, lambda: gate.look(Look(0.001, 1, STATUS_LIVE)))

    new = Gate(0.0, count_laps=True, judge_pace=True)
    state = {"pid": 0}

    def new_packet() -> None:
        state["pid"] += 1
        pid = state["pid"]
        t = pid * dt
        new.look(Look(t, pid, STATUS_LIVE))
        new.judge(Frame(t, pid, STATUS_LIVE, completed_laps=pid // 30_000,
                        position=(pid % 30_000) / 30_000, speed_ms=50.0))

    fresh = per_call_us(n, new_packet)
    table = Table(title=f"packet gate, {n} calls each")
    table.add_column("case")
    table.add_column("us per call", justify="right")
    table.add_column("calls a second at 333 Hz", justify="right")
    table.add_row("look at a packet already seen (Look built + verdict)", f"{repeat:.2f}",
                  "thousands (paced), tens of thousands (busy poll)")
    table.add_row("new packet: look, then judge its Frame (laps and pace on)", f"{fresh:.2f}",
                  f"{PHYSICS_HZ}")
    Console().print(table)


if __name__ == "__main__":
    main()
