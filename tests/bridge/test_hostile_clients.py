"""Floods against a real server in its own process: its memory stays bounded, its file
descriptors too, and a healthy client keeps getting frames throughout.

Every flood is a bounded loop on the loopback interface. Memory is the server process's
resident set, measured after it has served its page once (the page files are read then).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import psutil
import pytest
from websockets.exceptions import WebSocketException

from actelemetry.bridge.client import BridgeClient, open_stream

pytestmark = pytest.mark.slow

FLOOD_SERVER = Path(__file__).with_name("flood_server.py")
#: the most a flood may grow the server's resident memory
MAX_GROWTH = 20 * 2**20


class Served:
    """The server process, its port and what it printed."""

    def __init__(self, config: dict) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, str(FLOOD_SERVER), json.dumps(config)], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.port = int(self.proc.stdout.readline())
        self.ps = psutil.Process(self.proc.pid)
        self.published = 0
        self.stderr = ""

    def rss(self) -> int:
        return self.ps.memory_info().rss

    def fds(self) -> int:
        return self.ps.num_fds()

    def stop(self) -> None:
        out, self.stderr = self.proc.communicate("", timeout=60)
        self.published = int(out.split()[-1]) if out.split() else 0


@pytest.fixture
def serve() -> Iterator[Callable[..., Served]]:
    started: list[Served] = []

    def start(**config: object) -> Served:
        served = Served(config)
        started.append(served)
        return served

    yield start
    for served in started:
        if served.proc.poll() is None:
            served.proc.kill()
            served.proc.wait()


def http_get(port: int, path: str, host: str = "127.0.0.1") -> int:
    """Status of one plain HTTP request (the body is read to the end)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n".encode())
        data = b""
        while chunk := sock.recv(1 << 16):
            data += chunk
    return int(data.split(b" ", 2)[1])


def warm(served: Served) -> int:
    """Serve the page once (its files are read then) and return the memory after."""
    assert http_get(served.port, "/") == 200
    assert http_get(served.port, "/plotly.min.js") == 200
    time.sleep(0.5)
    return served.rss()


