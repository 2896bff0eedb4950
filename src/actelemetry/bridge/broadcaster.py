"""What the broadcast server decides, without sockets or a clock of its own (sans-I/O).

The asyncio server (:mod:`actelemetry.bridge.server`) feeds these objects what it sees and
the time, and acts on their answers:

- :class:`Admission`: may this HTTP or WebSocket request come in (Host, Origin, token,
  capacity, an address that keeps guessing the token)?
- :class:`SendQueue`: a client's outgoing messages, bounded in bytes; frames are dropped
  oldest first, and a client whose queue still overflows does not read and is closed.
- :class:`TokenBucket`: how many messages a client may send.
- :class:`FailedTokens`: slows down an address that keeps presenting wrong tokens.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from collections import OrderedDict, deque
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from actelemetry.errors import UsageError

#: a token shorter than this is refused: guessable
TOKEN_MIN_CHARS = 16
#: wrong tokens an address may present before it must wait
FREE_FAILURES = 5
#: the first wait after that, doubling with each further failure, up to the longest
FIRST_LOCKOUT_S = 1.0
LONGEST_LOCKOUT_S = 60.0
#: addresses whose failures are remembered (the oldest is forgotten first)
REMEMBERED_ADDRESSES = 4096


def generate_token() -> str:
    """A random token for ``stream --token generate`` (32 URL-safe characters)."""
    return secrets.token_urlsafe(24)


def check_token(token: str | None) -> str | None:
    """The token itself, or a usage error when it is too weak to protect anything."""
    if token is None:
        return None
    if len(token.strip()) < TOKEN_MIN_CHARS or token != token.strip():
        raise UsageError(f"--token needs at least {TOKEN_MIN_CHARS} characters and no "
                         "surrounding spaces; '--token generate' makes one")
    return token


def is_loopback(host: str) -> bool:
    """A name or address that only this machine can reach."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_name(header: str) -> str:
    """The host of a ``Host`` header or an origin's netloc, without port or brackets."""
    return urlsplit(f"//{header}").hostname or ""


@dataclass(frozen=True)
class Verdict:
    """Refuse a request with ``status`` and ``reason``; ``status`` 0 lets it in."""

    status: int = 0
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.status == 0


ADMIT = Verdict()


class FailedTokens:
    """Per address: after a few wrong tokens, each further attempt waits longer."""

    def __init__(self, free: int = FREE_FAILURES, first_s: float = FIRST_LOCKOUT_S,
                 longest_s: float = LONGEST_LOCKOUT_S,
                 remembered: int = REMEMBERED_ADDRESSES) -> None:
        self.free, self.first_s, self.longest_s, self.remembered = (
            free, first_s, longest_s, remembered)
        self._seen: OrderedDict[str, tuple[int, float]] = OrderedDict()  # count, wait until

    def wait_s(self, address: str, now: float) -> float:
        """Seconds this address must still wait before its next attempt counts."""
        _, until = self._seen.get(address, (0, 0.0))
        return max(0.0, until - now)

    def failed(self, address: str, now: float) -> None:
        count, _ = self._seen.pop(address, (0, 0.0))
        count += 1
        over = count - self.free
        until = now + min(self.longest_s, self.first_s * 2 ** (over - 1)) if over > 0 else 0.0
        self._seen[address] = (count, until)
        while len(self._seen) > self.remembered:
            self._seen.popitem(last=False)

    def succeeded(self, address: str) -> None:
        self._seen.pop(address, None)


@dataclass
class AdmissionRules:
    """What the server accepts: its bound address, token and capacity."""

    bound_host: str
    token: str | None
    max_clients: int


