"""Where pages live (PageLocation): folders, named mappings, private pages for a session."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from actelemetry.errors import GameNotRunning
from actelemetry.game.constants import STATUS_LIVE, STATUS_OFF, STATUS_PAUSE
from actelemetry.game.host import child_options
from actelemetry.game.mapping import (
    _PRIVATE_PREFIX,
    LINUX_BRIDGE_DIR,
    NAMED_MAPPINGS,
    PAGE_NAMES,
    PageLocation,
    default_location,
    hold_pages,
    open_pages,
    private_page_folder,
    private_pages,
)
from actelemetry.game.named import object_name
from actelemetry.game.reader import PageReader
from actelemetry.game.writer import PageWriter


def test_a_private_folder_is_removed_with_a_dead_owners_leftovers() -> None:
    with private_page_folder() as first:
        assert first.is_dir() and first.name.startswith(f"{_PRIVATE_PREFIX}{os.getpid()}-")
        # a folder left by a process that no longer exists (pid 2**22 + 1 is above the
        # kernel's pid limit of 2**22, so it is never a live process)
        stale = first.parent / f"{_PRIVATE_PREFIX}{2**22 + 1}-x"
        stale.mkdir()
        (stale / "acpmf_static").write_bytes(b"x")
        with private_page_folder() as second:
            assert second != first and not stale.exists()
            assert first.exists()  # ours: its owner lives
    assert not first.exists() and not Path(second).exists()


def test_children_die_with_their_parent_on_linux() -> None:
    options = child_options()
    assert ("preexec_fn" in options) == sys.platform.startswith("linux")
    # on Windows a child gets its own process group, so CTRL_BREAK_EVENT reaches only it
    assert ("creationflags" in options) == (sys.platform == "win32")


# ---------------------------------------------------------------- where pages live

def test_a_location_is_a_folder_or_named_pages_and_travels_as_text(tmp_path: Path) -> None:
    folder = PageLocation.of(tmp_path)
    assert folder == PageLocation(tmp_path) and not folder.named and str(folder) == str(tmp_path)
    assert PageLocation.of(str(tmp_path)) == folder and PageLocation.of(folder) is folder
    game = PageLocation.of(None)  # a publisher's None: the game's own named mappings
    private = PageLocation(prefix="actelemetry-pages-1-0-ab-")
    for location in (folder, game, private):
        assert PageLocation.from_text(location.as_text()) == location
    with pytest.raises(ValueError, match="folder or a name prefix"):
        PageLocation(tmp_path, "x-")
    with pytest.raises(ValueError, match="backslash"):
        PageLocation(prefix="actelemetry\\x-")
    with pytest.raises(ValueError, match="not a page location"):
        PageLocation.from_text(str(tmp_path))


def test_the_default_names_are_the_games_own() -> None:
    """No prefix: exactly the names AC and ACC create, Local\\acpmf_physics etc."""
    game = PageLocation()
    assert game.named
    assert game.page_names() == {"physics": "acpmf_physics", "graphics": "acpmf_graphics",
                                 "static": "acpmf_static"}
    assert str(game) == "Local\\acpmf_*"
    assert {object_name(n) for n in game.page_names().values()} == {
        "Local\\acpmf_physics", "Local\\acpmf_graphics", "Local\\acpmf_static"}
    # the reader's default place is the game's: its named mappings, or the Linux bridges'
    assert default_location() == (game if NAMED_MAPPINGS else PageLocation(LINUX_BRIDGE_DIR))


def test_private_pages_are_named_where_the_game_s_are_and_a_folder_elsewhere() -> None:
    with private_pages() as location:
        assert location.named == NAMED_MAPPINGS
        if location.folder is not None:
            assert location.folder.is_dir()
        else:
            assert location.prefix.startswith(f"{_PRIVATE_PREFIX}{os.getpid()}-")
            assert all(name.endswith(PAGE_NAMES[page])
                       for page, name in location.page_names().items())
    if location.folder is not None:
        assert not location.folder.exists()


def test_two_private_sessions_at_once_never_meet() -> None:
    """Each session's pages are its own (named mappings on Windows, folders elsewhere):
    what one publishes, only its own reader sees."""
    with private_pages() as first, private_pages() as second:
        assert first != second
        writers = [PageWriter(first, "ac"), PageWriter(second, "acc")]
        try:
            writers[0].set_status(STATUS_LIVE)
            writers[1].set_status(STATUS_PAUSE)
            readers = [PageReader(open_pages(first), "ac"), PageReader(open_pages(second), "acc")]
            try:
                assert [r.status() for r in readers] == [STATUS_LIVE, STATUS_PAUSE]
                writers[1].set_status(STATUS_OFF)
                assert [r.status() for r in readers] == [STATUS_LIVE, STATUS_OFF]
            finally:
                for reader in readers:
                    reader.close()
        finally:
            for writer in writers:
                writer.close()


def test_pages_that_do_not_exist_yet_are_waited_for_then_held() -> None:
    """The reader's factory says GameNotRunning until a publisher has made every page (a
    capture then waits and retries); held pages stay readable after their writer closed,
    as a folder's files do, and go once let go (named) or with their folder."""
    with private_pages() as location:
        with pytest.raises(GameNotRunning):
            open_pages(location)
        assert hold_pages(location) is None
        writer = PageWriter(location, "ac")
        writer.set_status(STATUS_LIVE)
        release = hold_pages(location)
        assert release is not None
        writer.set_status(STATUS_OFF)  # the game quits: its last word is OFF
        writer.close()
        reader = PageReader(open_pages(location), "ac")
        assert reader.status() == STATUS_OFF
        reader.close()
        release()
        if location.named:  # nobody holds a handle now: the pages are gone
            with pytest.raises(GameNotRunning):
                open_pages(location)
    with pytest.raises(GameNotRunning):
        open_pages(location)
