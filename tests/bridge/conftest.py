"""Fixtures for the bridge: a real server on a free loopback port, and a frame feeder."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from actelemetry.bridge.server import BridgeConfig, BridgeServer
from actelemetry.channels.catalogue import BY_NAME, names_for

SESSION = {"game": "ac", "car": "test_car", "track": "test_track", "driver": "Test Driver",
           "max_rpm": 8000}


def frame_data(i: int) -> dict[str, Any]:
    """A full AC frame (every catalogue channel) whose values depend on ``i``."""
    data: dict[str, Any] = {}
    for name in names_for("ac"):
        dtype = BY_NAME[name].dtype
        if dtype == "bool":
            data[name] = i % 2 == 0
        elif dtype == "string":
            data[name] = f"0:{i % 60:02d}:000"
        elif dtype.startswith("int"):
            data[name] = i % 100
        else:
            data[name] = math.sin(i / 10.0) * 100.0 + 0.123456789
    data["speed_kmh"] = float(i % 300)
    data["seq_check"] = i
    return data


@pytest.fixture
def make_server() -> Iterator[Callable[..., BridgeServer]]:
    servers: list[BridgeServer] = []

    def make(**config: Any) -> BridgeServer:
        config.setdefault("port", 0)
        config.setdefault("rate", 60.0)
        server = BridgeServer(BridgeConfig(**config)).start()
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


class Feeder:
    """Publishes frames from its own thread at ``rate``, as the capture loop would."""

    def __init__(self, server: BridgeServer, rate: float, count: int) -> None:
        self.server, self.rate, self.count = server, rate, count
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.done = threading.Event()

    def start(self) -> Feeder:
        self.thread.start()
        return self

    def _run(self) -> None:
        t0 = time.perf_counter()
        for i in range(1, self.count + 1):
            target = t0 + i / self.rate
            time.sleep(max(0.0, target - time.perf_counter()))
            t = time.perf_counter()
            self.server.publish(t, time.time(), frame_data(i))
        self.done.set()

    def join(self) -> None:
        self.thread.join(30)


@pytest.fixture
def feed() -> Callable[..., Feeder]:
    def start(server: BridgeServer, rate: float = 60.0, count: int = 60) -> Feeder:
        server.session_start(SESSION, "ac")
        return Feeder(server, rate, count).start()

    return start