class Admission:
    """Decides on each request from its path, headers, peer address and the time."""

    def __init__(self, rules: AdmissionRules, failures: FailedTokens | None = None) -> None:
        self.rules = rules
        self.failures = failures or FailedTokens()

    def host_ok(self, host: str | None) -> bool:
        """Without a token only names of this machine are served: a web page elsewhere
        that rebinds its own name to 127.0.0.1 (DNS rebinding) is refused."""
        if self.rules.token:
            return True
        if not host:
            return False
        name = host_name(host)
        return is_loopback(name) or name == self.rules.bound_host

    def http(self, host: str | None) -> Verdict:
        """A plain HTTP request (the live page)."""
        if not self.host_ok(host):
            return Verdict(421, "this server answers only to its own address (Host refused)")
        return ADMIT

    def websocket(self, host: str | None, origin: str | None, tokens: list[str],
                  address: str, clients: int, now: float) -> Verdict:
        """A WebSocket upgrade: host, token (with its throttle), origin, capacity."""
        if not self.host_ok(host):
            return Verdict(421, "this server answers only to its own address (Host refused)")
        if self.rules.token:
            wait = self.failures.wait_s(address, now)
            if wait > 0:
                return Verdict(429, f"too many wrong tokens; try again in {wait:.0f} s")
            expected = self.rules.token.encode()
            if not any(t and hmac.compare_digest(t.encode(), expected) for t in tokens):
                self.failures.failed(address, now)
                return Verdict(401, "a valid token is required (?token= or "
                                    "Authorization: Bearer)")
            self.failures.succeeded(address)
        if origin and urlsplit(origin).netloc != (host or ""):
            return Verdict(403, "cross-origin WebSocket connections are refused")
        if clients >= self.rules.max_clients:
            return Verdict(503, f"too many clients (limit {self.rules.max_clients}); "
                                "try again later")
        return ADMIT


class SendQueue:
    """A client's outgoing messages, at most ``max_frames`` frames and ``max_bytes`` bytes.

    A full queue drops its oldest frame (the client is told how many it missed); events
    and replies are never dropped. When the queue is over its bytes with no frame left to
    drop, :meth:`push` answers False: the client does not read and is to be closed.
    """

    def __init__(self, max_frames: int, max_bytes: int) -> None:
        self.max_frames, self.max_bytes = max_frames, max_bytes
        self._items: deque[tuple[bool, str | bytes]] = deque()
        self.frames = 0
        self.bytes = 0
        self.missed = 0  # frames dropped since the client was last told
        self.missed_total = 0

    def __len__(self) -> int:
        return len(self._items)

    def push(self, payload: str | bytes, is_frame: bool) -> bool:
        self._items.append((is_frame, payload))
        self.bytes += len(payload)
        self.frames += is_frame
        while (self.frames > self.max_frames or self.bytes > self.max_bytes) and self.frames:
            self._drop_oldest_frame()
        return self.bytes <= self.max_bytes

    def pop(self) -> str | bytes:
        is_frame, payload = self._items.popleft()
        self.bytes -= len(payload)
        self.frames -= is_frame
        return payload

    def take_replies(self) -> list[str | bytes]:
        """Remove and return every queued reply and event (frames stay), oldest first."""
        replies = [payload for is_frame, payload in self._items if not is_frame]
        kept = [(is_frame, payload) for is_frame, payload in self._items if is_frame]
        self._items = deque(kept)
        self.bytes = sum(len(payload) for _, payload in kept)
        return replies

    def take_missed(self) -> int:
        """Frames dropped since the last call (the client is told before its next one)."""
        count, self.missed = self.missed, 0
        return count

    def _drop_oldest_frame(self) -> None:
        for i, (is_frame, payload) in enumerate(self._items):
            if is_frame:
                del self._items[i]
                self.bytes -= len(payload)
                self.frames -= 1
                self.missed += 1
                self.missed_total += 1
                return


class TokenBucket:
    """``rate`` messages per second with bursts of ``burst``; counts what goes over."""

    def __init__(self, rate: float, burst: int, now: float) -> None:
        self.rate, self.burst = rate, burst
        self.tokens, self.t = float(burst), now
        self.over = 0

    def allow(self, now: float) -> bool:
        self.tokens = min(self.burst, self.tokens + (now - self.t) * self.rate)
        self.t = now
        if self.tokens < 1:
            self.over += 1
            return False
        self.tokens -= 1
        return True


def presented_tokens(headers: Mapping[str, str], query: Mapping[str, list[str]]) -> list[str]:
    """Every token a request presents: ?token=, Authorization: Bearer, X-Actelemetry-Token."""
    given = [*query.get("token", []), headers.get("X-Actelemetry-Token", "")]
    auth = headers.get("Authorization", "")
    if auth.lower().startswith("bearer "):
        given.append(auth[7:].strip())
    return given
