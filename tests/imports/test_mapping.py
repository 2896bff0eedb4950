"""Mapping files: the shipped ones parse, a bad one is refused in one line naming the key."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from actelemetry.errors import UsageError
from actelemetry.imports import units
from actelemetry.imports.mapping import load_mapping, mapping_named, shipped_mappings

GOOD = """
name = "mine"
[time]
field = "t"
[laps]
method = "column"
field = "lap"
[channels]
speed_kmh = { field = "v", unit = "mph" }
"""


def test_every_shipped_mapping_parses() -> None:
    names = {m.name for m in shipped_mappings()}
    assert {"actelemetry", "acc-motec", "acti-motec", "ac-udp", "seed-csv",
            "acc-shm-jsonl"} <= names
    for m in shipped_mappings():
        assert m.channels, m.name


def test_a_mapping_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(GOOD)
    m = load_mapping(path)
    assert m.time_fields == ("t",) and m.lap_methods == ("column",)
    assert m.channels["speed_kmh"][0].unit == "mph"
    assert mapping_named(str(path)).name == "mine"


@pytest.mark.parametrize(("text", "key"), [
    (GOOD.replace('name = "mine"', 'name = "mine"\ncolour = 1'), "colour"),
    (GOOD.replace("speed_kmh", "speed_kph"), "channels.speed_kph"),
    (GOOD.replace('unit = "mph"', 'unit = "furlong"'), "channels.speed_kmh.unit"),
    (GOOD.replace('unit = "mph"', 'unit = "deg"'), "channels.speed_kmh.unit"),
    (GOOD.replace('method = "column"', 'method = "guess"'), "laps.method"),
    (GOOD.replace('field = "lap"', ""), "laps.field"),
    (GOOD.replace('field = "t"', 'field = "t"\nunit = "m"'), "time.unit"),
    (GOOD.replace('{ field = "v", unit = "mph" }', '{ field = "v", gear = "ac" }'),
     "channels.speed_kmh.gear"),
    (GOOD + 'timestamp = "x"\n', "channels.timestamp"),
    (GOOD.replace('name = "mine"', ""), "name"),
])
def test_a_bad_mapping_names_file_and_key(tmp_path: Path, text: str, key: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(UsageError) as err:
        load_mapping(path)
    message = str(err.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: {key}:"), message


def test_not_toml_is_one_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("name = [unclosed\n")
    with pytest.raises(UsageError, match="not valid TOML"):
        load_mapping(path)


def test_unknown_shipped_name_lists_the_shipped_ones() -> None:
    with pytest.raises(UsageError, match="acc-motec"):
        mapping_named("no-such-mapping")


@pytest.mark.parametrize(("value", "source", "target", "expected"), [
    (100.0, "mph", "km/h", 160.9344), (10.0, "m/s", "km/h", 36.0),
    (180.0, "deg", "rad", np.pi), (np.pi, "rad", "deg", 180.0), (50.0, "%", "", 0.5),
    (1.0, "G", "m/s²", 9.80665), (9.80665, "m/s2", "g", 1.0), (1500.0, "ms", "s", 1.5),
    (2.0, "bar", "psi", 29.0075475), (300.0, "K", "°C", 26.85), (90.0, "deg/s", "rad/s",
                                                                   np.pi / 2),
])
def test_unit_conversions(value: float, source: str, target: str, expected: float) -> None:
    assert units.convert(np.array([value]), source, target)[0] == pytest.approx(expected)


def test_units_of_different_quantities_do_not_convert() -> None:
    assert units.factor_offset("mph", "deg") is None
    with pytest.raises(ValueError):
        units.convert(np.array([1.0]), "s", "m")
