"""The packet gate on plain lists of looks: no clock, no pages, no sockets."""

from __future__ import annotations

import ctypes
from dataclasses import replace

import pytest

from actelemetry.capture.gate import (
    GONE_AFTER_S,
    IMPLAUSIBLE_STOP,
    OUTRUN_FACTOR,
    PAUSE_AFTER_S,
    STATIC_CHECK_S,
    Frame,
    FrameReader,
    Gate,
    Kind,
    Look,
    Verdict,
)
from actelemetry.game.constants import (
    PHYSICS_HZ,
    STATUS_LIVE,
    STATUS_OFF,
    STATUS_PAUSE,
    STATUS_REPLAY,
)
from actelemetry.game.layouts import LAYOUTS

LIVE = STATUS_LIVE


def feed(gate: Gate, t: float, pid: int, status: int = LIVE, frame: Frame | None = None,
         **facts: bool) -> Verdict:
    """One look; a COPY verdict is followed by the copy (``frame``, or one that matches
    the look), as the loop does."""
    verdict = gate.look(Look(t, pid, status, **facts))
    if verdict.kind is not Kind.COPY:
        return verdict
    return gate.judge(frame or Frame(t, pid, status, position=0.5, speed_ms=50.0))


def kinds(gate: Gate, looks: list[tuple[float, int]]) -> list[str]:
    return [feed(gate, t, pid).kind.value for t, pid in looks]


def test_new_packets_are_recorded_and_a_repeat_is_one_counted_duplicate() -> None:
    gate = Gate(0.0)
    looks = [(0.01, 1), (0.02, 2), (0.025, 2), (0.026, 2), (0.03, 3)]
    verdicts = [feed(gate, t, pid) for t, pid in looks]
    assert [v.kind for v in verdicts] == [Kind.NEW_PACKET, Kind.NEW_PACKET, Kind.DUPLICATE,
                                          Kind.DUPLICATE, Kind.NEW_PACKET]
    # the scheduled read that found packet 2 again counts; the waiting reads after it do not
    assert [v.duplicate for v in verdicts] == [False, False, True, False, False]
    assert verdicts[1].interval == pytest.approx(0.01) and verdicts[1].gap == 0.0
    assert not gate.pending  # the new packet ended the wait


def test_a_jump_in_packet_id_counts_the_skipped_steps() -> None:
    gate = Gate(0.0)
    verdicts = [feed(gate, t, pid) for t, pid in [(0.01, 10), (0.02, 11), (0.03, 15)]]
    assert [v.skipped for v in verdicts] == [0, 0, 3]


def test_following_every_step_never_counts_a_duplicate() -> None:
    gate = Gate(0.0, every_packet=True)
    verdicts = [feed(gate, t, pid) for t, pid in [(0.001, 1), (0.002, 1), (0.003, 1)]]
    assert not any(v.duplicate for v in verdicts)
    assert not gate.pending  # the pacer plans the next look, not the gate


def test_a_frozen_packet_is_a_pause_and_the_next_sample_carries_the_gap() -> None:
    gate = Gate(0.0)
    assert feed(gate, 1.0, 1).kind is Kind.NEW_PACKET
    assert feed(gate, 1.0 + PAUSE_AFTER_S / 2, 1).kind is Kind.DUPLICATE
    assert feed(gate, 1.0 + PAUSE_AFTER_S * 2, 1).kind is Kind.PAUSED  # it froze
    assert feed(gate, 1.5, 1).kind is Kind.DUPLICATE and gate.paused
    back = feed(gate, 2.0, 2)
    assert back.kind is Kind.NEW_PACKET and back.resumed and back.after_gap
    assert back.gap == pytest.approx(1.0) and back.interval == 0.0
    assert not gate.paused


@pytest.mark.parametrize("status", [STATUS_PAUSE, STATUS_REPLAY, STATUS_OFF])
def test_pages_not_live_are_a_pause(status: int) -> None:
    gate = Gate(0.0)
    feed(gate, 0.1, 1)
    assert feed(gate, 0.2, 2, status).kind is Kind.PAUSED and gate.paused
    back = feed(gate, 0.3, 2)
    assert back.kind is Kind.NEW_PACKET and back.after_gap and back.gap == pytest.approx(0.2)


