"""How long a page may keep changing under the reader before it is called broken."""

from __future__ import annotations

import time

import pytest

from actelemetry.errors import PageError
from actelemetry.game import reader
from actelemetry.game.reader import consistent_copy


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
