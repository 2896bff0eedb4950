"""The UDP gate as plain lists of datagrams: no socket, no clock."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from actelemetry.capture.udp_gate import Kind, UdpGate
from actelemetry.game.udp import GameInfo, LapEvent, encode_car_info, encode_lap, encode_response

GAME = ("127.0.0.1", 9996)
PERIOD_MS = 1000.0 / 333


def car(lap: int, ms: int, last: int = 0, speed: float = 100.0) -> bytes:
    return encode_car_info({"lapCount": lap, "lapTime": ms, "lastLap": last,
                            "speed_Kmh": speed + ms * 1e-3})


def stream(n: int, lap: int = 0, start: int = 0) -> list[bytes]:
    """``n`` datagrams a physics step apart, as the game's millisecond timer reads."""
    return [car(lap, start + int(k * PERIOD_MS)) for k in range(n)]


def judge_all(gate: UdpGate, datagrams: list[bytes], t0: float = 0.0) -> list:
    return [gate.judge(d, GAME, t0 + k * 0.003) for k, d in enumerate(datagrams)]


def test_a_clean_stream_is_all_samples_on_the_games_clock() -> None:
    gate = UdpGate(GAME)
    verdicts = judge_all(gate, stream(500))
    assert {v.kind for v in verdicts} == {Kind.SAMPLE}
    assert sum(v.lost for v in verdicts) == 0
    assert verdicts[-1].t == int(499 * PERIOD_MS) / 1000.0


def test_lost_datagrams_are_counted_from_the_lap_timer() -> None:
    gate = UdpGate(GAME)
    data = stream(1000)
    dropped = {100, 101, 102, 500, 777}
    verdicts = judge_all(gate, [d for k, d in enumerate(data) if k not in dropped])
    assert gate.counts.lost == len(dropped)
    assert [v.lost for v in verdicts if v.lost] == [3, 1, 1]


def test_losses_across_the_line_use_the_last_lap_time() -> None:
    gate = UdpGate(GAME)
    line = 601.5  # the game's clock when the car crossed the line (ms)
    data = [car(0, int(g)) if g < line else car(1, int(g - line), last=int(line))
            for g in (k * PERIOD_MS for k in range(300))]
    first_of_lap = next(k for k, d in enumerate(data) if d[52:56] != bytes(4))
    verdicts = judge_all(gate, data[:first_of_lap] + data[first_of_lap + 5:])
    assert gate.counts.lost == 5
    assert verdicts[first_of_lap].lost == 5


def test_duplicates_repeats_and_late_datagrams() -> None:
    gate = UdpGate(GAME)
    data = stream(100)
    judge_all(gate, data[:50])
    assert gate.judge(data[49], GAME, 0.148).kind is Kind.DUPLICATE  # straight after
    assert gate.judge(data[49], GAME, 5.0).kind is Kind.REPEAT  # the game's clock stands
    assert gate.judge(data[51], GAME, 5.0).lost == 1
    assert gate.judge(data[50], GAME, 5.0).kind is Kind.REORDERED  # came late
    assert gate.judge(data[52], GAME, 5.0).kind is Kind.SAMPLE
    assert (gate.counts.duplicates, gate.counts.repeats, gate.counts.reordered) == (1, 1, 1)


def test_going_back_in_time_or_laps_is_a_new_session() -> None:
    gate = UdpGate(GAME)
    judge_all(gate, stream(100, lap=3, start=40_000))
    restart = gate.judge(car(0, 5), GAME, 1.0)
    assert restart.kind is Kind.NEW_SESSION and restart.t == 0.0
    later = gate.judge(car(0, 8), GAME, 1.003)
    assert later.kind is Kind.SAMPLE and later.t == 0.003


def test_other_senders_and_foreign_bytes_are_refused_and_counted() -> None:
    gate = UdpGate(GAME)
    data = stream(10)
    judge_all(gate, data[:5])
    assert gate.judge(data[5], ("127.0.0.1", 40000), 1.0).kind is Kind.FOREIGN
    assert gate.judge(data[5], ("10.0.0.9", 9996), 1.0).kind is Kind.FOREIGN
    assert gate.judge(b"\x00" * 328, GAME, 1.0).kind is Kind.MALFORMED
    assert gate.judge(data[5] + b"x", GAME, 1.0).kind is Kind.MALFORMED
    assert gate.judge(b"", GAME, 1.0).kind is Kind.MALFORMED
    assert (gate.counts.foreign, gate.counts.malformed) == (2, 3)
    assert gate.judge(data[5], GAME, 1.0).kind is Kind.SAMPLE  # the stream goes on
    info = GameInfo("car", "me", "monza", "")
    assert gate.judge(encode_response(info), GAME, 1.0).info == info
    event = LapEvent(0, 2, "me", "car", 90_000)
    assert gate.judge(encode_lap(event), GAME, 1.0).lap == event


@given(st.lists(st.one_of(
    st.tuples(st.integers(-2, 5), st.integers(-5000, 200_000), st.integers(0, 200_000)),
    st.binary(max_size=400)), max_size=300), st.booleans())
@settings(max_examples=150, deadline=None)
def test_any_sequence_of_datagrams_is_judged_and_counted(
        items: list, foreign: bool) -> None:
    gate = UdpGate(GAME)
    judged = 0
    last_t = None
    for k, item in enumerate(items):
        data = car(*item) if isinstance(item, tuple) else item
        verdict = gate.judge(data, ("10.1.1.1", 9996) if foreign and k % 7 == 0 else GAME,
                             k * 0.003)
        judged += 1
        if verdict.kind is Kind.SAMPLE:
            assert verdict.lost >= 0 and verdict.t >= (last_t or 0.0)
        if verdict.kind in (Kind.SAMPLE, Kind.NEW_SESSION):
            last_t = verdict.t
    c = gate.counts
    assert judged == (c.samples + c.duplicates + c.repeats + c.reordered + c.foreign
                      + c.malformed + c.laps + c.responses)
