"""Tampered raw recordings and hostile page folders: one clear line each, never a crash or a
hang; page writers never write through a link or over another live writer."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from actelemetry.capture.loop import CaptureOptions, run_capture
from actelemetry.capture.sinks import SessionFileSink
from actelemetry.game.host import ask_to_stop, child_options
from actelemetry.sources.replay import MAX_GAP_S
from actelemetry.store.session import META_KEY


@pytest.fixture(scope="module")
def raw_session(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two simulated seconds captured raw at 100 Hz (fast mode)."""
    out = tmp_path_factory.mktemp("raw")
    sink = SessionFileSink(out, raw=True)
    run_capture(CaptureOptions(source="sim", fast=True, duration=2.0, seed=3), [sink])
    return sink.paths[0]


def tampered(raw: Path, out: Path, column: str | None = None,
             values: Callable[[list], list] | None = None,
             meta: Callable[[dict], dict] | None = None) -> Path:
    """A copy of ``raw`` with one column's values or the metadata changed."""
    table = pq.read_table(raw)
    md = json.loads(table.schema.metadata[META_KEY])
    if column is not None and values is not None:
        field = table.schema.field(column)
        new = pa.array(values(table[column].to_pylist()), type=field.type)
        table = table.set_column(table.schema.get_field_index(column), field, new)
    if meta is not None:
        md = meta(md)
    table = table.replace_schema_metadata({META_KEY: json.dumps(md).encode()})
    pq.write_table(table, out)
    return out


def packet_id(page: Path) -> int:
    """The packetId a physics page holds now (0 while it does not exist)."""
    try:
        with open(page, "rb") as fh:
            return int.from_bytes(fh.read(4), "little")
    except FileNotFoundError:
        return 0


def each_row(fn: Callable[[object], object]) -> Callable[[list], list]:
    return lambda rows: [fn(r) for r in rows]


def at_row(i: int, value: object) -> Callable[[list], list]:
    return lambda rows: [value if k == i else r for k, r in enumerate(rows)]


CASES: dict[str, dict] = {
    "pages too long": {"column": "raw_physics", "values": each_row(lambda b: b + b"\0" * 8)},
    "pages too short": {"column": "raw_graphics", "values": at_row(5, b"\1" * 10)},
    "a null page": {"column": "raw_physics", "values": at_row(3, None)},
    "static page not base64": {"meta": lambda m: {**m, "static_page": "%%% not base64 %%%"}},
    "static page not a string": {"meta": lambda m: {**m, "static_page": 12}},
    "static page of the wrong size": {
        "meta": lambda m: {**m, "static_page": base64.b64encode(b"x" * 9).decode()}},
    "time of +inf": {"column": "session_time", "values": at_row(7, float("inf"))},
    "time of NaN": {"column": "session_time", "values": at_row(7, float("nan"))},
    "an unknown game": {"meta": lambda m: {**m, "game": "rfactor"}},
}


def run_cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "actelemetry", *args], capture_output=True,
                          text=True, timeout=timeout, env=env)


def assert_one_line(proc: subprocess.CompletedProcess, *words: str) -> None:
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr and len(lines) == 1, proc.stderr
    for word in words:
        assert word in lines[0], lines[0]


@pytest.mark.parametrize("case", list(CASES))
def test_tampered_recordings_are_refused_in_one_line(case: str, raw_session: Path,
                                                     tmp_path: Path) -> None:
    bad = tampered(raw_session, tmp_path / "bad.parquet", **CASES[case])
    for args in (["replay", str(bad), "--shm-dir", str(tmp_path / "shm"), "--quiet"],
                 ["capture", "--source", "replay", str(bad), "--fast", "-o",
                  str(tmp_path / "logs")]):
        assert_one_line(run_cli(*args), "bad.parquet")
    assert not list((tmp_path / "logs").glob("*.parquet"))  # nothing written half


