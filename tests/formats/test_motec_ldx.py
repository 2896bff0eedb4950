"""The .ldx sidecar: laps written are laps read, the shapes real producers write parse, and
XML tricks are refused in one line."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from actelemetry.errors import SessionFileError
from actelemetry.formats.motec_ldx import (
    MAX_BYTES,
    lap_time_text,
    parse_ldx,
    read_ldx,
    write_ldx,
)

DATA = Path(__file__).parent.parent / "data" / "motec"


def test_written_laps_are_read_back(tmp_path: Path) -> None:
    marks = [95.125, 183.525, 271.437]
    path = write_ldx(tmp_path / "a.ldx", marks)
    info = read_ldx(path)
    assert info.marks == marks
    # the Details: markers + 1 segments; the best complete lap; out-lap is lap 1
    assert info.details == {"Total Laps": "4", "Fastest Time": "1:27.912", "Fastest Lap": "3"}
    root = ET.fromstring(path.read_bytes())
    assert root.tag == "LDXFile" and root.get("Version") == "1.6"
    group = root.find("Layers/Layer/MarkerBlock/MarkerGroup")
    assert group is not None and group.get("Name") == "Beacons"
    times = [m.get("Time") for m in group.iter("Marker")]
    assert times == ["95125000.000000", "183525000.000000", "271437000.000000"]
    assert {m.get("ClassName") for m in group.iter("Marker")} == {"BCN"}
    assert root.find("Layers/Layer/RangeBlock") is not None
    assert root.find("Layers/Details") is not None


def test_no_laps_is_one_stint(tmp_path: Path) -> None:
    path = write_ldx(tmp_path / "none.ldx", [])
    info = read_ldx(path)
    assert info.marks == [] and info.details == {"Total Laps": "1"}
    assert ET.fromstring(path.read_bytes()).find("Layers/Layer") is None


def test_microsecond_precision_survives(tmp_path: Path) -> None:
    marks = [0.000001, 3599.999999, 14400.123456]
    assert read_ldx(write_ldx(tmp_path / "p.ldx", marks)).marks == pytest.approx(marks,
                                                                                 abs=1e-9)


def test_acti_shaped_fixture() -> None:
    info = read_ldx(DATA / "handmade.ldx")
    assert info.marks == [0.0, 0.75, 1.5]  # the "Other" group is not the beacons
    assert info.details["Total Laps"] == "4"


def test_acc_shaped_markers_and_other_placements() -> None:
    doc = b"""<?xml version="1.0"?>
<LDXFile Locale="English_United States.1252" DefaultLocale="C" Version="1.6">
<Details><String Id="Total Laps" Value="3"/></Details>
<Layers><Layer><MarkerBlock><MarkerGroup Name="Beacons" Index="0">
<Marker Version="100" ClassName="BCN" Name="2, id=99" Flags="13" Time="6.69511000000000000e+08"/>
<Marker Version="100" ClassName="BCN" Name="3, id=99" Flags="13" Time="1.10018e+09"/>
<Marker Version="100" ClassName="BCN" Name="3, id=99" Flags="13" Time="1.10018e+09"/>
<Marker Version="100" ClassName="BCN" Name="x" Flags="13" Time="-5"/>
</MarkerGroup></MarkerBlock></Layer></Layers></LDXFile>"""
    info = parse_ldx(doc, "acc.ldx")
    assert info.marks == [669.511, 1100.18]  # duplicates and negatives dropped
    assert info.details == {"Total Laps": "3"}
    # no group named Beacons: every marker counts
    assert parse_ldx(b'<LDXFile><Marker Time="2000000"/><Marker Time="1e6"/></LDXFile>',
                     "x").marks == [1.0, 2.0]


def test_lap_time_text() -> None:
    assert lap_time_text(125.679) == "2:05.679"
    assert lap_time_text(59.9996) == "1:00.000"


@pytest.mark.parametrize(("doc", "why"), [
    (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 '
     b'"&lol;&lol;&lol;">]><LDXFile><Details><String Id="&lol2;"/></Details></LDXFile>',
     "document type"),
    (b'<?xml version="1.0"?><!DOCTYPE x SYSTEM "file:///etc/passwd"><LDXFile/>',
     "document type"),
    (b"<LDXFile><Layers>", "not valid XML"),
    (b"\xff\xfe\x00garbage", "not valid XML"),
    (b"", "not valid XML"),
    (b"<html><body/></html>", "not an .ldx"),
    (b'<LDXFile><Marker Time="soon"/></LDXFile>', "not a number"),
])
def test_hostile_sidecars_are_one_line_errors(doc: bytes, why: str) -> None:
    with pytest.raises(SessionFileError) as info:
        parse_ldx(doc, "bad.ldx")
    msg = str(info.value)
    assert "\n" not in msg and msg.startswith("bad.ldx: ") and why in msg, msg


def test_oversized_and_missing_files(tmp_path: Path) -> None:
    big = tmp_path / "big.ldx"
    with open(big, "wb") as fh:
        fh.truncate(MAX_BYTES + 1)
    with pytest.raises(SessionFileError, match="too large"):
        read_ldx(big)
    with pytest.raises(SessionFileError, match="cannot be read"):
        read_ldx(tmp_path / "missing.ldx")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=400) | st.text(max_size=400).map(str.encode)
       | st.lists(st.tuples(st.integers(0, 600), st.integers(0, 255)), max_size=8).map(
           lambda edits: _mutate((DATA / "handmade.ldx").read_bytes(), edits)))
def test_any_bytes_parse_or_fail_in_one_line(doc: bytes) -> None:
    try:
        info = parse_ldx(doc, "f.ldx")
    except SessionFileError as exc:
        assert "\n" not in str(exc)
        return
    assert info.marks == sorted(set(info.marks)) and all(t >= 0 for t in info.marks)


def _mutate(doc: bytes, edits: list[tuple[int, int]]) -> bytes:
    buf = bytearray(doc)
    for pos, value in edits:
        buf[pos % len(buf)] = value
    return bytes(buf)
