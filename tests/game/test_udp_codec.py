"""The datagram codecs: good datagrams round-trip, anything else (short, long, random,
wrong tag or size) decodes to None and never raises."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from actelemetry.game.udp import (
    CAR_INFO_SIZE,
    HANDSHAKER_SIZE,
    LAP_SIZE,
    RESPONSE_SIZE,
    GameInfo,
    LapEvent,
    Operation,
    RTCarInfo,
    car_info_record,
    decode_car_info,
    decode_lap,
    decode_name,
    decode_operation,
    decode_response,
    encode_car_info,
    encode_lap,
    encode_name,
    encode_operation,
    encode_response,
    struct_dtype,
)

DECODERS = (decode_car_info, decode_lap, decode_operation, decode_response)
#: names as the game may hold them: no '%' or NUL (those end a name on the wire), and at
#: most 49 UTF-16 units (a character outside the BMP takes two)
names = st.text(st.characters(blacklist_characters="%\x00", blacklist_categories=("Cs",)),
                max_size=49).filter(lambda s: len(s.encode("utf-16-le")) <= 98)
floats = st.floats(width=32, allow_nan=False)
ints = st.integers(-(2**31), 2**31 - 1)


@given(st.binary(max_size=1024))
@settings(max_examples=400, deadline=None)
def test_random_bytes_never_raise(data: bytes) -> None:
    for decode in DECODERS:
        decode(data)


@given(st.sampled_from([HANDSHAKER_SIZE, RESPONSE_SIZE, CAR_INFO_SIZE, LAP_SIZE]),
       st.integers(1, 64), st.booleans(), st.data())
@settings(max_examples=200, deadline=None)
def test_short_and_long_datagrams_are_refused(size: int, by: int, longer: bool,
                                              data: st.DataObject) -> None:
    n = size + by if longer else max(size - by, 0)
    blob = data.draw(st.binary(min_size=n, max_size=n))
    assert all(decode(blob) is None for decode in DECODERS)


@given(st.binary(min_size=CAR_INFO_SIZE, max_size=CAR_INFO_SIZE))
@settings(max_examples=200, deadline=None)
def test_car_info_needs_its_tag_and_size(blob: bytes) -> None:
    rec = decode_car_info(blob)
    if rec is not None:
        assert blob[:1] == b"a"
        assert int.from_bytes(blob[4:8], "little") == CAR_INFO_SIZE
    tagged = b"a" + blob[1:4] + CAR_INFO_SIZE.to_bytes(4, "little") + blob[8:]
    assert decode_car_info(tagged) is not None
    assert decode_car_info(b"b" + tagged[1:]) is None
    assert decode_car_info(tagged[:4] + (CAR_INFO_SIZE + 1).to_bytes(4, "little")
                           + tagged[8:]) is None


@given(st.sampled_from(list(Operation)))
def test_operation_round_trip(op: Operation) -> None:
    data = encode_operation(op)
    assert len(data) == HANDSHAKER_SIZE
    assert decode_operation(data) is op


def test_unknown_operation_is_refused() -> None:
    data = bytearray(encode_operation(Operation.DISMISS))
    data[8:12] = (7).to_bytes(4, "little")
    assert decode_operation(bytes(data)) is None


@given(names, names, names, names, ints, ints)
@settings(max_examples=100, deadline=None)
def test_response_round_trip(car: str, driver: str, track: str, config: str, ident: int,
                             version: int) -> None:
    info = GameInfo(car, driver, track, config, ident, version)
    data = encode_response(info)
    assert len(data) == RESPONSE_SIZE
    assert decode_response(data) == info


@given(ints, ints, names, names, ints)
@settings(max_examples=100, deadline=None)
def test_lap_round_trip(car: int, lap: int, driver: str, name: str, ms: int) -> None:
    event = LapEvent(car, lap, driver, name, ms)
    data = encode_lap(event)
    assert len(data) == LAP_SIZE
    assert decode_lap(data) == event


@given(st.data())
@settings(max_examples=100, deadline=None)
def test_car_info_round_trip(data: st.DataObject) -> None:
    rec = car_info_record()
    for name, _ctype in RTCarInfo._fields_:
        if name in ("identifier", "size"):
            continue
        kind = struct_dtype(RTCarInfo).fields[name][0]
        shape = kind.shape or ()
        n = int(np.prod(shape)) if shape else 1
        if kind.base.kind == "f":
            values = data.draw(st.lists(floats, min_size=n, max_size=n))
        elif kind.base.kind == "b":
            values = data.draw(st.lists(st.booleans(), min_size=n, max_size=n))
        else:
            values = data.draw(st.lists(ints, min_size=n, max_size=n))
        rec[name] = np.reshape(values, shape) if shape else values[0]
    blob = encode_car_info(rec)
    assert len(blob) == CAR_INFO_SIZE
    back = decode_car_info(blob)
    assert back is not None
    assert back.tobytes() == rec.tobytes()
    # a dict of fields encodes the same bytes
    as_dict = {n: rec[n][0] for n, _ in RTCarInfo._fields_ if n not in ("identifier", "size")}
    assert encode_car_info(as_dict) == blob


@given(st.text(st.characters(blacklist_characters="%\x00", blacklist_categories=("Cs",)),
               min_size=40, max_size=120))
@settings(max_examples=200, deadline=None)
def test_a_long_name_is_cut_to_a_prefix_never_inside_a_character(text: str) -> None:
    back = decode_name(np.array(encode_name(text), "<u2"))
    assert text.startswith(back)
    assert len(back.encode("utf-16-le")) >= 96 or back == text


def test_names_end_at_percent_or_nul_and_are_cut_to_fit() -> None:
    units = encode_name("ks_ferrari_488_gt3")
    assert len(units) == 50 and units[18] == ord("%")
    assert decode_name(np.array(units, "<u2")) == "ks_ferrari_488_gt3"
    garbage = np.array([ord(c) for c in "monza%xx"] + [ord("y")] * 42, "<u2")
    assert decode_name(garbage) == "monza"
    assert decode_name(np.array(encode_name("x" * 80), "<u2")) == "x" * 49
