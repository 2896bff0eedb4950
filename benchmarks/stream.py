"""Broadcast latency, CPU and drops of the live bridge with 1, 10 and 100 clients, side
by side with two bare baselines fed the same frames in the same run.

The server runs in this process, fed by a thread that publishes full AC frames (every
catalogue channel, as the capture loop's sink does) at 60 or 100 Hz. Clients run in
another process, so the server's CPU figure is the server's own. Latency is from the
moment a frame is published (the sample's time) to its receipt by a client, both read
from the same wall clock. "stalled" adds one client that connects and never reads (its
socket's receive buffer is tiny); the table's figures are for the healthy clients, and
"stalled KiB" is the most the server held for the stalled one (queue and transport
buffer, sampled once a second; the bridge cuts it after ``send_stall_s``).

The baselines are plain ``websockets`` servers with no queue, no pacing and no isolation:
"serial" awaits ``send`` to each client in turn (the usual loop), "broadcast" calls
``websockets.broadcast``. Rows alternate bridge / serial / broadcast, so a busy machine
hits them alike; their ratios are the robust figures.

Only loopback addresses are used.

    .venv/bin/python benchmarks/stream.py                 # 20 s a row (~6 minutes)
    .venv/bin/python benchmarks/stream.py --quick         # 1 and 10 clients, 60 Hz, 4 s
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import multiprocessing as mp
import re
import socket
import threading
import time
from dataclasses import dataclass

import numpy as np
import psutil

from actelemetry.bridge import protocol as proto
from actelemetry.bridge.server import BridgeConfig, BridgeServer

WARMUP_FRAMES = 30  # per client, left out of the latency figures
CLIENTS_PER_PROCESS = 50


def full_frame(i: int) -> dict:
    from actelemetry.channels.catalogue import BY_NAME, names_for

    data: dict = {}
    for k, name in enumerate(names_for("ac")):
        dtype = BY_NAME[name].dtype
        if dtype == "bool":
            data[name] = (i + k) % 3 == 0
        elif dtype == "string":
            data[name] = f"1:{i % 60:02d}:{i % 1000:03d}"
        elif dtype.startswith("int"):
            data[name] = (i * 7 + k) % 1000
        else:
            data[name] = float(np.float32(np.sin(i / 50 + k) * 123.456))
    return data


# --- the client processes ----------------------------------------------------------------
FRAME_HEAD = re.compile(rb'"seq":(\d+),"wall":([0-9.eE+-]+)')


def client_process(port: int, n: int, stalled: bool, ready: mp.Event, go: mp.Event,
                   last_seq: mp.Value, out: mp.Queue) -> None:
    asyncio.run(_clients(port, n, stalled, ready, go, last_seq, out))


async def _clients(port, n, stalled, ready, go, last_seq, out) -> None:
    from websockets.asyncio.client import connect

    url = f"ws://127.0.0.1:{port}/"
    conns = [await connect(url, max_size=2**22, compression=None) for _ in range(n)]
    stall = None
    if stalled:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", port))
        stall = await connect(url, sock=sock, max_queue=1, compression=None)
    for c in conns:
        await c.recv()  # hello
    ready.set()

    async def run(ws) -> tuple[list[float], int, int, int]:
        # the receipt time is taken first; only the envelope is parsed, from the bytes
        # (no UTF-8 decoding), and the timeout is a timer, not a task per message (as
        # ``wait_for`` makes on Python 3.11): the figures are the server's delivery, as
        # little as may be of this process's own work on 100 connections
        lat: list[float] = []
        frames = dropped = gaps = prev = 0
        while True:
            try:
                async with asyncio.timeout(5):
                    data = await ws.recv(decode=False)
            except Exception:
                break
            rx = time.time()
            if data.startswith(b'{"type":"frame"'):
                m = FRAME_HEAD.search(data, 0, 120)
                seq, wall = int(m.group(1)), float(m.group(2))
                frames += 1
                if prev and seq != prev + 1:
                    gaps += seq - prev - 1
                prev = seq
                lat.append(rx - wall)
                if last_seq.value and seq >= last_seq.value:
                    break
            elif data.startswith(b'{"type":"dropped"'):
                dropped += json.loads(data)["count"]
        return lat, frames, dropped, gaps

    while not go.is_set():
        await asyncio.sleep(0.01)
    results = await asyncio.gather(*(run(c) for c in conns))
    lat = [x for r in results for x in r[0][WARMUP_FRAMES:]]
    out.put({"lat": lat, "frames": [r[1] for r in results],
             "dropped": sum(r[2] for r in results), "gaps": sum(r[3] for r in results)})
    for c in conns:
        await c.close()
    if stall is not None:
        stall.transport.abort()


# --- the baselines -------------------------------------------------------------------------
class BareServer:
    """A bare ``websockets`` server in its own thread: hello on connect, then every frame
    to every client, by ``websockets.broadcast`` or by awaiting ``send`` to each in turn."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.conns: list = []
        self.port = 0
        self.seq = 0
        self._ready = threading.Event()
        self._queue: asyncio.Queue | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Future | None = None
        self.thread = threading.Thread(target=lambda: asyncio.run(self._main()), daemon=True)
        self.thread.start()
        self._ready.wait(30)

    async def _main(self) -> None:
        from websockets.asyncio.server import serve

        self.loop = asyncio.get_running_loop()
        self._stop = self.loop.create_future()
        self._queue = asyncio.Queue()

        async def handler(ws) -> None:
            await ws.send(proto.encode({"type": "hello"}, "json"))
            self.conns.append(ws)
            try:
                await ws.wait_closed()
            finally:
                self.conns.remove(ws)

        async with serve(handler, "127.0.0.1", 0, compression=None) as server:
            self.port = server.sockets[0].getsockname()[1]
            sender = asyncio.create_task(self._serial()) if self.mode == "serial" else None
            self._ready.set()
            await self._stop
            if sender is not None:
                sender.cancel()

    async def _serial(self) -> None:
        assert self._queue is not None
        while True:
            payload = await self._queue.get()
            for ws in list(self.conns):
                with contextlib.suppress(Exception):
                    await ws.send(payload)

    def _send(self, wall: float, data: dict) -> None:
        from websockets.asyncio.server import broadcast

        self.seq += 1
        payload = proto.encode(proto.frame(self.seq, wall, data, None), "json")
        if self.mode == "broadcast":
            broadcast(self.conns, payload)
        else:
            assert self._queue is not None
            self._queue.put_nowait(payload)

    def publish(self, t: float, wall: float, data: dict) -> None:
        assert self.loop is not None
        self.loop.call_soon_threadsafe(self._send, wall, data)

    def held_bytes(self) -> int:
        return max((ws.transport.get_write_buffer_size() for ws in self.conns
                    if ws.transport is not None), default=0)

    def stop(self) -> None:
        if self.loop is not None and self._stop is not None:
            self.loop.call_soon_threadsafe(self._stop.set_result, None)


