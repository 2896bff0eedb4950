"""Capture against the simulator running as another process, in real time.

Every shared-memory row runs ``--repeat`` times (default 3) and prints the median and the
range; the seed's reader (a copy of the physics page, then ``time.sleep(0.01)``) runs in the
same run against the same simulator as the baseline. Steps between samples are split into
"not sampled by design" (a 100 Hz capture takes every third or fourth of 333 steps) and
"missed" (a gap wider than the schedule's own: a step the capture meant to take and lost).
The load average is printed at the start and the end.

Prints one row per rate: achieved rate, physics packets missed (at the physics rate, how
many of them the machine cost: steps that came and went while the capture was held back
from looking, and of those how many after a sleep that overran), duplicates refused,
schedule jitter (how late each scheduled read woke), CPU of this process as a share of
one core, the time of one look (a plain copy of both pages, at every poll) and the time
to complete a consistent snapshot when a look shows a new step (the look's copies, both
pages copied again and compared).
At the physics rate it runs the capture with the library's defaults and as
``actelemetry capture`` runs it (the garbage collector frozen, so that no full collection
stalls it for milliseconds, and its priority raised where the system allows), and, as the
CLI runs it, with ``busy_poll`` (never sleeping), the price of catching every step on a
machine whose sleeps sometimes wake milliseconds late. Beside the same simulator it then
counts how often this machine wakes a bare sleep loop more than a step late, and how
often it pauses a loop that never sleeps for longer than a step: the floor under any
capture (``capture_trace.py`` explains each step a capture missed).

UDP rows capture ``actelemetry sim --udp`` (another process) over AC's remote-telemetry
protocol on loopback, every datagram, at each ``--udp-rates`` the simulator sends:
achieved rate (on the game's clock), datagrams lost, CPU of this process, and the time
to judge one datagram and write it as pages (the capture's own cost per datagram, before
the sinks).

    .venv/bin/python benchmarks/capture.py [--seconds 60] [--repeat 3] [--rates 100 333]
                                           [--no-busy] [--no-seed] [--udp-rates 333 20]
                                           [--no-shm] [--no-udp]
"""

from __future__ import annotations

import argparse
import math
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import psutil
import pyarrow.parquet as pq

from actelemetry.capture.loop import CaptureOptions, run_capture
from actelemetry.capture.sinks import SessionFileSink
from actelemetry.game.constants import PACKET_ID_OFFSET, PHYSICS_HZ
from actelemetry.game.host import ask_to_stop, child_options
from actelemetry.game.mapping import PageLocation, open_pages, private_pages
from actelemetry.sources.child import run_child
from actelemetry.sources.sim import SimSpec

#: the simulator every shared-memory row captures from (another process, in real time)
SIM_JOB: dict[str, object] = {"kind": "sim", **asdict(SimSpec(laps=50))}


def load_average() -> str:
    return ", ".join(f"{x:.2f}" for x in psutil.getloadavg())


def cpu_seconds() -> float:
    """CPU time of this process so far (user + system), on Linux and Windows alike."""
    times = psutil.Process().cpu_times()
    return times.user + times.system


def split_gaps(packet_ids: np.ndarray, rate: float) -> tuple[int, int]:
    """(not sampled by design, missed) among the steps between consecutive samples: a
    capture at ``rate`` means to leave at most ceil(PHYSICS_HZ / rate) - 1 steps between two
    samples; whatever a gap holds beyond that was missed."""
    gaps = np.diff(packet_ids.astype("i8")) - 1
    gaps = gaps[gaps >= 0]
    allowed = max(math.ceil(PHYSICS_HZ / rate - 1e-9) - 1, 0)
    missed = int(np.clip(gaps - allowed, 0, None).sum())
    return int(gaps.sum()) - missed, missed


