"""Every page size and field offset held to the spec's own tables (layouts.json)."""

from __future__ import annotations

import ctypes
import json
from pathlib import Path

import pytest

from actelemetry.game.dtypes import page_dtype
from actelemetry.game.layouts import LAYOUTS

SPEC = Path(__file__).resolve().parent / "data" / "layouts.json"

TABLES = json.loads(SPEC.read_text())["layouts"]
CASES = [(g, p) for g in TABLES for p in TABLES[g]]


@pytest.mark.parametrize(("game", "page"), CASES)
def test_page_size_matches_spec(game: str, page: str) -> None:
    assert ctypes.sizeof(LAYOUTS[(game, page)]) == TABLES[game][page]["size"]
    assert page_dtype(game, page).itemsize == TABLES[game][page]["size"]


@pytest.mark.parametrize(("game", "page"), CASES)
def test_every_field_offset_and_size_matches_spec(game: str, page: str) -> None:
    struct = LAYOUTS[(game, page)]
    declared = [name for name, _ in struct._fields_]
    spec_fields = TABLES[game][page]["fields"]
    assert declared == [f["name"] for f in spec_fields]
    dtype = page_dtype(game, page)
    for f in spec_fields:
        field = getattr(struct, f["name"])
        assert (field.offset, field.size) == (f["offset"], f["size"]), f["name"]
        assert dtype.fields[f["name"]][1] == f["offset"], f["name"]
        assert dtype.fields[f["name"]][0].itemsize == f["size"], f["name"]


def test_strings_are_utf16_code_units_not_wchar() -> None:
    # c_wchar is 4 bytes on Linux: a layout using it would be the wrong size there
    for struct in LAYOUTS.values():
        for _, ctype in struct._fields_:
            while issubclass(ctype, ctypes.Array):
                ctype = ctype._type_
            assert ctype is not ctypes.c_wchar
