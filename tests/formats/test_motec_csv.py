"""MoTeC i2 CSV: the hand-written exports of tests/data/motec_csv (built from
shared/spec/motec_csv.md) read as the spec says, write -> read equals, bad files fail in one
line."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from actelemetry.errors import SessionFileError, StorageError
from actelemetry.formats.log import ForeignLog, LogChannel
from actelemetry.formats.motec_csv import looks_like_motec_csv, read_motec_csv, write_motec_csv

DATA = Path(__file__).resolve().parents[1] / "data" / "motec_csv"
FULL = DATA / "acc_full_outing.csv"
LAP = DATA / "acti_lap_export.csv"

HEADER = (
    '"Format","MoTeC CSV File",,,"Workbook","w"\r\n"Venue","v",,,"Worksheet","s"\r\n'
    '"Sample Rate","10.000","Hz",,"End Time","0.200","s"\r\n"Beacon Markers",""\r\n\r\n\r\n')


def _write(tmp_path: Path, text: str, name: str = "x.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("latin-1"))
    return path


def _equal(a: ForeignLog, b: ForeignLog) -> None:
    assert list(a.channels) == list(b.channels)
    for name, ch in a.channels.items():
        other = b.channels[name]
        assert ch.unit == other.unit, name
        np.testing.assert_array_equal(ch.values, other.values, err_msg=name)
    assert a.lap_marks == b.lap_marks


def test_full_outing_export_reads_header_names_units_and_beacons() -> None:
    log = read_motec_csv(FULL)
    assert log.fmt == "motec-csv"
    assert log.meta["venue"] == "spa"
    assert log.meta["vehicle"] == "amr_v8_vantage_gt3"
    assert log.meta["vehicle_description"] == "Aston Martin, V8 Vantage GT3"  # comma in quotes
    assert log.meta["driver"] == "A. Driver"
    assert log.meta["device_type"] == "ADL"
    assert log.meta["date"] == "2023-04-04" and log.meta["time"] == "1:16:25 PM"
    assert log.meta["sample_rate"] == "10.000" and log.meta["sample_rate_unit"] == "Hz"
    assert log.meta["range"] == "entire outing"
    assert "engine_id" not in log.meta  # "" is no value
    assert log.lap_marks == [1.5, 4.5]
    assert list(log.channels)[:4] == ["Time", "Distance", "SPEED", "THROTTLE"]
    assert {n: c.unit for n, c in log.channels.items()}["G_LAT"] == "G"
    assert log.channels["GEAR"].unit == ""
    time = log.channels["Time"]
    assert len(time.values) == 61 and time.values[0] == 0.0 and time.values[-1] == 6.0
    assert time.decimals == 3 and log.channels["STEERANGLE"].decimals == 2
    speed = log.channels["SPEED"]
    assert speed.rate_hz == 10.0
    assert speed.values[0] == 120.0 and speed.values[1] == 123.0
    np.testing.assert_array_equal(speed.time_axis(), time.values)
    assert "time_offset" not in log.meta  # an entire-outing export is not re-based


def test_per_lap_export_is_rebased_onto_the_outing() -> None:
    log = read_motec_csv(LAP)
    time = log.channels["Time"].values
    distance = log.channels["Distance"].values
    assert time[0] == 24.324 and time[-1] == 28.324
    assert distance[0] == 1234.0 and distance[1] == 1245.0
    assert log.meta["time_offset"] == "24.324" and log.meta["distance_offset"] == "1234"
    # lap time of a one-lap export = last Time - first Time, the file's own Lap Time agrees
    assert time[-1] - time[0] == pytest.approx(4.0)
    assert log.channels["Lap Time"].values[-1] == 4.0
    np.testing.assert_array_equal(log.channels["Ground Speed"].time_axis(), time)
    assert log.lap_marks == [0.0, 24.324, 130.118]
    assert log.channels["Ground Speed"].unit == "km/h"
    assert log.channels["Tire Temp Core FL"].unit == "C"


def test_looks_like_motec_csv() -> None:
    assert looks_like_motec_csv(FULL.read_bytes()[:200])
    assert looks_like_motec_csv(b'\xef\xbb\xbf"Format","MoTeC CSV File"\r\n')
    assert not looks_like_motec_csv(b"time,SPEED\n0,1\n")
    assert not looks_like_motec_csv(b'{"Format": "MoTeC CSV File"}')
    assert not looks_like_motec_csv(b"")


def test_write_reproduces_the_real_layout_byte_for_byte(tmp_path: Path) -> None:
    out = write_motec_csv(tmp_path / "out.csv", read_motec_csv(FULL))
    assert out.read_bytes() == FULL.read_bytes()


def test_written_layout_matches_the_spec(tmp_path: Path) -> None:
    out = write_motec_csv(tmp_path / "out.csv", read_motec_csv(LAP))
    raw = out.read_bytes()
    assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
    lines = raw.decode("ascii").split("\r\n")
    assert lines[0] == '"Format","MoTeC CSV File",,,"Workbook","ACTI.ldx"'
    assert lines[4] == '"Device","ACTI"'
    assert lines[6] == '"Log Date","2025-05-05",,,"Origin Time","0.000","s"'  # ISO date
    assert lines[8] == '"Sample Rate","5.000","Hz",,"End Time","28.324","s"'
    assert lines[11] == '"Beacon Markers","0.000 24.324 130.118 "'
    assert lines[12] == lines[13] == "" and lines[16] == lines[17] == ""
    assert lines[14].startswith('"Time","Distance","Ground Speed"')
    assert lines[15].startswith('"s","m","km/h"')
    assert lines[18].startswith('"24.324","1234","200.0","100.0"')
    assert all(cell.startswith('"') for cell in lines[18].split(","))


def test_write_read_equals_for_both_fixtures(tmp_path: Path) -> None:
    for source in (FULL, LAP):
        log = read_motec_csv(source)
        back = read_motec_csv(write_motec_csv(tmp_path / source.name, log))
        _equal(log, back)


def test_write_read_equals_for_full_precision_values(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    n = 500
    chans = {
        "Time": LogChannel("Time", "s", np.round(np.arange(n) / 50, 3), rate_hz=50.0),
        "speed": LogChannel("speed", "km/h", rng.normal(150, 40, n), rate_hz=50.0),
        "tiny": LogChannel("tiny", "", rng.normal(0, 1e-12, n), rate_hz=50.0),
        "big": LogChannel("big", "Pa", rng.normal(0, 1e18, n), rate_hz=50.0),
        "holes": LogChannel("holes", "%", np.where(np.arange(n) % 7, 1.5, np.nan), rate_hz=50.0),
    }
    log = ForeignLog(source=Path("mem"), fmt="ld", channels=chans, lap_marks=[1.25, 7.5],
                     meta={"venue": "monza", "driver": 'Quote "Q" Person', "date": "03/02/2024"})
    back = read_motec_csv(write_motec_csv(tmp_path / "o.csv", log))
    for name in chans:
        np.testing.assert_array_equal(back.channels[name].values, chans[name].values)
    assert back.meta["driver"] == 'Quote "Q" Person' and back.meta["date"] == "2024-02-03"
    assert back.lap_marks == [1.25, 7.5]
    distance = back.channels["Distance"].values  # integrated from the km/h channel
    speed_ms = chans["speed"].values / 3.6
    expected = np.sum(np.diff(chans["Time"].values) * (speed_ms[1:] + speed_ms[:-1]) / 2)
    assert distance[0] == 0 and abs(distance[-1] - expected) <= 0.5


def test_multi_rate_log_is_written_at_the_fastest_rate_holding_values(tmp_path: Path) -> None:
    fast = np.arange(60, dtype=np.float64)  # 60 Hz, 1 s
    slow = np.array([10.0, 20.0, 30.0, 40.0, 50.0])  # 5 Hz, 1 s
    log = ForeignLog(source=Path("mem"), fmt="ld", channels={
        "RPMS": LogChannel("RPMS", "rpm", fast, rate_hz=60.0, decimals=0),
        "GEAR": LogChannel("GEAR", "", slow, rate_hz=5.0, decimals=0)})
    back = read_motec_csv(write_motec_csv(tmp_path / "m.csv", log))
    assert back.meta["sample_rate"] == "60.000"
    np.testing.assert_array_equal(back.channels["RPMS"].values, fast)
    gear = back.channels["GEAR"].values
    assert len(gear) == 60
    np.testing.assert_array_equal(gear, np.repeat(slow, 12))  # each 5 Hz value held 12 rows
    assert np.isnan(back.channels["Distance"].values).all()  # no speed channel: no distance


def test_a_time_channel_is_the_axis_of_channels_without_times(tmp_path: Path) -> None:
    time = 100 + np.arange(5) / 20
    log = ForeignLog(source=Path("mem"), fmt="csv", channels={
        "Time": LogChannel("Time", "s", time), "v": LogChannel("v", "", np.arange(5.0))})
    back = read_motec_csv(write_motec_csv(tmp_path / "t.csv", log))
    np.testing.assert_array_equal(back.channels["Time"].values, time)
    np.testing.assert_array_equal(back.channels["v"].values, np.arange(5.0))
    assert back.meta["start_time"] == "100.000" and back.meta["sample_rate"] == "20.000"


def test_variants_other_writers_produce(tmp_path: Path) -> None:
    # no empty lines after the unit row, no empty line before the name row, an empty cell,
    # a non-numeric cell, LF endings, a second Time column
    text = ('"Format","MoTeC CSV File"\n"Sample Rate","10.000","Hz"\n'
            '"Time","Distance","Speed","Time"\n"s","m","km/h","min"\n'
            '"0.000","0","10.0","0"\n"0.100",,"n/a","0.001667"\n"0.200","1","12.5",""\n')
    log = read_motec_csv(_write(tmp_path, text))
    assert list(log.channels) == ["Time", "Distance", "Speed", "Time#2"]
    assert log.channels["Time#2"].unit == "min"
    speed = log.channels["Speed"].values
    assert speed[0] == 10.0 and np.isnan(speed[1]) and speed[2] == 12.5
    assert np.isnan(log.channels["Distance"].values[1])
    assert log.lap_marks == []


def test_windows_code_page_and_a_header_longer_than_the_first_read(tmp_path: Path) -> None:
    names = ["Time"] + [f"Brake Temp {i} with a long name" for i in range(3000)]  # ~100 KB
    units = ["s"] + ["°C"] * 3000
    rows = [["0.000"] + ["1.5"] * 3000, ["0.050"] + [""] * 2999 + ["-2"]]
    text = ('"Format","MoTeC CSV File"\r\n"Sample Rate","20.000","Hz"\r\n'
            '"Venue","Nürburgring"\r\n\r\n')
    text += "\r\n".join(",".join(f'"{c}"' for c in r) for r in [names, units, *rows]) + "\r\n"
    path = tmp_path / "wide.csv"
    path.write_bytes(text.encode("cp1252"))
    assert path.stat().st_size > 1 << 16
    log = read_motec_csv(path)
    assert log.meta["venue"] == "Nürburgring"
    assert len(log.channels) == 3001
    last = log.channels["Brake Temp 2999 with a long name"]
    assert last.unit == "°C" and last.values.tolist() == [1.5, -2.0]
    assert np.isnan(log.channels["Brake Temp 0 with a long name"].values[1])


def test_aim_layout_and_segment_times_are_accepted(tmp_path: Path) -> None:
    text = ('"Format","AiM CSV File"\r\n"Segment Times","1:23.456","1:22.001"\r\n\r\n'
            '"Time","Speed"\r\n"s","km/h"\r\n"0.000","1"\r\n"0.100","2"\r\n')
    log = read_motec_csv(_write(tmp_path, text))
    assert log.meta["segment_times"] == "1:23.456 1:22.001"
    assert log.channels["Speed"].values.tolist() == [1.0, 2.0]


@pytest.mark.parametrize(("text", "words"), [
    ("", "not a MoTeC CSV"),
    ("time,speed\n0,1\n", "not a MoTeC CSV"),
    (HEADER, "without a name row"),
    (HEADER + '"Time","Speed"\r\n', "without a unit row"),
    (HEADER + '"Time","Speed"\r\n"s","km/h"\r\n\r\n', "without data rows"),
    (HEADER + '"Time","Speed"\r\n"s","km/h"\r\n"0.0","1"\r\n"0.1"\r\n', "has 1 cells where"),
    ('"Format","MoTeC CSV File"\r\n\r\n"Speed"\r\n"km/h"\r\n"1"\r\n', "neither a Time column"),
    (HEADER + '"Time","Sp\r\need"\r\n"s","km/h"\r\n"0.0","1"\r\n', "line 7 has a quoted value"),
])
def test_bad_files_give_one_line_errors(tmp_path: Path, text: str, words: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(SessionFileError) as err:
        read_motec_csv(path)
    message = str(err.value)
    assert words in message and str(path) in message and "\n" not in message


def test_missing_file_is_a_session_file_error(tmp_path: Path) -> None:
    with pytest.raises(SessionFileError, match="cannot read"):
        read_motec_csv(tmp_path / "nope.csv")


def test_write_is_atomic(tmp_path: Path) -> None:
    log = ForeignLog(source=Path("mem"), fmt="csv", channels={
        "x": LogChannel("x", "", np.arange(3.0))})  # neither rate nor times
    target = tmp_path / "out" / "x.csv"
    with pytest.raises(SessionFileError, match="no channel has a time axis"):
        write_motec_csv(target, log)
    assert not target.exists()
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(StorageError):
        write_motec_csv(blocker / "x.csv", read_motec_csv(FULL))
    shutil.rmtree(tmp_path / "out", ignore_errors=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


_CELL = st.one_of(st.just(""), st.text(alphabet='0123456789.-e"ab, ', max_size=6),
                  st.floats(allow_nan=True, allow_infinity=True).map(repr))


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=600))
def test_any_bytes_give_a_log_or_a_one_line_error(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "f.csv"
    for body in (data, b'"Format","MoTeC CSV File"\r\n' + data):
        path.write_bytes(body)
        try:
            assert isinstance(read_motec_csv(path), ForeignLog)
        except SessionFileError as exc:
            assert "\n" not in str(exc)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(st.text(max_size=5), min_size=1, max_size=4),
       rows=st.lists(st.lists(_CELL, min_size=0, max_size=5), max_size=6),
       beacons=st.text(alphabet="0123456789. -x", max_size=20))
def test_any_export_shaped_text_gives_a_log_or_a_one_line_error(
        tmp_path: Path, names: list[str], rows: list[list[str]], beacons: str) -> None:
    def line(cells: list[str]) -> str:
        return ",".join('"' + c.replace('"', '""') + '"' for c in cells)

    text = (HEADER.replace('""', f'"{beacons}"') + line(names) + "\r\n"
            + line(["s"] * len(names)) + "\r\n\r\n" + "".join(line(r) + "\r\n" for r in rows))
    path = _write(tmp_path, text.encode("utf-8").decode("latin-1"))
    try:
        log = read_motec_csv(path)
    except SessionFileError as exc:
        assert "\n" not in str(exc)
        return
    assert len(log.channels) == len(names)
    lines = [r for r in rows if r]  # an empty list is an empty line, which is no row
    assert all(len(c.values) == len(lines) for c in log.channels.values())
    assert all(m >= 0 for m in log.lap_marks)
