"""How long a page may keep changing under the reader before it is called broken, and
what a page cut short under it gives."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from actelemetry.errors import PageError
from actelemetry.game import reader
from actelemetry.game.dtypes import page_size
from actelemetry.game.mapping import PAGE_NAMES, open_pages
from actelemetry.game.reader import PageReader, consistent_copy
from actelemetry.game.writer import PageWriter


class ChangingPage:
    """A page rewritten between every two copies for its first ``changes`` copies: a
    writer always faster than the reader's pair of copies, which no real process can be
    made to be on every machine (the capture test with a real writer is
    tests/capture/test_torn_reads.py)."""

    size = 64

    def __init__(self, changes: int | None) -> None:
        self.changes, self.copies = changes, 0

    def read(self, n: int) -> bytes:
        self.copies += 1
        still = self.changes is None or self.copies <= self.changes
        return (self.copies if still else 0).to_bytes(4, "little") * (n // 4)

    def read_int(self, offset: int) -> int:
        return 0

    def exists(self) -> bool:
        return True


def test_a_page_changing_for_many_copies_is_still_read_once_it_settles(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # far beyond the quick tries: a slow reader beside a fast writer is not an error (the
    # time allowed is made long so that a busy machine's pauses cannot decide the test)
    monkeypatch.setattr(reader, "_CHANGING_FOR_S", 30.0)
    page = ChangingPage(changes=20 * reader._QUICK_TRIES)
    data, retries = consistent_copy(page, 64)
    assert data == bytes(64)
    assert retries >= 10 * reader._QUICK_TRIES


def test_a_page_that_never_settles_fails_after_its_time_not_a_count() -> None:
    t0 = time.monotonic()
    with pytest.raises(PageError, match=r"kept changing .* for 50 ms"):
        consistent_copy(ChangingPage(changes=None), 64)
    assert time.monotonic() - t0 >= reader._CHANGING_FOR_S


def test_a_truncated_page_file_is_a_one_line_error_at_the_next_look(tmp_path: Path) -> None:
    # the look's copies are unchecked preads: a short one is a truncated file, said so
    with PageWriter(tmp_path, "acc"):
        pages = open_pages(tmp_path)
        page_reader = PageReader(pages, "acc")
        assert page_reader.snapshot(page_reader.glance()).physics  # whole pages read
        os.truncate(tmp_path / PAGE_NAMES["graphics"], 100)
        with pytest.raises(PageError, match="shrank to 100 bytes"):
            page_reader.glance()
        page_reader.close()


class ScriptedPage:
    """A page whose copies come from a script, offering the unchecked copier the reader
    prefers (the last copy repeats)."""

    def __init__(self, copies: list[bytes]) -> None:
        self.copies, self.size = copies, len(copies[0])

    def _next(self) -> bytes:
        return self.copies.pop(0) if len(self.copies) > 1 else self.copies[0]

    def copier(self, n: int) -> Callable[[], bytes]:
        return self._next

    def read(self, n: int) -> bytes:
        data = self._next()
        if len(data) < n:
            raise PageError(f"the page file shrank to {len(data)} bytes")
        return data

    def read_int(self, offset: int) -> int:
        return int.from_bytes(self._next()[offset:offset + 4], "little")

    def exists(self) -> bool:
        return True

    def close(self) -> None:
        pass


def test_a_page_truncated_between_the_look_and_the_snapshot_is_not_a_sample() -> None:
    # after the look the graphics file is cut short (two short copies agree): the
    # snapshot must not hand a short page on; the fresh look it falls back to says why
    size = {page: page_size("acc", page) for page in ("physics", "graphics", "static")}
    physics = ScriptedPage([b"\x01" * size["physics"]])
    graphics = ScriptedPage([b"\x02" * size["graphics"], b"\x03"])
    static = ScriptedPage([bytes(size["static"])])
    page_reader = PageReader({"physics": physics, "graphics": graphics,
                              "static": static}, "acc")
    glance = page_reader.glance()
    with pytest.raises(PageError, match="shrank to 1 bytes"):
        page_reader.snapshot(glance)
