"""Coverage-guided fuzzing (atheris) of the parsers that take bytes from outside, each for a
fixed time budget; prints a table of executions and crashes.

    pip install -e ".[fuzz]"            # atheris
    python benchmarks/fuzz.py --seconds 60

Targets: the raw page decoder (with derivations and the plausibility check), the WebSocket
client message parser (with subscriptions), and the session metadata parser. A crash is any
exception other than the parser's own error type; libFuzzer then writes the input that
caused it to ``crash-*`` in the working folder and the row says so.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time

TARGETS = ("page_decoder", "message_parser", "metadata_parser")


def fuzz_target(name: str) -> None:
    """Run one target under atheris (in this process, until libFuzzer's budget ends)."""
    import atheris

    with atheris.instrument_imports():
        import contextlib
        import ctypes
        import warnings

        import numpy as np

        from actelemetry.bridge.protocol import (
            ProtocolError,
            Subscription,
            parse_client_message,
            parse_subscription,
        )
        from actelemetry.channels.decode import as_records, decode_pages, decode_static
        from actelemetry.channels.derive import derive_session
        from actelemetry.channels.plausible import look_plausible
        from actelemetry.errors import SessionFileError
        from actelemetry.game.layouts import LAYOUTS
        from actelemetry.store.session import parse_metadata

    sizes = {g: [ctypes.sizeof(LAYOUTS[(g, p)]) for p in ("physics", "graphics", "static")]
             for g in ("ac", "acc")}
    warnings.simplefilter("ignore")

    def page_decoder(data: bytes) -> None:
        game = "acc" if data[:1] == b"\x01" else "ac"
        p, g, s = sizes[game]
        buf = (data[1:] * (1 + (p + g + s) // max(len(data) - 1, 1)))[: p + g + s] \
            if len(data) > 1 else bytes(p + g + s)
        phys, gfx = as_records(game, "physics", buf[:p]), as_records(game, "graphics",
                                                                     buf[p:p + g])
        look_plausible(game, buf[:p], buf[p:p + g])
        raw = decode_pages(game, phys, gfx)
        derive_session(game, phys, raw, np.zeros(1), 0.0, decode_static(game, buf[p + g:]),
                       np.zeros(1), np.zeros(1))

    def message_parser(data: bytes) -> None:
        try:
            msg = parse_client_message(data)
            if msg["type"] == "subscribe":
                parse_subscription(msg, Subscription(), 60.0)
        except ProtocolError:
            pass

    def metadata_parser(data: bytes) -> None:
        with contextlib.suppress(SessionFileError):
            parse_metadata(data, "fuzz")

    target = {"page_decoder": page_decoder, "message_parser": message_parser,
              "metadata_parser": metadata_parser}[name]
    atheris.Setup([sys.argv[0], *sys.argv[sys.argv.index("--") + 1:]], target)
    atheris.Fuzz()


def run(name: str, seconds: int) -> tuple[int, float, bool]:
    """(executions, seconds, crashed) of one target run in its own process."""
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, __file__, "--target", name, "--",
                           f"-max_total_time={seconds}", "-print_final_stats=1"],
                          capture_output=True, text=True)
    wall = time.perf_counter() - t0
    runs = re.findall(r"stat::number_of_executed_units:\s*(\d+)", proc.stderr)
    done = re.findall(r"#(\d+)\s+DONE", proc.stderr)
    executions = int(runs[-1]) if runs else int(done[-1]) if done else 0
    crashed = proc.returncode != 0 or "Uncaught Python exception" in proc.stderr
    if crashed:
        print(proc.stderr[-3000:], file=sys.stderr)
    return executions, wall, crashed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=int, default=30, help="budget per target")
    ap.add_argument("--target", choices=TARGETS, help=argparse.SUPPRESS)
    args, _ = ap.parse_known_args()
    if args.target:
        fuzz_target(args.target)
        return
    try:
        import atheris  # noqa: F401
    except ImportError:
        sys.exit("atheris is not installed: pip install -e '.[fuzz]'")
    print("| target | budget s | executions | exec/s | crashes |\n|---|---|---|---|---|")
    failed = False
    for name in TARGETS:
        executions, wall, crashed = run(name, args.seconds)
        failed |= crashed
        print(f"| {name} | {args.seconds} | {executions} | {executions / wall:.0f} | "
              f"{'YES (see stderr)' if crashed else 0} |", flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
