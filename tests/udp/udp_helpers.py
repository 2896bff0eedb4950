"""Helpers of the UDP tests: a short oval track (a lap in about 22 s of simulated time,
so laps fit in a test) and a bare protocol client on loopback."""

from __future__ import annotations

import math
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path

from actelemetry.game.udp import (
    CAR_INFO_SIZE,
    GameInfo,
    Operation,
    decode_car_info,
    decode_response,
    encode_operation,
)
from actelemetry.sim.udp import UdpServer

#: two 250 m straights joined by two 60 m-radius half circles: about 877 m
STRAIGHT_M, RADIUS_M, STEP_M, HALF_WIDTH_M = 250.0, 60.0, 5.0, 6.0


def oval_track(folder: Path) -> Path:
    """A centre-line CSV (x, y, right and left widths) of a stadium oval."""
    pts: list[tuple[float, float]] = []
    n = int(math.pi * RADIUS_M / STEP_M)
    pts += [(i * STEP_M, 0.0) for i in range(int(STRAIGHT_M / STEP_M))]
    for i in range(n):
        a = -math.pi / 2 + math.pi * i / n
        pts.append((STRAIGHT_M + RADIUS_M * math.cos(a), RADIUS_M + RADIUS_M * math.sin(a)))
    pts += [(STRAIGHT_M - i * STEP_M, 2 * RADIUS_M) for i in range(int(STRAIGHT_M / STEP_M))]
    for i in range(n):
        a = math.pi / 2 + math.pi * i / n
        pts.append((RADIUS_M * math.cos(a), RADIUS_M + RADIUS_M * math.sin(a)))
    path = folder / "oval.csv"
    rows = [f"{x:.3f},{y:.3f},{HALF_WIDTH_M},{HALF_WIDTH_M}" for x, y in pts]
    path.write_text("# x_m,y_m,w_tr_right_m,w_tr_left_m\n" + "\n".join(rows) + "\n")
    return path


class Client:
    """One UDP socket talking to a server at ``address`` (as the game's clients do)."""

    def __init__(self, address: tuple[str, int], timeout: float = 10.0) -> None:
        self.address = address
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(timeout)

    def send(self, op: Operation) -> None:
        self.sock.sendto(encode_operation(op), self.address)

    def handshake(self) -> GameInfo:
        self.send(Operation.HANDSHAKE)
        info = decode_response(self.recv())
        assert info is not None
        return info

    def recv(self) -> bytes:
        data, addr = self.sock.recvfrom(4096)
        assert addr == self.address
        return data

    def drain(self, timeout: float = 0.2) -> list[bytes]:
        """Every datagram waiting now (and arriving within ``timeout`` of the last)."""
        got = []
        self.sock.settimeout(timeout)
        try:
            while True:
                got.append(self.sock.recvfrom(4096)[0])
        except TimeoutError:
            return got

    def close(self) -> None:
        self.sock.close()


class LossyServer(UdpServer):
    """The simulator's server on a network that loses every n-th RTCarInfo; the
    (lapCount, lapTime) of each one lost is kept in ``dropped``."""

    def __init__(self, host: str, port: int, drop_every: int = 0) -> None:
        super().__init__(host, port)
        self.drop_every = drop_every
        self.dropped: list[tuple[int, int]] = []
        self._n = 0

    def _send(self, targets: list[tuple[str, int]], data: bytes) -> None:
        if self.drop_every and len(data) == CAR_INFO_SIZE:
            self._n += 1
            if self._n % self.drop_every == 0:
                car = decode_car_info(data)
                assert car is not None
                self.dropped.append((int(car["lapCount"]), int(car["lapTime"])))
                return
        super()._send(targets, data)


class ServedSim:
    """A simulator stepping on the wall clock in a thread of this process, serving UDP on
    loopback (the game on another PC, as far as a capture can tell); ``drop`` decides per
    RTCarInfo whether the network loses it (before it is sent)."""

    def __init__(self, folder: Path, track: Path, laps: int = 1, seed: int = 0,
                 speed: float = 3.0, port: int = 0, drop_every: int = 0) -> None:
        from actelemetry.game.writer import PageWriter
        from actelemetry.sim import Simulator

        folder.mkdir(parents=True, exist_ok=True)
        self.pub = PageWriter(folder, "ac")
        self.sim = Simulator(game="ac", track=track, laps=laps, seed=seed, publisher=self.pub)
        self.server = LossyServer("127.0.0.1", port, drop_every)
        self.server.attach(self.sim)
        self.speed = speed
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._drive, daemon=True)
        self.thread.start()

    @property
    def port(self) -> int:
        return self.server.address[1]

    def _drive(self) -> None:
        """Drive once a client has subscribed (so a capture that starts slowly on a busy
        machine still sees the session from its out lap), until stopped or finished."""
        from actelemetry.sim.realtime import run_realtime

        while not self.server.stats.subscribed and not self.stop.wait(0.02):
            pass
        run_realtime(self.sim, speed=self.speed, stop=self.stop)

    def close(self) -> None:
        """The game quits: the simulator stops, nothing more is sent or answered."""
        self.stop.set()
        self.thread.join(timeout=10)
        self.server.close()
        self.pub.close()


def wait_for(condition: Callable[[], bool], what: str, deadline_s: float = 60.0) -> None:
    """Poll ``condition`` until it holds; a generous deadline (only a broken run hits it)."""
    end = time.monotonic() + deadline_s
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.05)
