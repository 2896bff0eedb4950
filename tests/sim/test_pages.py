"""The page writer: formats derived from the layouts, files the reader opens."""

from __future__ import annotations

import ctypes

import pytest

from actelemetry.game.layouts import LAYOUTS
from actelemetry.game.mapping import BRIDGE_FILE_SIZE, PAGE_NAMES, open_pages
from actelemetry.sim.pages import FORMATS, PagePublisher


@pytest.mark.parametrize("key", sorted(LAYOUTS))
def test_format_matches_layout(key: tuple[str, str]) -> None:
    fmt = FORMATS[key]
    layout = LAYOUTS[key]
    assert fmt.struct.size == ctypes.sizeof(layout)
    # every field lands where ctypes puts it: write a distinct value per field, read back
    vals = fmt.blank()
    expected = {}
    for k, (name, _ctype) in enumerate(layout._fields_):
        i, count = fmt.index[name]
        if name in fmt.strings:
            text = f"f{k}"
            fmt.set(vals, name, text)
            expected[name] = text
        else:
            numbers = [(k * 7 + j) % 1000 for j in range(count)]
            vals[i:i + count] = numbers
            expected[name] = numbers
    buf = fmt.struct.pack(*vals)
    page = layout.from_buffer_copy(buf)
    for name, _ctype in layout._fields_:
        got = getattr(page, name)
        if name in fmt.strings:
            units = list(got)
            text = "".join(chr(u) for u in units[: units.index(0)])
            assert text == expected[name]
        else:
            flat = []
            stack = [got]
            while stack:
                item = stack.pop(0)
                if hasattr(item, "_length_"):
                    stack[0:0] = list(item)
                else:
                    flat.append(item)
            kept = len(expected[name])
            assert flat[:kept] == pytest.approx(expected[name]), name
            assert not any(flat[kept:]), name  # truncated arrays: the rest is zeros


def test_publisher_creates_bridge_sized_files(tmp_path) -> None:
    with PagePublisher(tmp_path, "acc") as pub:
        for page, name in PAGE_NAMES.items():
            assert (tmp_path / name).stat().st_size == BRIDGE_FILE_SIZE, page
        fmt = pub.formats["physics"]
        vals = fmt.blank()
        vals[0] = 42
        pub.write("physics", vals)
        pages = open_pages(tmp_path)
        try:
            data = pages["physics"].read(ctypes.sizeof(LAYOUTS[("acc", "physics")]))
        finally:
            for m in pages.values():
                m.close()
        assert LAYOUTS[("acc", "physics")].from_buffer_copy(data).packetId == 42


def test_publisher_rejects_unknown_game(tmp_path) -> None:
    with pytest.raises(ValueError):
        PagePublisher(tmp_path, "rf2")