def seed_loop(pages_at: PageLocation, seconds: float) -> dict[str, float]:
    """The seed's reader: copy the physics page, then ``time.sleep(0.01)``, for ``seconds``."""
    pages = open_pages(pages_at)
    physics = pages["physics"]
    size = physics.size
    ids: list[int] = []
    wall0, cpu0 = time.perf_counter(), cpu_seconds()
    end = wall0 + seconds
    while time.perf_counter() < end:
        page = physics.read(size)
        ids.append(int.from_bytes(page[PACKET_ID_OFFSET:PACKET_ID_OFFSET + 4], "little",
                                  signed=True))
        time.sleep(0.01)
    wall, cpu = time.perf_counter() - wall0, cpu_seconds() - cpu0
    for mapping in pages.values():
        mapping.close()
    pid = np.array(ids)
    distinct = np.concatenate(([True], np.diff(pid) != 0))
    by_design, missed = split_gaps(pid[distinct], 100.0)
    return {"rate": 100.0, "mode": "seed sleep(0.01)", "looks": len(ids) / wall,
            "achieved": int(distinct.sum()) / wall, "samples": int(distinct.sum()),
            "by_design": by_design, "missed": missed, "dups": int((~distinct).sum()),
            "p50": math.nan, "p99": math.nan, "cpu": 100 * cpu / wall, "look": math.nan,
            "snap": math.nan, "held": math.nan, "late_wake": math.nan}


def measure(rate: float, seconds: float, busy: bool, seed: bool = False,
            cli: bool = False) -> list[dict[str, float]]:
    """One run of the capture (and the seed's loop after it, on the same simulator); with
    ``cli`` as ``actelemetry capture`` runs it: garbage collection frozen, priority raised
    (the library's defaults leave the process as it is)."""
    with (private_pages() as pages, tempfile.TemporaryDirectory() as out,
          run_child(SIM_JOB, pages, "simulator")):
        sink = SessionFileSink(Path(out))
        wall0, cpu0 = time.perf_counter(), cpu_seconds()
        result = run_capture(CaptureOptions(shm_dir=pages, rate=rate, busy_poll=busy,
                                            duration=seconds, raise_priority=cli,
                                            freeze_gc=cli),
                             [sink])
        wall, cpu = time.perf_counter() - wall0, cpu_seconds() - cpu0
        ids = np.concatenate([pq.read_table(p, columns=["packet_id"]).column(
            "packet_id").to_numpy() for p in sink.paths])
        baseline = [seed_loop(pages, seconds)] if seed else []
    s = result.stats
    by_design, missed = split_gaps(ids, rate)
    mode = "busy poll" if busy else ("paced" if rate >= PHYSICS_HZ * 0.99 else "scheduled")
    if cli:
        mode += (", as the CLI (GC frozen, priority raised)" if s.priority_raised
                 else ", as the CLI (GC frozen; priority refused: needs root or CAP_SYS_NICE)")
    return [{"rate": rate, "mode": mode, "looks": s.polls / wall, "achieved": s.achieved_rate,
             "by_design": by_design, "missed": missed,
             "dups": s.duplicates, "p50": s.jitter_ms(0.5), "p99": s.jitter_ms(0.99),
             "cpu": 100 * cpu / wall, "look": s.look_us, "snap": s.snapshot_us,
             "held": s.skipped_held_back if rate >= PHYSICS_HZ * 0.99 else math.nan,
             "late_wake": s.skipped_late_wake if rate >= PHYSICS_HZ * 0.99 else math.nan,
             "samples": s.samples}, *baseline]


def measure_udp(udp_rate: float, seconds: float) -> dict[str, float]:
    """Capture every datagram of ``sim --udp --udp-rate udp_rate`` for ``seconds``."""
    sim = subprocess.Popen([sys.executable, "-m", "actelemetry", "sim", "--udp", "--udp-port",
                            "0", "--udp-rate", f"{udp_rate:g}", "--laps", "30", "--quiet"],
                           stdout=subprocess.PIPE, text=True, **child_options())
    try:
        assert sim.stdout is not None
        port = int(sim.stdout.readline().rsplit(":", 1)[1])
        with tempfile.TemporaryDirectory() as out:
            sink = SessionFileSink(Path(out))
            wall0, cpu0 = time.perf_counter(), cpu_seconds()
            result = run_capture(CaptureOptions(source="udp", host="127.0.0.1", port=port,
                                                rate=PHYSICS_HZ, duration=seconds), [sink])
            wall, cpu = time.perf_counter() - wall0, cpu_seconds() - cpu0
    finally:
        ask_to_stop(sim)
        sim.wait(timeout=30)
    s = result.stats
    lost = sum(x.quality_extra.get("datagrams_lost", 0) for x in result.sessions)
    return {"udp_rate": udp_rate, "achieved": s.achieved_rate, "samples": s.samples,
            "lost": lost, "dups": s.duplicates, "cpu": 100 * cpu / wall,
            "sessions": len(result.sessions)}


