"""How the bridge server listens and what it tolerates from clients, checked once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from actelemetry.bridge import protocol as proto
from actelemetry.bridge.broadcaster import check_token, is_loopback
from actelemetry.capture.rate import check_rate
from actelemetry.errors import UsageError


@dataclass
class BridgeConfig:
    """How the server listens and what it tolerates from clients."""

    host: str = "127.0.0.1"
    port: int = 8765
    token: str | None = None
    rate: float = 10.0  # frames per second the server broadcasts (the capture rate)
    max_clients: int = 200
    queue_size: int = 32  # frames a client may fall behind before the oldest are dropped
    queue_bytes: int = 1 << 20  # bytes queued for a client before it counts as not reading
    client_msg_rate: float = 20.0  # messages per second a client may send ...
    client_msg_burst: int = 40  # ... with bursts up to this many
    client_abuse_limit: int = 100  # messages over the limit before the server hangs up
    send_stall_s: float = 10.0  # a send blocked this long: the client is closed
    ping_interval_s: float = 15.0  # keepalive: a client that misses a pong for as long
    max_pending: int = 64  # connections still in their handshake, past which more are cut
    handshake_timeout_s: float = 3.0  # seconds a connection may take to finish its handshake
    pause_after_s: float | None = None  # no frame for this long: a pause (None: automatic)

    def __post_init__(self) -> None:
        check_rate(self.rate)  # the capture's range: at most one frame per physics step
        self.token = check_token(self.token or None)
        if not is_loopback(self.host) and not self.token:
            raise UsageError(f"binding {self.host} exposes telemetry beyond this machine: "
                             "give --token (clients then pass it) or bind 127.0.0.1")
        if self.max_clients < 1 or self.queue_size < 1 or self.queue_bytes < 1:
            raise UsageError("--max-clients and the queue size must be at least 1")

    def limits(self) -> dict[str, Any]:
        """What the hello tells clients they may do."""
        return {"max_message_bytes": proto.MAX_CLIENT_MESSAGE,
                "messages_per_s": self.client_msg_rate, "burst": self.client_msg_burst,
                "queue_frames": self.queue_size, "queue_bytes": self.queue_bytes,
                "send_stall_s": self.send_stall_s, "max_clients": self.max_clients}
