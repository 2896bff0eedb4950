"""What every client is sent, and when (sans-I/O): frames thinned to each client's rate and
cut to its channels, events, session start and end, and pauses.

Feed it the capture's calls with the time they happen and the clients to reach; it pushes
encoded messages onto each client's queue. No socket, no clock, no event loop: the asyncio
server (:mod:`actelemetry.bridge.server`) calls it from its loop thread.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from actelemetry.bridge import protocol as proto
from actelemetry.bridge.pacing import Pacer

#: a pause is announced after this many missing frame periods (but never under MIN_PAUSE_S)
PAUSE_FRAMES = 3.0
MIN_PAUSE_S = 0.5


class Subscriber(Protocol):
    """A client as the hub sees it: what it subscribed to, its pacer, and its queue."""

    sub: proto.Subscription
    pacer: Pacer | None

    def push(self, payload: str | bytes, is_frame: bool) -> None: ...


class Hub:
    """The stream's state (session, game, track outline, frame numbers, paused or not) and
    the fan-out of every message to the clients."""

    def __init__(self, rate: float, limits: dict[str, Any],
                 pause_after_s: float | None = None) -> None:
        self.rate = rate
        self.limits = limits
        #: no frame for this long in an open session: it is paused
        self.pause_after_s = pause_after_s or max(MIN_PAUSE_S, PAUSE_FRAMES / rate)
        self.session: dict[str, Any] | None = None
        self.game: str | None = None
        self.track_outline: list[list[float]] | None = None
        self.frames_published = 0
        self.paused = False
        self.last_frame = 0.0
        self.seq = 0

    def hello(self) -> dict[str, Any]:
        """The first message of every connection."""
        return proto.hello(self.session, self.game, self.rate, self.limits, self.track_outline)

    def pacer_for(self, sub: proto.Subscription) -> Pacer | None:
        """A pacer that thins frames to the client's rate, or None for every frame."""
        return Pacer(sub.rate, self.rate) if sub.rate and sub.rate < self.rate else None

    def frame(self, clients: Iterable[Subscriber], t: float, wall: float,
              data: dict[str, Any], delta_best_s: float | None, now: float) -> None:
        """One sample for every client that is due one; encoded once per (channels,
        encoding). ``t`` is the sample clock (pacing), ``wall`` its Unix time, ``now`` the
        monotonic time it arrived (pauses)."""
        self.seq += 1
        self.frames_published += 1
        self.last_frame = now
        self.paused = False
        message = proto.frame(self.seq, wall, data, delta_best_s)
        cache: dict[tuple[tuple[str, ...] | None, str], str | bytes] = {}
        for client in clients:
            if client.pacer is not None and not client.pacer.due(t):
                continue
            key = (client.sub.channels, client.sub.encoding)
            payload = cache.get(key)
            if payload is None:
                msg = message if client.sub.channels is None else \
                    {**message, "data": {k: data.get(k) for k in client.sub.channels}}
                payload = cache[key] = proto.encode(msg, client.sub.encoding)
            client.push(payload, True)

    def broadcast(self, clients: Iterable[Subscriber], message: dict[str, Any]) -> None:
        """A message for everyone, encoded once per encoding."""
        cache: dict[str, str | bytes] = {}
        for client in clients:
            enc = client.sub.encoding
            if enc not in cache:
                cache[enc] = proto.encode(message, enc)
            client.push(cache[enc], False)

    def event(self, clients: Iterable[Subscriber], name: str, fields: dict[str, Any]) -> None:
        """An event; the track outline is kept for later hellos, and a resume is only told
        after a pause that was told."""
        if name == "track_outline":
            self.track_outline = fields.get("points")
        if name == "resume":
            if not self.paused:
                return  # a hiccup shorter than a pause: nobody was told it paused
            self.paused = False
        self.broadcast(clients, proto.event(name, **fields))

    def session_start(self, clients: Iterable[Subscriber], metadata: dict[str, Any],
                      game: str, now: float) -> None:
        self.session, self.game, self.track_outline = metadata, game, None
        self.seq = 0
        self.last_frame = now
        self.broadcast(clients, proto.event("session_start", session=metadata,
                                            channels=self.hello()["channels"]))

    def session_end(self, clients: Iterable[Subscriber], info: dict[str, Any]) -> None:
        self.session, self.paused = None, False
        self.broadcast(clients, proto.event("session_end", **info))

    def check_pause(self, clients: Iterable[Subscriber], now: float, wall_now: float) -> bool:
        """Tell everyone once when frames stop coming in an open session (the game is
        paused, or in a menu); whether it was told now."""
        if self.session is None or self.paused or now - self.last_frame <= self.pause_after_s:
            return False
        self.paused = True
        self.broadcast(clients, proto.event("pause", since=wall_now - self.pause_after_s))
        return True
