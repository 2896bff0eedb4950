"""Derivation cost: the whole-file kernel per sample, and the live deriver (the kernel's last
row over a short window) per sample, with the page decoding both need.

Records a simulator session with raw pages first (fast mode), then prints one table.

    .venv/bin/python benchmarks/derive.py [--laps 1] [--samples 3000]
"""

from __future__ import annotations

import argparse
import base64
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

from actelemetry.capture.loop import CaptureOptions, run_capture
from actelemetry.capture.sinks import SessionFileSink
from actelemetry.channels.decode import as_records, decode_pages, decode_static
from actelemetry.channels.derive import LiveDeriver, derive_session
from actelemetry.store.session import session_metadata


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--laps", type=int, default=1)
    ap.add_argument("--samples", type=int, default=3000)
    args = ap.parse_args()
    game = "ac"
    with tempfile.TemporaryDirectory() as out:
        sink = SessionFileSink(Path(out), "parquet", True)
        run_capture(CaptureOptions(source="sim", fast=True, game=game, sim_laps=args.laps,
                                   seed=1), [sink])
        path = sink.paths[0]
        cols = pq.read_table(path, columns=["raw_physics", "raw_graphics",
                                            "session_time"]).to_pydict()
        static = decode_static(game, base64.b64decode(session_metadata(path)["static_page"]))
    n = min(args.samples, len(cols["session_time"]))
    pages = [(as_records(game, "physics", p), as_records(game, "graphics", g))
             for p, g in zip(cols["raw_physics"][:n], cols["raw_graphics"][:n], strict=True)]

    t0 = time.perf_counter()
    decoded = [(p, decode_pages(game, p, g)) for p, g in pages]
    decode_us = (time.perf_counter() - t0) / n * 1e6
    live = LiveDeriver(game, static)
    t0 = time.perf_counter()
    for k, (p, raw) in enumerate(decoded):
        live.derive(p, raw, cols["session_time"][k], 0.0, 0, 0.0)
    live_us = (time.perf_counter() - t0) / n * 1e6

    physics = as_records(game, "physics", b"".join(cols["raw_physics"][:n]))
    graphics = as_records(game, "graphics", b"".join(cols["raw_graphics"][:n]))
    t0 = time.perf_counter()
    raw = decode_pages(game, physics, graphics)
    derive_session(game, physics, raw, cols["session_time"][:n], 0.0, static,
                   [0] * n, [0.0] * n)
    file_us = (time.perf_counter() - t0) / n * 1e6

    print(f"{'what':<40} {'us/sample':>10}")
    print(f"{'file: decode + derive_session (whole)':<40} {file_us:>10.1f}")
    print(f"{'live: decode one sample':<40} {decode_us:>10.1f}")
    print(f"{'live: LiveDeriver.derive one sample':<40} {live_us:>10.1f}")
    print(f"({n} samples; live at 333 Hz has {1e6 / 333:.0f} us per sample)")


if __name__ == "__main__":
    main()
