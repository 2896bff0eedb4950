"""A real stream server in its own process, for the flood tests: frames at 60 Hz.

Run as ``python flood_server.py '{"queue_bytes": ...}'``; it prints its port, serves until
its standard input closes, then prints how many frames it published.
"""

from __future__ import annotations

import json
import sys
import threading
import time

from actelemetry.bridge.server import BridgeConfig, BridgeServer
from actelemetry.channels.catalogue import BY_NAME, names_for

SESSION = {"game": "ac", "car": "test_car", "track": "test_track", "driver": "Test Driver"}


def frame(i: int) -> dict[str, object]:
    data: dict[str, object] = {}
    for name in names_for("ac"):
        dtype = BY_NAME[name].dtype
        data[name] = (i % 2 == 0 if dtype == "bool" else f"{i}" if dtype == "string"
                      else i % 100 if dtype.startswith("int") else i * 0.123456789)
    return data


def main() -> None:
    config = BridgeConfig(port=0, rate=60.0, **json.loads(sys.argv[1]))
    with BridgeServer(config) as server:
        print(server.port, flush=True)
        stop = threading.Event()
        threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
        server.session_start(SESSION, "ac")
        i, t0 = 0, time.monotonic()
        while not stop.is_set():
            i += 1
            server.publish(i / 60.0, time.time(), frame(i))
            time.sleep(max(0.0, t0 + i / 60.0 - time.monotonic()))
        print(server.frames_published, flush=True)


if __name__ == "__main__":
    main()
