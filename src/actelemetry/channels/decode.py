"""Decoding page bytes into channels: pure functions over bytes and arrays.

:func:`decode_pages` decodes a whole raw recording (one ``np.frombuffer`` per page).
:func:`decode_sample` decodes one live sample from the same plan (each channel's page,
field and element), compiled once per game into one ``struct`` read per page: a live
sample costs a few microseconds instead of a NumPy call per channel, and the tests hold
the two equal value for value.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import numpy as np

from actelemetry.channels.catalogue import Channel, Value, Values, channels_for
from actelemetry.game.dtypes import decode_text, page_dtype, page_size
from actelemetry.jsontypes import JsonObject

_ORIGIN = re.compile(r"^(physics|graphics|static)\.(\w+)(?:\[(\d+)\])?$")

#: numpy dtype of each catalogue dtype
NUMPY_DTYPES: dict[str, str] = {
    "float64": "f8", "float32": "f4", "int32": "i4", "int8": "i1", "bool": "?", "string": "O",
}


@dataclass
class StaticInfo:
    """What the static page says about the session (decoded once)."""

    sm_version: str = ""
    ac_version: str = ""
    car: str = ""
    track: str = ""
    track_config: str = ""
    driver: str = ""
    track_length_m: float = 0.0
    max_rpm: int = 0
    max_fuel: float = 0.0
    tyre_radius_m: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)
    sector_count: int = 0
    extra: dict[str, object] = field(default_factory=dict)

    def as_metadata(self) -> JsonObject:
        return {
            "sm_version": self.sm_version, "ac_version": self.ac_version, "car": self.car,
            "track": self.track, "track_config": self.track_config, "driver": self.driver,
            "track_length_m": self.track_length_m, "max_rpm": self.max_rpm,
            "max_fuel": self.max_fuel, "tyre_radius_m": list(self.tyre_radius_m),
            "sector_count": self.sector_count,
        }


def as_records(game: str, page: str, raw: bytes | np.ndarray) -> np.ndarray:
    """View page bytes (one page, or many concatenated / a void column) as structured records."""
    dtype = page_dtype(game, page)
    if isinstance(raw, np.ndarray) and raw.dtype == dtype:
        return raw
    buf = raw.tobytes() if isinstance(raw, np.ndarray) else raw
    size = page_size(game, page)
    if len(buf) % size:
        raise ValueError(f"{page} bytes ({len(buf)}) are not a multiple of the page size {size}")
    return np.frombuffer(buf, dtype=dtype)


def decode_static(game: str, raw: bytes) -> StaticInfo:
    """The static page as a :class:`StaticInfo`."""
    rec = as_records(game, "static", raw[: page_size(game, "static")])[0]
    names = [decode_text(rec[f]) for f in ("playerName", "playerSurname")]
    nick = decode_text(rec["playerNick"])
    driver = " ".join(n for n in names if n) or nick
    radius = [float(x) for x in rec["tyreRadius"]]
    return StaticInfo(
        sm_version=decode_text(rec["smVersion"]),
        ac_version=decode_text(rec["acVersion"]),
        car=decode_text(rec["carModel"]),
        track=decode_text(rec["track"]),
        track_config=decode_text(rec["trackConfiguration"]),
        driver=driver,
        track_length_m=float(rec["trackSPlineLength"]),
        max_rpm=int(rec["maxRpm"]),
        max_fuel=float(rec["maxFuel"]),
        tyre_radius_m=(radius[0], radius[1], radius[2], radius[3]),
        sector_count=int(rec["sectorCount"]),
    )


@cache
def _raw_plan(game: str) -> tuple[tuple[Channel, str, str, int | None], ...]:
    """(channel, page, field, index) for every channel read straight from a page."""
    plan = []
    for ch in channels_for(game):
        m = _ORIGIN.match(ch.origin)
        if m:
            page, fld, idx = m.group(1), m.group(2), m.group(3)
            plan.append((ch, page, fld, int(idx) if idx is not None else None))
    return tuple(plan)


def _player_coordinates(game: str, graphics: np.ndarray) -> np.ndarray:
    """(N, 3) world position of the player's car (ACC keeps 60 cars, AC one)."""
    coords = graphics["carCoordinates"]
    if game == "ac":
        return coords
    slot = np.argmax(graphics["carID"] == graphics["playerCarID"][:, None], axis=1)
    return coords[np.arange(len(graphics)), slot]


