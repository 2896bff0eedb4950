"""Helpers of the UDP tests: a short oval track (a lap in about 22 s of simulated time,
so laps fit in a test) and a bare protocol client on loopback."""

from __future__ import annotations

import math
import socket
from pathlib import Path

from actelemetry.game.udp import GameInfo, Operation, decode_response, encode_operation

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
