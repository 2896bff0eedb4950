"""Output survives a console that cannot show every glyph: Windows' cp1252 console (or a
redirected pipe in it) gets '?' for box drawing and the like, never a crash mid-table."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def run_with_encoding(encoding: str, *args: str) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONIOENCODING": encoding, "PYTHONUTF8": "0", "COLUMNS": "120"}
    return subprocess.run([sys.executable, "-m", "actelemetry", *args], capture_output=True,
                          env=env, timeout=300)


@pytest.mark.parametrize("encoding", ["cp1252", "ascii"])
def test_analyze_prints_its_graphs_on_a_narrow_console(encoding: str, sim_session: Path
                                                       ) -> None:
    # the ASCII graphs draw with box characters (│ ┤ └ ─) that cp1252 lacks
    proc = run_with_encoding(encoding, "analyze", str(sim_session))
    err = proc.stderr.decode(encoding, errors="replace")
    assert proc.returncode == 0, err
    assert "Traceback" not in err and "UnicodeEncodeError" not in err
    out = proc.stdout.decode(encoding)  # strictly: every byte is the console's own
    assert "Speed trace" in out and "?" in out  # the missing glyphs, replaced


def test_a_utf8_console_still_gets_every_glyph(sim_session: Path) -> None:
    proc = run_with_encoding("utf-8", "analyze", str(sim_session))
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")
    assert "│" in proc.stdout.decode("utf-8")
