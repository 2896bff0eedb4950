"""Every command that reads a session file, against every bad file: one line, exit 2 (or
a correct answer), no traceback, no hang, nothing written half."""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from bad_files import MAKERS

from actelemetry.cli import main

COMMANDS: dict[str, list[str]] = {
    "analyze": ["analyze", "{f}", "--no-graphs"],
    "analyze --plots": ["analyze", "{f}", "--no-graphs", "--plots", "-o", "{out}"],
    "compare": ["compare", "{f}", "-o", "{out}"],
    "sql laps": ["sql", "SELECT * FROM laps", "{f}"],
    "sql telemetry": ["sql", "SELECT * FROM telemetry LIMIT 5", "{f}"],
    "sql -o": ["sql", "SELECT * FROM telemetry", "{f}", "-o", "{out}/q.csv"],
    "export": ["export", "{f}", "-o", "{out}/e.csv"],
    "ml prepare": ["ml", "prepare", "{f}", "-o", "{out}/ml"],
    "replay": ["replay", "{f}", "--shm-dir", "{out}/shm", "--quiet"],
    "capture replay": ["capture", "--source", "replay", "{f}", "--fast", "-o", "{out}/logs"],
}


@pytest.fixture(scope="module")
def good(make_sim_session) -> Path:  # type: ignore[no-untyped-def]
    """One short real session: one timed lap at Monza, 25 Hz."""
    return make_sim_session(laps=1, rate=25, seed=5)


@pytest.fixture(autouse=True)
def no_hang() -> Iterator[None]:
    """Any single run over 30 s is a hang: fail it instead of waiting (POSIX: SIGALRM)."""
    if not hasattr(signal, "SIGALRM"):
        yield
        return

    def alarm(*_: object) -> None:
        raise TimeoutError("a command hung for 30 s")
    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(30)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    try:
        main(args)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, capsys.readouterr().err


@pytest.mark.skipif(sys.platform == "win32", reason="FIFOs and SIGALRM are POSIX")
@pytest.mark.parametrize("bad", list(MAKERS))
@pytest.mark.parametrize("command", list(COMMANDS))
def test_bad_file(bad: str, command: str, good: Path, tmp_path: Path,
                  capsys: pytest.CaptureFixture[str]) -> None:
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    out.mkdir()
    path = MAKERS[bad](good, folder)
    args = [a.format(f=path, out=out) for a in COMMANDS[command]]
    code, err = run(args, capsys)
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert code in (0, 2), (code, err)
    if code == 2:
        assert len(lines) == 1 and lines[0].startswith("error:"), err
    else:
        assert not lines, err
    # nothing half-written: no temporary file, and on failure no output at all
    leftovers = [p for p in out.rglob("*") if p.is_file()
                 and (p.suffix in (".tmp", ".partial") or code == 2)
                 and not p.name.startswith("acpmf_")]
    assert not leftovers, leftovers
