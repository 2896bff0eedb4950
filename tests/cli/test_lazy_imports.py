"""Starting the CLI loads no heavy library: each command imports what it uses when it runs.

Checked with ``python -X importtime``, which lists every module a run imported."""

from __future__ import annotations

import subprocess
import sys

import pytest

HEAVY = {"numpy", "pyarrow", "duckdb", "plotly", "sklearn", "torch", "gymnasium",
         "matplotlib", "pandas", "scipy", "websockets", "psutil", "skops"}
COMMANDS = ["", "capture", "read", "stream", "sim", "replay", "analyze", "compare", "sql",
            "export", "channels", "demo", "ml", "ml prepare", "ml train", "ml predict"]


def imported(*args: str) -> set[str]:
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "actelemetry", *args],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    names = set()
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    return names


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c or "top")
def test_help_loads_no_heavy_library(command: str) -> None:
    loaded = imported(*command.split(), "--help") & HEAVY
    assert not loaded, f"`actelemetry {command} --help` loaded {sorted(loaded)}"