def decode_cost_us(n: int = 20_000) -> float:
    """Microseconds to judge one RTCarInfo and write it as pages (what the UDP loop does
    per datagram before the sinks), over datagrams the simulator made."""
    from actelemetry.capture.udp_gate import UdpGate
    from actelemetry.game.writer import PageWriter
    from actelemetry.sim import Simulator
    from actelemetry.sim.udp import car_info
    from actelemetry.sources.udp import CarInfoPages

    game = ("127.0.0.1", 9996)
    with tempfile.TemporaryDirectory() as folder:
        pub = PageWriter(Path(folder), "ac")
        sim = Simulator(game="ac", laps=1, publisher=pub)
        datagrams = []
        for _ in range(n):
            sim.step()
            datagrams.append(car_info(sim))
        pub.close()
    gate, pages = UdpGate(game), CarInfoPages()
    t0 = time.perf_counter()
    for k, data in enumerate(datagrams):
        verdict = gate.judge(data, game, k * 0.003)
        assert verdict.car is not None
        pages.pages(data, k)
    return (time.perf_counter() - t0) / n * 1e6


def late_wakeups(seconds: float, sleep_s: float = 2.8e-3, late_s: float = 3e-3,
                 ) -> tuple[int, int]:
    """(sleeps, wake-ups more than one physics step late) of a bare sleep loop shaped like
    the paced capture's: on this machine, the floor under the steps that capture loses."""
    clock, sleeps, late = time.perf_counter, 0, 0
    end = clock() + seconds
    while clock() < end:
        t0 = clock()
        time.sleep(sleep_s)
        sleeps += 1
        late += clock() - t0 - sleep_s > late_s
    return sleeps, late


def pauses(seconds: float, longer_than: float = 1.0 / PHYSICS_HZ) -> tuple[int, float]:
    """(times, longest s) a loop that never sleeps went ``longer_than`` between two turns."""
    clock = time.perf_counter
    end = clock() + seconds
    last, count, longest = clock(), 0, 0.0
    while last < end:
        now = clock()
        if now - last > longer_than:
            count += 1
            longest = max(longest, now - last)
        last = now
    return count, longest


def machine_floor(seconds: float) -> tuple[tuple[int, int], tuple[int, float]]:
    """:func:`late_wakeups` and :func:`pauses`, beside the simulator as the captures ran
    (a core that the simulator also wants is taken from the capture more often)."""
    with private_pages() as pages, run_child(SIM_JOB, pages, "simulator"):
        return late_wakeups(seconds), pauses(seconds)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--repeat", type=int, default=3, help="runs of each shared-memory row")
    ap.add_argument("--rates", type=float, nargs="+", default=[100.0, 333.0])
    ap.add_argument("--no-seed", action="store_true", help="skip the seed's sleep(0.01) loop")
    ap.add_argument("--no-busy", action="store_true", help="skip the busy-polling run")
    ap.add_argument("--no-wakeups", action="store_true",
                    help="skip measuring this machine's late wake-ups")
    ap.add_argument("--udp-rates", type=float, nargs="+", default=[333.0, 20.0],
                    help="the rates sim --udp sends at (the real game was seen at ~20)")
    ap.add_argument("--no-shm", action="store_true", help="skip the shared-memory rows")
    ap.add_argument("--no-udp", action="store_true", help="skip the UDP rows")
    args = ap.parse_args()
    print(f"load average at start: {load_average()}", flush=True)
    if not args.no_shm:
        shm_rows(args)
    if not args.no_udp:
        udp_rows(args)
    print(f"load average at end: {load_average()}")


