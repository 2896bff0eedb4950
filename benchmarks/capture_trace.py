"""Explain each physics step a capture at the physics rate missed, from both clocks.

The simulator runs as another process and notes when it wrote each step's pages; the
capture notes each look at the pages and each sleep (when it planned to wake and when it
woke). Both read the system's monotonic clock (``time.perf_counter``), so each missed
step's time on the page can be set against what the capture was doing meanwhile:

- **slept past it**: the capture planned to wake only after the step had gone (the pacer's
  fault: a plan that cannot catch every step);
- **a sleep that overran**: it planned to wake in time and woke after the step had gone;
- **its own work**: no look came while it stood because the capture was busy: a garbage
  collection, or handing a sample to the session file, that took over half a step;
- **paused while running**: none of these, yet no look came while it stood on the page:
  the process was not running (the OS or the virtual machine took the core); where the
  OS counts them (Linux), an involuntary context switch between the two looks says that
  the OS preempted it (a whole virtual machine paused leaves no such mark).

The capture runs as ``actelemetry capture`` does (garbage collection frozen, priority
raised where the system allows). The same run then measures the floor under any capture
on this machine: how often a loop that never sleeps, beside the same simulator, is paused
for longer than a physics step. The notes are taken by wrapping the reader's look, the
session file's write, ``time.sleep`` and the garbage collector's callbacks in this process
(about a microsecond a look), so the capture's own figures come from ``capture.py``.

    .venv/bin/python benchmarks/capture_trace.py [--seconds 60] [--busy-poll]
"""

from __future__ import annotations

import argparse
import gc
import signal
import subprocess
import sys
import tempfile
import threading
import time
from array import array
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from actelemetry.capture.loop import CaptureOptions, run_capture
from actelemetry.capture.sinks import Sample, SessionFileSink
from actelemetry.game.constants import PHYSICS_HZ
from actelemetry.game.mapping import PageLocation, private_pages
from actelemetry.game.reader import Glance, PageReader
from capture import load_average, pauses  # this folder's capture.py: the same floor

try:
    import resource  # Unix only
except ImportError:
    resource = None  # type: ignore[assignment]

STEP_S = 1.0 / PHYSICS_HZ
_RUSAGE_THREAD: int | None = getattr(resource, "RUSAGE_THREAD", None)
#: looks this close together are the capture polling without a sleep between them
POLLING_S = 50e-6


def publish_traced(pages: str, out: str) -> None:
    """The child: the simulator on the wall clock, noting (packet id, time) per step."""
    from actelemetry.sim.realtime import run_realtime
    from actelemetry.sources.sim import SimSpec, publishing_simulator

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    written = np.zeros((3_000_000, 2))
    count = 0
    with publishing_simulator(SimSpec(laps=500), PageLocation.from_text(pages)) as sim:
        step = sim.step

        def traced(publish: bool = True) -> None:
            nonlocal count
            step(publish)
            written[count] = sim.packet_id, time.perf_counter()
            count += 1

        sim.step = traced
        print("ready", flush=True)
        run_realtime(sim, stop=stop)
    np.save(out, written[:count])


@dataclass
class Trace:
    """Both sides of one traced capture, on the system's monotonic clock."""

    written: np.ndarray  # (packet id, time) of each step the simulator wrote
    looks: np.ndarray  # (time, packet id seen, preemptions so far) of each look at the pages
    sleeps: np.ndarray  # (start, planned end, end) of each sleep
    writes: np.ndarray  # (start, end) of each sample handed to the session file
    collections: np.ndarray  # (start, end, generation) of each garbage collection
    sampled: np.ndarray  # the packet ids in the session file
    polls: int  # the capture's looks
    counted: int  # steps missed by the capture's own count
    floor: tuple[int, float]  # :func:`pauses` beside the same simulator afterwards, or -1


def preemptions() -> int:
    """Involuntary context switches of this thread so far (-1 where the OS does not say):
    a look after more of them than the look before was preempted in between."""
    if resource is None or _RUSAGE_THREAD is None:
        return -1
    return resource.getrusage(_RUSAGE_THREAD).ru_nivcsw


