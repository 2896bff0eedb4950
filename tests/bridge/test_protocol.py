"""Protocol parsing, encodings, pacing and lap tracking, without sockets."""

from __future__ import annotations

import math

import msgpack
import pytest

from actelemetry.bridge import protocol as proto
from actelemetry.bridge.laps import LapTracker
from actelemetry.bridge.pacing import Pacer


@pytest.mark.parametrize(("in_hz", "out_hz"), [(100, 30), (100, 100), (60, 10), (10, 10),
                                               (333, 60), (60, 59)])
def test_pacer_keeps_the_asked_rate(in_hz: float, out_hz: float) -> None:
    pacer = Pacer(out_hz, in_hz)
    jitter = [((k * 7919) % 13 - 6) * 0.02 / in_hz for k in range(10 * int(in_hz))]
    kept = sum(pacer.due(k / in_hz + j) for k, j in enumerate(jitter))
    assert kept == pytest.approx(10 * min(out_hz, in_hz), abs=2)


def test_encodings_round_trip_and_nan_is_null() -> None:
    msg = proto.frame(3, 1.5, {"a": 1.25, "b": math.nan, "c": True, "s": "x"}, None)
    as_json = proto.encode(msg, "json")
    assert isinstance(as_json, str) and '"b":null' in as_json
    assert proto.decode(as_json)["data"]["a"] == 1.25
    as_mp = proto.encode(msg, "msgpack")
    assert isinstance(as_mp, bytes) and msgpack.unpackb(as_mp)["seq"] == 3


def test_subscription_validation() -> None:
    base = proto.Subscription()
    sub = proto.parse_subscription({"channels": "speed_kmh,gear", "rate": "10"}, base, 60)
    assert sub.channels == ("speed_kmh", "gear") and sub.rate == 10
    assert proto.parse_subscription({"rate": 120}, sub, 60).rate is None  # >= server: all
    assert proto.parse_subscription({"channels": None}, sub, 60).channels is None
    for bad in ({"channels": ["nope"]}, {"channels": [1]}, {"rate": "fast"}, {"rate": 0},
                {"rate": math.inf}, {"encoding": "xml"}, {"channels": []}, {"colour": "red"}):
        with pytest.raises(proto.ProtocolError):
            proto.parse_subscription(bad, base, 60)
    for bad_msg in ("", "{", "[]", "1", '{"type": 3}', b"\xc1"):
        with pytest.raises(proto.ProtocolError):
            proto.parse_client_message(bad_msg)


def sample(laps: int, frac: float, ms: int, last: int = 0, valid: bool = True) -> dict:
    return {"completed_laps": laps, "lap_fraction": frac, "game_lap_ms": ms,
            "game_last_lap_ms": last, "lap_valid": valid, "pos_x": frac, "pos_z": 0.0}


def test_lap_tracker_events_and_delta() -> None:
    lt = LapTracker()
    events = []
    for lap, (lap_ms, valid) in enumerate([(100_000, True), (90_000, False), (95_000, True)]):
        for k in range(100):
            events += lt.update(sample(lap, k / 100, lap_ms * k // 100,
                                       last=0 if lap == 0 else [100_000, 90_000][lap - 1],
                                       valid=valid))
    events += lt.update(sample(3, 0.0, 0, last=95_000))
    laps = [e for e in events if e["event"] == "lap_completed"]
    assert [(e["lap"], e["time_ms"], e["valid"], e["best"]) for e in laps] == [
        (1, 100_000, True, True), (2, 90_000, False, False), (3, 95_000, True, True)]
    # on lap 4, 10 % in, 9.6 s into the lap: 0.1 s behind the best (95 s lap: 9.5 s there)
    assert lt.delta_best_s(sample(3, 0.1, 9_600)) == pytest.approx(0.1, abs=0.01)
    assert lt.outline is not None and any(e["event"] == "track_outline" for e in events)
