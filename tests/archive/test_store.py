"""``archive add``: the partition folders, the sessions table, idempotent re-adding and
appends that a failure leaves invisible, on real simulator sessions."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from actelemetry.archive.engines import analyse_archive
from actelemetry.archive.store import (
    SESSIONS_FILE,
    add_sessions,
    archive_add,
    content_id,
    locate,
    read_sessions,
)
from actelemetry.cli import main
from actelemetry.errors import SessionFileError


def data_files(archive: Path) -> list[Path]:
    return sorted((archive / "data").rglob("*.parquet"))


def cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_partition_folders_and_sessions_table(built_archive: Path, archive_sessions: list[Path],
                                              archive_specs: tuple) -> None:
    folders = {f.parent.relative_to(built_archive / "data").as_posix().rsplit("/", 1)[0]
               for f in data_files(built_archive)}
    assert folders == {f"game={g}/track={t}/car={c}" for g, t, c, _ in archive_specs}
    dates = {f.parent.name for f in data_files(built_archive)}
    assert all(d.startswith("date=20") and len(d) == len("date=2026-01-01") for d in dates)
    table = read_sessions(locate(built_archive))
    assert table.num_rows == len(archive_specs)
    rows = {r["session"]: r for r in table.to_pylist()}
    for path in archive_sessions:
        row = rows[content_id(path)]
        meta = json.loads(row["metadata"])
        assert (built_archive / row["data_file"]).is_file()
        assert row["samples"] == pq.read_metadata(built_archive / row["data_file"]).num_rows
        assert row["samples"] == pq.read_metadata(path).num_rows  # every sample kept
        assert row["bytes"] == (built_archive / row["data_file"]).stat().st_size
        assert (row["game"], row["car"], row["track"]) == (meta["game"], meta["car"],
                                                           meta["track"])
    # each data file: the session's id on every row, its metadata in the footer
    some = data_files(built_archive)[0]
    file_table = pq.read_table(some, columns=["session", "session_time", "speed_kmh"])
    assert set(file_table.column("session").to_pylist()) == {some.stem}
    assert json.loads(pq.read_schema(some).metadata[b"actelemetry"])["archive"]["session"] \
        == some.stem


def test_adding_again_stores_each_session_once(archive_sessions: list[Path],
                                               tmp_path: Path) -> None:
    archive = tmp_path / "a"
    first = archive_add(archive_sessions[:2], archive)
    assert [a.added for a in first] == [True, True]
    before = {f: f.stat().st_mtime_ns for f in data_files(archive)}
    again = archive_add(archive_sessions[:3], archive)  # two old, one new
    assert [a.added for a in again] == [False, False, True]
    assert [a.session for a in again[:2]] == [a.session for a in first]
    after = data_files(archive)
    assert len(after) == 3
    assert all(f.stat().st_mtime_ns == t for f, t in before.items())  # not rewritten
    assert read_sessions(locate(archive)).num_rows == 3
    # a copy of a file under another name is the same session
    copy = tmp_path / "renamed.parquet"
    shutil.copy(archive_sessions[0], copy)
    assert [a.added for a in archive_add([copy], archive)] == [False]
    # ... also when both come in one call, with a session new to the archive
    twin = tmp_path / "twin.parquet"
    shutil.copy(archive_sessions[3], twin)
    pair = archive_add([archive_sessions[3], twin], archive)
    assert [a.added for a in pair] == [True, False]
    assert pair[0].data_file == pair[1].data_file and pair[0].samples == pair[1].samples
    assert len(data_files(archive)) == 4 and read_sessions(locate(archive)).num_rows == 4
    assert not list(archive.rglob("*.tmp"))


def test_a_failed_add_leaves_nothing_visible(archive_sessions: list[Path],
                                             tmp_path: Path) -> None:
    """A failure after a data file is in place but before the sessions table names it (as
    a crash there would): readers do not see that session, and adding it again stores it
    once."""
    archive = tmp_path / "a"
    archive_add(archive_sessions[:1], archive)
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"PAR1 not really")
    with pytest.raises(SessionFileError):
        add_sessions([archive_sessions[1], bad], archive)
    assert len(data_files(archive)) == 2  # the orphan data file was written ...
    assert read_sessions(locate(archive)).num_rows == 1  # ... the sessions table not
    with analyse_archive(str(archive)) as ds:
        seen = ds.engine.arrow("SELECT DISTINCT session FROM telemetry").column(0).to_pylist()
    assert seen == [content_id(archive_sessions[0])]
    assert [a.added for a in archive_add(archive_sessions[:2], archive)] == [False, True]
    assert len(data_files(archive)) == 2
    assert read_sessions(locate(archive)).num_rows == 2
    assert not list(archive.rglob("*.tmp"))


def test_archive_add_command(archive_sessions: list[Path], tmp_path: Path,
                             capsys: pytest.CaptureFixture[str]) -> None:
    archive = tmp_path / "cli"
    code, out, err = cli(["archive", "add", str(archive_sessions[0]), "--to", str(archive)],
                         capsys)
    assert code == 0, err
    assert "added:" in out and "car=actelemetry_gt3" in out
    code, out, err = cli(["archive", "add", str(archive_sessions[0]), "--to", str(archive)],
                         capsys)
    assert code == 0 and "already archived" in out
    assert (archive / SESSIONS_FILE).is_file()


def test_bad_input_is_one_line_and_writes_nothing(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.parquet"
    bad.write_bytes(b"not parquet at all")
    archive = tmp_path / "arch"
    code, _, err = cli(["archive", "add", str(bad), "--to", str(archive)], capsys)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and "bad.parquet" in err
    assert "Traceback" not in err
    assert not archive.exists() or not list(archive.rglob("*.parquet"))
    code, _, err = cli(["archive", "query", str(archive)], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "not an archive" in err


def test_an_fsspec_url_archive(archive_sessions: list[Path]) -> None:
    """A URL pyarrow does not know goes through fsspec (here its in-memory file system, as
    an object store would: written straight to the key, no rename)."""
    fsspec = pytest.importorskip("fsspec")
    url = "memory://actelemetry-test/team"
    try:
        assert [a.added for a in archive_add(archive_sessions[:2], url)] == [True, True]
        assert [a.added for a in archive_add(archive_sessions[:2], url)] == [False, False]
        loc = locate(url)
        assert not loc.local
        table = read_sessions(loc)
        assert table.num_rows == 2
        memory = fsspec.filesystem("memory")
        for row in table.to_pylist():
            key = f"/actelemetry-test/team/{row['data_file']}"
            assert memory.info(key)["size"] == row["bytes"] > 0
            assert "/track=monza/" in key
    finally:
        fsspec.filesystem("memory").rm("/actelemetry-test", recursive=True)


def test_killed_while_adding(archive_sessions: list[Path], tmp_path: Path) -> None:
    """SIGKILL in the middle of an ``archive add`` of several sessions: whatever it had
    done, every session the sessions table names has its whole data file, no reader sees
    a half-written one, and adding again finishes the job, each session once."""
    import os
    import subprocess
    import sys
    import time

    archive = tmp_path / "killed"
    proc = subprocess.Popen(
        [sys.executable, "-m", "actelemetry", "archive", "add", *map(str, archive_sessions),
         "--to", str(archive)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)})
    deadline = time.monotonic() + 120
    while not any((archive / "data").rglob("*")) and proc.poll() is None:
        assert time.monotonic() < deadline, "archive add wrote nothing"
        time.sleep(0.01)
    proc.kill()  # SIGKILL; TerminateProcess on Windows
    proc.wait(30)
    table = read_sessions(locate(archive))  # absent (empty) or whole
    for row in table.to_pylist():
        assert pq.read_metadata(archive / row["data_file"]).num_rows == row["samples"]
    for f in data_files(archive):  # a .tmp leftover is never a *.parquet a reader globs
        assert pq.read_metadata(f).num_rows > 0
    again = archive_add(archive_sessions, archive)
    assert sum(a.added for a in again) == len(archive_sessions) - table.num_rows
    assert read_sessions(locate(archive)).num_rows == len(archive_sessions)
    assert len(data_files(archive)) == len(archive_sessions)