def traced_capture(seconds: float, busy: bool, floor: bool = True) -> Trace:
    """Capture as ``actelemetry capture`` does (garbage collection frozen, priority raised
    where allowed) from a traced simulator for ``seconds``, noting looks, sleeps, writes
    and garbage collections. The notes go into arrays, not lists of tuples, so that they
    add nothing for the garbage collector to walk; of a run of looks in quick succession
    only the first and last are kept (a busy poll looks some 200,000 times a second)."""
    looks, sleeps, writes, collections = (array("d") for _ in range(4))
    last_look = [0.0, -1.0, 0.0]  # kept in case the next look comes after a gap
    glance = PageReader.glance
    sleep = time.sleep
    write = SessionFileSink.write
    clock = time.perf_counter

    def noted_glance(self: PageReader) -> Glance:
        t = clock()
        seen = glance(self)
        look = (t, seen.packet_id, preemptions())
        if t - last_look[0] > POLLING_S or look[1] != last_look[1]:
            looks.extend(last_look)
            looks.extend(look)
        last_look[:] = look
        return seen

    def noted_write(self: SessionFileSink, sample: Sample) -> None:
        t = clock()
        write(self, sample)
        writes.extend((t, clock()))

    def noted_sleep(s: float) -> None:
        t = clock()
        sleep(s)
        sleeps.extend((t, t + s, clock()))

    def noted_collection(phase: str, info: dict[str, int]) -> None:
        collections.extend((clock(), phase == "start", info["generation"]))

    with private_pages() as pages, tempfile.TemporaryDirectory() as out:
        npy = str(Path(out) / "written.npy")
        child = subprocess.Popen([sys.executable, __file__, "--publisher", pages.as_text(), npy],
                                 stdout=subprocess.PIPE)
        try:
            assert child.stdout is not None
            child.stdout.readline()
            sink = SessionFileSink(Path(out))
            PageReader.glance = noted_glance
            SessionFileSink.write = noted_write
            time.sleep = noted_sleep  # type: ignore[assignment]
            gc.callbacks.append(noted_collection)
            try:
                result = run_capture(CaptureOptions(
                    shm_dir=pages, rate=PHYSICS_HZ, duration=seconds, busy_poll=busy,
                    freeze_gc=True, raise_priority=True), [sink])
            finally:
                PageReader.glance = glance
                SessionFileSink.write = write
                time.sleep = sleep
                gc.callbacks.remove(noted_collection)
            paused = pauses(seconds) if floor else (-1, 0.0)
        finally:
            child.terminate()
            child.wait(timeout=30)
        written = np.load(npy)
        sampled = np.concatenate([pq.read_table(p, columns=["packet_id"]).column(
            "packet_id").to_numpy() for p in sink.paths])
    seen = np.unique(np.array(looks).reshape(-1, 3)[1:], axis=0)  # by time; [0] was no look
    marks = np.array(collections).reshape(-1, 3)
    starts = np.nonzero(marks[:-1, 1] == 1)[0]
    gcs = np.column_stack((marks[starts, 0], marks[starts + 1, 0], marks[starts, 2]))
    return Trace(written, seen, np.array(sleeps).reshape(-1, 3),
                 np.array(writes).reshape(-1, 2), gcs.reshape(-1, 3), sampled,
                 result.stats.polls, result.stats.skipped, paused)


