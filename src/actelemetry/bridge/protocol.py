"""The wire protocol of the live bridge: message shapes, encodings, client requests.

Everything that crosses the socket is built or parsed here, so ``docs/protocol.md``
and the code describe one thing. Server messages are dicts with a ``type``; they are
encoded once per (encoding, channel subset) and shared by every client that asked for
the same, which is what lets one server feed a hundred clients.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import msgpack

from actelemetry import __version__
from actelemetry.channels.catalogue import BY_NAME, CATALOGUE, Channel, channels_for

#: bumped on any change a client could notice
PROTOCOL_VERSION = 1
ENCODINGS = ("json", "msgpack")
#: largest client message accepted (bytes); bigger ones close the connection (1009)
MAX_CLIENT_MESSAGE = 4096


class ProtocolError(ValueError):
    """A client message the server cannot act on; answered with an error message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


# --- encoding ------------------------------------------------------------------------------
def finite(value: Any) -> Any:
    """NaN and infinities as null: JSON has no spelling for them."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    return value


def encode(message: dict[str, Any], encoding: str) -> str | bytes:
    """A message as sent: JSON text, or MessagePack bytes (a binary WebSocket frame)."""
    if encoding == "msgpack":
        return msgpack.packb(message, use_single_float=False)
    try:
        return json.dumps(message, separators=(",", ":"), allow_nan=False)
    except ValueError:  # a non-finite float somewhere: rare, so pay for the walk only then
        return json.dumps(finite(message), separators=(",", ":"))


def decode(data: str | bytes) -> dict[str, Any]:
    """A server message as a dict (JSON text or MessagePack bytes): for clients."""
    if isinstance(data, bytes | bytearray | memoryview):
        return msgpack.unpackb(data, raw=False)
    return json.loads(data)


# --- server messages ------------------------------------------------------------------------
def channel_info(channels: list[Channel]) -> list[dict[str, str]]:
    return [{"name": c.name, "unit": c.unit, "dtype": c.dtype, "group": c.group,
             "description": c.description} for c in channels]


def hello(session: dict[str, Any] | None, game: str | None, rate: float,
          limits: dict[str, Any], track_outline: list[list[float]] | None = None
          ) -> dict[str, Any]:
    """First message on every connection: what this server speaks and what it streams."""
    chans = channels_for(game) if game else CATALOGUE
    return {"type": "hello", "protocol": PROTOCOL_VERSION, "server": f"actelemetry {__version__}",
            "session": session, "channels": channel_info(chans), "rate": rate,
            "encodings": list(ENCODINGS), "limits": limits, "track_outline": track_outline}


def frame(seq: int, wall: float, data: dict[str, Any],
          delta_best_s: float | None) -> dict[str, Any]:
    """One sample: ``wall`` is the Unix time it was taken (latency = receipt - wall)."""
    return {"type": "frame", "seq": seq, "wall": wall, "delta_best_s": delta_best_s,
            "data": data}


def event(name: str, **fields: Any) -> dict[str, Any]:
    return {"type": "event", "event": name, **fields}


def error(code: str, message: str) -> dict[str, Any]:
    return {"type": "error", "code": code, "message": message}


def dropped(count: int, total: int) -> dict[str, Any]:
    """Sent before the next frame when frames were dropped for a slow client."""
    return {"type": "dropped", "count": count, "total": total}


# --- client requests ------------------------------------------------------------------------
@dataclass
class Subscription:
    """What one client wants: a channel subset (None: all), a rate, an encoding."""

    channels: tuple[str, ...] | None = None
    rate: float | None = None  # None: the server's rate
    encoding: str = "json"

    def describe(self, server_rate: float) -> dict[str, Any]:
        return {"type": "subscribed",
                "channels": list(self.channels) if self.channels is not None else None,
                "rate": self.rate or server_rate, "encoding": self.encoding}


def parse_subscription(fields: dict[str, Any], current: Subscription,
                       server_rate: float) -> Subscription:
    """Validate a subscribe request (message fields or URL query) against the catalogue."""
    unknown_keys = set(fields) - {"type", "channels", "rate", "encoding"}
    if unknown_keys:
        raise ProtocolError("bad_request", f"unknown fields: {', '.join(sorted(unknown_keys))}")
    sub = Subscription(current.channels, current.rate, current.encoding)
    if "channels" in fields:
        chans = fields["channels"]
        if isinstance(chans, str):
            chans = [c for c in chans.split(",") if c]
        if chans is None or chans == "all":
            sub.channels = None
        elif not isinstance(chans, list) or not all(isinstance(c, str) for c in chans):
            raise ProtocolError("bad_request", "channels must be a list of channel names")
        else:
            unknown = [c for c in chans if c not in BY_NAME]
            if unknown:
                raise ProtocolError("unknown_channels",
                                    f"unknown channels: {', '.join(unknown[:20])}")
            if len(chans) == 0:
                raise ProtocolError("bad_request", "channels must not be empty")
            sub.channels = tuple(dict.fromkeys(chans))
    if "rate" in fields:
        rate = fields["rate"]
        if rate is None:
            sub.rate = None
        else:
            try:
                rate = float(rate)
            except (TypeError, ValueError):
                raise ProtocolError("bad_request", "rate must be a number (Hz)") from None
            if not (math.isfinite(rate) and rate > 0):
                raise ProtocolError("bad_request", "rate must be a positive number (Hz)")
            sub.rate = None if rate >= server_rate else rate
    if "encoding" in fields:
        if fields["encoding"] not in ENCODINGS:
            raise ProtocolError("bad_request", f"encoding must be one of {', '.join(ENCODINGS)}")
        sub.encoding = fields["encoding"]
    return sub


def parse_client_message(data: str | bytes) -> dict[str, Any]:
    """A client message as a dict with a string ``type``, or a ProtocolError."""
    try:
        msg = decode(data)
    except Exception:
        raise ProtocolError("malformed", "not a JSON (or MessagePack) object") from None
    if not isinstance(msg, dict) or not isinstance(msg.get("type"), str):
        raise ProtocolError("malformed", "a message is an object with a string 'type'")
    return msg
