"""What each client is sent and when, fed plain calls: no socket, no clock, no event loop."""

from __future__ import annotations

from dataclasses import dataclass, field

from actelemetry.bridge import protocol as proto
from actelemetry.bridge.hub import Hub
from actelemetry.bridge.pacing import Pacer
from actelemetry.bridge.sink import LAP_RATE_HZ, stream_capture_rate


@dataclass
class Inbox:
    """A client as a list of what it was pushed."""

    sub: proto.Subscription = field(default_factory=proto.Subscription)
    pacer: Pacer | None = None
    got: list[tuple[str | bytes, bool]] = field(default_factory=list)

    def push(self, payload: str | bytes, is_frame: bool) -> None:
        self.got.append((payload, is_frame))

    def messages(self) -> list[dict]:
        return [proto.decode(p) for p, _ in self.got]


def hub_with(*clients: Inbox, rate: float = 10.0) -> Hub:
    hub = Hub(rate, {"max_clients": 3})
    for c in clients:
        c.pacer = hub.pacer_for(c.sub)
    return hub


def test_frames_are_cut_to_each_subscription_and_encoded_once_per_kind() -> None:
    everything, speed, speed_too, packed = (
        Inbox(), Inbox(proto.Subscription(("speed_kmh",))),
        Inbox(proto.Subscription(("speed_kmh",))),
        Inbox(proto.Subscription(encoding="msgpack")))
    clients = [everything, speed, speed_too, packed]
    hub = hub_with(*clients)
    hub.frame(clients, 0.0, 1000.0, {"speed_kmh": 100.0, "gear": 3}, None, now=5.0)
    assert everything.messages()[0]["data"] == {"speed_kmh": 100.0, "gear": 3}
    assert speed.messages()[0]["data"] == {"speed_kmh": 100.0}
    assert speed.got[0][0] is speed_too.got[0][0]  # the same encoded payload
    assert isinstance(packed.got[0][0], bytes) and packed.messages()[0]["seq"] == 1
    assert all(c.got[0][1] for c in clients)  # pushed as frames (droppable)
    assert hub.frames_published == 1


def test_a_slower_subscription_gets_fewer_frames() -> None:
    full, slow = Inbox(), Inbox(proto.Subscription(rate=2.0))
    hub = hub_with(full, slow, rate=10.0)
    for k in range(20):  # two seconds at 10 Hz
        hub.frame([full, slow], k / 10, 1000.0 + k / 10, {"gear": 3}, None, now=k / 10)
    assert len(full.got) == 20 and len(slow.got) == 4
    assert hub.pacer_for(proto.Subscription(rate=10.0)) is None


def test_pause_is_told_once_and_resume_only_after_it() -> None:
    c = Inbox()
    hub = hub_with(c)  # 10 Hz: a pause after 0.5 s without frames
    hub.event([c], "resume", {"gap_s": 0.1})
    assert not c.got  # no session, no pause told: nothing to resume from
    hub.session_start([c], {"car": "gt3"}, "ac", now=0.0)
    hub.frame([c], 0.0, 1000.0, {"gear": 3}, None, now=0.1)
    assert not hub.check_pause([c], now=0.5, wall_now=2000.0)
    assert hub.check_pause([c], now=0.7, wall_now=2000.0)
    assert not hub.check_pause([c], now=5.0, wall_now=2004.0)  # told once
    hub.event([c], "resume", {"gap_s": 0.6})
    kinds = [m.get("event", m["type"]) for m in c.messages()]
    assert kinds == ["session_start", "frame", "pause", "resume"]
    assert c.messages()[2]["since"] == 2000.0 - hub.pause_after_s
    hub.session_end([c], {"samples": 1})
    assert not hub.check_pause([c], now=50.0, wall_now=2050.0)  # no session: no pause


def test_hellos_know_the_session_and_the_track_outline() -> None:
    c = Inbox()
    hub = hub_with(c)
    assert hub.hello()["session"] is None
    hub.session_start([c], {"car": "gt3"}, "acc", now=0.0)
    hub.event([c], "track_outline", {"points": [[0.0, 1.0]]})
    hello = hub.hello()
    assert hello["session"] == {"car": "gt3"} and hello["track_outline"] == [[0.0, 1.0]]
    assert "game_lap_valid" in {ch["name"] for ch in hello["channels"]}  # ACC's channels
    hub.frame([c], 0.0, 1.0, {}, None, now=0.0)
    hub.session_start([c], {"car": "gt4"}, "ac", now=1.0)
    hub.frame([c], 1.0, 2.0, {}, None, now=1.0)
    assert hub.hello()["track_outline"] is None
    assert [m["seq"] for m in c.messages() if m["type"] == "frame"] == [1, 1]


def test_a_stream_captures_at_the_files_rate_at_least() -> None:
    assert stream_capture_rate(10.0) == LAP_RATE_HZ
    assert stream_capture_rate(200.0) == 200.0
