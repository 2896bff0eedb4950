"""The seed's workflow as a new user runs it, with default paths only, in a fresh folder:
capture -> analyze --ml -> ml train -> ml predict; each step finds what the one before wrote."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from actelemetry.ml.models import CORE_MODELS

pytestmark = pytest.mark.slow


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "100", "NO_COLOR": "1", "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-m", "actelemetry", *args], cwd=cwd,
                          capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, (args, proc.stdout[-2000:], proc.stderr[-2000:])
    assert "Traceback" not in proc.stderr
    return proc


def test_capture_analyze_ml_train_predict_with_default_paths(tmp_path: Path) -> None:
    # 1. capture: three timed laps of the simulator, into telemetry_logs/
    run(tmp_path, "capture", "--source", "sim", "--fast", "--laps", "3", "--rate", "20")
    (session,) = (tmp_path / "telemetry_logs").glob("*.parquet")
    # 2. the seed's analysis with --ml: the dataset lands where `ml train` looks, whatever
    # analyze's own -o (the HTML report's folder)
    out = run(tmp_path, "analyze", str(session), "--ml", "--no-graphs",
              "-o", "html").stdout
    assert (tmp_path / "ml_data" / "X_states.npy").is_file()
    assert "ml_data" in out
    # 3. train with defaults: it finds ml_data/, writes ml_results/ and notes the best model
    out = run(tmp_path, "ml", "train").stdout
    best = json.loads((tmp_path / "ml_results" / "best.json").read_text())
    assert Path(best["path"]).is_dir() and "ml_results" in out
    # the models that matter, without the abs_steer leak; piped: a line per model
    models = sorted(p.name for p in (tmp_path / "ml_results").iterdir() if p.is_dir())
    assert models == sorted(f"{m}-seed-no_abs_steer" for m in CORE_MODELS)
    assert f"model {len(CORE_MODELS)}/{len(CORE_MODELS)}" in out
    # every path it wrote is printed
    for path in ["best.json", "results.json", "training_report.md", *models]:
        assert str(Path("ml_results") / path) in out, path
    # 4. predict with defaults: it loads that best model and drives the simulator
    out = run(tmp_path, "ml", "predict", "--source", "sim", "--fast", "--duration", "20").stdout
    assert best["model"] in out
    # nothing was written outside the folders the docs name
    assert {p.name for p in tmp_path.iterdir()} <= {"telemetry_logs", "ml_data", "ml_results",
                                                    "reports", "html"}
