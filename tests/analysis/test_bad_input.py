"""Bad input: one line naming the file and the problem, exit code 2, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from actelemetry.cli import main


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    err = capsys.readouterr().err
    return int(exc.value.code), err


def one_line_error(code: int, err: str, *needles: str) -> None:
    assert code == 2, err
    lines = [ln for ln in err.strip().splitlines() if ln.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    flat = " ".join(err.split())
    for n in needles:
        assert n in flat, (n, err)


@pytest.fixture(scope="module")
def bad_files(three_laps: Path, csv_session: Path, jsonl_session: Path,
              tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("bad")
    data = three_laps.read_bytes()
    (d / "truncated.parquet").write_bytes(data[: len(data) // 2])
    (d / "empty.csv").write_bytes(b"")
    lines = csv_session.read_text().splitlines()
    header = lines[0].split(",")
    # without a clock: below the minimum a session needs (speed or brake alone are optional)
    keep = [i for i, c in enumerate(header) if c.strip('"') not in ("timestamp",
                                                                     "session_time")]
    (d / "missing.csv").write_text("\n".join(",".join(row.split(",")[i] for i in keep)
                                             for row in lines[:200]) + "\n")
    (d / "garbage.csv").write_text("\n".join([*lines[:100], "this is not, a telemetry row",
                                              *lines[100:150]]) + "\n")
    jl = jsonl_session.read_text().splitlines()
    (d / "garbage.jsonl").write_text("\n".join([*jl[:50], "garbage {", *jl[50:80]]) + "\n")
    (d / "nothing").mkdir()
    (d / "nothing" / "notes.txt").write_text("no sessions here")
    return {p.name: p for p in d.iterdir()}


@pytest.mark.parametrize("name, needle", [
    ("truncated.parquet", "not a readable Parquet"),
    ("empty.csv", "empty file"),
    ("missing.csv", "not a session: missing timestamp or session_time"),
    ("garbage.csv", "CSV Error on Line: 101"),
    ("garbage.jsonl", "line 52"),
    ("nothing", "no session files"),
])
def test_bad_files(name: str, needle: str, bad_files: dict[str, Path],
                   capsys: pytest.CaptureFixture[str]) -> None:
    path = bad_files[name]
    code, err = run_cli(["analyze", str(path), "--no-graphs"], capsys)
    one_line_error(code, err, path.name, needle)


def test_missing_file_and_lap_and_channel(three_laps: Path, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    code, err = run_cli(["analyze", str(tmp_path / "nope.parquet")], capsys)
    one_line_error(code, err, "nope.parquet", "no such file")
    code, err = run_cli(["compare", f"{three_laps}:2", f"{three_laps}:9"], capsys)
    one_line_error(code, err, three_laps.name, "lap 9 does not exist")
    code, err = run_cli(["export", str(three_laps), "--columns", "speed_kmh,warp_factor",
                         "-o", str(tmp_path / "x.csv")], capsys)
    one_line_error(code, err, three_laps.name, "unknown channel 'warp_factor'")
    code, err = run_cli(["export", str(three_laps), "--laps", "12",
                         "-o", str(tmp_path / "x.csv")], capsys)
    one_line_error(code, err, three_laps.name, "lap 12 does not exist")
    code, err = run_cli(["export", str(three_laps), "--where", "warp > 3",
                         "-o", str(tmp_path / "x.csv")], capsys)
    one_line_error(code, err, three_laps.name, "unknown channel 'warp'")
    code, err = run_cli(["sql", "SELECT nope FROM telemetry", str(three_laps)], capsys)
    one_line_error(code, err, "query failed")


def test_subprocess_prints_no_traceback(bad_files: dict[str, Path]) -> None:
    env = {**os.environ, "COLUMNS": "200"}
    proc = subprocess.run([sys.executable, "-m", "actelemetry", "analyze",
                           str(bad_files["truncated.parquet"])],
                          capture_output=True, text=True, timeout=120, env=env)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "truncated.parquet" in proc.stderr
