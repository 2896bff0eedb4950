"""NumPy structured dtypes derived from the ctypes layouts.

One ``np.frombuffer`` call then decodes one page, or every page of a raw recording,
without touching ctypes fields one by one.
"""

from __future__ import annotations

import ctypes
from functools import cache

import numpy as np

from actelemetry.game.layouts import LAYOUTS, element_shape, fields_of

_SCALARS: dict[type, str] = {
    ctypes.c_int32: "<i4",
    ctypes.c_float: "<f4",
    ctypes.c_uint16: "<u2",
}


def _element(ctype: type) -> tuple[str, tuple[int, ...]]:
    """Scalar dtype and shape of a ctypes field type (nested arrays flattened to a shape)."""
    scalar, shape = element_shape(ctype)
    return _SCALARS[scalar], shape


@cache
def page_dtype(game: str, page: str) -> np.dtype:
    """The structured dtype of one page, same offsets and item size as the ctypes layout."""
    struct = LAYOUTS[(game, page)]
    names, formats, offsets = [], [], []
    for name, ctype in fields_of(struct):
        scalar, shape = _element(ctype)
        names.append(name)
        formats.append((scalar, shape) if shape else scalar)
        offsets.append(getattr(struct, name).offset)
    return np.dtype(
        {"names": names, "formats": formats, "offsets": offsets,
         "itemsize": ctypes.sizeof(struct)}
    )


def page_size(game: str, page: str) -> int:
    """Bytes of one page in the given game's layout."""
    return ctypes.sizeof(LAYOUTS[(game, page)])


def decode_text(units: np.ndarray) -> str:
    """A fixed-length UTF-16 string field, cut at the first NUL."""
    raw = np.asarray(units, dtype="<u2").tobytes().decode("utf-16-le", errors="replace")
    return raw.split("\x00", 1)[0]
