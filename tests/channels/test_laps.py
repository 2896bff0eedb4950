"""One definition of a lap, fed plain lists: the per-sample state machines (live path) and the
per-lap file function give the same kind, validity and counts."""

from __future__ import annotations

import numpy as np
import pytest

from actelemetry.bridge.laps import LapTracker
from actelemetry.channels.derive import lap_flags
from actelemetry.channels.laps import LapCounter, LapFlags, lap_event, lap_kind, lap_valid

STEPS = 50  # samples per lap


def session(laps: list[dict], start_fraction: float = 0.0,
            end_fraction: float = 1.0) -> list[dict]:
    """Samples of consecutive laps; each lap dict may set ``pit_start``, ``pit_end``,
    ``standstill``, ``off_at`` (sample index with 3 tyres out) and ``time_ms``."""
    out: list[dict] = []
    last_ms = 0
    for k, lap in enumerate(laps):
        lo = start_fraction if k == 0 else 0.0
        hi = end_fraction if k == len(laps) - 1 else 1.0
        for i, f in enumerate(np.linspace(lo, hi, STEPS, endpoint=False)):
            out.append({
                "completed_laps": k, "lap_fraction": float(f),
                "in_pit_lane": (lap.get("pit_start") and i < 5) or (lap.get("pit_end")
                                                                    and i >= STEPS - 5),
                "speed_ms": 0.0 if lap.get("standstill") and i == 0 else 40.0,
                "tyres_out": 3 if lap.get("off_at") == i else 0,
                "game_last_lap_ms": last_ms, "game_lap_ms": int(f * lap["time_ms"]),
                "pos_x": float(np.cos(2 * np.pi * f)), "pos_z": float(np.sin(2 * np.pi * f)),
            })
        last_ms = lap["time_ms"]
    # the next lap's first sample publishes the last lap's time
    if end_fraction >= 1.0:
        out.append({**out[-1], "completed_laps": len(laps), "lap_fraction": 0.0,
                    "in_pit_lane": False, "tyres_out": 0, "game_last_lap_ms": last_ms,
                    "game_lap_ms": 0})
    return out


def file_laps(samples: list[dict]) -> dict[int, tuple[str, bool | None]]:
    """Each lap's kind and validity as the session file derives them."""
    ch = {k: np.array([s[k] for s in samples]) for k in samples[0]}
    valid, out, partial = lap_flags("ac", ch)
    laps = {}
    for lap in np.unique(ch["completed_laps"]):
        idx = np.flatnonzero(ch["completed_laps"] == lap)
        kind = lap_kind(bool(out[idx[0]]), bool(ch["in_pit_lane"][idx[-1]]),
                        bool(partial[idx[0]]))
        laps[int(lap)] = (kind, bool(valid[idx[0]]) if kind == "timed" else None)
    return laps


def live_events(samples: list[dict]) -> list[dict]:
    """lap_completed events from feeding every sample through LapFlags and LapTracker."""
    flags, tracker, events = LapFlags("ac"), LapTracker(), []
    for s in samples:
        c = dict(s)
        c["lap_valid"], c["out_lap"], c["partial_lap"] = flags.feed(c)
        events += [e for e in tracker.update(c) if e["event"] == "lap_completed"]
    return events


SESSION = [
    {"time_ms": 130_000, "pit_start": True},  # out lap from the pits
    {"time_ms": 110_000},                     # timed, valid
    {"time_ms": 108_000, "off_at": 17},       # timed, invalid for one sample: never best
    {"time_ms": 109_000},                     # timed, valid, best
    {"time_ms": 125_000, "pit_end": True},    # in lap
]


def test_kinds_and_validity_of_a_session_file() -> None:
    assert file_laps(session(SESSION)) == {
        0: ("out", None), 1: ("timed", True), 2: ("timed", False), 3: ("timed", True),
        4: ("in", None), 5: ("partial", None)}


def test_live_events_equal_the_file_laps_and_best_is_the_best_valid_timed_lap() -> None:
    samples = session(SESSION)
    file = file_laps(samples)
    events = live_events(samples)
    assert [(e["lap"] - 1, e["kind"], e["valid"]) for e in events] == [
        (lap, *file[lap]) for lap in range(len(SESSION))]
    assert [e["time_ms"] for e in events] == [lap["time_ms"] for lap in SESSION]
    assert [e["best"] for e in events] == [False, True, False, True, False]
    assert events[-1]["best_ms"] == 109_000