def test_the_first_sample_after_a_pause_before_any_sample_has_no_gap() -> None:
    gate = Gate(0.0)
    feed(gate, 0.1, 1, STATUS_PAUSE)
    first = feed(gate, 0.2, 1)
    assert first.kind is Kind.NEW_PACKET and first.resumed and not first.after_gap


def test_the_menus_for_a_second_mean_the_game_quit() -> None:
    gate = Gate(0.0)
    feed(gate, 0.1, 1)
    assert feed(gate, 0.2, 1, STATUS_OFF).kind is Kind.PAUSED
    assert feed(gate, 0.2 + GONE_AFTER_S / 2, 1, STATUS_OFF).kind is Kind.PAUSED
    assert feed(gate, 0.2 + GONE_AFTER_S, 1, STATUS_OFF).kind is Kind.GONE


def test_menus_of_a_writer_that_ended_are_gone_at_once() -> None:
    gate = Gate(0.0)
    feed(gate, 0.1, 1)
    assert feed(gate, 0.2, 1, STATUS_OFF, writer_ended=True).kind is Kind.GONE


def test_pages_removed_after_a_stall_mean_the_game_quit() -> None:
    gate = Gate(0.0)
    feed(gate, 0.1, 1)
    # a pause with the pages still there: paused, however long
    assert feed(gate, 0.5, 1).kind is Kind.PAUSED
    assert feed(gate, 5.0, 1).kind is Kind.DUPLICATE
    # the loop asks about the pages only after GONE_AFTER_S of stall
    assert gate.stalled_for(5.0) > GONE_AFTER_S
    assert feed(gate, 5.1, 1, pages_gone=True).kind is Kind.GONE
    assert feed(gate, 5.1, 1, STATUS_PAUSE, pages_gone=True).kind is Kind.GONE


def test_live_pages_frozen_without_a_game_process_mean_it_died() -> None:
    gate = Gate(0.0, frozen_after_s=3.0)
    feed(gate, 0.1, 1)
    assert feed(gate, 2.0, 1, process_gone=True).kind is not Kind.FROZEN  # not yet
    assert feed(gate, 3.5, 1).kind is Kind.DUPLICATE  # frozen, but the game still runs
    assert feed(gate, 3.6, 1, process_gone=True).kind is Kind.FROZEN


def frame(t: float, pid: int, **fields: object) -> Frame:
    base = Frame(t, pid, LIVE, completed_laps=2, lap_timer_ms=40_000, position=0.5,
                 speed_ms=50.0)
    return replace(base, **fields)


@pytest.mark.parametrize("change", [
    {"pid": 5},  # packetId went back: the game restarted
    {"completed_laps": 1},
    {"session_type": 2},
    {"lap_timer_ms": 100},  # the lap timer back to zero away from the line
])
def test_a_restart_is_a_new_session(change: dict[str, int]) -> None:
    gate = Gate(0.0)
    assert feed(gate, 0.1, 100, frame=frame(0.1, 100)).kind is Kind.NEW_PACKET
    pid = change.pop("pid", 101)
    assert feed(gate, 0.2, pid, frame=frame(0.2, pid, **change)).kind is Kind.NEW_SESSION


def test_the_lap_timer_restarting_at_the_line_is_the_same_session() -> None:
    gate = Gate(0.0)
    feed(gate, 0.1, 100, frame=frame(0.1, 100, position=0.99, lap_timer_ms=95_000))
    crossed = feed(gate, 0.2, 101, frame=frame(0.2, 101, position=0.01, lap_timer_ms=20))
    assert crossed.kind is Kind.NEW_PACKET


def test_a_copy_that_no_longer_matches_the_look_is_looked_at_again() -> None:
    gate = Gate(0.0)
    feed(gate, 0.1, 1)
    assert gate.look(Look(0.2, 2, LIVE)).kind is Kind.COPY
    assert gate.judge(Frame(0.2, 2, STATUS_PAUSE)).kind is Kind.RECHECK
    assert gate.judge(Frame(0.2, 1, LIVE)).kind is Kind.RECHECK
    assert gate.judge(Frame(0.2, 2, LIVE, position=0.5)).kind is Kind.NEW_PACKET


