"""Writing the games' pages, for every publisher (the simulator, a replay, the gym).

Pages are written whole, either as bytes (a replay's recorded pages) or packed from a
flat value list with one precompiled ``struct`` per page, derived from the same ctypes
layouts the reader uses.

Why: setting ctypes fields one at a time costs microseconds per field; one
``struct.pack_into`` of a flat value list costs a few microseconds per page, which is what
lets ``--fast`` run many times faster than real time. Each page is packed into a buffer
and then copied into its memory map in one go, as a game copies its struct: packing in
place would zero the page first (``struct`` does) and show readers a page of zeros, with
status OFF and packetId 0, for microseconds per step. Pages are rewritten in place, as the
game does, so a reader can still catch a page mid-copy and must handle torn reads.
"""

from __future__ import annotations

import contextlib
import ctypes
import math
import struct
from dataclasses import dataclass
from pathlib import Path

from actelemetry.game.constants import STATUS_OFFSET
from actelemetry.game.layouts import LAYOUTS, PAGES, element_shape, fields_of
from actelemetry.game.mapping import PageLocation, WritablePage, create_pages
from actelemetry.game.names import GAMES

_CODES: dict[type, str] = {ctypes.c_float: "f", ctypes.c_int32: "i", ctypes.c_uint16: "H"}


@dataclass(frozen=True)
class PageFormat:
    """A flat ``struct`` format for one layout and where each field's values sit in it.

    Numbers are one value each (arrays flattened); UTF-16 strings are one ``bytes`` value.
    """

    layout: type[ctypes.Structure]
    struct: struct.Struct
    index: dict[str, tuple[int, int]]  # field -> (first value, count)
    strings: dict[str, int]  # string field -> length in UTF-16 units
    n_values: int

    @classmethod
    def of(cls, layout: type[ctypes.Structure],
           truncate: dict[str, int] | None = None) -> PageFormat:
        """The format of ``layout``; ``truncate`` packs only the first N values of an array
        field and writes zeros for the rest (ACC's 60 car slots when one car is on track:
        half the values to pack, same bytes)."""
        truncate = truncate or {}
        fmt = ["<"]
        pos = 0
        n = 0
        index: dict[str, tuple[int, int]] = {}
        strings: dict[str, int] = {}
        for name, ctype in fields_of(layout):
            offset = getattr(layout, name).offset
            if offset > pos:
                fmt.append(f"{offset - pos}x")
            base, shape = element_shape(ctype)
            count = math.prod(shape)
            code = _CODES[base]
            if code == "H":  # UTF-16 text: one bytes value
                fmt.append(f"{2 * count}s")
                index[name] = (n, 1)
                strings[name] = count
                n += 1
            else:
                keep = min(truncate.get(name, count), count)
                fmt.append(f"{keep}{code}")
                if keep < count:
                    fmt.append(f"{(count - keep) * ctypes.sizeof(base)}x")
                index[name] = (n, keep)
                n += keep
            pos = offset + ctypes.sizeof(ctype)
        size = ctypes.sizeof(layout)
        if size > pos:
            fmt.append(f"{size - pos}x")
        st = struct.Struct("".join(fmt))
        assert st.size == size, (layout.__name__, st.size, size)
        return cls(layout=layout, struct=st, index=index, strings=strings, n_values=n)

    def blank(self) -> list:
        """A value list of zeros (empty strings for text fields)."""
        vals: list = [0] * self.n_values
        for name in self.strings:
            vals[self.index[name][0]] = b""
        return vals

    def set(self, vals: list, name: str, value: object) -> None:
        """Set one field by name (slow path, for static values)."""
        i, count = self.index[name]
        if name in self.strings:
            vals[i] = encode_text(str(value), self.strings[name])
        elif not isinstance(value, list | tuple):
            vals[i] = value
        else:
            seq = list(value)
            if len(seq) != count:
                raise ValueError(f"{name}: expected {count} values, got {len(seq)}")
            vals[i:i + count] = seq


def encode_text(text: str, units: int) -> bytes:
    """UTF-16-LE bytes of ``text``, cut to leave room for the terminating NUL."""
    return text[: units - 1].encode("utf-16-le")


#: (game, page) -> format, built once at import
#: array fields of which the simulator only ever fills the first values (one car)
_TRUNCATE: dict[tuple[str, str], dict[str, int]] = {
    ("acc", "graphics"): {"carCoordinates": 3, "carID": 1},
}
FORMATS: dict[tuple[str, str], PageFormat] = {
    key: PageFormat.of(lay, _TRUNCATE.get(key)) for key, lay in LAYOUTS.items()
}


class PageWriter:
    """The three pages (``acpmf_physics`` etc.), mapped read-write and rewritten in place
    in ``game``'s layout at ``where``: a :class:`~actelemetry.game.mapping.PageLocation`,
    files under a folder, or with None the named mappings ``Local\\acpmf_*`` the game
    itself creates on Windows.

    Files are created at :data:`~actelemetry.game.mapping.BRIDGE_FILE_SIZE` bytes, like the
    Linux bridges do, or reused when they exist, so ``folder=/dev/shm`` publishes under the
    bridges' names. Named mappings are created at the layouts' size and held until
    :meth:`close`, as the game holds its own.
    """

    def __init__(self, where: PageLocation | Path | None, game: str) -> None:
        if game not in GAMES:
            raise ValueError(f"game must be 'ac' or 'acc', not {game!r}")
        self.location = PageLocation.of(where)
        self.game = game
        self.formats = {page: FORMATS[(game, page)] for page in PAGES}
        self._maps: dict[str, WritablePage] = create_pages(self.location)
        self._pack = {page: self.formats[page].struct.pack_into for page in PAGES}
        self._built = {page: bytearray(self.formats[page].struct.size) for page in PAGES}

    def pack(self, page: str, vals: list) -> None:
        """Rewrite ``page`` in place from a flat value list (see :class:`PageFormat`)."""
        built = self._built[page]
        self._pack[page](built, 0, *vals)
        self._maps[page][:len(built)] = built

    def write(self, page: str, data: bytes) -> None:
        """Rewrite the start of ``page`` with ``data`` (a page as the game wrote it)."""
        self._maps[page][:len(data)] = data

    def read(self, page: str, n: int) -> bytes:
        """The first ``n`` bytes of ``page`` as written so far."""
        return self._maps[page][:n]

    def set_status(self, status: int) -> None:
        """Only the graphics page's status (a game going back to its menus says OFF)."""
        self._maps["graphics"][STATUS_OFFSET:STATUS_OFFSET + 4] = status.to_bytes(4, "little")

    def clear(self) -> None:
        """Zero the pages (what a bridge shows before a game starts)."""
        for mm in self._maps.values():
            mm[:] = bytes(len(mm))

    def close(self) -> None:
        for mm in self._maps.values():
            with contextlib.suppress(BufferError, ValueError):
                mm.close()
        self._maps = {}

    def __enter__(self) -> PageWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
