"""Every command that writes a file, against outputs that cannot be written: a read-only
folder, a path under a file, a path that is a folder, a full disk. One line naming the path,
exit 2, and nothing left behind (no temporary file, no truncated output)."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from actelemetry.cli import main

#: command -> args, with {s} the session and {o} the output (a file or a folder)
WRITERS: dict[str, tuple[list[str], str]] = {
    "sql -o": (["sql", "SELECT * FROM telemetry", "{s}", "-o", "{o}"], "file.csv"),
    "export -o": (["export", "{s}", "-o", "{o}"], "file.parquet"),
    "analyze --plots -o": (["analyze", "{s}", "--no-graphs", "--plots", "-o", "{o}"], "dir"),
    "compare -o": (["compare", "{s}", "-o", "{o}"], "dir"),
    "ml prepare -o": (["ml", "prepare", "{s}", "-o", "{o}"], "dir"),
}


def mount_tmpfs(folder: Path, options: str) -> bool:
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
                          capture_output=True)
    return done.returncode == 0


@pytest.fixture
def mounts(tmp_path: Path) -> Iterator[Callable[[str, str], Path]]:
    mounted: list[Path] = []

    def make(name: str, options: str) -> Path:
        folder = tmp_path / name
        if not mount_tmpfs(folder, options):
            pytest.skip("cannot mount a tmpfs here (needs root)")
        mounted.append(folder)
        return folder

    yield make
    for folder in mounted:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def target(kind: str, place: str, tmp_path: Path, mounts: Callable[[str, str], Path]) -> Path:
    name = "out.csv" if kind == "file.csv" else "out.parquet" if kind == "file.parquet" \
        else "out"
    if place == "read-only folder":
        return mounts("ro", "ro,size=1m") / name
    if place == "under a file":
        blocker = tmp_path / "a_file"
        blocker.write_text("x")
        return blocker / name
    if place == "a folder":
        folder = tmp_path / name
        folder.mkdir()
        if kind == "dir":  # a folder is right for these: make the file inside one instead
            (folder / "report.html").mkdir()
            (folder / "lap_comparison.html").mkdir()
            (folder / "X_states.npy").mkdir()
        return folder
    full = mounts("full", "size=64k")
    return full / name


@pytest.mark.parametrize("place", ["read-only folder", "under a file", "a folder", "disk full"])
@pytest.mark.parametrize("writer", list(WRITERS))
def test_unwritable_output(writer: str, place: str, tmp_path: Path, mounts,
                           make_sim_session, capsys: pytest.CaptureFixture[str]) -> None:
    session = make_sim_session(laps=3)
    args, kind = WRITERS[writer]
    out = target(kind, place, tmp_path, mounts)
    try:
        main([a.format(s=session, o=out) for a in args])
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code == 2, (code, err)
    assert len(lines) == 1 and lines[0].startswith("error:"), err
    assert "Traceback" not in err
    assert str(out.parent if place != "a folder" else out) in lines[0] \
        or str(out) in lines[0], lines[0]  # it names the path that failed
    folder = out if out.is_dir() else out.parent
    if folder.is_dir():
        left = [p for p in folder.rglob("*") if p.is_file()]
        assert not left, left