def test_an_excursion_between_stream_frames_still_invalidates_the_lap() -> None:
    samples = session(SESSION)
    every_tenth = samples[::10]  # what a 10 Hz client receives of 100 Hz samples
    assert not any(s["tyres_out"] > 2 for s in every_tenth)
    assert live_events(every_tenth)[2]["valid"] is True  # why lap state needs every sample
    assert live_events(samples)[2]["valid"] is False


@pytest.mark.parametrize(("laps", "start", "end", "expected"), [
    ([{"time_ms": 100_000, "standstill": True}, {"time_ms": 100_000}], 0.0, 1.0,
     {0: ("out", None), 1: ("timed", True)}),
    ([{"time_ms": 100_000}, {"time_ms": 100_000}], 0.4, 1.0,
     {0: ("partial", None), 1: ("timed", True)}),
    ([{"time_ms": 100_000}, {"time_ms": 100_000}], 0.0, 0.6,
     {0: ("timed", True), 1: ("partial", None)}),
])
def test_out_partial_and_timed_edges(laps, start, end, expected) -> None:
    samples = session(laps, start, end)
    file = file_laps(samples)
    assert {k: v for k, v in file.items() if k in expected} == expected
    for e in live_events(samples):  # the live path agrees on every lap it completes
        assert (e["kind"], e["valid"]) == file[e["lap"] - 1]


def test_lap_counter_counts_timed_laps_apart() -> None:
    counter = LapCounter()
    kinds = [counter.feed(s["completed_laps"], s["lap_fraction"], s["in_pit_lane"],
                          s["speed_ms"]) for s in session(SESSION)]
    assert [k for k in kinds if k] == ["out", "timed", "timed", "timed", "in"]
    assert (counter.timed, counter.other) == (3, 2)


def test_a_lap_that_is_not_timed_is_never_valid_nor_best() -> None:
    for flags in ({"out_lap": True}, {"in_pit_lane": True}, {"partial_lap": True}):
        e = lap_event(2, 90_000, {"lap_valid": True, **flags}, None)
        assert e["kind"] != "timed" and e["valid"] is None and e["best"] is False
    assert lap_event(2, 90_000, {"lap_valid": True}, 95_000)["best"] is True
    assert lap_event(2, 96_000, {"lap_valid": True}, 95_000)["best"] is False


@pytest.mark.parametrize("game", ["ac", "acc"])
def test_one_validity_rule_for_ac_and_acc(game: str) -> None:
    """Out laps are never valid; more than two tyres out invalidates; ACC's own flag counts
    too: the same answer from the file function and the live state machine."""
    laps = [{"time_ms": 120_000, "standstill": True}, {"time_ms": 110_000},
            {"time_ms": 109_000, "off_at": 9}, {"time_ms": 108_000, "flag_down_at": 30},
            {"time_ms": 107_000}]
    samples = session(laps)
    for s in samples:
        lap = laps[s["completed_laps"]] if s["completed_laps"] < len(laps) else {}
        i = round(s["lap_fraction"] * STEPS)
        s["game_lap_valid"] = lap.get("flag_down_at") != i
    ch = {k: np.array([s[k] for s in samples]) for k in samples[0]}
    valid, out, _ = lap_flags(game, ch)
    first = [int(np.flatnonzero(ch["completed_laps"] == k)[0]) for k in range(len(laps))]
    file_valid = [bool(valid[i]) for i in first]
    # only ACC keeps its own flag: there lap 3 is invalid too
    assert file_valid == [False, True, False, game == "ac", True]
    assert bool(out[0]) and not out[first[1]]
    flags, live = LapFlags(game), {}
    for s in samples:
        live[s["completed_laps"]] = flags.feed(dict(s))[0]
    assert [live[k] for k in range(len(laps))] == file_valid


def test_lap_valid_is_the_one_rule() -> None:
    assert not lap_valid(True) and not lap_valid(True, 0, True)
    assert lap_valid(False) and lap_valid(False, 2, None) and not lap_valid(False, 3, None)
    assert not lap_valid(False, 0, False) and lap_valid(False, None, True)
