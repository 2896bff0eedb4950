"""Outputs replace files that another program may be reading (a report open in a viewer,
a model file a predictor holds), on Linux and on Windows."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest

from actelemetry.errors import StorageError
from actelemetry.store.output import atomic_file, staged_folder


def test_an_output_replaces_a_file_a_reader_holds_open(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    target.write_text("old")
    reader = open(target, "rb")  # noqa: SIM115 - a viewer that lets go soon
    closer = threading.Timer(0.5, reader.close)
    closer.start()
    try:
        with atomic_file(target) as tmp:
            tmp.write_text("new")
    finally:
        closer.join()
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]  # no temporary left


def test_a_staged_folder_replaces_files_a_reader_holds_open(tmp_path: Path) -> None:
    (tmp_path / "best.json").write_text("old")
    reader = open(tmp_path / "best.json", "rb")  # noqa: SIM115 - closed by the timer
    closer = threading.Timer(0.5, reader.close)
    closer.start()
    try:
        with staged_folder(tmp_path) as stage:
            (stage / "best.json").write_text("new")
    finally:
        closer.join()
    assert (tmp_path / "best.json").read_text() == "new"


@pytest.mark.skipif(sys.platform != "win32",
                    reason="Windows only: POSIX replaces a file a reader holds open at once")
def test_windows_a_reader_that_never_lets_go_is_one_line_and_the_old_file_stays(
        tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    target.write_text("old")
    with open(target, "rb"), pytest.raises(StorageError, match=r"report\.html"), \
            atomic_file(target) as tmp:
        tmp.write_text("new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]