def udp_rows(args: argparse.Namespace) -> None:
    rows = [measure_udp(rate, args.seconds) for rate in args.udp_rates]
    cost = decode_cost_us()
    print(f"\ncapture --source udp against `actelemetry sim --udp` (another process, "
          f"loopback), every datagram, {args.seconds:g} s per rate")
    print("| sim UDP Hz | achieved Hz | samples | datagrams lost | duplicates refused "
          "| CPU % of a core | us per decoded datagram |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        sent = PHYSICS_HZ / max(round(PHYSICS_HZ / r["udp_rate"]), 1)  # every n-th step
        print(f"| {sent:.2f} | {r['achieved']:.2f} | {r['samples']} | {r['lost']} "
              f"| {r['dups']} | {r['cpu']:.1f} | {cost:.1f} |")


def median_range(values: list[float], spec: str) -> str:
    """Median (min-max) of the repeats; one value alone as it is."""
    good = [v for v in values if not math.isnan(v)]
    if not good:
        return "-"
    med = format(statistics.median(good), spec)
    if len(good) == 1 or min(good) == max(good):
        return med
    return f"{med} ({format(min(good), spec)}-{format(max(good), spec)})"


def shm_rows(args: argparse.Namespace) -> None:
    # (rate, busy poll, as the CLI): the CLI freezes the garbage collector and raises its
    # priority where the system allows; the library's defaults do not, the row beside it
    runs = [(rate, False, False) for rate in args.rates]
    runs += [(rate, False, True) for rate in args.rates if rate >= PHYSICS_HZ * 0.99]
    if not args.no_busy:
        runs += [(rate, True, True) for rate in args.rates if rate >= PHYSICS_HZ * 0.99]
    results: dict[tuple[float, str], list[dict[str, float]]] = {}
    for k in range(args.repeat):  # the rows alternate, so a busy spell hits them alike
        for i, (rate, busy, cli) in enumerate(runs):
            for row in measure(rate, args.seconds, busy, seed=i == 0 and not args.no_seed,
                               cli=cli):
                results.setdefault((row["rate"], str(row["mode"])), []).append(row)
        print(f"repeat {k + 1} of {args.repeat} done", flush=True)
    print(f"capture against `actelemetry sim` (another process), {args.seconds:g} s per run, "
          f"median (range) of {args.repeat} runs")
    print("| target Hz | mode | looks/s | achieved Hz | samples | not sampled by design "
          "| missed | of them held back / after a late wake-up | duplicates refused "
          "| jitter p50 ms | jitter p99 ms | CPU % of a core | us per look | us per snapshot |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    def held(rows: list[dict[str, float]]) -> str:
        got = median_range([float(r["held"]) for r in rows], ".0f")
        return "-" if got == "-" else \
            f"{got} / {median_range([float(r['late_wake']) for r in rows], '.0f')}"

    for (rate, mode), rows in results.items():
        def col(key: str, spec: str, rows: list[dict[str, float]] = rows) -> str:
            return median_range([float(r[key]) for r in rows], spec)
        print(f"| {rate:g} | {mode} | {col('looks', '.0f')} | {col('achieved', '.2f')} "
              f"| {col('samples', '.0f')} | {col('by_design', '.0f')} | {col('missed', '.0f')} "
              f"| {held(rows)} | {col('dups', '.0f')} | {col('p50', '.3f')} | {col('p99', '.3f')} "
              f"| {col('cpu', '.1f')} | {col('look', '.1f')} | {col('snap', '.1f')} |")
    if not args.no_wakeups:
        (sleeps, late), (paused, longest) = machine_floor(args.seconds)
        print(f"\nthis machine, beside the same simulator, {args.seconds:g} s each: a bare loop "
              f"of 2.8 ms sleeps woke more than 3 ms late {late} times in {sleeps}; a loop that "
              f"never sleeps was paused for longer than a step {paused} times"
              + (f" (longest {longest * 1e3:.1f} ms)" if paused else "")
              + ". A capture at the physics rate loses a step only then "
              "(benchmarks/capture_trace.py explains each missed step)")
    print("held back: missed steps that came and went while the capture did not look for "
          "most of a step (a sleep that overran, the process not running, or its own work "
          "taking that long); late wake-ups: those after a sleep that overran; the rest of "
          "'missed' came bunched between two timely looks (the simulator catching up)")


if __name__ == "__main__":
    main()
