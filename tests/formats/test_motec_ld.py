"""The MoTeC .ld reader and writer, checked against the spec with ``struct``: a hand-built
file, the bytes the writer produces, round trips, and hostile files."""

from __future__ import annotations

import shutil
import struct
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from actelemetry.errors import SessionFileError, UsageError
from actelemetry.formats.log import ForeignLog, LogChannel
from actelemetry.formats.motec_ld import quantum, read_ld, write_ld

DATA = Path(__file__).parent.parent / "data" / "motec"


# --- a hand-built file (tests/data/motec/make_handmade.py, from the spec) --------------------

def fixture_script() -> ModuleType:
    """The module of tests/data/motec/make_handmade.py (the fixtures' builder)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_handmade", DATA / "make_handmade.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_committed_fixtures_are_what_their_script_builds() -> None:
    mod = fixture_script()
    assert (DATA / "handmade.ld").read_bytes() == mod.build_ld()
    assert (DATA / "handmade.ldx").read_bytes() == mod.LDX.encode("utf-8")
    assert (DATA / "acc_shaped.ld").read_bytes() == mod.build_acc_ld()
    assert (DATA / "acc_shaped.ldx").read_bytes() == mod.ACC_LDX.encode("utf-8")


def test_acc_shaped_file() -> None:
    """ACC's block placement, float32 channels at their own rates, ACC's sidecar."""
    mod = fixture_script()
    log = read_ld(DATA / "acc_shaped.ld")
    assert list(log.channels) == [c[0] for c in mod.ACC_CHANNELS]
    for name, unit, rate, fn in mod.ACC_CHANNELS:
        ch = log.channels[name]
        assert (ch.unit, ch.rate_hz, len(ch.values)) == (unit, rate, 8 * rate), name
        want = np.array([fn(k / rate) for k in range(8 * rate)], np.float32)
        np.testing.assert_array_equal(ch.values, want, name)
    m = log.meta
    assert (m["venue"], m["vehicle"], m["event"], m["vehicle_weight"]) == (
        "Kyalami", "R8 LMS EVO", "audi_r8_lms_evo", "1360")
    assert (m["date"], m["time"]) == ("07/12/2021", "20:41:07")
    assert "driver" not in m and "warnings" not in m
    assert log.lap_marks == [1.5, 4.0, 6.25]
    assert np.diff(log.lap_marks).tolist() == [2.5, 2.25]  # the two complete laps
    beacon = log.channels["LAP_BEACON"]
    steps = beacon.time_axis()[np.flatnonzero(np.diff(beacon.values)) + 1]
    assert steps.tolist() == pytest.approx(log.lap_marks)  # the channel agrees with the .ldx


def test_handmade_file_reads_with_the_spec_formula(tmp_path: Path) -> None:
    log = read_ld(DATA / "handmade.ld")
    ch = log.channels
    # (raw / scale * 10^-dec + shift) * mul, section 7, with the spec's own examples
    assert ch["Engine RPM"].values[0] == pytest.approx(1650.0)  # raw 275, mul 6, scale 10, dec -1
    assert ch["Engine RPM"].values[-1] == pytest.approx((275 + 190) / 10 * 10 * 6)
    assert ch["Worked Example"].values[0] == pytest.approx(20.745)  # raw -1234
    assert ch["Worked Example"].values[1] == pytest.approx(30.0)  # raw 0 -> (0 + 10) * 3
    assert ch["Air Temp Inlet"].values.tolist() == pytest.approx([19.9, 20.5])
    assert ch["Lap Time"].values[:3].tolist() == pytest.approx([100.0, 100.05, 100.1])
    assert ch["Ground Speed"].values.tolist() == [0.5 * i for i in range(100)]
    assert ch["Half Float"].values.tolist() == [1.5, -2.25, 1024.0, 0.0999755859375]
    assert ch["Mu Junk"].values.size == 0  # count 0 with a garbage type: an empty channel
    assert "GPS Latitude" not in ch  # (8, 8) is unknown: skipped, the walk goes on
    assert "GPS Latitude" in log.meta["warnings"]
    rates = {n: c.rate_hz for n, c in ch.items()}
    assert rates == {"Engine RPM": 10, "Worked Example": 5, "Air Temp Inlet": 1, "Lap Time": 20,
                     "Ground Speed": 50, "Half Float": 2, "Mu Junk": 10}
    assert [c.unit for c in ch.values()] == ["rpm", "x", "C", "s", "km/h", "bar", ""]
    assert ch["Ground Speed"].time_axis()[-1] == pytest.approx(99 / 50)
    m = log.meta
    assert (m["date"], m["time"], m["driver"], m["venue"], m["vehicle"]) == (
        "23/11/2005", "10:20:30", "A. Driver", "Calder", "11A")
    assert (m["comment"], m["session"], m["event"], m["long_comment"]) == (
        "second warmup", "2", "i2 data day", "Calder Park, 23/11/05, fine sunny day")
    assert (m["vehicle_weight"], m["vehicle_type"], m["device_serial"]) == ("1360", "Car",
                                                                            "12007")
    # ACTI-style sidecar: a marker at 0, only the Beacons group counts
    assert log.lap_marks == [0.0, 0.75, 1.5]
    # without the sidecar there are no lap marks
    shutil.copy(DATA / "handmade.ld", tmp_path / "alone.ld")
    assert read_ld(tmp_path / "alone.ld").lap_marks == []
    # a damaged sidecar costs the laps, not the data, and says so
    (tmp_path / "alone.ldx").write_text("<LDXFile><Marker Time=")
    damaged = read_ld(tmp_path / "alone.ld")
    assert damaged.lap_marks == [] and "Engine RPM" in damaged.channels
    assert "lap beacons not read" in damaged.meta["warnings"]
    assert "GPS Latitude" in damaged.meta["warnings"]


# --- the bytes the writer produces, read back independently ----------------------------------

def sample_log(path: Path) -> ForeignLog:
    """Channels at several rates and of several stored types, 12 s long."""
    rng = np.random.default_rng(7)
    t100 = np.arange(1200) / 100
    ch = {
        "Ground Speed": LogChannel("Ground Speed", "km/h", 120 + 80 * np.sin(t100), 100.0),
        "Throttle Pos": LogChannel("Throttle Pos", "%", rng.uniform(0, 100, 1200), 100.0),
        "Gear": LogChannel("Gear", "", rng.integers(-1, 7, 600).astype(float), 50.0),
        "Engine RPM": LogChannel("Engine RPM", "rpm", rng.integers(800, 9000, 120) * 1.0, 10.0),
        "Odometer": LogChannel("Odometer", "m", 1e6 + np.arange(12) * 1e5, 1.0),
        "Water Temp": LogChannel("Water Temp", "C", np.round(rng.uniform(60, 110, 24), 1), 2.0,
                                 decimals=1),
        "Lap Dist": LogChannel("Lap Dist", "m", np.round(rng.uniform(0, 5000, 240), 2), 20.0,
                               decimals=2),
        "Yaw Rate": LogChannel("Yaw Rate", "deg/s", rng.normal(0, 1e-3, 3996), 333.0),
        "Sparse": LogChannel("Sparse", "bar", np.where(np.arange(120) % 7 == 0, np.nan,
                                                      np.arange(120) * 0.1), 10.0),
        "Empty": LogChannel("Empty", "", np.empty(0), 10.0),
    }
    meta = {"venue": "Monza", "vehicle": "GT3 Car", "driver": "Test Driver",
            "date": "04/12/2026", "time": "13:14:15", "comment": "round trip",
            "event": "Test day", "session": "Q1", "long_comment": "a longer comment"}
    return ForeignLog(path, "ld", ch, meta, lap_marks=[1.25, 5.5, 9.875])


@pytest.fixture
def written(tmp_path: Path) -> tuple[ForeignLog, Path]:
    log = sample_log(tmp_path / "out.ld")
    ld, ldx = write_ld(tmp_path / "out.ld", log)
    assert ld == tmp_path / "out.ld" and ldx == tmp_path / "out.ldx" and ldx.is_file()
    return log, ld


def s(buf: bytes, offset: int, size: int) -> str:
    return buf[offset:offset + size].split(b"\0")[0].decode("latin-1")


def test_header_fields_at_the_spec_offsets(written: tuple[ForeignLog, Path]) -> None:
    log, path = written
    buf = path.read_bytes()
    u32 = lambda o: struct.unpack_from("<I", buf, o)[0]  # noqa: E731
    u16 = lambda o: struct.unpack_from("<H", buf, o)[0]  # noqa: E731
    assert u32(0) == 0x40
    assert u32(66) == 1_000_000
    assert s(buf, 74, 8) == "ADL" and u16(82) == 420
    # one identity triple, not mixed (section 10): ACC's
    assert (u32(70), u16(84), u32(1502), u16(64)) == (8004, 0xADB0, 0x000C81A4, 1)
    assert u32(86) == len(log.channels)
    assert s(buf, 94, 16) == "04/12/2026" and s(buf, 126, 16) == "13:14:15"
    assert s(buf, 158, 64) == "Test Driver"
    assert s(buf, 222, 64) == "GT3 Car"
    assert s(buf, 350, 64) == "Monza"
    assert s(buf, 1508, 64) == "Q1"
    assert s(buf, 1572, 64) == "round trip"
    event = u32(36)
    assert event >= 1762
    assert s(buf, event, 64) == "Test day" and s(buf, event + 64, 64) == "Q1"
    assert s(buf, event + 128, 1024) == "a longer comment"
    venue = u16(event + 1152)
    assert s(buf, venue, 64) == "Monza"
    vehicle = u16(venue + 1098)
    assert s(buf, vehicle, 64) == "GT3 Car" and s(buf, vehicle + 196, 32) == "Car"
    assert venue < 65536 and vehicle < 65536


def test_channel_list_walks_to_its_end_and_data_lies_inside(
        written: tuple[ForeignLog, Path]) -> None:
    log, path = written
    buf = path.read_bytes()
    ptr, prev, seen, blocks = struct.unpack_from("<I", buf, 8)[0], 0, set(), []
    while ptr:
        assert ptr not in seen and ptr + 124 <= len(buf)
        seen.add(ptr)
        p, nxt, data, count, _id, typ, size, rate, shift, mul, scale, dec = \
            struct.unpack_from("<IIIIHHHHhhhh", buf, ptr)
        assert p == prev
        blocks.append((s(buf, ptr + 32, 32), s(buf, ptr + 72, 12), data, count, typ, size,
                       rate, shift, mul, scale, dec))
        prev, ptr = ptr, nxt
    assert [b[0] for b in blocks] == list(log.channels)
    assert [b[1] for b in blocks] == [c.unit for c in log.channels.values()]
    assert [b[6] for b in blocks] == [int(c.rate_hz) for c in log.channels.values()]
    assert [b[3] for b in blocks] == [len(c.values) for c in log.channels.values()]
    assert struct.unpack_from("<I", buf, 12)[0] == blocks[0][2]  # first data pointer
    end = blocks[0][2]
    assert end == prev + 124  # arrays start right after the last block
    for name, _u, data, count, typ, size, _r, shift, mul, scale, _d in blocks:
        assert (typ, size) in {(3, 2), (3, 4), (7, 4)}, name
        assert (shift, mul, scale) == (0, 1, 1)
        assert data == end and data + count * size <= len(buf), name  # contiguous, inside
        end = data + count * size
    assert end == len(buf)
    kinds = {b[0]: (b[4], b[5], b[10]) for b in blocks}
    assert kinds["Gear"] == (3, 2, 0)  # whole numbers: int16
    assert kinds["Odometer"] == (3, 4, 0)  # too large for int16: int32
    assert kinds["Water Temp"] == (3, 2, 1)  # one decimal stated: scaled int16
    assert kinds["Lap Dist"] == (3, 4, 2)  # 500000 does not fit int16
    assert kinds["Ground Speed"] == (7, 4, 0)  # float32, dec 0 (section 7)


def test_round_trip_equals_within_quantisation(written: tuple[ForeignLog, Path]) -> None:
    log, path = written
    back = read_ld(path)
    assert list(back.channels) == list(log.channels)
    for name, ch in log.channels.items():
        got = back.channels[name]
        assert got.unit == ch.unit and got.rate_hz == ch.rate_hz, name
        assert got.values.shape == ch.values.shape, name
        q = quantum(ch)
        if q == np.finfo(np.float32).eps:
            np.testing.assert_array_equal(got.values, ch.values.astype(np.float32), name)
            np.testing.assert_allclose(got.values, ch.values, rtol=q, atol=1e-30)
        else:
            np.testing.assert_allclose(got.values, ch.values, rtol=0, atol=q + 1e-12)
    assert np.isnan(back.channels["Sparse"].values[::7]).all()
    np.testing.assert_array_equal(back.channels["Gear"].values, log.channels["Gear"].values)
    assert back.lap_marks == log.lap_marks
    for key, value in log.meta.items():
        assert back.meta[key] == value, key


def test_write_refuses_what_an_ld_cannot_hold(tmp_path: Path) -> None:
    log = ForeignLog(tmp_path / "x.ld", "ld",
                     {"a": LogChannel("a", "", np.zeros(3), 12.5)})
    with pytest.raises(UsageError, match="whole sample rate"):
        write_ld(tmp_path / "x.ld", log)
    assert not (tmp_path / "x.ld").exists()


def test_long_names_are_cut_and_kept_apart(tmp_path: Path) -> None:
    long = "A channel name far longer than thirty-one characters"
    chans = {f"{long} {k}": LogChannel(f"{long} {k}", "", np.arange(4.0), 1.0) for k in (1, 2)}
    write_ld(tmp_path / "n.ld", ForeignLog(tmp_path / "n.ld", "ld", chans))
    names = list(read_ld(tmp_path / "n.ld").channels)
    assert len(names) == 2 and len(set(names)) == 2 and all(len(n) <= 31 for n in names)


def test_a_log_without_channels_round_trips(tmp_path: Path) -> None:
    write_ld(tmp_path / "e.ld", ForeignLog(tmp_path / "e.ld", "ld", {}, {"venue": "Spa"}))
    back = read_ld(tmp_path / "e.ld")
    assert back.channels == {} and back.meta["venue"] == "Spa"


def test_mislabelled_rate_is_corrected_from_the_shared_duration(tmp_path: Path) -> None:
    # AC Evo declares 50 Hz for channels that hold five times as many samples (section 8)
    chans = {n: LogChannel(n, "", np.arange(500.0), 50.0) for n in ("A", "B", "C")}
    chans["TIME"] = LogChannel("TIME", "s", np.arange(2500.0), 50.0)
    write_ld(tmp_path / "r.ld", ForeignLog(tmp_path / "r.ld", "ld", chans))
    back = read_ld(tmp_path / "r.ld")
    assert back.channels["TIME"].rate_hz == pytest.approx(250.0)
    assert back.channels["A"].rate_hz == 50.0
    assert "TIME" in back.meta["warnings"]


# --- hostile files ---------------------------------------------------------------------------

def small_ld(tmp_path: Path) -> bytes:
    chans = {"Speed": LogChannel("Speed", "km/h", np.linspace(0, 200, 40), 20.0),
             "Gear": LogChannel("Gear", "", np.arange(20) % 6 * 1.0, 10.0),
             "RPM": LogChannel("RPM", "rpm", np.arange(10) * 1000.0, 5.0)}
    write_ld(tmp_path / "small.ld", ForeignLog(tmp_path / "small.ld", "ld", chans,
                                              {"venue": "Imola"}, lap_marks=[0.5]))
    return (tmp_path / "small.ld").read_bytes()


def expect_one_line_error(path: Path, data: bytes, match: str = "") -> str:
    path.write_bytes(data)
    with pytest.raises(SessionFileError) as info:
        read_ld(path)
    msg = str(info.value)
    assert "\n" not in msg and str(path) in msg, msg
    assert match in msg, msg
    return msg


def block_offsets(buf: bytes) -> list[int]:
    out, ptr = [], struct.unpack_from("<I", buf, 8)[0]
    while ptr:
        out.append(ptr)
        ptr = struct.unpack_from("<I", buf, ptr + 4)[0]
    return out


def test_cut_anywhere_is_a_one_line_error(tmp_path: Path) -> None:
    buf = small_ld(tmp_path)
    cuts = sorted({0, 1, 100, 1761, 1762, 2000, 3000, 4500} | set(range(4500, len(buf), 37))
                  | {len(buf) - 1})
    for cut in cuts:
        expect_one_line_error(tmp_path / f"cut{cut}.ld", buf[:cut])


def test_pointer_loops_are_errors_not_hangs(tmp_path: Path) -> None:
    buf = small_ld(tmp_path)
    first, second, third = block_offsets(buf)
    for target, at in ((first, third), (second, second), (first, first)):
        bad = bytearray(buf)
        struct.pack_into("<I", bad, at + 4, target)
        expect_one_line_error(tmp_path / "loop.ld", bytes(bad), "loops")


@pytest.mark.parametrize("field", ["list", "next", "data", "event", "venue", "vehicle"])
def test_pointer_past_the_end_is_an_error(tmp_path: Path, field: str) -> None:
    buf = bytearray(small_ld(tmp_path))
    blocks = block_offsets(bytes(buf))
    event = struct.unpack_from("<I", buf, 36)[0]
    venue = struct.unpack_from("<H", buf, event + 1152)[0]
    where = {"list": (8, "<I"), "next": (blocks[0] + 4, "<I"), "data": (blocks[1] + 8, "<I"),
             "event": (36, "<I"), "venue": (event + 1152, "<H"),
             "vehicle": (venue + 1098, "<H")}[field]
    value = 0xFFFF if where[1] == "<H" else len(buf) + 10
    assert len(buf) < 0xFFFF  # so a u16 link can point past the end
    struct.pack_into(where[1], buf, where[0], value)
    expect_one_line_error(tmp_path / "past.ld", bytes(buf), "past the end")


def test_absurd_counts(tmp_path: Path) -> None:
    buf = small_ld(tmp_path)
    blocks = block_offsets(buf)
    bad = bytearray(buf)
    struct.pack_into("<I", bad, blocks[0] + 12, 0xFFFFFFFF)  # sample count
    expect_one_line_error(tmp_path / "count.ld", bytes(bad), "past the end")
    bad = bytearray(buf)
    struct.pack_into("<H", bad, blocks[2] + 20, 0xFFFF)  # sample size -> unknown type
    back_path = tmp_path / "size.ld"
    back_path.write_bytes(bytes(bad))
    assert "RPM" not in read_ld(back_path).channels
    bad = bytearray(buf)
    struct.pack_into("<I", bad, blocks[1] + 12, 0)  # zero samples: an empty channel
    (tmp_path / "zero.ld").write_bytes(bytes(bad))
    assert read_ld(tmp_path / "zero.ld").channels["Gear"].values.size == 0
    bad = bytearray(buf)
    struct.pack_into("<I", bad, 86, 0xFFFFFFFF)  # the header's channel count: a warning
    (tmp_path / "n.ld").write_bytes(bytes(bad))
    assert "4294967295" in read_ld(tmp_path / "n.ld").meta["warnings"]


def test_runaway_list_is_capped(tmp_path: Path) -> None:
    # 12 000 distinct blocks chained 4 bytes apart (they overlap): no loop, yet no .ld
    n = 12_000
    buf = bytearray(1762 + 4 * n + 124)
    struct.pack_into("<I", buf, 0, 0x40)
    struct.pack_into("<I", buf, 8, 1762)
    nexts = np.arange(1762 + 4, 1762 + 4 * n + 4, 4, dtype="<u4")
    nexts[-1] = 0
    buf[1766:1766 + 4 * n] = nexts.tobytes()
    expect_one_line_error(tmp_path / "runaway.ld", bytes(buf), "10000 channels")


@pytest.mark.parametrize("data", [b"", b"\x40\0\0\0", b"PAR1" + bytes(3000),
                                  struct.pack("<I", 0x41) + bytes(2000)])
def test_not_an_ld(tmp_path: Path, data: bytes) -> None:
    expect_one_line_error(tmp_path / "x.ld", data, "not a MoTeC .ld")


def test_unreadable_path_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(SessionFileError, match="cannot be read"):
        read_ld(tmp_path / "missing.ld")


_BASE: dict[str, bytes] = {}


def base_file(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    if "b" not in _BASE:
        _BASE["b"] = small_ld(tmp_path_factory.mktemp("base"))
    return _BASE["b"]


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), min_size=1,
                max_size=12),
       st.sampled_from([None, 1762, 2000, 4000]),
       st.booleans())
def test_mutated_files_read_or_fail_in_one_line(
        tmp_path_factory: pytest.TempPathFactory, edits: list[tuple[int, int]],
        focus: int | None, cut: bool) -> None:
    buf = bytearray(base_file(tmp_path_factory))
    blocks = block_offsets(bytes(buf))
    hot = [0, 8, 12, 36, 86] + [b + k for b in blocks for k in range(0, 32)]
    for pos, value in edits:
        if focus is None:
            at = hot[pos % len(hot)] + (pos // len(hot)) % 4
        else:
            at = focus + pos % (len(buf) - focus)
        if at < len(buf):
            buf[at] = value
    if cut:
        buf = buf[: edits[0][0] % len(buf)]
    path = tmp_path_factory.mktemp("mut") / "m.ld"
    path.write_bytes(bytes(buf))
    try:
        log = read_ld(path)
    except SessionFileError as exc:
        assert "\n" not in str(exc) and str(path) in str(exc)
        return
    for ch in log.channels.values():
        assert ch.values.dtype == np.float64
        assert ch.values.size <= len(buf)
