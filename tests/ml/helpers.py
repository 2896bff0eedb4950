"""Settings shared by the ML tests and their fixtures."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from actelemetry.ml.models import MODELS, torch_available

#: 20 Hz keeps the tests quick; three seeds give three sessions of two timed laps each
RATE = 20.0
SEEDS = (1, 2, 3)
#: small settings: the tests check honesty and plumbing, not the best scores
TEST_PARAMS = {"hgb": {"max_iter": 40}, "mlp_128_64_32": {"epochs": 4},
               "lstm": {"stride": 3, "epochs": 3}, "gru": {"stride": 3, "epochs": 3}}


def model_names() -> list[str]:
    """Every model; the sequence ones only when PyTorch is installed."""
    return [n for n in MODELS if torch_available() or n not in ("lstm", "gru")]


def run_cli(*args: str, timeout: float = 120,
            cwd: Path | None = None) -> subprocess.CompletedProcess:
    """``actelemetry ARGS`` in another process (in ``cwd``), as a user runs it."""
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "OMP_NUM_THREADS": "1",
           "OPENBLAS_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "actelemetry", *args], capture_output=True,
                          text=True, timeout=timeout, env=env, cwd=cwd)


def one_line_error(proc: subprocess.CompletedProcess) -> str:
    """The run failed with exit 2 and exactly one line on stderr, no traceback; that line."""
    lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert len(lines) == 1, proc.stderr
    return lines[0]