def explain(trace: Trace) -> list[dict[str, object]]:
    """One row per missed step: how long it stood, how long the capture was away while it
    went (from its last look before, to its first look after), and why."""
    ids, at = trace.written[:, 0].astype(np.int64), trace.written[:, 1]
    look_t, look_id = trace.looks[:, 0], trace.looks[:, 1].astype(np.int64)
    new_step = np.concatenate(([True], np.diff(look_id) != 0))
    sleeps, writes = trace.sleeps, trace.writes
    rows: list[dict[str, object]] = []
    sampled = trace.sampled.astype(np.int64)
    for i in np.nonzero(np.diff(sampled) > 1)[0]:
        for packet in range(int(sampled[i]) + 1, int(sampled[i + 1])):
            k = int(np.searchsorted(ids, packet))
            if k + 1 >= len(ids) or ids[k] != packet:
                continue
            came, went = at[k], at[k + 1]
            j = int(np.searchsorted(look_t, went))  # the first look after it went
            if j == 0 or j == len(look_t):
                continue
            away_from, away_to = look_t[j - 1], look_t[j]
            seen = away_from >= came
            asleep = sleeps[(sleeps[:, 0] >= away_from) & (sleeps[:, 0] < went)]
            working = writes[(writes[:, 1] > away_from) & (writes[:, 0] < away_to)]
            gcs = trace.collections
            collecting = gcs[(gcs[:, 1] > away_from) & (gcs[:, 0] < away_to)
                             & (gcs[:, 1] - gcs[:, 0] > 0.5 * STEP_S)]
            if (asleep[:, 1] >= went).any():
                cause = "slept past it"
            elif (asleep[:, 2] >= went).any():
                over = float((asleep[:, 2] - asleep[:, 1]).max())
                cause = f"a sleep that overran by {over * 1e3:.1f} ms"
            elif len(collecting):
                took = float((collecting[:, 1] - collecting[:, 0]).max())
                cause = (f"its own work: a garbage collection (generation "
                         f"{int(collecting[:, 2].max())}) of {took * 1e3:.1f} ms")
            elif len(working) and (working[:, 1] - working[:, 0]).max() > 0.5 * STEP_S:
                cause = (f"its own work: the session file took "
                         f"{(working[:, 1] - working[:, 0]).max() * 1e3:.1f} ms")
            else:
                doing = "after a sample" if new_step[j - 1] else "while polling"
                taken = trace.looks[j, 2] > trace.looks[j - 1, 2]
                cause = (f"paused while running ({doing}, "
                         f"{'preempted' if taken else 'not preempted'})")
            rows.append({"packet": packet, "stood_ms": (went - came) * 1e3,
                         "away_ms": (away_to - away_from) * 1e3,
                         "cause": ("seen, then " if seen else "") + cause})
    return rows


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--publisher":
        publish_traced(sys.argv[2], sys.argv[3])
        return
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--busy-poll", action="store_true", help="capture without sleeping")
    ap.add_argument("--no-floor", action="store_true",
                    help="skip the loop that never sleeps (the floor) after the capture")
    args = ap.parse_args()
    print(f"load average at start: {load_average()}", flush=True)
    trace = traced_capture(args.seconds, args.busy_poll, floor=not args.no_floor)
    rows = explain(trace)
    written, (count, longest) = trace.written, trace.floor
    mode = "busy poll" if args.busy_poll else "paced"
    print(f"\ncapture at the physics rate ({mode}) against `actelemetry sim` (another process), "
          f"{args.seconds:g} s: {len(trace.sampled)} samples, {trace.polls} looks, "
          f"{len(trace.sleeps)} sleeps; {trace.counted} steps missed by the capture's own "
          f"count, {len(rows)} explained here")
    print("| packet | stood on the page ms | capture away ms | why it was missed |")
    print("|---|---|---|---|")
    for r in rows:
        print(f"| {r['packet']} | {r['stood_ms']:.2f} | {r['away_ms']:.2f} | {r['cause']} |")
    causes = Counter(str(r["cause"]).split(" by ")[0].split(": ")[0] for r in rows)
    print("in all: " + (", ".join(f"{n} {c}" for c, n in sorted(causes.items())) or "none"))
    written_gaps = np.diff(written[:, 1])
    print(f"the simulator itself: {int((written_gaps > 1.5 * STEP_S).sum())} steps written "
          f"more than 1.5 steps after the one before (longest {written_gaps.max() * 1e3:.1f} ms), "
          f"shortest time a step stood on the page {written_gaps.min() * 1e3:.2f} ms")
    if count >= 0:
        print(f"this machine, a loop that never sleeps, {args.seconds:g} s beside the same "
              f"simulator: paused {count} times for longer than a step"
              + (f" (longest {longest * 1e3:.1f} ms)" if count else "")
              + ": the floor under any capture")
    print(f"load average at end: {load_average()}")


if __name__ == "__main__":
    main()