# --- one measurement ---------------------------------------------------------------------
@dataclass
class Row:
    server: str
    clients: int
    rate: float
    stalled: bool
    p50_ms: float
    p99_ms: float
    max_ms: float
    cpu: float
    loop_cpu: float
    frames_sent: int
    received_min: int
    dropped: int
    stalled_missed: int
    stalled_kib: float
    direct: float = 0.0  # share of the bridge's messages written straight, not queued


def stalled_state(server: BridgeServer | BareServer) -> tuple[int, int]:
    """(frames dropped, bytes held) for the client furthest behind, read from another
    thread: a snapshot, good enough for a maximum sampled once a second."""
    if isinstance(server, BareServer):
        return 0, server.held_bytes()
    clients = list(server.clients)
    missed = max((c.queue.missed_total for c in clients), default=0)
    held = max((c.queue.bytes + (c.ws.transport.get_write_buffer_size()
                                 if c.ws.transport is not None else 0)
                for c in clients), default=0)
    return missed, held


def thread_cpu_s(native_id: int | None) -> float:
    """CPU seconds (user + system) of one thread of this process so far."""
    for t in psutil.Process().threads():
        if t.id == native_id:
            return t.user_time + t.system_time
    return 0.0


def measure(kind: str, n: int, rate: float, stalled: bool, seconds: float) -> Row:
    server: BridgeServer | BareServer
    if kind == "bridge":
        server = BridgeServer(BridgeConfig(port=0, rate=rate, max_clients=n + 10)).start()
        server.session_start({"game": "ac", "car": "bench", "track": "bench"}, "ac")
    else:
        server = BareServer(kind)
    ctx = mp.get_context("spawn")
    go, out = ctx.Event(), ctx.Queue()
    last_seq = ctx.Value("i", 0)
    procs, readies = [], []
    for k in range(0, n, CLIENTS_PER_PROCESS):
        ready = ctx.Event()
        m = min(CLIENTS_PER_PROCESS, n - k)
        proc = ctx.Process(target=client_process, args=(server.port, m, stalled and k == 0,
                                                        ready, go, last_seq, out))
        proc.start()
        procs.append(proc)
        readies.append(ready)
    if not all(r.wait(60) for r in readies):
        raise RuntimeError("clients did not connect")
    frames = [full_frame(i) for i in range(200)]
    count = int(seconds * rate)
    me = psutil.Process()
    go.set()
    time.sleep(0.2)
    me.cpu_percent(None)
    loop_thread = server._thread if isinstance(server, BridgeServer) else server.thread
    assert loop_thread is not None
    loop0 = thread_cpu_s(loop_thread.native_id)
    t0 = time.perf_counter()
    missed = held = 0
    for i in range(1, count + 1):
        time.sleep(max(0.0, t0 + i / rate - time.perf_counter()))
        if i == count:
            last_seq.value = count
        server.publish(time.perf_counter(), time.time(), frames[i % len(frames)])
        if i % int(rate) == 0:  # once a second: what the server holds for the stalled one
            got_missed, got_held = stalled_state(server)
            missed, held = max(missed, got_missed), max(held, got_held)
    cpu = me.cpu_percent(None)
    # every connection's frames, the stalled client's included (it too is written
    # straight until its transport fills)
    direct = (server.direct_writes.written / max(1, count * (n + stalled))
              if isinstance(server, BridgeServer) else 0.0)
    loop_cpu = (thread_cpu_s(loop_thread.native_id) - loop0) / (time.perf_counter() - t0) * 100
    # read now: the client processes hang up as soon as they have the last frame
    got_missed, got_held = stalled_state(server)
    missed, held = max(missed, got_missed), max(held, got_held)
    results = [out.get(timeout=60) for _ in procs]
    for proc in procs:
        proc.join(30)
    server.stop()
    lat = np.array([x for r in results for x in r["lat"]]) * 1e3
    received = [f for r in results for f in r["frames"]]
    drops = sum(r["dropped"] + r["gaps"] for r in results)
    return Row(kind, n, rate, stalled, float(np.percentile(lat, 50)),
               float(np.percentile(lat, 99)), float(lat.max()), cpu, loop_cpu, count,
               min(received), drops, missed, held / 1024, direct)