def test_bit_flips_are_refused_in_one_line(raw_session: Path, tmp_path: Path) -> None:
    data = bytearray(raw_session.read_bytes())
    rng = np.random.default_rng(0)
    for i in rng.integers(len(data) // 4, 3 * len(data) // 4, 200):
        data[i] ^= 0xFF
    bad = tmp_path / "flipped.parquet"
    bad.write_bytes(bytes(data))
    proc = run_cli("replay", str(bad), "--shm-dir", str(tmp_path / "shm"), "--quiet")
    assert_one_line(proc, "flipped.parquet")


def test_a_huge_gap_is_shortened_and_sigterm_stops_replay_at_once(raw_session: Path,
                                                                  tmp_path: Path) -> None:
    gap = tampered(raw_session, tmp_path / "gap.parquet", "session_time",
                   lambda ts: [t + (1e9 if k >= 50 else 0.0) for k, t in enumerate(ts)])
    # in lockstep the gap is replayed as a short pause: the capture ends, it does not spin
    proc = run_cli("capture", "--source", "replay", str(gap), "--fast", "-o",
                   str(tmp_path / "logs"))
    assert proc.returncode == 0, proc.stderr
    assert len(list((tmp_path / "logs").glob("*.parquet"))) >= 1
    # in real time, SIGTERM during the gap stops it there and then, not when the gap ends
    last_before_gap = pq.read_table(gap, columns=["packet_id"])["packet_id"][49].as_py()
    physics = tmp_path / "shm" / "acpmf_physics"
    player = subprocess.Popen([sys.executable, "-m", "actelemetry", "replay", str(gap),
                               "--shm-dir", str(tmp_path / "shm"), "--quiet"],
                              stderr=subprocess.PIPE, text=True, **child_options())
    deadline = time.monotonic() + 60  # however long a busy machine takes to start it
    while packet_id(physics) != last_before_gap:
        assert player.poll() is None and time.monotonic() < deadline, "the gap never came"
        time.sleep(0.01)
    in_gap = time.monotonic()  # the gap began no later than this, and lasts MAX_GAP_S
    ask_to_stop(player)  # SIGTERM; CTRL_BREAK_EVENT on Windows
    player.wait(60)
    took = time.monotonic() - in_gap
    assert player.returncode == 0 and "Traceback" not in (player.stderr.read() or "")
    print(f"replay stopped {took:.2f} s after SIGTERM")
    assert packet_id(physics) == last_before_gap, "a frame after the gap was published"
    assert took < MAX_GAP_S, "the replay waited out the gap"


@pytest.mark.parametrize("command", ["sim", "replay"])
def test_page_writers_refuse_symlinked_pages(command: str, raw_session: Path,
                                             tmp_path: Path) -> None:
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me")
    shm = tmp_path / "shm"
    shm.mkdir()
    try:
        (shm / "acpmf_graphics").symlink_to(victim)
    except OSError:  # Windows without Developer Mode or the privilege to make links
        pytest.skip("this account cannot make symbolic links")
    args = (["sim", "--shm-dir", str(shm), "--fast", "--laps", "1", "--quiet"]
            if command == "sim" else ["replay", str(raw_session), "--shm-dir", str(shm)])
    assert_one_line(run_cli(*args), "symbolic link")
    assert victim.read_text() == "keep me"


def test_page_writers_refuse_a_folder_another_writer_is_publishing(raw_session: Path,
                                                                   tmp_path: Path) -> None:
    shm = tmp_path / "shm"
    sim = subprocess.Popen([sys.executable, "-m", "actelemetry", "sim", "--game", "acc",
                            "--shm-dir", str(shm), "--laps", "1", "--quiet"])
    try:
        deadline = time.monotonic() + 60  # however long a busy machine takes to start it
        while packet_id(shm / "acpmf_physics") == 0:  # until the simulator publishes
            assert time.monotonic() < deadline and sim.poll() is None, "no simulator"
            time.sleep(0.1)
        assert_one_line(run_cli("replay", str(raw_session), "--shm-dir", str(shm)),
                        "another program is writing")
    finally:
        sim.terminate()
        sim.wait(30)
