"""The page writer: formats derived from the layouts, files the reader opens."""

from __future__ import annotations

import ctypes

import pytest

from actelemetry.game.layouts import LAYOUTS
from actelemetry.game.mapping import BRIDGE_FILE_SIZE, PAGE_NAMES, open_pages
from actelemetry.game.writer import FORMATS, PageWriter


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
    with PageWriter(tmp_path, "acc") as pub:
        for page, name in PAGE_NAMES.items():
            assert (tmp_path / name).stat().st_size == BRIDGE_FILE_SIZE, page
        fmt = pub.formats["physics"]
        vals = fmt.blank()
        vals[0] = 42
        pub.pack("physics", vals)
        pages = open_pages(tmp_path)
        try:
            data = pages["physics"].read(ctypes.sizeof(LAYOUTS[("acc", "physics")]))
        finally:
            for m in pages.values():
                m.close()
        assert LAYOUTS[("acc", "physics")].from_buffer_copy(data).packetId == 42


def test_publisher_rejects_unknown_game(tmp_path) -> None:
    with pytest.raises(ValueError):
        PageWriter(tmp_path, "rf2")


def test_raw_pages_and_status_land_where_the_reader_looks(tmp_path) -> None:
    from actelemetry.game.constants import STATUS_LIVE, STATUS_OFF
    from actelemetry.game.reader import PageReader

    size = ctypes.sizeof(LAYOUTS[("ac", "graphics")])
    page = bytearray(size)
    page[0:4] = (7).to_bytes(4, "little")
    page[4:8] = STATUS_LIVE.to_bytes(4, "little")
    with PageWriter(tmp_path, "ac") as writer:
        writer.write("graphics", bytes(page))
        reader = PageReader(open_pages(tmp_path), "ac")
        try:
            assert reader.status() == STATUS_LIVE
            writer.set_status(STATUS_OFF)
            assert reader.status() == STATUS_OFF
            assert reader.snapshot().graphics[:4] == (7).to_bytes(4, "little")  # untouched
            writer.clear()
            assert reader.snapshot().graphics == bytes(size)
        finally:
            reader.close()


def test_a_snapshot_completes_the_looks_glance_and_never_keeps_an_overtaken_one(
        tmp_path) -> None:
    """The capture looks at the pages with one plain copy of each (a glance) and, when the
    look shows a new step, completes it into a snapshot: equal to a fresh snapshot while
    the pages stand still, and never the glance's physics once a new step overtook it."""
    from actelemetry.game.reader import PageReader

    with PageWriter(tmp_path, "acc") as writer:
        fmt = writer.formats["physics"]
        vals = fmt.blank()
        vals[0] = 41
        writer.pack("physics", vals)
        reader = PageReader(open_pages(tmp_path), "acc")
        try:
            glance = reader.glance()
            assert glance.packet_id == 41
            assert reader.snapshot(glance) == reader.snapshot()
            vals[0] = 42  # the next step lands between the look and its snapshot
            writer.pack("physics", vals)
            snap = reader.snapshot(glance)
            assert snap.packet_id == 42
            assert snap.physics == reader.snapshot().physics
            assert reader.retries >= 1  # the glance's copy was seen to differ, not kept
        finally:
            reader.close()


def test_a_step_s_graphics_written_after_the_look_is_the_one_kept(tmp_path) -> None:
    """A game writes physics, then graphics: a look that catches the new physics step may
    see the step's graphics not yet written. The snapshot copies graphics again after the
    look, so the sample pairs the step's physics with the step's graphics."""
    from actelemetry.game.reader import PageReader

    with PageWriter(tmp_path, "acc") as writer:
        physics, graphics = writer.formats["physics"].blank(), writer.formats["graphics"].blank()
        physics[0], graphics[0] = 41, 7  # packetId of each page
        writer.pack("physics", physics)
        writer.pack("graphics", graphics)
        reader = PageReader(open_pages(tmp_path), "acc")
        try:
            assert reader.snapshot(reader.glance()).packet_id == 41
            physics[0] = 42
            writer.pack("physics", physics)
            glance = reader.glance()  # the new step's physics, the last step's graphics
            graphics[0] = 8
            writer.pack("graphics", graphics)
            snap = reader.snapshot(glance)
            assert (snap.packet_id, snap.graphics[:4]) == (42, (8).to_bytes(4, "little"))
        finally:
            reader.close()