def print_table(rows: list[Row]) -> None:
    head = (f"{'server':>9} {'clients':>7} {'Hz':>4} {'stalled':>7} {'p50 ms':>7} {'p99 ms':>7} "
            f"{'max ms':>7} {'CPU %':>6} {'loop %':>6} {'sent':>5} {'min recv':>8} {'drops':>5} "
            f"{'stalled missed':>14} {'stalled KiB':>11}")
    print(head)
    print("-" * len(head))
    for r in rows:
        print(f"{r.server:>9} {r.clients:>7} {r.rate:>4.0f} {'yes' if r.stalled else 'no':>7} "
              f"{r.p50_ms:>7.2f} {r.p99_ms:>7.2f} {r.max_ms:>7.1f} {r.cpu:>6.1f} "
              f"{r.loop_cpu:>6.1f} "
              f"{r.frames_sent:>5} {r.received_min:>8} {r.dropped:>5} "
              f"{(r.stalled_missed if r.stalled else '-'):>14} "
              f"{(f'{r.stalled_kib:.0f}' if r.stalled else '-'):>11}")
    print("\nbridge against the baselines in the same run (p99 and CPU ratios; < 1: bridge "
          "better)")
    for r in rows:
        if r.server != "bridge":
            continue
        same = {b.server: b for b in rows if b.server != "bridge" and
                (b.clients, b.rate, b.stalled) == (r.clients, r.rate, r.stalled)}
        parts = [f"{k}: p99 x{r.p99_ms / b.p99_ms:.2f}, CPU x{r.cpu / max(b.cpu, 0.1):.2f}, "
                 f"loop CPU x{r.loop_cpu / max(b.loop_cpu, 0.1):.2f}" for k, b in same.items()]
        stall = " + stalled" if r.stalled else ""
        print(f"  {r.clients:>3} clients {r.rate:.0f} Hz{stall}: " + "; ".join(parts)
              + f"; {r.direct:.1%} of the bridge's messages written straight (not queued)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=None,
                    help="publishing time per row (default 20, --quick 4)")
    ap.add_argument("--quick", action="store_true", help="1 and 10 clients at 60 Hz only")
    ap.add_argument("--clients", type=int, nargs="+", help="client counts (default 1 10 100)")
    ap.add_argument("--rates", type=float, nargs="+", help="rates (default 60 100)")
    ap.add_argument("--no-stalled", action="store_true", help="skip the stalled-client rows")
    args = ap.parse_args()
    seconds = args.seconds or (4.0 if args.quick else 20.0)
    counts = args.clients or ((1, 10) if args.quick else (1, 10, 100))
    rates = args.rates or ((60.0,) if args.quick else (60.0, 100.0))
    start_load = ", ".join(f"{x:.1f}" for x in psutil.getloadavg())
    print(f"load average at start: {start_load}", flush=True)
    rows = []
    for rate in rates:
        for n in counts:
            for stalled in (False,) if args.no_stalled else (False, True):
                for kind in ("bridge", "serial", "broadcast"):
                    rows.append(measure(kind, n, rate, stalled, seconds))
                    extra = " + stalled" if stalled else ""
                    print(f"measured {kind}: {n} clients at {rate:g} Hz{extra}", flush=True)
    print()
    load = ", ".join(f"{x:.1f}" for x in psutil.getloadavg())
    print(f"{psutil.cpu_count()} CPUs, load average at start {start_load}, at end {load}; "
          f"{seconds:g} s a row; latency: publish (sample time) "
          "to receipt; CPU %: the server process (100 = one core), loop %: its event-loop "
          "thread alone (the server's own work, not the thread that publishes); drops: frames "
          "the healthy clients missed; stalled missed: frames dropped for the stalled client")
    print_table(rows)


if __name__ == "__main__":
    main()
