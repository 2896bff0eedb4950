"""The simulator's two cars: the car is in the session's metadata and the GT4-like car,
heavier and with less power and downforce, is slower round the same track."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from actelemetry.cli import main
from actelemetry.sim.vehicle import CARS, car_params


def best_lap_ms(path: Path) -> int:
    laps = pq.read_table(path, columns=["game_last_lap_ms"]).column(0).to_pylist()
    return min(ms for ms in set(laps) if ms > 30_000)  # the out lap is short


def test_second_car_is_recorded_and_slower(make_sim_session: Callable[..., Path]) -> None:
    gt3 = make_sim_session(laps=1, seed=5, rate=50, track="monza")
    gt4 = make_sim_session(laps=1, seed=5, rate=50, track="monza", car="actelemetry_gt4")
    meta = {p: json.loads(pq.read_schema(p).metadata[b"actelemetry"]) for p in (gt3, gt4)}
    assert meta[gt3]["car"] == "actelemetry_gt3" and meta[gt4]["car"] == "actelemetry_gt4"
    assert meta[gt4]["max_rpm"] == CARS["actelemetry_gt4"].max_rpm != meta[gt3]["max_rpm"]
    assert best_lap_ms(gt4) > best_lap_ms(gt3) + 3000  # seconds a lap, not noise


def test_unknown_car_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="actelemetry_gt3, actelemetry_gt4"):
        car_params("f1")
    with pytest.raises(SystemExit) as exc:
        main(["capture", "--source", "sim", "--fast", "--car", "f1", "-o", str(tmp_path)])
    err = capsys.readouterr().err
    assert exc.value.code == 2
    assert len(err.strip().splitlines()) == 1 and "unknown car 'f1'" in err