def decode_pages(game: str, physics: np.ndarray, graphics: np.ndarray) -> dict[str, np.ndarray]:
    """Every channel that comes straight from the physics and graphics pages.

    ``physics`` and ``graphics`` are structured arrays (see :func:`as_records`) of equal
    length; the result maps channel name to a NumPy array in the catalogue's dtype.
    """
    pages = {"physics": physics, "graphics": graphics}
    coords = None
    out: dict[str, np.ndarray] = {}
    for ch, page, fld, idx in _raw_plan(game):
        if page == "static":
            continue
        if page == "graphics" and fld == "carCoordinates":
            coords = _player_coordinates(game, graphics) if coords is None else coords
            values = coords[:, idx]
        elif ch.dtype == "string":
            values = np.array([decode_text(u) for u in pages[page][fld]], dtype=object)
        else:
            col = pages[page][fld]
            values = col if idx is None else col[:, idx]
        out[ch.name] = np.asarray(values).astype(NUMPY_DTYPES[ch.dtype], copy=False)
    return out


#: struct code of a page scalar read as a catalogue dtype (an int32 read as int8 takes its
#: low byte, as NumPy's cast does; bool is the int32 tested against 0 afterwards)
_CODES: dict[tuple[str, str], str] = {
    ("f4", "float32"): "f", ("f4", "float64"): "f", ("i4", "int32"): "i",
    ("i4", "int8"): "b", ("i4", "bool"): "i", ("u2", "string"): "s",
}
_XYZ = struct.Struct("<3f")


def _field(game: str, page: str, name: str) -> tuple[np.dtype, int]:
    """A page field's dtype and byte offset."""
    fields = page_dtype(game, page).fields
    assert fields is not None
    ftype, offset = fields[name][:2]
    return ftype, offset


def _text(raw: bytes) -> str:
    """:func:`decode_text` of a field's bytes."""
    return raw.decode("utf-16-le", errors="replace").split("\x00", 1)[0]


def _compile(game: str, page: str, reads: list[tuple[str, str, int | None, str]]
             ) -> tuple[struct.Struct, list[str], list[str]]:
    """One ``struct`` over ``reads`` ((name, field, element, catalogue dtype) each): the
    struct, the names in its order, and each value's catalogue dtype."""
    items = []
    for name, fld, idx, cat in reads:
        ftype, offset = _field(game, page, fld)
        kind = f"{ftype.base.kind}{ftype.base.itemsize}"
        if (kind, cat) not in _CODES:
            raise TypeError(f"no live decoding of {page}.{fld} ({ftype}) as {cat}")
        if cat == "string":
            code = f"{ftype.itemsize}s"
        else:
            code = _CODES[kind, cat]
            offset += (idx or 0) * ftype.base.itemsize
        items.append((offset, struct.calcsize(code), code, name, cat))
    items.sort()
    fmt, at = "<", 0
    for offset, size, code, name, _ in items:
        if offset < at:
            raise ValueError(f"{page} reads overlap at {name}")
        fmt += f"{offset - at}x{code}" if offset > at else code
        at = offset + size
    return struct.Struct(fmt), [i[3] for i in items], [i[4] for i in items]


