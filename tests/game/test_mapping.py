"""The platform module's private page folders."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from actelemetry.game.host import child_options
from actelemetry.game.mapping import _PRIVATE_PREFIX, private_page_folder


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
