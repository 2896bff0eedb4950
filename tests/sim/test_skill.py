"""Skill levels: a better driver is faster and more consistent, as real drivers differ."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from actelemetry.cli import main
from actelemetry.sim import Simulator
from actelemetry.sim.driver import SKILL_LEVELS, Style, skill_value


def flying_laps(skill: str, seed: int = 0, laps: int = 4) -> list[float]:
    """The timed laps after the first (which starts from rest near the line)."""
    sim = Simulator(track="monza", laps=laps, seed=seed, skill=skill)
    while not sim.finished:
        sim.step(publish=False)
    return sim.lap_times[2:]


def test_skill_names_and_numbers() -> None:
    assert skill_value("alien") == 1.0 and skill_value("Novice") == SKILL_LEVELS["novice"]
    assert skill_value("0.35") == 0.35 and skill_value(0.9) == 0.9
    for bad in ("legend", "1.5", -0.1):
        with pytest.raises(ValueError):
            skill_value(bad)
    assert Simulator(skill="pro").skill == 0.9


def test_style_moves_every_way_a_driver_differs() -> None:
    lo, hi = Style.of(SKILL_LEVELS["novice"]), Style.of(SKILL_LEVELS["alien"])
    assert hi.corner > lo.corner and hi.braking > lo.braking and hi.traction > lo.traction
    assert hi.reaction_s < lo.reaction_s and hi.mistake_p < lo.mistake_p
    assert hi.lap_sigma < lo.lap_sigma and hi.brake_sigma < lo.brake_sigma


def test_a_better_driver_is_faster_and_more_consistent() -> None:
    laps = {skill: flying_laps(skill) for skill in ("novice", "good", "alien")}
    median = {k: float(np.median(v)) for k, v in laps.items()}
    assert median["alien"] < median["good"] < median["novice"]
    assert median["novice"] > 1.08 * median["alien"]  # a novice is 10 s and more off
    assert np.std(laps["alien"]) < np.std(laps["novice"])


def test_cli_refuses_an_unknown_skill_in_one_line(tmp_path: Path, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["sim", "--skill", "legend", "--shm-dir", str(tmp_path), "--quiet"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert "skill" in err and len(err.splitlines()) == 1
