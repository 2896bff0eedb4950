"""Live fan-out through an MQTT broker: the WebSocket protocol's frames and events, published.

Past one host's WebSocket clients an existing broker (mosquitto, EMQX, HiveMQ, a cloud
one) carries the data. The messages are the protocol's own (:mod:`bridge.protocol`, JSON or
MessagePack), on these topics (``P`` the prefix, ``S`` the session id):

``P/live``               retained: the live session's ``session_start`` event (or its end)
``P/S/meta``             retained, QoS 1: ``session_start`` (metadata and channels)
``P/S/frames/GROUP``     QoS 0: each frame, cut to one channel group (``inputs``, ``motion``,
                         ``timing``, ...), ``seq`` shared by the groups of one sample
``P/S/events``           QoS 1: lap_completed, resume, session_end, ...

Why a queue and a thread: the capture loop must never wait on a network. The sink only
appends to a bounded outbox; a worker thread encodes and hands messages to paho-mqtt,
whose own thread talks to the broker. When the outbox is full the newest frame is dropped
and counted; events are never dropped for frames. A broker that goes away costs one
warning line; paho reconnects, the retained metadata is published again, and frames
published meanwhile are counted as dropped.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote, urlsplit

from actelemetry.bridge import protocol as proto
from actelemetry.channels.catalogue import channels_for
from actelemetry.errors import UsageError

DEFAULT_PREFIX = "actelemetry/"
#: frames the outbox holds before dropping (about 4 s at 60 Hz)
OUTBOX_FRAMES = 256
KEEPALIVE_S = 15
CONNECT_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class BrokerAddress:
    """``mqtt://[USER[:PASSWORD]@]HOST[:1883]`` or ``mqtts://...`` (TLS, port 8883)."""

    host: str
    port: int
    tls: bool = False
    username: str | None = None
    password: str | None = None

    @property
    def url(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port}"


def parse_broker(url: str) -> BrokerAddress:
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
        raise UsageError(f"--mqtt {url!r}: expected mqtt://HOST[:PORT] or mqtts://HOST[:PORT]")
    try:
        port = parts.port or (8883 if parts.scheme == "mqtts" else 1883)
    except ValueError:
        raise UsageError(f"--mqtt {url!r}: the port is not a number from 1 to 65535") from None
    return BrokerAddress(parts.hostname, port, parts.scheme == "mqtts",
                         unquote(parts.username) if parts.username else None,
                         unquote(parts.password) if parts.password else None)


def check_prefix(prefix: str) -> str:
    """A topic prefix ends in ``/`` and holds no wildcard."""
    if any(c in prefix for c in "+#\0"):
        raise UsageError(f"--topic-prefix {prefix!r}: no '+', '#' or NUL in a topic")
    return prefix if prefix.endswith("/") or not prefix else prefix + "/"


def session_id(game: str, start_wall: float) -> str:
    """A topic-safe id of a session: the game and its UTC start to the millisecond."""
    stamp = datetime.fromtimestamp(start_wall, tz=UTC)
    return f"{game}-{stamp:%Y%m%dT%H%M%S}{stamp.microsecond // 1000:03d}Z"


def channel_groups(game: str) -> dict[str, list[str]]:
    """Channel names per group of the catalogue, for ``game``; a group name is a topic
    level (spaces become ``_``)."""
    groups: dict[str, list[str]] = {}
    for c in channels_for(game):
        groups.setdefault(c.group.replace(" ", "_"), []).append(c.name)
    return groups


def decode_payload(payload: bytes) -> dict[str, Any]:
    """A message as received: JSON (it starts with ``{``) or MessagePack (a map never
    does)."""
    if payload[:1] == b"{":
        return proto.decode(payload.decode("utf-8"))
    return proto.decode(payload)


@dataclass
class MqttStats:
    """What the publisher did; ``dropped`` frames never reached paho (outbox full, or the
    broker away)."""

    frames: int = 0
    messages: int = 0
    dropped: int = 0
    disconnects: int = 0
    reconnects: int = 0
    warnings: list[str] = field(default_factory=list)


