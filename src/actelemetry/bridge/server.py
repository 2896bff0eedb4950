"""The WebSocket broadcast server: one asyncio loop in its own thread, many clients.

The capture loop runs synchronously in another thread and hands each frame across with
``call_soon_threadsafe``. Every client has a bounded queue and its own writer task: a
frame is encoded once per (channel subset, encoding) and put on each queue; a full
queue drops its oldest frame and the client is told how many it missed. No client is
ever awaited before another, so one stalled client cannot slow the rest.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import ipaddress
import logging
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from actelemetry.bridge import protocol as proto
from actelemetry.bridge.pacing import Pacer
from actelemetry.bridge.page import static_file
from actelemetry.errors import UsageError

log = logging.getLogger(__name__)

#: kernel send buffer per client: bounds what a stalled client holds and lets its queue,
#: not the kernel, decide what it gets (newest frames first)
CLIENT_SNDBUF = 256 * 1024


@dataclass
class BridgeConfig:
    """How the server listens and what it tolerates from clients."""

    host: str = "127.0.0.1"
    port: int = 8765
    token: str | None = None
    rate: float = 10.0  # frames per second the server broadcasts (the capture rate)
    max_clients: int = 200
    queue_size: int = 32  # frames a client may fall behind before the oldest are dropped
    client_msg_rate: float = 20.0  # messages per second a client may send ...
    client_msg_burst: int = 40  # ... with bursts up to this many
    client_abuse_limit: int = 100  # messages over the limit before the server hangs up
    pause_after_s: float | None = None  # no frame for this long: a pause (None: automatic)

    def __post_init__(self) -> None:
        if not 1 <= self.rate <= 1000:
            raise UsageError(f"--rate must be between 1 Hz and the capture rate, not {self.rate}")
        if not is_loopback(self.host) and not self.token:
            raise UsageError(f"binding {self.host} exposes telemetry beyond this machine: "
                             "give --token (clients then pass it) or bind 127.0.0.1")
        if self.max_clients < 1 or self.queue_size < 1:
            raise UsageError("--max-clients and the queue size must be at least 1")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass(eq=False)
class Client:
    """One connection: its subscription, its bounded queue, and what it missed."""

    ws: ServerConnection
    sub: proto.Subscription
    queue_size: int
    pacer: Pacer | None = None
    queue: deque = field(default_factory=deque)  # (is_frame, payload)
    missed: int = 0
    missed_total: int = 0
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    tokens: float = 0.0
    tokens_t: float = 0.0
    over_limit: int = 0

    def push(self, payload: str | bytes, is_frame: bool) -> None:
        """Queue a message; a full queue loses its oldest frame, never an event."""
        if is_frame and len(self.queue) >= self.queue_size:
            for i, (frame_, _) in enumerate(self.queue):
                if frame_:
                    del self.queue[i]
                    self.missed += 1
                    self.missed_total += 1
                    break
        self.queue.append((is_frame, payload))
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
        self.session: dict[str, Any] | None = None
        self.game: str | None = None
        self.track_outline: list[list[float]] | None = None
        self.frames_published = 0
        self.paused = False
        self._last_frame = 0.0
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self._start_error: BaseException | None = None
        self._stop: asyncio.Future | None = None
        self._server: Server | None = None
        self._seq = 0

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
        if self.loop is not None and self._stop is not None and not self.loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop already closed
                self.loop.call_soon_threadsafe(
                    lambda: self._stop.done() or self._stop.set_result(None))
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> BridgeServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

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
        try:
            self._server = await serve(
                self._handler, cfg.host, cfg.port, process_request=self._process_request,
                max_size=proto.MAX_CLIENT_MESSAGE, max_queue=8, compression=None,
                ping_interval=20, ping_timeout=20, close_timeout=2, open_timeout=10)
        except OSError as exc:
            self._start_error = exc
            self._started.set()
            return
        self.port = self._server.sockets[0].getsockname()[1] if self._server.sockets \
            else cfg.port
        self._started.set()
        watchdog = asyncio.create_task(self._watch_pause())
        try:
            await self._stop
        finally:
            watchdog.cancel()
            self._server.close()
            await self._server.wait_closed()

    # --- HTTP: the page, and admission of WebSocket clients -----------------------------
    def _process_request(self, conn: ServerConnection, request: Request) -> Response | None:
        url = urlsplit(request.path)
        if request.headers.get("Upgrade", "").lower() != "websocket":
            found = static_file(url.path)
            if found is None:
                return conn.respond(404, "not found\n")
            body, ctype = found
            return Response(200, "OK", Headers([
                ("Content-Type", ctype), ("Content-Length", str(len(body))),
                ("Cache-Control", "no-cache"), ("Connection", "close")]), body)
        query = parse_qs(url.query)
        if self.config.token and not self._token_ok(request, query):
            return conn.respond(401, "a valid token is required (?token= or "
                                     "Authorization: Bearer)\n")
        origin = request.headers.get("Origin")
        if origin and urlsplit(origin).netloc != request.headers.get("Host"):
            return conn.respond(403, "cross-origin WebSocket connections are refused\n")
        if len(self.clients) >= self.config.max_clients:
            return conn.respond(503, f"too many clients (limit {self.config.max_clients}); "
                                     "try again later\n")
        try:
            fields = {k: v[-1] for k, v in query.items() if k != "token"}
            conn.subscription = proto.parse_subscription(fields, proto.Subscription(),
                                                         self.config.rate)
        except proto.ProtocolError as exc:
            return conn.respond(400, f"{exc}\n")
        return None

    def _token_ok(self, request: Request, query: dict[str, list[str]]) -> bool:
        expected = (self.config.token or "").encode()
        auth = request.headers.get("Authorization", "")
        given = [*query.get("token", []), request.headers.get("X-Actelemetry-Token", "")]
        if auth.lower().startswith("bearer "):
            given.append(auth[7:].strip())
        return any(g and hmac.compare_digest(g.encode(), expected) for g in given)

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
        sub: proto.Subscription = getattr(ws, "subscription", proto.Subscription())
        client = Client(ws, sub, cfg.queue_size, tokens=cfg.client_msg_burst,
                        tokens_t=time.monotonic())
        self._set_pacer(client)
        client.push(proto.encode(self._hello(), sub.encoding), False)
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
                    if client.missed:
                        count, client.missed = client.missed, 0
                        await ws.send(proto.encode(proto.dropped(count, client.missed_total),
                                                   client.sub.encoding))
                    _, payload = client.queue.popleft()
                    await ws.send(payload)
        except ConnectionClosed:
            pass

    def _set_pacer(self, client: Client) -> None:
        rate = client.sub.rate
        client.pacer = Pacer(rate, self.config.rate) if rate and rate < self.config.rate \
            else None

    async def _on_client_message(self, client: Client, message: str | bytes) -> None:
        cfg = self.config
        now = time.monotonic()
        client.tokens = min(cfg.client_msg_burst,
                            client.tokens + (now - client.tokens_t) * cfg.client_msg_rate)
        client.tokens_t = now
        if client.tokens < 1:
            client.over_limit += 1
            if client.over_limit > cfg.client_abuse_limit:
                await client.ws.close(1008, "too many messages")
            elif client.over_limit == 1 or client.over_limit % 20 == 0:
                self._reply(client, proto.error(
                    "rate_limited", f"at most {cfg.client_msg_rate:g} messages per second"))
            return
        client.tokens -= 1
        try:
            msg = proto.parse_client_message(message)
            kind = msg["type"]
            if kind == "subscribe":
                client.sub = proto.parse_subscription(msg, client.sub, cfg.rate)
                self._set_pacer(client)
                self._reply(client, client.sub.describe(cfg.rate))
            elif kind == "ping":
                self._reply(client, {"type": "pong", "id": msg.get("id"),
                                     "server_time": time.time()})
            elif kind == "hello":
                self._reply(client, self._hello())
            else:
                raise proto.ProtocolError("unknown_type", f"unknown message type {kind!r}")
        except proto.ProtocolError as exc:
            self._reply(client, proto.error(exc.code, str(exc)))

    def _reply(self, client: Client, message: dict[str, Any]) -> None:
        client.push(proto.encode(message, client.sub.encoding), False)

    # --- broadcasting (loop thread) -----------------------------------------------------
    def _hello(self) -> dict[str, Any]:
        cfg = self.config
        limits = {"max_message_bytes": proto.MAX_CLIENT_MESSAGE,
                  "messages_per_s": cfg.client_msg_rate, "burst": cfg.client_msg_burst,
                  "queue_frames": cfg.queue_size, "max_clients": cfg.max_clients}
        return proto.hello(self.session, self.game, cfg.rate, limits, self.track_outline)

    def _on_frame(self, t: float, wall: float, data: dict[str, Any],
                  delta_best_s: float | None) -> None:
        self._seq += 1
        self.frames_published += 1
        self._last_frame = time.monotonic()
        self.paused = False
        message = proto.frame(self._seq, wall, data, delta_best_s)
        cache: dict[tuple, str | bytes] = {}
        for client in self.clients:
            if client.pacer is not None and not client.pacer.due(t):
                continue
            key = (client.sub.channels, client.sub.encoding)
            payload = cache.get(key)
            if payload is None:
                msg = message if client.sub.channels is None else \
                    {**message, "data": {k: data.get(k) for k in client.sub.channels}}
                payload = cache[key] = proto.encode(msg, client.sub.encoding)
            client.push(payload, True)

    def _broadcast(self, message: dict[str, Any]) -> None:
        cache: dict[str, str | bytes] = {}
        for client in self.clients:
            enc = client.sub.encoding
            if enc not in cache:
                cache[enc] = proto.encode(message, enc)
            client.push(cache[enc], False)

    def _on_event(self, name: str, fields: dict[str, Any]) -> None:
        if name == "track_outline":
            self.track_outline = fields.get("points")
        if name == "resume":
            if not self.paused:
                return  # a hiccup shorter than a pause: nobody was told it paused
            self.paused = False
        self._broadcast(proto.event(name, **fields))

    def _on_session_start(self, metadata: dict[str, Any], game: str) -> None:
        self.session, self.game, self.track_outline = metadata, game, None
        self._seq = 0
        self._last_frame = time.monotonic()
        hello = self._hello()
        self._broadcast(proto.event("session_start", session=metadata,
                                    channels=hello["channels"]))

    def _on_session_end(self, info: dict[str, Any]) -> None:
        self.session, self.paused = None, False
        self._broadcast(proto.event("session_end", **info))

    async def _watch_pause(self) -> None:
        """No frame for a while in an open session: the game is paused (or in a menu)."""
        after = self.config.pause_after_s or max(0.5, 3.0 / self.config.rate)
        while True:
            await asyncio.sleep(min(0.1, after / 2))
            if self.session is not None and not self.paused \
                    and time.monotonic() - self._last_frame > after:
                self.paused = True
                self._broadcast(proto.event("pause", since=time.time() - after))
