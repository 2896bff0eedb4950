"""The server's decisions on their own: plain values in, verdicts out; no socket, no clock."""

from __future__ import annotations

import pytest

from actelemetry.bridge.broadcaster import (
    Admission,
    AdmissionRules,
    FailedTokens,
    SendQueue,
    TokenBucket,
    check_token,
    generate_token,
    presented_tokens,
)
from actelemetry.bridge.overload import OVERLOAD_LOG_EVERY_S, OverloadLog
from actelemetry.errors import UsageError

TOKEN = "a-token-of-twenty-chars"


def open_rules(**kw: object) -> Admission:
    rules = {"bound_host": "127.0.0.1", "token": None, "max_clients": 3, **kw}
    return Admission(AdmissionRules(**rules))  # type: ignore[arg-type]


@pytest.mark.parametrize("host", ["127.0.0.1:8765", "localhost:8765", "LOCALHOST", "[::1]:80",
                                  "127.9.9.9"])
def test_loopback_names_are_served_without_a_token(host: str) -> None:
    adm = open_rules()
    assert adm.http(host).ok
    assert adm.websocket(host, None, [], "127.0.0.1", 0, 0.0).ok


@pytest.mark.parametrize("host", ["evil.example:18765", "evil.example", "10.0.0.1:8765", "",
                                  None, "127.0.0.1.evil.example"])
def test_other_hosts_are_refused_without_a_token_dns_rebinding(host: str | None) -> None:
    adm = open_rules()
    assert adm.http(host).status == 421
    # the attack: the page's own origin and host, both the attacker's name
    origin = f"http://{host}" if host else None
    assert adm.websocket(host, origin, [], "127.0.0.1", 0, 0.0).status == 421


def test_bound_address_is_served_and_any_host_with_a_token() -> None:
    assert open_rules(bound_host="192.0.2.7").http("192.0.2.7:8765").ok
    adm = open_rules(bound_host="0.0.0.0", token=TOKEN)
    assert adm.http("telemetry.lan:8765").ok
    assert adm.websocket("telemetry.lan:8765", None, [TOKEN], "192.0.2.1", 0, 0.0).ok


def test_cross_origin_and_capacity() -> None:
    adm = open_rules()
    host = "127.0.0.1:8765"
    assert adm.websocket(host, "http://127.0.0.1:8765", [], "a", 0, 0.0).ok
    assert adm.websocket(host, "http://localhost:9999", [], "a", 0, 0.0).status == 403
    assert adm.websocket(host, None, [], "a", 3, 0.0).status == 503


def test_wrong_tokens_are_slowed_down_per_address() -> None:
    adm = open_rules(bound_host="0.0.0.0", token=TOKEN)
    host = "h:1"
    for _ in range(5):  # a few mistakes are free
        assert adm.websocket(host, None, ["guess-guess-guess-guess"], "bad", 0, 0.0).status == 401
    assert adm.websocket(host, None, ["guess"], "bad", 0, 0.0).status == 401  # 6th: waits 1 s
    assert adm.websocket(host, None, [TOKEN], "bad", 0, 0.5).status == 429  # even the right one
    assert adm.websocket(host, None, [TOKEN], "good", 0, 0.5).ok  # others are not affected
    assert adm.websocket(host, None, ["x"], "bad", 0, 1.1).status == 401  # 7th: waits 2 s
    assert adm.websocket(host, None, [TOKEN], "bad", 0, 2.0).status == 429
    assert adm.websocket(host, None, [TOKEN], "bad", 0, 3.2).ok  # and success forgives
    assert adm.failures.wait_s("bad", 3.2) == 0.0


def test_failed_token_memory_is_bounded_and_waits_are_capped() -> None:
    failures = FailedTokens(free=0, first_s=1.0, longest_s=8.0, remembered=10)
    for i in range(1000):
        failures.failed(f"10.0.{i // 256}.{i % 256}", 0.0)
    assert len(failures._seen) == 10
    for _ in range(50):
        failures.failed("x", 0.0)
    assert failures.wait_s("x", 0.0) == 8.0


@pytest.mark.parametrize("token", ["", " ", "short", " a-token-of-twenty-chars", "x" * 15])
def test_weak_tokens_are_refused(token: str) -> None:
    with pytest.raises(UsageError, match="16 characters"):
        check_token(token)


def test_generated_tokens_are_strong_and_differ() -> None:
    a, b = generate_token(), generate_token()
    assert a != b and check_token(a) == a and len(a) >= 32


def test_queue_drops_oldest_frames_never_events() -> None:
    q = SendQueue(max_frames=3, max_bytes=10_000)
    assert q.push("event-1", False)
    for i in range(6):
        assert q.push(f"frame-{i}", True)
    assert q.push("event-2", False)
    assert q.take_missed() == 3 and q.take_missed() == 0 and q.missed_total == 3
    out = [q.pop() for _ in range(len(q))]
    assert out == ["event-1", "frame-3", "frame-4", "frame-5", "event-2"]
    assert q.bytes == 0 and q.frames == 0


def test_queue_gives_up_its_replies_for_a_client_about_to_be_closed() -> None:
    q = SendQueue(max_frames=10, max_bytes=10_000)
    for payload, is_frame in [("f1", True), ("pong", False), ("f2", True), ("error", False)]:
        q.push(payload, is_frame)
    assert q.take_replies() == ["pong", "error"]
    assert [q.pop() for _ in range(len(q))] == ["f1", "f2"] and q.bytes == 0


def test_queue_is_bounded_in_bytes_and_says_when_a_client_does_not_read() -> None:
    q = SendQueue(max_frames=1000, max_bytes=100)
    for _ in range(50):  # big frames: only what fits stays
        assert q.push(b"f" * 30, True)
    assert q.bytes <= 100 and q.frames == 3
    replies = [q.push(b"r" * 30, False) for _ in range(4)]  # answers to its own requests
    assert replies == [True, True, True, False]  # no frame left to drop: close it
    assert q.frames == 0


def test_token_bucket_rate_and_burst() -> None:
    bucket = TokenBucket(rate=10.0, burst=5, now=0.0)
    assert [bucket.allow(0.0) for _ in range(7)] == [True] * 5 + [False] * 2
    assert bucket.over == 2
    assert bucket.allow(0.1) and not bucket.allow(0.1)  # one more after 0.1 s at 10/s
    assert bucket.allow(10.0)


def test_every_way_of_presenting_a_token_is_heard() -> None:
    headers = {"Authorization": "Bearer  abc ", "X-Actelemetry-Token": "xyz"}
    assert presented_tokens(headers, {"token": ["q1", "q2"]}) == ["q1", "q2", "xyz", "abc"]
    assert presented_tokens({}, {}) == [""]
    once = OverloadLog()
    assert once.due(0.0) and not once.due(OVERLOAD_LOG_EVERY_S - 1)
    assert once.due(OVERLOAD_LOG_EVERY_S)
