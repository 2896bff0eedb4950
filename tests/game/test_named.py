"""Windows named mappings (game/named.py): the publisher creates ``Local\\acpmf_*`` as the
game does and the reader opens them read-only, never creating one the game has not.

These need Windows' kernel objects; elsewhere they skip, and only the refusals that are the
same everywhere run.
"""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from actelemetry.errors import GameNotRunning, PageError
from actelemetry.game.constants import STATUS_LIVE, STATUS_OFF
from actelemetry.game.layouts import LAYOUTS, PAGES
from actelemetry.game.mapping import NAMED_MAPPINGS, PAGE_NAMES, open_pages
from actelemetry.game.named import (
    NamedPageMapping,
    create_named_pages,
    object_name,
    section_size,
)
from actelemetry.game.reader import PageReader
from actelemetry.game.writer import PageWriter

WINDOWS_ONLY = pytest.mark.skipif(
    sys.platform != "win32",
    reason="named file mappings (CreateFileMappingW/OpenFileMappingW) are Windows kernel "
           "objects; Linux reads the same pages from files (/dev/shm or --shm-dir)")


def private_names(tag: str) -> dict[str, str]:
    """Page names no game and no other test uses (the tests may run in parallel)."""
    return {page: f"actelemetry-test-{os.getpid()}-{tag}-{page}" for page in PAGES}


@WINDOWS_ONLY
def test_created_pages_are_read_back_through_the_reader() -> None:
    names = private_names("roundtrip")
    sections = create_named_pages(names)
    try:
        for page, section in sections.items():
            assert len(section) == section_size(page)
            assert section[:16] == bytes(16)  # a fresh section is zeroed
        payload = bytes(range(256)) * 2
        sections["physics"][:len(payload)] = payload
        reader = NamedPageMapping(object_name(names["physics"]))
        try:
            assert reader.size >= section_size("physics")  # a view is whole memory pages
            assert reader.read(len(payload)) == payload
            assert reader.read_int(4) == int.from_bytes(payload[4:8], "little", signed=True)
            sections["physics"][:4] = (1234).to_bytes(4, "little")
            assert reader.read_int(0) == 1234  # the same memory, not a copy
        finally:
            reader.close()
    finally:
        for section in sections.values():
            section.close()


@WINDOWS_ONLY
def test_the_reader_refuses_to_create_a_page_the_game_has_not() -> None:
    name = object_name(private_names("absent")["physics"])
    with pytest.raises(GameNotRunning, match="does not exist"):
        NamedPageMapping(name)
    # and the failed open left nothing behind: creating it now is a first creation
    sections = create_named_pages({"physics": private_names("absent")["physics"]})
    for section in sections.values():
        section.close()


@WINDOWS_ONLY
def test_a_name_that_exists_is_never_written_into() -> None:
    names = private_names("twice")
    first = create_named_pages(names)
    try:
        with pytest.raises(PageError, match="already exists"):
            create_named_pages(names)
    finally:
        for section in first.values():
            section.close()


@WINDOWS_ONLY
def test_pages_live_while_the_publisher_holds_them_and_go_with_it() -> None:
    names = private_names("lifetime")
    sections = create_named_pages(names)
    NamedPageMapping(object_name(names["static"])).close()
    for section in sections.values():
        section.close()
    with pytest.raises(GameNotRunning):
        NamedPageMapping(object_name(names["static"]))


@WINDOWS_ONLY
def test_the_page_writer_publishes_under_the_games_own_names() -> None:
    """PageWriter(None) is the game's Local\\acpmf_*, which the default reader opens."""
    if _game_pages_exist():
        pytest.skip("the game (or a publisher) holds Local\\acpmf_* on this machine")
    writer = PageWriter(None, "acc")
    try:
        for literal in ("Local\\acpmf_physics", "Local\\acpmf_graphics", "Local\\acpmf_static"):
            NamedPageMapping(literal).close()  # exactly the names the game creates
        pages = open_pages()  # the platform's default place: the named mappings
        try:
            size = ctypes.sizeof(LAYOUTS[("acc", "graphics")])
            writer.set_status(STATUS_LIVE)
            reader = PageReader(pages, "acc")
            assert reader.status() == STATUS_LIVE
            writer.set_status(STATUS_OFF)
            assert reader.status() == STATUS_OFF
            assert len(pages["graphics"].read(size)) == size
        finally:
            for mapping in pages.values():
                mapping.close()
    finally:
        writer.close()


