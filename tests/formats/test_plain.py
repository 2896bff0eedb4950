"""Plain CSV / JSONL / JSON: hand-written logs in tests/data/plain read as they are (messy
rows kept), nested records named by JSON path, bad files fail in one line."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from actelemetry.errors import SessionFileError
from actelemetry.formats import plain
from actelemetry.formats.log import ForeignLog
from actelemetry.formats.plain import describe_columns, read_csv, read_json, read_jsonl

DATA = Path(__file__).resolve().parents[1] / "data" / "plain"


def test_acc_channel_csv_is_kept_as_it_is() -> None:
    log = read_csv(DATA / "acc_channels.csv")
    assert log.fmt == "csv"
    assert list(log.channels) == ["time", "SPEED", "THROTTLE", "BRAKE", "STEERANGLE", "GEAR",
                                  "RPMS", "G_LAT", "G_LON", "ROTY"]
    assert all(c.unit == "" for c in log.channels.values())
    time = log.channels["time"].values
    assert time.tolist()[3:5] == [0.20, 0.15]  # out of order, as in the file
    assert log.channels["RPMS"].values[-1] == -6750  # negative RPM kept
    assert log.channels["G_LON"].values[6] == -13.2  # spike kept
    lat = log.channels["G_LAT"].values
    assert np.isnan(lat[2]) and np.isnan(lat[7]) and lat[0] == 0.35  # empty cell and NA
    assert log.texts["driver"][0] == "driver3" and log.texts["driver"][-1] == ""
    assert log.texts["track"] == ["monza"] * 9
    assert all(len(c.values) == 9 for c in log.channels.values())


def test_nested_json_object_holding_records() -> None:
    log = read_json(DATA / "nested.json")
    assert log.fmt == "json"
    assert log.meta == {"app": "hand-written AC app export", "session.track": "monza",
                        "session.car": "ks_ferrari_488_gt3", "session.laps": "1",
                        "records": "samples"}
    assert log.channels["physics.speedKmh"].values.tolist() == [120.5, 121.0, 121.6]
    assert log.channels["physics.inPit"].values.tolist() == [0.0, 0.0, 1.0]
    assert log.channels["wheels[0].slip"].values.tolist() == [0.01, 0.02, 0.01]
    slip = log.channels["wheels[2].slip"].values
    assert np.isnan(slip[1]) and slip[2] == 0.02
    assert log.channels["wheels[3].pressure"].values[0] == 26.9
    assert log.texts == {"lapTime": ["0:00.000", "0:00.100", "0:00.200"]}


def test_jsonl_with_nulls_keeps_every_row() -> None:
    log = read_jsonl(DATA / "nulls.jsonl")
    assert log.fmt == "jsonl"
    assert log.channels["timestamp_ms"].values.tolist() == [1000, 1100, 1050, 1200]
    speed = log.channels["speed_mps"].values
    assert np.isnan(speed[1]) and speed[3] == 0.0
    abs_ = log.channels["abs"].values
    assert abs_.tolist()[:3] == [0.0, 0.0, 1.0] and np.isnan(abs_[3])
    assert log.channels["last_lap_s"].values.tolist() == [2147483.647] * 3 + [149.475]
    rf = log.channels["tyres.rf"].values  # null in row 2, absent in row 4
    assert np.isnan(rf[1]) and np.isnan(rf[3]) and rf[2] == 81.1
    assert log.texts["car"] == ["amr_v8_vantage_gt3"] * 3 + [""]


def test_the_real_recordings_layout(tmp_path: Path) -> None:
    """Records wrapped in their kind ({"DataPoint": {...}}), as the ACC recorder of the
    shipped real recording writes them: every line a row, names carry the kind."""
    lines = [{"SessionChange": {"track_name": "Unknown", "max_steering_angle": 3.1415927,
                                "we_series_id": None}},
             {"DataPoint": {"point_no": 1, "timestamp_ms": 1764972654036, "gear": -1,
                            "is_in_pit_lane": False, "lf_tire_info": {"left_carcass_temp": 0.0},
                            "annotations": []}},
             {"DataPoint": {"point_no": 2, "timestamp_ms": 1764972654138, "gear": 2,
                            "is_in_pit_lane": True, "lf_tire_info": {"left_carcass_temp": 71.5},
                            "annotations": ["pit"]}}]
    path = tmp_path / "r.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    log = read_jsonl(path)
    stamp = log.channels["DataPoint.timestamp_ms"].values
    assert np.isnan(stamp[0]) and stamp[1] == 1764972654036.0  # exact in float64
    assert log.channels["DataPoint.lf_tire_info.left_carcass_temp"].values[2] == 71.5
    assert log.channels["SessionChange.max_steering_angle"].values[0] == 3.1415927
    assert np.isnan(log.channels["SessionChange.we_series_id"].values).all()
    assert log.texts["SessionChange.track_name"] == ["Unknown", "", ""]
    assert log.texts["DataPoint.annotations[0]"] == ["", "", "pit"]


def test_json_array_and_column_layouts(tmp_path: Path) -> None:
    array = tmp_path / "a.json"
    array.write_text(json.dumps([{"t": 0, "v": {"x": 1}}, {"t": 1, "v": {"x": None}}]))
    log = read_json(array)
    assert log.channels["t"].values.tolist() == [0.0, 1.0]
    assert np.isnan(log.channels["v.x"].values[1])
    columns = tmp_path / "c.json"
    columns.write_text(json.dumps({"track": "spa", "t": [0, 0.1], "speed": [10, None],
                                   "gear": ["N", "1"]}))
    log = read_json(columns)
    assert log.meta == {"track": "spa"}
    assert log.channels["t"].values.tolist() == [0.0, 0.1]
    assert log.texts["gear"] == ["N", "1"]


def test_csv_variants(tmp_path: Path) -> None:
    semi = tmp_path / "s.csv"
    semi.write_bytes("Zeit;Temp °C;ok;when\n0;21,5;true;2024-01-02\n1;22;false;\n"
                     .encode("cp1252"))
    log = read_csv(semi)
    assert log.channels["Zeit"].values.tolist() == [0.0, 1.0]
    assert log.texts["Temp °C"] == ["21,5", "22"]  # a decimal comma stays text
    assert log.channels["ok"].values.tolist() == [1.0, 0.0]
    assert log.texts["when"] == ["2024-01-02", ""]  # dates keep the file's own text
    dup = tmp_path / "d.csv"
    dup.write_text('a,a,,"q,""x"""\n1,2,3,4\n')
    log = read_csv(dup)
    assert list(log.channels) == ["a", "a#2", "column_3", 'q,"x"']
    empty_col = tmp_path / "e.csv"
    empty_col.write_text("a,b\n1,\n2,\n")
    assert np.isnan(read_csv(empty_col).channels["b"].values).all()