class _Outbox:
    """Frames (bounded) and other messages, in order, for one worker."""

    def __init__(self, max_frames: int) -> None:
        self.max_frames = max_frames
        self.items: deque[tuple[str, Any]] = deque()
        self.frames = 0
        self.cv = threading.Condition()
        self.closed = False

    def put(self, kind: str, item: Any) -> bool:
        with self.cv:
            if kind == "frame":
                if self.frames >= self.max_frames:
                    return False
                self.frames += 1
            self.items.append((kind, item))
            self.cv.notify()
            return True

    def get(self) -> tuple[str, Any] | None:
        """The next item; None once closed and empty."""
        with self.cv:
            while not self.items and not self.closed:
                self.cv.wait()
            if not self.items:
                return None
            kind, item = self.items.popleft()
            if kind == "frame":
                self.frames -= 1
            return kind, item

    def close(self) -> None:
        with self.cv:
            self.closed = True
            self.cv.notify()


class MqttPublisher:
    """Publishes a capture's frames and events to a broker (see the module docstring).

    It has the calls the WebSocket server has (:class:`~actelemetry.bridge.sink.BridgeSink`
    feeds either), plus ``close``. ``warn`` gets the one-line warnings.
    """

    def __init__(self, broker: BrokerAddress, rate: float, prefix: str = DEFAULT_PREFIX,
                 encoding: str = "json", warn: Callable[[str], None] = print,
                 max_frames: int = OUTBOX_FRAMES, client_id: str = "") -> None:
        try:
            import paho.mqtt.client as mqtt
        except ImportError:
            raise UsageError("--mqtt needs paho-mqtt: pip install 'actelemetry[mqtt]'") \
                from None
        if encoding not in proto.ENCODINGS:
            raise UsageError(f"encoding must be one of {', '.join(proto.ENCODINGS)}")
        self.broker = broker
        self.rate = rate
        self.prefix = check_prefix(prefix)
        self.encoding = encoding
        self.warn = warn
        self.stats = MqttStats()
        self._outbox = _Outbox(max_frames)
        self._connected = threading.Event()
        self._session: str | None = None
        self._meta: dict[str, Any] | None = None
        self._groups: dict[str, list[str]] = {}
        self._seq = 0
        self._away_since: float | None = None
        self._dropped_at_loss = 0
        self._last_acked: Any = None  # the last QoS 1 message (close waits for its ack)
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id)
        if broker.username is not None:
            client.username_pw_set(broker.username, broker.password)
        if broker.tls:
            client.tls_set()
        client.reconnect_delay_set(min_delay=1, max_delay=5)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        self.client = client
        try:
            client.connect(broker.host, broker.port, keepalive=KEEPALIVE_S)
        except (OSError, ValueError) as exc:
            raise UsageError(f"cannot reach the MQTT broker at {broker.url}: "
                             f"{getattr(exc, 'strerror', None) or exc}") from None
        client.loop_start()
        if not self._connected.wait(CONNECT_TIMEOUT_S):
            client.loop_stop()
            raise UsageError(f"the MQTT broker at {broker.url} did not accept the connection "
                             f"within {CONNECT_TIMEOUT_S:g} s")
        self._worker = threading.Thread(target=self._work, name="actelemetry-mqtt",
                                        daemon=True)
        self._worker.start()

    # --- paho's thread ---------------------------------------------------------------------
    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any,
                    properties: Any = None) -> None:
        if getattr(reason, "is_failure", False):
            return
        first = not self._connected.is_set()
        self._connected.set()
        if not first:
            self.stats.reconnects += 1
            lost = self.stats.dropped - self._dropped_at_loss
            self.warn(f"MQTT broker {self.broker.url} is back; {lost} frames were dropped "
                      "while it was away")
            self._away_since = None
            self._outbox.put("remeta", None)

    def _on_disconnect(self, client: Any, userdata: Any, flags: Any, reason: Any,
                       properties: Any = None) -> None:
        if self._outbox.closed:
            return
        self.stats.disconnects += 1
        self._dropped_at_loss = self.stats.dropped
        if self._away_since is None:
            self._away_since = time.monotonic()
            self.warn(f"MQTT broker {self.broker.url} went away ({reason}); reconnecting, "
                      "frames are dropped until it is back")

    # --- the capture's calls (never wait) --------------------------------------------------
    def session_start(self, metadata: dict[str, Any], game: str) -> None:
        start = float(metadata.get("start_wall") or time.time())
        self._outbox.put("start", (metadata, game, session_id(game, start)))

    def publish(self, t: float, wall: float, data: dict[str, Any],
                delta_best_s: float | None = None) -> None:
        if not self._outbox.put("frame", (wall, data, delta_best_s)):
            self.stats.dropped += 1

    def event(self, name: str, **fields: Any) -> None:
        self._outbox.put("event", proto.event(name, **fields))

    def session_end(self, info: dict[str, Any]) -> None:
        self._outbox.put("end", info)

    # --- the worker thread -----------------------------------------------------------------
    def _send(self, topic: str, message: dict[str, Any], qos: int, retain: bool = False
              ) -> bool:
        payload = proto.encode(message, self.encoding)
        info = self.client.publish(self.prefix + topic, payload, qos=qos, retain=retain)
        self.stats.messages += 1
        if qos:
            self._last_acked = info
        return bool(info.rc == 0)

    def _work(self) -> None:
        while (item := self._outbox.get()) is not None:
            kind, value = item
            if kind == "frame":
                self._frame(*value)
            elif kind == "start":
                metadata, game, sid = value
                self._session, self._seq = sid, 0
                self._groups = channel_groups(game)
                chans = proto.channel_info(channels_for(game))
                start = proto.event("session_start", session=metadata, channels=chans,
                                    protocol=proto.PROTOCOL_VERSION, rate=self.rate,
                                    session_id=sid, groups=sorted(self._groups),
                                    encoding=self.encoding)
                self._meta = start
                self._send(f"{sid}/meta", start, qos=1, retain=True)
                self._send("live", start, qos=1, retain=True)
            elif kind == "remeta" and self._session is not None and self._meta is not None:
                self._send(f"{self._session}/meta", self._meta, qos=1, retain=True)
                self._send("live", self._meta, qos=1, retain=True)
            elif kind == "event" and self._session is not None:
                self._send(f"{self._session}/events", value, qos=1)
            elif kind == "end" and self._session is not None:
                end = proto.event("session_end", session_id=self._session,
                                  frames=self._seq, dropped=self.stats.dropped, **value)
                self._send(f"{self._session}/events", end, qos=1)
                self._send("live", end, qos=1, retain=True)
                self._session = None

    def _frame(self, wall: float, data: dict[str, Any], delta_best_s: float | None) -> None:
        if self._session is None:
            return
        self._seq += 1
        if not self.client.is_connected():
            self.stats.dropped += 1
            return
        self.stats.frames += 1
        for group, names in self._groups.items():
            cut = {k: data[k] for k in names if k in data}
            if cut:
                message = proto.frame(self._seq, wall, cut, delta_best_s)
                self._send(f"{self._session}/frames/{group}", message, qos=0)

    def close(self, timeout: float = 10.0) -> None:
        """Publish what is queued (events and the session's end), then disconnect."""
        self._outbox.close()
        self._worker.join(timeout)
        if self._last_acked is not None and self.client.is_connected():
            # a broker gone meanwhile: paho keeps it for a reconnect that will not come
            with contextlib.suppress(RuntimeError, ValueError):
                self._last_acked.wait_for_publish(timeout)
        self.client.disconnect()
        self.client.loop_stop()

    def __enter__(self) -> MqttPublisher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
