"""Decoding page bytes into channels: pure functions over bytes and arrays.

The same code decodes a whole raw recording (one ``np.frombuffer`` per page) and a
single live sample (an array of length one), so files and live frames never disagree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

import numpy as np

from actelemetry.channels.catalogue import Channel, channels_for
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
