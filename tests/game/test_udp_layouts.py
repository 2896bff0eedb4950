"""The UDP structures held to the spec's own tables (udp_layouts.json): every size, field
name, offset and size, in ctypes and in the NumPy dtypes the decoders use."""

from __future__ import annotations

import ctypes
import json
from pathlib import Path

import pytest

from actelemetry.game.udp import STRUCTURES, struct_dtype

SPEC = Path(__file__).resolve().parent / "data" / "udp_layouts.json"
TABLES = json.loads(SPEC.read_text())["structures"]


def test_every_structure_of_the_spec_is_declared() -> None:
    assert sorted(STRUCTURES) == sorted(TABLES)


@pytest.mark.parametrize("name", sorted(TABLES))
def test_structure_size_matches_spec(name: str) -> None:
    assert ctypes.sizeof(STRUCTURES[name]) == TABLES[name]["size"]
    assert struct_dtype(STRUCTURES[name]).itemsize == TABLES[name]["size"]


@pytest.mark.parametrize("name", sorted(TABLES))
def test_every_field_offset_and_size_matches_spec(name: str) -> None:
    struct = STRUCTURES[name]
    spec_fields = TABLES[name]["fields"]
    assert [n for n, _ in struct._fields_] == [f["name"] for f in spec_fields]
    dtype = struct_dtype(struct)
    for f in spec_fields:
        field = getattr(struct, f["name"])
        assert (field.offset, field.size) == (f["offset"], f["size"]), f["name"]
        assert dtype.fields[f["name"]][1] == f["offset"], f["name"]
        assert dtype.fields[f["name"]][0].itemsize == f["size"], f["name"]
        element = dtype.fields[f["name"]][0]
        count = element.shape[0] if element.shape else 1
        assert count == f["count"], f["name"]
