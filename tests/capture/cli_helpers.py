"""Running ``actelemetry`` as users do: another process, its exit code and its stderr."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable

ENV = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1"}


def run_cli(*args: str, timeout: float = 60, preexec: Callable[[], None] | None = None,
            ) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "actelemetry", *args], capture_output=True,
                          text=True, timeout=timeout, env=ENV, preexec_fn=preexec)


def start_cli(*args: str) -> subprocess.Popen:
    """The command running in the background (``finish`` collects it)."""
    return subprocess.Popen([sys.executable, "-m", "actelemetry", *args], env=ENV, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def finish(proc: subprocess.Popen, timeout: float = 60) -> subprocess.CompletedProcess:
    stdout, stderr = proc.communicate(timeout=timeout)
    return subprocess.CompletedProcess(proc.args, proc.returncode, stdout, stderr)


def one_line_error(proc: subprocess.CompletedProcess) -> str:
    """The run failed with exactly one line on stderr and no traceback; that line."""
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode != 0, proc.stdout
    assert "Traceback" not in proc.stderr, proc.stderr
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error:"), lines[0]
    return lines[0]