def test_describe_columns() -> None:
    rows = {r["name"]: r for r in describe_columns(read_csv(DATA / "acc_channels.csv"))}
    lat = rows["G_LAT"]
    assert (lat["kind"], lat["count"], lat["non_null"]) == ("number", 9, 7)
    assert (lat["min"], lat["max"], lat["example"]) == (0.25, 0.36, 0.35)
    assert rows["driver"] == {"name": "driver", "kind": "text", "unit": "", "count": 9,
                              "non_null": 8, "min": None, "max": None, "example": "driver3"}
    nested = {r["name"]: r for r in describe_columns(read_json(DATA / "nested.json"))}
    assert nested["wheels[2].slip"]["non_null"] == 2


@pytest.mark.parametrize(("reader", "content", "words"), [
    (read_csv, b"", "empty file"),
    (read_csv, b" \n\n", "empty file"),
    (read_csv, b"\x00\x01\x02garbage\xff", "binary data"),
    (read_csv, b"a,b\n1,2\n3\n", "ragged CSV: a row has 1 fields where the header has 2"),
    (read_csv, b"a,b\n", "no data rows"),
    (read_csv, b",".join(b"c%d" % i for i in range(10_001)) + b"\n", "more than 10000"),
    (read_jsonl, b"", "empty file"),
    (read_jsonl, b'{"a": 1}\n[1, 2]\n', "line 2 is not a JSON object"),
    (read_jsonl, b'{"a": 1}\n{"a": \n', "line 2 is not JSON"),
    (read_jsonl, b"\xff\xfe{}", "not UTF-8"),
    (read_json, b'"text"', "neither an array of records"),
    (read_json, b"[1, 2]", "item 0 of the array is not a JSON object"),
    (read_json, b"[]", "an empty array"),
    (read_json, b"[" * 100_000, "not JSON"),
    (read_json, b'{"a": [1, 2], "b": [1]}', "neither an array of records"),
    (read_json, json.dumps([{f"f{i}": i for i in range(10_001)}]).encode(), "more than 10000"),
])
def test_bad_input_gives_one_line_errors(tmp_path: Path, reader: object, content: bytes,
                                         words: str) -> None:
    path = tmp_path / "bad.x"
    path.write_bytes(content)
    with pytest.raises(SessionFileError) as err:
        reader(path)  # type: ignore[operator]
    message = str(err.value)
    assert words in message and str(path) in message and "\n" not in message


def test_missing_file(tmp_path: Path) -> None:
    for reader in (read_csv, read_jsonl, read_json):
        with pytest.raises(SessionFileError, match="cannot read"):
            reader(tmp_path / "nope")


def test_field_limit_is_a_module_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plain, "MAX_FIELDS", 3)
    path = tmp_path / "w.jsonl"
    path.write_text('{"a": 1, "b": {"c": 2, "d": [3, 4]}}\n')
    with pytest.raises(SessionFileError, match="more than 3 distinct fields"):
        read_jsonl(path)


def _check(reader: object, path: Path) -> None:
    try:
        log = reader(path)  # type: ignore[operator]
    except SessionFileError as exc:
        assert "\n" not in str(exc)
        return
    assert isinstance(log, ForeignLog)
    lengths = {len(c.values) for c in log.channels.values()} | {len(t) for t in log.texts.values()}
    assert len(lengths) <= 1  # every column has one entry per row


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=400))
def test_any_bytes_give_a_log_or_a_one_line_error(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "f"
    path.write_bytes(data)
    for reader in (read_csv, read_jsonl, read_json):
        _check(reader, path)


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(alphabet=st.sampled_from(list('ab1.-e,;\t"\n\r {}[]:nulltrue\\')),
                    max_size=120))
def test_any_csv_or_json_shaped_text_gives_a_log_or_a_one_line_error(
        tmp_path: Path, text: str) -> None:
    path = tmp_path / "f"
    path.write_text(text, encoding="utf-8")
    for reader in (read_csv, read_jsonl, read_json):
        _check(reader, path)


_JSON = st.recursive(st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=4),
                     lambda kids: st.lists(kids, max_size=3)
                     | st.dictionaries(st.text(max_size=3), kids, max_size=3), max_leaves=12)


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=st.lists(st.dictionaries(st.text(max_size=3), _JSON, max_size=4), max_size=5))
def test_any_json_records_give_a_log_with_every_row(tmp_path: Path, records: list) -> None:
    path = tmp_path / "r.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    _check(read_jsonl, path)
    path.write_text(json.dumps(records), encoding="utf-8")
    _check(read_json, path)