def raw_websocket(port: int, rcvbuf: int = 4096) -> socket.socket:
    """A WebSocket client that completes its request and then never reads."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.connect(("127.0.0.1", port))
    key = "dGhlIHNhbXBsZSBub25jZQ=="
    sock.sendall((f"GET / HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                  "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    return sock


def text_frame(text: str) -> bytes:
    """A masked client text frame (short payloads only)."""
    payload = text.encode()
    mask = secrets.token_bytes(4)
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return bytes([0x81, 0x80 | len(payload)]) + mask + masked


def closed_by_server(sock: socket.socket, timeout: float = 60.0) -> bool:
    """True when the server has closed (or reset) this connection."""
    sock.settimeout(timeout)
    try:
        while sock.recv(1 << 16):
            pass
        return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except TimeoutError:
        return False


class Healthy:
    """A well-behaved client counting the frames it gets while a flood runs."""

    def __init__(self) -> None:
        self.frames = 0
        self.dropped = 0

    async def run(self, port: int, until: asyncio.Event) -> None:
        client: BridgeClient | None = None
        for _ in range(20):  # the flood may cut a handshake: connect again, as clients do
            try:
                client = await open_stream(f"ws://127.0.0.1:{port}/")
                break
            except (OSError, TimeoutError, WebSocketException):
                await asyncio.sleep(0.2)
        assert client is not None, "the healthy client never got in"
        async with client:
            while not until.is_set():
                try:
                    msg = await client.recv(timeout=0.5)
                except TimeoutError:
                    continue
                if msg["type"] == "frame":
                    self.frames += 1
                elif msg["type"] == "dropped":
                    self.dropped += msg["count"]


def with_healthy_client(port: int, flood: Callable[[], None], seconds_min: float) -> Healthy:
    """Run ``flood`` (blocking, in a thread) while a healthy client reads frames."""
    healthy = Healthy()

    async def main() -> None:
        done = asyncio.Event()
        reader = asyncio.create_task(healthy.run(port, done))
        t0 = time.monotonic()
        await asyncio.to_thread(flood)
        await asyncio.sleep(max(0.0, seconds_min - (time.monotonic() - t0)))
        done.set()
        await reader

    asyncio.run(main())
    return healthy


def assert_survived(served: Served, base: int, healthy: Healthy,
                    non_readers: list[socket.socket]) -> None:
    """Memory bounded, every client that never read cut off, the healthy one served."""
    growth = served.rss() - base
    print(f"RSS growth {growth / 2**20:.1f} MB, healthy client {healthy.frames} frames")
    assert all(closed_by_server(s) for s in non_readers), "a non-reader stayed connected"
    served.stop()
    assert growth < MAX_GROWTH, f"RSS grew {growth / 2**20:.1f} MB"
    assert healthy.frames > 0 and "Traceback" not in served.stderr


def test_unique_path_http_flood(serve: Callable[..., Served]) -> None:
    served = serve()
    base = warm(served)

    def flood() -> None:
        for i in range(4000):
            path = f"/{i}-" + "x" * 7000
            assert http_get(served.port, path) == 404

    healthy = with_healthy_client(served.port, flood, 2.0)
    growth = served.rss() - base
    print(f"RSS growth {growth / 2**20:.1f} MB, healthy client {healthy.frames} frames")
    served.stop()
    assert growth < MAX_GROWTH, f"RSS grew {growth / 2**20:.1f} MB"
    assert healthy.frames > 0 and "Traceback" not in served.stderr


def test_hello_flood_from_clients_that_do_not_read(serve: Callable[..., Served]) -> None:
    # a client may ask this often; each answer (the hello) is about 25 kB
    served = serve(client_msg_rate=1000.0, client_msg_burst=1000, client_abuse_limit=10**9,
                   send_stall_s=2.0)
    base = warm(served)
    socks = [raw_websocket(served.port) for _ in range(3)]
    hello = text_frame('{"type":"hello"}')

    def flood() -> None:
        deadline = time.monotonic() + 6.0
        while time.monotonic() < deadline:
            for sock in socks:
                with contextlib.suppress(OSError):  # cut off by the server: as it should
                    sock.sendall(hello)
            time.sleep(0.005)

    healthy = with_healthy_client(served.port, flood, 6.0)
    assert_survived(served, base, healthy, socks)


def test_idle_clients_that_do_not_read_are_bounded_and_closed(
        serve: Callable[..., Served]) -> None:
    served = serve(send_stall_s=1.0)
    base = warm(served)
    socks = [raw_websocket(served.port) for _ in range(50)]

    healthy = with_healthy_client(served.port, lambda: time.sleep(6.0), 6.0)
    assert_survived(served, base, healthy, socks)


def test_a_thousand_idle_sockets_do_not_exhaust_the_server(
        serve: Callable[..., Served]) -> None:
    if sys.platform != "win32":  # Windows has no per-process limit on sockets to raise
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < 1400:
            if hard != resource.RLIM_INFINITY and hard < 1400:
                pytest.skip("this machine allows too few open files for 1,100 sockets")
            resource.setrlimit(resource.RLIMIT_NOFILE, (1400, hard))
    served = serve()
    base = warm(served)
    most_fds = 0
    idle: list[socket.socket] = []

    def flood() -> None:
        nonlocal most_fds
        for _ in range(1100):
            with contextlib.suppress(OSError):  # refused while the server sheds load: fine
                idle.append(socket.create_connection(("127.0.0.1", served.port), timeout=10))
            if len(idle) % 100 == 0:
                most_fds = max(most_fds, served.fds())
        time.sleep(2.0)
        most_fds = max(most_fds, served.fds())

    try:
        healthy = with_healthy_client(served.port, flood, 4.0)
        growth = served.rss() - base
        print(f"RSS growth {growth / 2**20:.1f} MB, healthy client {healthy.frames} frames, "
              f"at most {most_fds} descriptors")
    finally:
        for sock in idle:
            sock.close()
    served.stop()
    assert most_fds < 300, f"the server held {most_fds} file descriptors"
    assert growth < MAX_GROWTH, f"RSS grew {growth / 2**20:.1f} MB"
    assert healthy.frames > 0
    assert "Traceback" not in served.stderr
    assert served.stderr.count("handshake") <= 1, served.stderr  # logged once, not per socket


def test_dns_rebinding_is_refused_on_the_real_server(serve: Callable[..., Served]) -> None:
    served = serve()
    assert http_get(served.port, "/", host="evil.example:18765") == 421
    assert http_get(served.port, "/", host=f"localhost:{served.port}") == 200
    with socket.create_connection(("127.0.0.1", served.port), timeout=30) as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: evil.example:18765\r\n"
                      b"Origin: http://evil.example:18765\r\nUpgrade: websocket\r\n"
                      b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                      b"Sec-WebSocket-Version: 13\r\n\r\n")
        assert sock.recv(64).startswith(b"HTTP/1.1 421")
    served.stop()


def test_weak_tokens_stop_the_stream_command_with_one_line() -> None:
    proc = subprocess.run([sys.executable, "-m", "actelemetry", "stream", "--host", "0.0.0.0",
                           "--token", " ", "--source", "sim"], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "16 characters" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