@WINDOWS_ONLY
def test_the_simulator_command_publishes_named_pages_a_capture_reads(tmp_path: Path) -> None:
    """`actelemetry sim` with no --shm-dir on Windows: the game's names, packetId moving;
    then Ctrl+Break stops it cleanly, its pages saying OFF."""
    from actelemetry.game.host import ask_to_stop, child_options

    if _game_pages_exist():
        pytest.skip("the game (or a publisher) holds Local\\acpmf_* on this machine")
    sim = subprocess.Popen([sys.executable, "-m", "actelemetry", "sim", "--laps", "1",
                            "--quiet"], stderr=subprocess.PIPE, text=True, **child_options())
    try:
        deadline = time.monotonic() + 120
        while True:
            assert sim.poll() is None, sim.stderr.read() if sim.stderr else ""
            assert time.monotonic() < deadline, "the simulator never published its pages"
            try:
                pages = open_pages()
                break
            except GameNotRunning:
                time.sleep(0.1)
        reader = PageReader(pages, "ac")
        first = reader.packet_id()
        while reader.packet_id() == first:
            assert time.monotonic() < deadline, "packetId never moved"
            time.sleep(0.01)
        ask_to_stop(sim)
        sim.wait(60)
        assert sim.returncode == 0, sim.stderr.read() if sim.stderr else ""
        assert reader.status() == STATUS_OFF  # our handle keeps the last pages readable
        for mapping in pages.values():
            mapping.close()
    finally:
        if sim.poll() is None:
            sim.kill()
            sim.wait()


def _game_pages_exist() -> bool:
    try:
        NamedPageMapping(object_name(PAGE_NAMES["physics"])).close()
    except GameNotRunning:
        return False
    return True


@pytest.mark.skipif(NAMED_MAPPINGS, reason="on Windows named mappings are the default")
def test_elsewhere_a_publisher_needs_a_folder() -> None:
    with pytest.raises(PageError, match="only on Windows"):
        PageWriter(None, "ac")
    with pytest.raises(PageError, match="only on Windows"):
        create_named_pages(PAGE_NAMES)
    with pytest.raises(PageError, match="only on Windows"):
        NamedPageMapping(object_name(PAGE_NAMES["physics"]))


class _RecordingKernel32:
    """Stands in for kernel32 where there is none: it records what a page gives back."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []

    def UnmapViewOfFile(self, view: int) -> int:
        self.calls.append(("UnmapViewOfFile", view))
        return 1

    def CloseHandle(self, handle: int) -> int:
        self.calls.append(("CloseHandle", handle))
        return 1


def test_a_section_view_reads_and_writes_like_a_page_file_and_closes_once() -> None:
    """The slicing the page writer relies on, over real memory (a view is memory the
    system maps; here a buffer of ours stands in for it, and a recorder for kernel32)."""
    from actelemetry.game.named import NamedPage

    memory = ctypes.create_string_buffer(section_size("graphics"))
    k32 = _RecordingKernel32()
    page = NamedPage(k32, "Local\\acpmf_graphics", 77, ctypes.addressof(memory), len(memory))
    assert len(page) == len(memory)
    page[4:8] = (STATUS_LIVE).to_bytes(4, "little")
    assert memory.raw[4:8] == (STATUS_LIVE).to_bytes(4, "little")  # written in place
    assert page[4:8] == memory.raw[4:8] and isinstance(page[4:8], bytes)
    page[:] = bytes(len(page))
    assert memory.raw == bytes(len(memory))
    page.close()
    page.close()  # a second close gives nothing back twice
    assert k32.calls == [("UnmapViewOfFile", ctypes.addressof(memory)), ("CloseHandle", 77)]
    with pytest.raises(ValueError, match="closed"):
        page[:4]


@WINDOWS_ONLY
def test_private_pages_are_named_mappings_of_their_own_never_the_games() -> None:
    """A capture's own simulator or replay publishes under private names: the game's
    Local\\acpmf_* stay free for the game, and no folder is made."""
    from actelemetry.game.mapping import private_pages

    if _game_pages_exist():
        pytest.skip("the game (or a publisher) holds Local\\acpmf_* on this machine")
    with private_pages() as location:
        assert location.folder is None and location.prefix
        writer = PageWriter(location, "ac")
        try:
            for name in location.page_names().values():
                assert name.startswith("actelemetry-") and "\\" not in name
                NamedPageMapping(object_name(name)).close()
            assert not _game_pages_exist()
        finally:
            writer.close()