def test_implausible_pages_are_refused_and_counted_in_a_row() -> None:
    gate = Gate(0.0)
    bad = [feed(gate, 0.01 * k, k, frame=Frame(0.01 * k, k, LIVE, plausible=False))
           for k in range(1, IMPLAUSIBLE_STOP + 1)]
    assert all(v.kind is Kind.IMPLAUSIBLE for v in bad)
    assert [v.run for v in bad] == list(range(1, IMPLAUSIBLE_STOP + 1))
    # the refused packet is not copied again (nothing recorded for a while: a pause), and
    # a plausible one ends the run
    assert feed(gate, 1.0, IMPLAUSIBLE_STOP).kind is Kind.PAUSED
    assert feed(gate, 1.1, 1000).kind is Kind.NEW_PACKET
    again = feed(gate, 1.2, 1001, frame=Frame(1.2, 1001, LIVE, plausible=False))
    assert again.run == 1


def test_pages_far_faster_than_real_time_are_refused() -> None:
    fast = int(PHYSICS_HZ * OUTRUN_FACTOR * 1.5)
    gate = Gate(0.0, judge_pace=True)
    verdicts = [feed(gate, t, 1 + int(t * fast)) for t in (0.1, 0.6, 1.2)]
    assert verdicts[-1].kind is Kind.OUTRUN and verdicts[-1].factor >= OUTRUN_FACTOR
    # the game's own pace, or pace not judged (a lockstep source): recorded
    game = Gate(0.0, judge_pace=True)
    assert [feed(game, t, 1 + int(t * PHYSICS_HZ)).kind for t in (0.1, 0.6, 1.2, 2.4)] == \
        [Kind.NEW_PACKET] * 4
    unjudged = Gate(0.0)
    assert feed(unjudged, 0.1, 1).kind is feed(unjudged, 1.2, 1 + 1.2 * fast).kind


def test_the_static_page_is_checked_every_so_often_and_after_the_menus() -> None:
    gate = Gate(0.0)
    checks = [feed(gate, t, k).check_static
              for k, t in enumerate([0.5, STATIC_CHECK_S + 0.1, STATIC_CHECK_S + 0.2], 1)]
    assert checks == [False, True, False]
    feed(gate, 1.5, 4, STATUS_OFF)
    assert feed(gate, 1.6, 5).check_static  # back from the menus: maybe another car


def test_timed_laps_are_counted_when_asked() -> None:
    gate = Gate(0.0, count_laps=True)
    # the first lap starts at the line, at speed: a timed lap; then a lap into the pits
    script = [(0.1, 0, 0.01, False), (50.0, 0, 0.99, False), (50.1, 1, 0.01, False),
              (100.0, 1, 0.99, True), (100.1, 2, 0.01, True)]
    laps = [feed(gate, t, k, frame=frame(t, k, completed_laps=done, position=pos,
                                         in_pit_lane=pit, lap_timer_ms=0)).timed_laps
            for k, (t, done, pos, pit) in enumerate(script, 1)]
    assert laps == [0, 0, 1, 1, 1]
    assert Gate(0.0).judge(frame(0.1, 1)).timed_laps == 0  # not counting


def test_frames_are_read_where_each_game_puts_them() -> None:
    for game in ("ac", "acc"):
        phys = LAYOUTS[(game, "physics")]()
        gfx = LAYOUTS[(game, "graphics")]()
        phys.packetId, phys.speedKmh = 77, 180.0
        gfx.status, gfx.completedLaps, gfx.session = LIVE, 4, 2
        gfx.iCurrentTime, gfx.normalizedCarPosition, gfx.isInPitLane = 61_234, 0.25, 1
        got = FrameReader(game).frame(3.0, bytes(phys), bytes(gfx))
        assert got == Frame(3.0, 77, LIVE, completed_laps=4, session_type=2,
                            lap_timer_ms=61_234, position=0.25, in_pit_lane=True,
                            speed_ms=pytest.approx(50.0))
        assert ctypes.sizeof(phys) == len(bytes(phys))
