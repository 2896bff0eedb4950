"""Lap comparison: delta at the line against the game's lap times, corners stable, summary."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from analysis_reference import lap_bounds, load_numpy

from actelemetry.analysis.compare import Comparison, best_lap, compare_laps, timed_laps
from actelemetry.analysis.corners import common_corners, detect_corners
from actelemetry.analysis.dataset import open_dataset
from actelemetry.analysis.laps import LapRef, load_lap
from actelemetry.analysis.select import choose_laps


@pytest.fixture(scope="module")
def comparison(three_laps: Path) -> Comparison:
    with open_dataset([three_laps]) as ds:
        return compare_laps(ds, best_lap(ds), LapRef(1, 2) if best_lap(ds).lap != 2
                            else LapRef(1, 3))


def test_delta_at_the_line_matches_the_games_lap_times(comparison: Comparison,
                                                        three_laps: Path) -> None:
    d = load_numpy(three_laps)
    bounds = lap_bounds(d)
    game = {lap: d["game_last_lap_ms"][bounds[lap + 1][0]] / 1000 for lap in (2, 3, 4)}
    expected = game[comparison.compared.ref.lap] - game[comparison.reference.ref.lap]
    assert comparison.game_delta_s == pytest.approx(expected)
    assert abs(comparison.delta_s[-1] - expected) < 0.010
    assert comparison.line_error_s is not None and comparison.line_error_s < 0.010
    assert comparison.delta_s[0] == pytest.approx(0.0, abs=1e-9)


def test_corner_times_add_up_to_the_delta(comparison: Comparison) -> None:
    total = sum(r.time_s for r in comparison.corners)
    assert total == pytest.approx(comparison.line_delta_s, abs=1e-6)
    assert comparison.corners[0].seg_start_m == 0.0
    assert comparison.corners[-1].seg_end_m == pytest.approx(comparison.reference.length_m)


def test_corner_speeds_match_the_lap(comparison: Comparison) -> None:
    ref = comparison.reference
    for row in comparison.corners:
        if row.corner is None:
            continue
        c = row.corner
        inside = (ref.d >= c.start_m) & (ref.d <= c.end_m)
        assert row.ref.apex_kmh == pytest.approx(ref.ch["speed_kmh"][inside].min(), abs=0.5)
        if row.ref.brake_point_m is not None:
            assert row.ref.brake_point_m <= row.ref.apex_m
            at = np.searchsorted(ref.d, row.ref.brake_point_m)
            assert ref.ch["brake"][at] > 0.1 >= ref.ch["brake"][at - 1]


@pytest.fixture(scope="module")
def lines(three_laps: Path) -> list:
    with open_dataset([three_laps]) as ds:
        laps = [load_lap(ds, LapRef(1, k)) for k in (2, 3)]
    return [(lap.ch["x"], lap.ch["z"], lap.d) for lap in laps]


def test_corners_are_stable_across_laps(lines: list) -> None:
    both = [common_corners(lines, reference=0), common_corners(lines, reference=1)]
    # Monza: 2 chicanes, Lesmos, Ascari, Parabolica (Curva Grande, taken flat on a wide
    # line, is a bend of more than 250 m radius: not a corner)
    assert len(both[0]) >= 10
    assert len(both[0]) == len(both[1])
    for k, corners in enumerate(both):
        assert [c.number for c in corners] == list(range(1, len(corners) + 1))
        apexes = [c.apex_m for c in corners]
        assert apexes == sorted(apexes)
        # every corner is found on each lap on its own too, within 30 m
        own = detect_corners(*lines[k])
        for c in corners:
            assert any(abs(o.apex_m - c.apex_m) < 30 for o in own)
    for a, b in zip(*both, strict=True):
        assert abs(a.apex_m - b.apex_m) < 30
        assert np.sign(a.turn_deg) == np.sign(b.turn_deg)
        assert abs(a.turn_deg - b.turn_deg) < 15


def test_a_one_lap_wobble_is_not_a_corner(lines: list) -> None:
    """Lines of different laps differ; corners of the track are the ones both share."""
    single = [detect_corners(*line) for line in lines]
    common = common_corners(lines)
    assert len(common) <= min(len(s) for s in single)


def test_summary_names_the_three_worst_corners(comparison: Comparison) -> None:
    losing = sorted((r for r in comparison.corners if r.corner and r.time_s > 0.0005),
                    key=lambda r: -r.time_s)[:3]
    text = "\n".join(comparison.summary)
    assert f"{comparison.line_delta_s:+.3f} s" in comparison.summary[0]
    for r in losing:
        assert f"{r.name} (" in text and f"loses {r.time_s:.3f} s" in text


def test_choosing_laps(three_laps: Path) -> None:
    with open_dataset([three_laps]) as ds:
        best = best_lap(ds)
        other = next(LapRef(1, int(r["lap"])) for r in timed_laps(ds, 1) if r["lap"] != best.lap)
        p = str(three_laps)
        assert choose_laps(ds, [(p, None)], None) == (best, other)
        # two laps: the order given, the first is the reference, whichever is faster
        assert choose_laps(ds, [(p, 2), (p, 3)], None) == (LapRef(1, 2), LapRef(1, 3))
        assert choose_laps(ds, [(p, 3), (p, 2)], None) == (LapRef(1, 3), LapRef(1, 2))
        assert choose_laps(ds, [(p, best.lap)], (p, other.lap)) == (other, best)


def test_laps_of_different_files_formats_and_rates(three_laps: Path, csv_session: Path
                                                   ) -> None:
    """A 25 Hz CSV lap against a 100 Hz Parquet lap: still within 10 ms at the line."""
    with open_dataset([three_laps, csv_session]) as ds:
        ref, cmp = choose_laps(ds, [(str(three_laps), 2), (str(csv_session), 2)], None)
        result = compare_laps(ds, ref, cmp)
    assert (ref.session, cmp.session) == (1, 2)  # as given: the first is the reference
    assert result.line_error_s is not None and result.line_error_s < 0.010
    assert len([r for r in result.corners if r.corner]) >= 8


def test_a_foreign_csv_lap_without_coordinates(three_laps: Path, seed_csv: Path) -> None:
    """The seed's 38 columns: no world coordinates (integrated from the velocity), no
    game lap times (the error cannot be stated), corners still found on its line."""
    with open_dataset([seed_csv, three_laps]) as ds:
        result = compare_laps(ds, LapRef(1, 2), LapRef(2, 2))
        lap = load_lap(ds, LapRef(1, 2))
    assert result.game_delta_s is None and result.line_error_s is None
    assert np.isfinite(lap.ch["x"]).all()
    own = detect_corners(lap.ch["x"], lap.ch["z"], lap.d)
    assert len(own) >= 8
    assert len([r for r in result.corners if r.corner]) >= 8
    assert sum(r.time_s for r in result.corners) == pytest.approx(result.line_delta_s)
