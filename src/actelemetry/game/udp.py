"""AC's remote-telemetry UDP protocol (port 9996): its structures, declared once, and
their encoders and decoders.

Facts from AC's published UDP protocol (every size and offset held by
tests/game/data/udp_layouts.json): little endian, natural alignment (no ``_pack_``),
names as 50 UTF-16 code units ended by ``%`` (the reference says ``char[50]``; the wire
says UTF-16, and only that adds up to the datagram sizes). A datagram's kind is its
length. Every decoder takes any bytes and answers None for what is not that structure:
the network is hostile input, so nothing here raises on a datagram.
"""

from __future__ import annotations

import ctypes
from ctypes import c_bool, c_char, c_float, c_int32, c_uint16
from dataclasses import dataclass
from enum import IntEnum
from functools import cache
from typing import Any, Final

import numpy as np

from actelemetry.game.layouts import element_shape, fields_of

__all__ = [
    "PORT",
    "GameInfo",
    "Handshaker",
    "HandshakerResponse",
    "Operation",
    "RTCarInfo",
    "RTLap",
    "decode_car_info",
    "decode_lap",
    "decode_operation",
    "decode_response",
    "encode_car_info",
    "encode_lap",
    "encode_operation",
    "encode_response",
    "struct_dtype",
]

#: the port the game listens on
PORT: Final = 9996
#: RTCarInfo's tag byte
CAR_INFO_TAG: Final = b"a"
#: what the game answers in the handshake response's identifier and version
SERVER_IDENTIFIER: Final = 4242
SERVER_VERSION: Final = 1
#: what a client sends as its identifier (iPad, as most clients do) and version
CLIENT_IDENTIFIER: Final = 1
CLIENT_VERSION: Final = 1
#: UTF-16 code units of every name field, and the character that ends a name
NAME_UNITS: Final = 50
NAME_END: Final = "%"


class Operation(IntEnum):
    """``handshaker.operationId``."""

    HANDSHAKE = 0
    SUBSCRIBE_UPDATE = 1
    SUBSCRIBE_SPOT = 2
    DISMISS = 3


class _Wire(ctypes.LittleEndianStructure):
    """Natural alignment, as the game's compiler lays its structs out."""


class Handshaker(_Wire):
    """Client -> game, 12 bytes."""

    _fields_ = [("identifier", c_int32), ("version", c_int32), ("operationId", c_int32)]


_Name = c_uint16 * NAME_UNITS


class HandshakerResponse(_Wire):
    """Game -> client after HANDSHAKE, 408 bytes (Kunos spells it "handshacker")."""

    _fields_ = [("carName", _Name), ("driverName", _Name), ("identifier", c_int32),
                ("version", c_int32), ("trackName", _Name), ("trackConfig", _Name)]


_Wheels = c_float * 4


class RTCarInfo(_Wire):
    """Game -> client after SUBSCRIBE_UPDATE, 328 bytes: the player's car."""

    _fields_ = [
        ("identifier", c_char),
        ("size", c_int32),
        ("speed_Kmh", c_float),
        ("speed_Mph", c_float),
        ("speed_Ms", c_float),
        ("isAbsEnabled", c_bool),
        ("isAbsInAction", c_bool),
        ("isTcInAction", c_bool),
        ("isTcEnabled", c_bool),
        ("isInPit", c_bool),
        ("isEngineLimiterOn", c_bool),
        ("accG_vertical", c_float),
        ("accG_horizontal", c_float),
        ("accG_frontal", c_float),
        ("lapTime", c_int32),
        ("lastLap", c_int32),
        ("bestLap", c_int32),
        ("lapCount", c_int32),
        ("gas", c_float),
        ("brake", c_float),
        ("clutch", c_float),
        ("engineRPM", c_float),
        ("steer", c_float),
        ("gear", c_int32),
        ("cgHeight", c_float),
        ("wheelAngularSpeed", _Wheels),
        ("slipAngle", _Wheels),
        ("slipAngle_ContactPatch", _Wheels),
        ("slipRatio", _Wheels),
        ("tyreSlip", _Wheels),
        ("ndSlip", _Wheels),
        ("load", _Wheels),
        ("Dy", _Wheels),
        ("Mz", _Wheels),
        ("tyreDirtyLevel", _Wheels),
        ("camberRAD", _Wheels),
        ("tyreRadius", _Wheels),
        ("tyreLoadedRadius", _Wheels),
        ("suspensionHeight", _Wheels),
        ("carPositionNormalized", c_float),
        ("carSlope", c_float),
        ("carCoordinates", c_float * 3),
    ]


class RTLap(_Wire):
    """Game -> client after SUBSCRIBE_SPOT, 212 bytes: any car completing a lap."""

    _fields_ = [("carIdentifierNumber", c_int32), ("lap", c_int32), ("driverName", _Name),
                ("carName", _Name), ("time", c_int32)]


#: every structure by its spec name
STRUCTURES: dict[str, type[_Wire]] = {
    "handshaker": Handshaker, "handshackerResponse": HandshakerResponse,
    "RTCarInfo": RTCarInfo, "RTLap": RTLap,
}
HANDSHAKER_SIZE: Final = ctypes.sizeof(Handshaker)
RESPONSE_SIZE: Final = ctypes.sizeof(HandshakerResponse)
CAR_INFO_SIZE: Final = ctypes.sizeof(RTCarInfo)
LAP_SIZE: Final = ctypes.sizeof(RTLap)

_SCALARS: dict[type, str] = {c_int32: "<i4", c_float: "<f4", c_uint16: "<u2", c_bool: "?",
                             c_char: "S1"}


