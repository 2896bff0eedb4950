"""The WebSocket broadcast server: one asyncio loop in its own thread, many clients.

Why one module of about 410 lines: every line here is asyncio or websockets (the loop,
handshakes, writer tasks, keepalive); the decisions are the sans-I/O modules named below.

The capture loop runs synchronously in another thread and hands each frame across with
``call_soon_threadsafe``. Every client has a queue bounded in frames and bytes and its own
writer task: a frame is encoded once per (channel subset, encoding) and put on each queue;
a full queue drops its oldest frame and the client is told how many it missed. No client is
ever awaited before another, so one stalled client cannot slow the rest. A client that keeps
up (nothing queued, nothing being sent, its transport under the high-water mark) is not
queued at all: its message is written straight to its transport, the WebSocket frame
serialized once per payload for all such clients (cheaper than ``websockets.broadcast``,
which serializes it per connection); a writer task wakes only for a client that is behind.

This module is only the asyncio adapter: the decisions (admission, queues, rate limits)
are :mod:`~actelemetry.bridge.broadcaster`'s, what each client is sent and when (frames,
events, pauses) is :mod:`~actelemetry.bridge.hub`'s, the settings
:mod:`~actelemetry.bridge.config`'s.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
import time
import weakref
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import Server, ServerConnection, broadcast, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.frames import Frame, Opcode
from websockets.http11 import Request, Response
from websockets.protocol import State

from actelemetry.bridge import protocol as proto
from actelemetry.bridge.broadcaster import (
    Admission,
    AdmissionRules,
    SendQueue,
    TokenBucket,
    presented_tokens,
)
from actelemetry.bridge.config import BridgeConfig
from actelemetry.bridge.hub import Hub
from actelemetry.bridge.overload import OverloadLog
from actelemetry.bridge.pacing import Pacer
from actelemetry.bridge.page import static_file
from actelemetry.errors import UsageError

log = logging.getLogger(__name__)

#: kernel send buffer per client: bounds what a stalled client holds and lets its queue,
#: not the kernel, decide what it gets (newest frames first)
CLIENT_SNDBUF = 256 * 1024
#: bytes websockets may buffer per client above the kernel's before a send waits
WRITE_LIMIT = 64 * 1024


class DirectWrites:
    """Messages for clients that keep up, gathered during one call of the hub and then
    written straight to their transports: per payload, one WebSocket frame serialized once
    (a server's frames are unmasked, so every client's bytes are the same) and one write per
    transport, with no task woken. ``websockets.broadcast`` serializes the frame again for
    each connection; a connection it would not write to (not open, a fragmented send in
    progress, an extension that rewrites frames) is left to it, so it skips or logs it."""

    def __init__(self) -> None:
        self.active = False
        self.written = 0  # messages written this way, one per client each
        self._pending: dict[int, tuple[str | bytes, list[ServerConnection]]] = {}

    def add(self, payload: str | bytes, ws: ServerConnection) -> None:
        entry = self._pending.get(id(payload))
        if entry is None:
            self._pending[id(payload)] = (payload, [ws])
        else:
            entry[1].append(ws)

    def __enter__(self) -> DirectWrites:
        self.active = True
        return self

    def __exit__(self, *exc: object) -> None:
        self.active = False
        pending, self._pending = self._pending, {}
        for payload, connections in pending.values():
            if isinstance(payload, str):
                frame = Frame(Opcode.TEXT, payload.encode())
            else:
                frame = Frame(Opcode.BINARY, payload)
            data = frame.serialize(mask=False)
            others = []
            for ws in connections:
                if (ws.protocol.state is not State.OPEN or ws.send_in_progress is not None
                        or ws.protocol.extensions):
                    others.append(ws)
                    continue
                try:
                    ws.transport.write(data)
                except Exception:  # as broadcast does: the others still get it
                    others.append(ws)
            if others:
                broadcast(others, payload)
            self.written += len(connections)


@dataclass(eq=False)
class Client:
    """One connection: its subscription, its bounded queue, its message allowance."""

    ws: ServerConnection
    sub: proto.Subscription
    queue: SendQueue
    bucket: TokenBucket
    pacer: Pacer | None = None
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    sending_since: float | None = None  # monotonic time the current send began
    direct: DirectWrites | None = None

    def keeping_up(self) -> bool:
        """Nothing queued or being sent, nothing missed to tell, and the transport under
        its high-water mark: a message may be written straight to it."""
        if self.queue or self.queue.missed or self.sending_since is not None:
            return False
        transport = self.ws.transport
        return transport is not None and transport.get_write_buffer_size() < WRITE_LIMIT

    def push(self, payload: str | bytes, is_frame: bool) -> None:
        """Write a message now when the client keeps up (during a hub call), else queue it;
        a client whose queue overflows with events is closed."""
        if self.direct is not None and self.direct.active and self.keeping_up():
            self.direct.add(payload, self.ws)
            return
        if not self.queue.push(payload, is_frame):
            with contextlib.suppress(Exception):
                self.ws.transport.abort()  # it does not read: nothing it gets would arrive
        self.wake.set()


class BridgeServer:
    """Broadcasts the capture's frames to every connected client; serves the web page.

    ``start()`` binds (raising UsageError when the port is taken) and returns; the
    thread-safe ``session_start``/``publish``/``event``/``session_end`` feed it.
    """

    def __init__(self, config: BridgeConfig) -> None:
        self.config = config
        self.port = config.port
        self.clients: set[Client] = set()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.hub = Hub(config.rate, config.limits(), config.pause_after_s)
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self._start_error: BaseException | None = None
        self._stop: asyncio.Future[None] | None = None
        self._server: Server | None = None
        self.admission = Admission(AdmissionRules(config.host, config.token, config.max_clients))
        #: connections still in their handshake, oldest first
        self.pending: dict[ServerConnection, None] = {}
        #: the subscription each connection asked for in its handshake's query
        self._asked: weakref.WeakKeyDictionary[ServerConnection, proto.Subscription] = (
            weakref.WeakKeyDictionary())
        self.refused_pending = 0
        self._overload_log = OverloadLog()
        self.direct_writes = DirectWrites()

    # --- life cycle (any thread) ---------------------------------------------------------
    def start(self) -> BridgeServer:
        self._thread = threading.Thread(target=self._run, name="bridge-server", daemon=True)
        self._thread.start()
        self._started.wait(30)
        if self._start_error is not None:
            err = self._start_error
            raise UsageError(f"cannot listen on {self.config.host}:{self.config.port}: "
                             f"{getattr(err, 'strerror', None) or err}") from err
        return self

    def stop(self) -> None:
        stop = self._stop

        def release() -> None:
            if stop is not None and not stop.done():
                stop.set_result(None)

        if self.loop is not None and stop is not None and not self.loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop already closed
                self.loop.call_soon_threadsafe(release)
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> BridgeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def frames_published(self) -> int:
        return self.hub.frames_published

    @property
    def rate(self) -> float:
        """Frames a second the stream sends."""
        return self.config.rate

    @property
    def url(self) -> str:
        host = self.config.host
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}/"

    # --- feeding (capture thread) --------------------------------------------------------
    def _call(self, fn: Any, *args: Any) -> None:
        if self.loop is not None and not self.loop.is_closed():
            with contextlib.suppress(RuntimeError):  # stopping
                self.loop.call_soon_threadsafe(fn, *args)

    def session_start(self, metadata: dict[str, Any], game: str) -> None:
        self._call(self._on_session_start, metadata, game)

    def session_end(self, info: dict[str, Any]) -> None:
        self._call(self._on_session_end, info)

    def publish(self, t: float, wall: float, data: dict[str, Any],
                delta_best_s: float | None = None) -> None:
        """One frame: ``t`` is the sample clock (pacing), ``wall`` its Unix time."""
        self._call(self._on_frame, t, wall, data, delta_best_s)

    def event(self, name: str, **fields: Any) -> None:
        self._call(self._on_event, name, fields)

    # --- the loop ------------------------------------------------------------------------
    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # pragma: no cover - reported through start()
            self._start_error = self._start_error or exc
            self._started.set()

    async def _main(self) -> None:
        self.loop = asyncio.get_running_loop()
        self._stop = self.loop.create_future()
        cfg = self.config
        bridge = self

        class Connection(ServerConnection):
            """Keeps the connections still in their handshake under a cap: past it the one
            that has waited longest is cut, so a client that speaks at once gets in."""

            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                super().connection_made(transport)
                if len(bridge.pending) >= cfg.max_pending:
                    bridge._overloaded()
                    oldest = next(iter(bridge.pending))
                    del bridge.pending[oldest]
                    oldest.transport.abort()
                bridge.pending[self] = None

            def connection_lost(self, exc: Exception | None) -> None:
                bridge.pending.pop(self, None)
                super().connection_lost(exc)

        try:
            self._server = await serve(
                self._handler, cfg.host, cfg.port, process_request=self._process_request,
                create_connection=Connection, max_size=proto.MAX_CLIENT_MESSAGE, max_queue=8,
                write_limit=WRITE_LIMIT, compression=None, ping_interval=cfg.ping_interval_s,
                ping_timeout=cfg.ping_interval_s, close_timeout=2,
                open_timeout=cfg.handshake_timeout_s)
        except OSError as exc:
            self._start_error = exc
            self._started.set()
            return
        self.port = self._server.sockets[0].getsockname()[1] if self._server.sockets \
            else cfg.port
        self._started.set()
        watchdog = asyncio.create_task(self._watch())
        try:
            await self._stop
        finally:
            watchdog.cancel()
            self._server.close()
            await self._server.wait_closed()

    def _overloaded(self) -> None:
        self.refused_pending += 1
        if self._overload_log.due(time.monotonic()):
            log.warning("more than %d connections are in their handshake: cutting the "
                        "oldest (logged once a minute)", self.config.max_pending)

    # --- HTTP: the page, and admission of WebSocket clients -----------------------------
    def _process_request(self, conn: ServerConnection, request: Request) -> Response | None:
        self.pending.pop(conn, None)  # the handshake request arrived
        url = urlsplit(request.path)
        host = request.headers.get("Host")
        if request.headers.get("Upgrade", "").lower() != "websocket":
            verdict = self.admission.http(host)
            if not verdict.ok:
                return conn.respond(verdict.status, verdict.reason + "\n")
            found = static_file(url.path)
            if found is None:
                return conn.respond(404, "not found\n")
            body, ctype = found
            return Response(200, "OK", Headers([
                ("Content-Type", ctype), ("Content-Length", str(len(body))),
                ("Cache-Control", "no-cache"), ("Connection", "close")]), body)
        query = parse_qs(url.query)
        peer = conn.remote_address[0] if conn.remote_address else ""
        verdict = self.admission.websocket(host, request.headers.get("Origin"),
                                           presented_tokens(request.headers, query), peer,
                                           len(self.clients),
                                           time.monotonic())
        if not verdict.ok:
            return conn.respond(verdict.status, verdict.reason + "\n")
        try:
            fields = {k: v[-1] for k, v in query.items() if k != "token"}
            self._asked[conn] = proto.parse_subscription(fields, proto.Subscription(),
                                                         self.config.rate)
        except proto.ProtocolError as exc:
            return conn.respond(400, f"{exc}\n")
        return None

    # --- one connection -----------------------------------------------------------------
    async def _handler(self, ws: ServerConnection) -> None:
        cfg = self.config
        if len(self.clients) >= cfg.max_clients:  # admitted together with others: re-check
            await ws.close(1013, "too many clients; try again later")
            return
        sock = ws.transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, CLIENT_SNDBUF)
        sub = self._asked.pop(ws, proto.Subscription())
        client = Client(ws, sub, SendQueue(cfg.queue_size, cfg.queue_bytes),
                        TokenBucket(cfg.client_msg_rate, cfg.client_msg_burst, time.monotonic()))
        client.pacer = self.hub.pacer_for(sub)
        client.direct = self.direct_writes
        client.push(proto.encode(self.hub.hello(), sub.encoding), False)
        self.clients.add(client)  # from here on it gets every frame, after the hello
        writer = asyncio.create_task(self._writer(client))
        try:
            async for message in ws:
                await self._on_client_message(client, message)
        except ConnectionClosed:
            pass
        finally:
            self.clients.discard(client)
            writer.cancel()

    async def _writer(self, client: Client) -> None:
        ws = client.ws
        try:
            while True:
                await client.wake.wait()
                client.wake.clear()
                while client.queue:
                    missed = client.queue.take_missed()
                    payload = client.queue.pop()
                    client.sending_since = time.monotonic()
                    if missed:
                        await ws.send(proto.encode(
                            proto.dropped(missed, client.queue.missed_total),
                            client.sub.encoding))
                    await ws.send(payload)
                    client.sending_since = None
        except ConnectionClosed:
            pass

    async def _on_client_message(self, client: Client, message: str | bytes) -> None:
        cfg = self.config
        bucket = client.bucket
        if not bucket.allow(time.monotonic()):
            if bucket.over > cfg.client_abuse_limit:
                # what it was already told (its rate_limited error) goes out before the
                # close, however far behind the writer task is on a busy machine
                with contextlib.suppress(ConnectionClosed):
                    for payload in client.queue.take_replies():
                        await client.ws.send(payload)
                await client.ws.close(1008, "too many messages")
            elif bucket.over == 1 or bucket.over % 20 == 0:
                self._reply(client, proto.error(
                    "rate_limited", f"at most {cfg.client_msg_rate:g} messages per second"))
            return
        try:
            msg = proto.parse_client_message(message)
            kind = msg["type"]
            if kind == "subscribe":
                client.sub = proto.parse_subscription(msg, client.sub, cfg.rate)
                client.pacer = self.hub.pacer_for(client.sub)
                self._reply(client, client.sub.describe(cfg.rate))
            elif kind == "ping":
                self._reply(client, {"type": "pong", "id": msg.get("id"),
                                     "server_time": time.time()})
            elif kind == "hello":
                self._reply(client, self.hub.hello())
            else:
                raise proto.ProtocolError("unknown_type", f"unknown message type {kind!r}")
        except proto.ProtocolError as exc:
            self._reply(client, proto.error(exc.code, str(exc)))

    def _reply(self, client: Client, message: dict[str, Any]) -> None:
        client.push(proto.encode(message, client.sub.encoding), False)

    # --- the capture's calls, in the loop thread -----------------------------------------
    def _on_frame(self, t: float, wall: float, data: dict[str, Any],
                  delta_best_s: float | None) -> None:
        with self.direct_writes:
            self.hub.frame(self.clients, t, wall, data, delta_best_s, time.monotonic())

    def _on_event(self, name: str, fields: dict[str, Any]) -> None:
        with self.direct_writes:
            self.hub.event(self.clients, name, fields)

    def _on_session_start(self, metadata: dict[str, Any], game: str) -> None:
        with self.direct_writes:
            self.hub.session_start(self.clients, metadata, game, time.monotonic())

    def _on_session_end(self, info: dict[str, Any]) -> None:
        with self.direct_writes:
            self.hub.session_end(self.clients, info)

    async def _watch(self) -> None:
        """Closes clients whose sends are stuck, and tells everyone when frames stop
        coming in an open session (the game is paused, or in a menu)."""
        while True:
            await asyncio.sleep(min(0.1, self.hub.pause_after_s / 2))
            self._close_stalled(time.monotonic())
            self.hub.check_pause(self.clients, time.monotonic(), time.time())

    def _close_stalled(self, now: float) -> None:
        """A client whose send has been blocked too long does not read: cut it."""
        for client in list(self.clients):
            since = client.sending_since
            if since is not None and now - since > self.config.send_stall_s:
                client.sending_since = None
                with contextlib.suppress(Exception):
                    client.ws.transport.abort()
