"""Every reading command recovers the spool a killed capture left; a spool whose capture
still runs is left alone and named."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from actelemetry.analysis.sources import resolve_inputs
from actelemetry.errors import SessionFileError
from actelemetry.store.session import recover_spool
from actelemetry.store.spool import SpoolWriter, read_spool, spool_writer_alive


@pytest.fixture(scope="module")
def dead_spool(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The spool of a capture that died: written by a process that has exited."""
    folder = tmp_path_factory.mktemp("dead")
    code = f"""
import sys
from pathlib import Path
from actelemetry.capture.loop import CaptureOptions, run_capture
from actelemetry.capture.sinks import SessionFileSink

class Killed(SessionFileSink):
    def close(self, session):  # the process dies before the session is written out
        self.writer.flush()
        raise SystemExit(0)

sink = Killed(Path({str(folder)!r}))
run_capture(CaptureOptions(source="sim", fast=True, duration=3.0, seed=2), [sink])
"""
    subprocess.run([sys.executable, "-c", code], check=True, timeout=300)
    spools = list(folder.glob("*.spool"))
    assert len(spools) == 1 and not list(folder.glob("*.parquet"))
    return spools[0]


def fresh_copy(spool: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "logs"
    folder.mkdir()
    return Path(shutil.copy(spool, folder / spool.name))


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "actelemetry", *args], capture_output=True,
                          text=True, timeout=300)


def test_analyze_of_the_folder_recovers_the_spool(dead_spool: Path, tmp_path: Path) -> None:
    spool = fresh_copy(dead_spool, tmp_path)
    _, records, _ = read_spool(spool)
    proc = run_cli("analyze", str(spool.parent), "--no-graphs")
    assert proc.returncode == 0, proc.stderr
    files = list(spool.parent.glob("*.parquet"))
    assert len(files) == 1 and not spool.exists()
    assert pq.read_metadata(files[0]).num_rows == len(records) > 100


def test_sql_on_the_spool_itself_recovers_it(dead_spool: Path, tmp_path: Path) -> None:
    spool = fresh_copy(dead_spool, tmp_path)
    proc = run_cli("sql", "SELECT count(*) AS n FROM telemetry", str(spool))
    assert proc.returncode == 0, proc.stderr
    assert len(list(spool.parent.glob("*.parquet"))) == 1


def test_a_spool_still_being_written_is_left_alone(tmp_path: Path) -> None:
    live = tmp_path / "live.spool"
    writer = SpoolWriter(live, {"game": "ac", "static_page": ""})
    try:
        assert spool_writer_alive(live) is not None
        with pytest.raises(SessionFileError, match="still writing it"):
            recover_spool(live)
        with pytest.raises(SessionFileError, match="unfinished capture still running"):
            resolve_inputs([tmp_path])
        assert live.exists()
    finally:
        writer.close()