@cache
def struct_dtype(struct: type[ctypes.Structure]) -> np.dtype:
    """The structured dtype of a wire structure: same offsets and size as ctypes."""
    names, formats, offsets = [], [], []
    for name, field_type in fields_of(struct):
        ctype, shape = element_shape(field_type)
        names.append(name)
        formats.append((_SCALARS[ctype], shape) if shape else _SCALARS[ctype])
        offsets.append(getattr(struct, name).offset)
    return np.dtype({"names": names, "formats": formats, "offsets": offsets,
                     "itemsize": ctypes.sizeof(struct)})


# --- names ---------------------------------------------------------------------------------
def encode_name(text: str) -> list[int]:
    """A name as the game writes it: UTF-16 units, ``%``-ended, NUL-padded (cut to fit,
    never between the two halves of a character outside the BMP)."""
    units = list(np.frombuffer(text.encode("utf-16-le", errors="replace"), "<u2")
                 [: NAME_UNITS - 1])
    if units and 0xD800 <= units[-1] < 0xDC00:  # a high surrogate whose pair was cut off
        units.pop()
    units.append(ord(NAME_END))
    return units + [0] * (NAME_UNITS - len(units))


def decode_name(units: np.ndarray) -> str:
    """A name field: UTF-16LE, cut at the first ``%`` or NUL (what follows is garbage)."""
    text = np.asarray(units, "<u2").tobytes().decode("utf-16-le", errors="replace")
    for end in (NAME_END, "\x00"):
        text = text.split(end, 1)[0]
    return text


# --- handshaker ----------------------------------------------------------------------------
def encode_operation(op: Operation) -> bytes:
    """The client's 12-byte handshaker for ``op``."""
    return bytes(Handshaker(CLIENT_IDENTIFIER, CLIENT_VERSION, int(op)))


def decode_operation(data: bytes) -> Operation | None:
    """The operation a client asks for, or None for anything but a valid handshaker."""
    if len(data) != HANDSHAKER_SIZE:
        return None
    op = int.from_bytes(data[8:12], "little", signed=True)
    try:
        return Operation(op)
    except ValueError:
        return None


# --- handshake response ------------------------------------------------------------------------
@dataclass(frozen=True)
class GameInfo:
    """What a handshake response says: the car, driver and track the game runs."""

    car: str
    driver: str
    track: str
    track_config: str
    identifier: int = SERVER_IDENTIFIER
    version: int = SERVER_VERSION


def encode_response(info: GameInfo) -> bytes:
    """The game's 408-byte handshake response."""
    r = HandshakerResponse()
    r.carName[:] = encode_name(info.car)
    r.driverName[:] = encode_name(info.driver)
    r.identifier = info.identifier
    r.version = info.version
    r.trackName[:] = encode_name(info.track)
    r.trackConfig[:] = encode_name(info.track_config)
    return bytes(r)


def decode_response(data: bytes) -> GameInfo | None:
    """The handshake response's names, or None when ``data`` is not one (by length)."""
    if len(data) != RESPONSE_SIZE:
        return None
    rec = np.frombuffer(data, struct_dtype(HandshakerResponse))[0]
    return GameInfo(car=decode_name(rec["carName"]), driver=decode_name(rec["driverName"]),
                         track=decode_name(rec["trackName"]),
                         track_config=decode_name(rec["trackConfig"]),
                         identifier=int(rec["identifier"]), version=int(rec["version"]))


# --- RTCarInfo -----------------------------------------------------------------------------
def car_info_record() -> np.ndarray:
    """A zeroed RTCarInfo record (length-one array) with its tag and size set."""
    rec = np.zeros(1, struct_dtype(RTCarInfo))
    rec["identifier"] = CAR_INFO_TAG
    rec["size"] = CAR_INFO_SIZE
    return rec


def encode_car_info(values: dict[str, Any] | np.ndarray) -> bytes:
    """An RTCarInfo datagram from field values (a record, or a dict of fields; the tag and
    size are set unless given)."""
    if isinstance(values, np.ndarray):
        return np.ascontiguousarray(values, struct_dtype(RTCarInfo)).tobytes()
    rec = car_info_record()
    for name, value in values.items():
        rec[name] = value
    return rec.tobytes()


def decode_car_info(data: bytes) -> np.void | None:
    """An RTCarInfo record, or None unless ``data`` is 328 bytes tagged ``a`` with its size
    field 328 (the spec's validation)."""
    if len(data) != CAR_INFO_SIZE or data[:1] != CAR_INFO_TAG:
        return None
    rec = np.frombuffer(data, struct_dtype(RTCarInfo))[0]
    return rec if int(rec["size"]) == CAR_INFO_SIZE else None


# --- RTLap ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class LapEvent:
    """A spot event: car ``car_index`` completed lap ``lap`` in ``time_ms``."""

    car_index: int
    lap: int
    driver: str
    car: str
    time_ms: int


def encode_lap(event: LapEvent) -> bytes:
    """An RTLap datagram."""
    r = RTLap()
    r.carIdentifierNumber = event.car_index
    r.lap = event.lap
    r.driverName[:] = encode_name(event.driver)
    r.carName[:] = encode_name(event.car)
    r.time = event.time_ms
    return bytes(r)


def decode_lap(data: bytes) -> LapEvent | None:
    """The spot event in ``data``, or None when it is not an RTLap (by length)."""
    if len(data) != LAP_SIZE:
        return None
    rec = np.frombuffer(data, struct_dtype(RTLap))[0]
    return LapEvent(car_index=int(rec["carIdentifierNumber"]), lap=int(rec["lap"]),
                    driver=decode_name(rec["driverName"]), car=decode_name(rec["carName"]),
                    time_ms=int(rec["time"]))
