"""Decoding and derivation cost per sample: the whole-file kernel, the live path (one
sample's page bytes through :func:`decode_sample` and :class:`LiveDeriver`), and, as the
reference the live path replaced, the NumPy decoder on a one-row view and the kernel's last
row over a window (:class:`WindowDeriver`).

Records a simulator session with raw pages first (fast mode), then times each row
``--repeat`` times and prints the median and range, with the load average at start and end.

    .venv/bin/python benchmarks/derive.py [--laps 1] [--samples 3000] [--repeat 3] [--games ac acc]
"""

from __future__ import annotations

import argparse
import base64
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq

from actelemetry.capture.loop import CaptureOptions, run_capture
from actelemetry.capture.sinks import SessionFileSink
from actelemetry.channels.decode import as_records, decode_pages, decode_sample, decode_static
from actelemetry.channels.derive import LiveDeriver, WindowDeriver, derive_session
from actelemetry.store.session import session_metadata


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


Rows = list[tuple[str, Callable[[], None]]]


def rows_for(game: str, laps: int, samples: int) -> tuple[int, Rows]:
    """Record a session of ``game`` with raw pages; the rows to time on its first samples."""
    with tempfile.TemporaryDirectory() as out:
        sink = SessionFileSink(Path(out), "parquet", True)
        run_capture(CaptureOptions(source="sim", fast=True, game=game, sim_laps=laps,
                                   seed=1), [sink])
        path = sink.paths[0]
        cols = pq.read_table(path, columns=["raw_physics", "raw_graphics",
                                            "session_time"]).to_pydict()
        static = decode_static(game, base64.b64decode(session_metadata(path)["static_page"]))
    n = min(samples, len(cols["session_time"]))
    phys, gfx, times = cols["raw_physics"][:n], cols["raw_graphics"][:n], cols["session_time"][:n]
    pairs = list(zip(phys, gfx, times, strict=True))
    pages = [(as_records(game, "physics", p), as_records(game, "graphics", g))
             for p, g in zip(phys, gfx, strict=True)]
    decoded = [(p, decode_pages(game, p, g)) for p, g in pages]

    def file_path() -> None:
        physics = as_records(game, "physics", b"".join(phys))
        graphics = as_records(game, "graphics", b"".join(gfx))
        raw = decode_pages(game, physics, graphics)
        derive_session(game, physics, raw, times, 0.0, static, [0] * n, [0.0] * n)

    def live_decode() -> None:
        for p, g, _ in pairs:
            decode_sample(game, p, g)

    def live_derive() -> None:
        live = LiveDeriver(game, static)
        for p, g, t in pairs:
            live.derive(p, g, t, 0.0, 0, 0.0)

    def numpy_decode() -> None:
        for p, g in pages:
            decode_pages(game, p, g)

    def window_derive() -> None:
        window = WindowDeriver(game, static)
        for (p, raw), t in zip(decoded, times, strict=True):
            window.derive(p, raw, t, 0.0, 0, 0.0)

    g = game.upper()
    return n, [
        (f"{g} file: decode + derive_session (whole)", file_path),
        (f"{g} live: decode one sample", live_decode),
        (f"{g} live: decode + LiveDeriver.derive", live_derive),
        (f"{g} before: decode_pages on one row", numpy_decode),
        (f"{g} before: WindowDeriver (decoded)", window_derive),
    ]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--laps", type=int, default=1)
    ap.add_argument("--samples", type=int, default=3000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--games", nargs="+", choices=("ac", "acc"), default=["ac", "acc"])
    args = ap.parse_args()
    print(f"load average at start: {_load()}")
    rows: Rows = []
    counts = []
    for game in args.games:
        n, game_rows = rows_for(game, args.laps, args.samples)
        rows += [(name, fn) for name, fn in game_rows]
        counts += [n] * len(game_rows)
    runs: dict[str, list[float]] = {name: [] for name, _ in rows}
    for _ in range(args.repeat):  # rows interleaved, so a burst of load hits them alike
        for (name, fn), n in zip(rows, counts, strict=True):
            t0 = time.perf_counter()
            fn()
            runs[name].append((time.perf_counter() - t0) / n * 1e6)
    print(f"{'what':<44} {'us/sample median':>16} {'range':>16}")
    for name, us in runs.items():
        print(f"{name:<44} {statistics.median(us):>16.1f} "
              f"{f'{min(us):.1f}-{max(us):.1f}':>16}")
    print(f"({args.samples} samples a game at most, n={args.repeat} runs a row; live at 333 Hz "
          f"has {1e6 / 333:.0f} us per sample; the before rows need their decoding on top: "
          "decode_pages + WindowDeriver was the live path)")
    print(f"load average at end: {_load()}")


if __name__ == "__main__":
    main()