class SamplePlan:
    """:func:`decode_pages`'s plan for one game compiled into one ``struct`` read per page,
    for one live sample at a time: :meth:`read` gives the values of :attr:`names` (every
    page channel), as :func:`decode_pages` gives its row, but as Python values."""

    def __init__(self, game: str) -> None:
        reads: dict[str, list[tuple[str, str, int | None, str]]] = {"physics": [],
                                                                      "graphics": []}
        self._coordinates: tuple[int, int, int] | None = None
        self._ids_bytes = 0
        coordinates: list[str] = []
        for ch, page, fld, idx in _raw_plan(game):
            if page == "static":
                continue
            if page == "graphics" and fld == "carCoordinates" and game != "ac":
                self._ids_bytes = _field(game, page, "carID")[0].itemsize
                self._coordinates = (_field(game, page, "carID")[1],
                                     _field(game, page, "playerCarID")[1],
                                     _field(game, page, fld)[1])
                coordinates.append(ch.name)
                continue
            reads[page].append((ch.name, fld, idx, ch.dtype))
        self._physics, physics, pdt = _compile(game, "physics", reads["physics"])
        self._graphics, graphics, gdt = _compile(game, "graphics", reads["graphics"])
        if self._coordinates is not None and coordinates != ["pos_x", "pos_y", "pos_z"]:
            raise ValueError(f"unexpected coordinate channels {coordinates}")
        #: every page channel, in the order :meth:`read` gives their values
        self.names: tuple[str, ...] = (*physics, *graphics, *coordinates)
        #: the page channels in :func:`decode_pages`'s order
        self.channels = tuple(ch.name for ch, page, _, _ in _raw_plan(game) if page != "static")
        #: the channels as keys in decode_pages' order, to copy and fill (a copy of a dict
        #: keeps its order; filling it by name costs less than reordering, then zipping)
        self.template: dict[str, Any] = dict.fromkeys(self.channels)
        self._physics_names, self._graphics_names = tuple(physics), tuple(graphics)
        self._coordinate_names = tuple(coordinates)
        dtypes = [*pdt, *gdt]
        self._converts = tuple((k, bool if dt == "bool" else _text)
                               for k, dt in enumerate(dtypes) if dt in ("bool", "string"))
        self._converts_by_name = tuple((self.names[k], convert) for k, convert in self._converts)
        gear_at, accg_at = _field(game, "physics", "gear")[1], _field(game, "physics", "accG")[1]
        if accg_at < gear_at + 4:
            raise ValueError("gear is expected before accG")
        self._extras = struct.Struct(f"<i{accg_at - gear_at - 4}x3f")
        self._gear_at = gear_at

    def read(self, physics: bytes, graphics: bytes) -> list[Value]:
        """The values of :attr:`names` in one sample's pages."""
        values: list[Any] = [*self._physics.unpack_from(physics),
                             *self._graphics.unpack_from(graphics)]
        for k, convert in self._converts:
            values[k] = convert(values[k])
        if self._coordinates is not None:
            values += self._coordinates_of(graphics)
        return values

    def decode(self, physics: bytes, graphics: bytes) -> dict[str, Value]:
        """:meth:`read`'s values by channel name, in :attr:`channels` order."""
        values = self.template.copy()
        # the names are the structs' own, in their order (compiled together): not strict,
        # which would cost a tenth of the whole on ~150 values
        values.update(zip(self._physics_names, self._physics.unpack_from(physics), strict=False))
        values.update(zip(self._graphics_names, self._graphics.unpack_from(graphics),
                          strict=False))
        for name, convert in self._converts_by_name:
            values[name] = convert(values[name])
        if self._coordinates is not None:
            x, y, z = self._coordinate_names
            values[x], values[y], values[z] = self._coordinates_of(graphics)
        return values

    def _coordinates_of(self, graphics: bytes) -> tuple[float, float, float]:
        """The player car's x, y, z: the first car slot holding the player's id (0 if
        none), as _player_coordinates' argmax: the id's 4 bytes searched for at a slot
        boundary in the id array."""
        assert self._coordinates is not None
        ids_at, player_at, coords_at = self._coordinates
        ids = graphics[ids_at:ids_at + self._ids_bytes]
        player = graphics[player_at:player_at + 4]
        at = ids.find(player)
        while at > 0 and at % 4:  # -1: not found
            at = ids.find(player, at + 1)
        return _XYZ.unpack_from(graphics, coords_at + 12 * max(at // 4, 0))

    def extras(self, physics: bytes) -> tuple[int, float, float, float]:
        """The physics ``gear`` and ``accG`` the derived channels need beside the channels."""
        gear, ax, ay, az = self._extras.unpack_from(physics, self._gear_at)
        return gear, ax, ay, az


@cache
def sample_plan(game: str) -> SamplePlan:
    """The :class:`SamplePlan` of ``game``, compiled once."""
    return SamplePlan(game)


def decode_sample(game: str, physics: bytes, graphics: bytes) -> Values:
    """One sample's page channels, as :func:`decode_pages` gives its row (as Python values)."""
    return sample_plan(game).decode(physics, graphics)
