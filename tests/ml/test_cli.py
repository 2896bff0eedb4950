"""The `ml` commands as users run them, and bad input as one line."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from actelemetry.errors import SessionFileError, UsageError
from actelemetry.ml.dataset import prepare_dataset
from actelemetry.ml.models import load_model
from actelemetry.ml.train import train_models
from ml.helpers import one_line_error, run_cli


def _rewrite(src: Path, dst: Path, drop: str | None = None,
             set_false: str | None = None) -> Path:
    table = pq.read_table(src)
    if drop:
        table = table.drop_columns([drop])
    if set_false:
        i = table.schema.get_field_index(set_false)
        table = table.set_column(i, set_false, pa.array([False] * table.num_rows))
    dst.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, dst)
    return dst


def test_prepare_and_train_from_the_cli(ml_sessions: list[Path], tmp_path: Path) -> None:
    data, res = tmp_path / "ml_data", tmp_path / "ml_results"
    proc = run_cli("ml", "prepare", *map(str, ml_sessions), "--out", str(data),
                   "--seq-len", "10", "--seq-stride", "5")
    assert proc.returncode == 0, proc.stderr
    assert "held out by lap" in proc.stdout
    for name in ("X_states.npy", "X_states_normalized.npy", "y_actions.npy", "X_sequences.npy",
                 "normalization_min.npy", "normalization_max.npy", "dataset.parquet",
                 "dataset_card.md"):
        assert (data / name).exists(), name
    proc = run_cli("ml", "train", "--data", str(data), "-o", str(res),
                   "--models", "linear", "--features", "seed", "--abs-steer", "both")
    assert proc.returncode == 0, proc.stderr
    assert "R² on held-out laps" in proc.stdout
    assert (res / "training_report.md").exists() and (res / "training_report.txt").exists()
    assert (res / "overlay_seed.png").exists() and (res / "overlay_seed-no_abs_steer.png").exists()
    assert load_model(res / "linear-seed-no_abs_steer").features[3] == "gear"


def test_empty_folder_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    line = one_line_error(run_cli("ml", "prepare", str(tmp_path / "empty"), "--out",
                                  str(tmp_path / "o")))
    assert "no session files" in line


def test_missing_channel_is_one_line(ml_sessions: list[Path], tmp_path: Path) -> None:
    """A feature asked for by name needs its channel; a named set is cut to what the
    sessions have and says what it left out."""
    bad = _rewrite(ml_sessions[0], tmp_path / "s" / "bad.parquet", drop="wheel_slip_fl")
    line = one_line_error(run_cli("ml", "prepare", str(bad), "--out", str(tmp_path / "o"),
                                  "--features", "speed_ms,wheel_slip_fl"))
    assert "missing channel(s) wheel_slip_fl" in line
    # a channel only the richer set needs: the rich set is made without that feature
    bad2 = _rewrite(ml_sessions[0], tmp_path / "s2" / "nopos.parquet", drop="yaw_rate")
    data = prepare_dataset([bad2, ml_sessions[1]], tmp_path / "o2", features="rich")
    card = json.loads((data / "dataset_card.json").read_text())
    assert "yaw_rate" not in card["features"] and card["left_out"] == {"yaw_rate": ["yaw_rate"]}


def test_no_valid_laps(ml_sessions: list[Path], tmp_path: Path) -> None:
    bad = _rewrite(ml_sessions[0], tmp_path / "s" / "invalid.parquet", set_false="lap_valid")
    with pytest.raises(SessionFileError, match=r"no usable laps .*invalid"):
        prepare_dataset([bad], tmp_path / "o")
    out = prepare_dataset([bad], tmp_path / "o2", keep_invalid=True, write_sequences=False)
    assert json.loads((out / "dataset_card.json").read_text())["laps_kept"] == 2


def test_other_bad_input(ml_data: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not a prepared dataset"):
        train_models(tmp_path, tmp_path / "r")
    with pytest.raises(UsageError, match="unknown model"):
        train_models(ml_data, tmp_path / "r", ["forest"])
    with pytest.raises(UsageError, match="unknown feature"):
        train_models(ml_data, tmp_path / "r", ["linear"], feature_sets=["nope"])
    with pytest.raises(UsageError, match="no saved model"):
        load_model(tmp_path)
    with pytest.raises(UsageError, match="split"):
        prepare_dataset([ml_data / "dataset.parquet"], tmp_path / "o", split="frame")


def test_default_paths_missing_are_one_line_with_the_step_to_run(tmp_path: Path) -> None:
    line = one_line_error(run_cli("ml", "train", cwd=tmp_path))
    assert "ml_data" in line and "analyze SESSION --ml" in line
    line = one_line_error(run_cli("ml", "predict", "--source", "sim", cwd=tmp_path))
    assert "best.json" in line and "ml train" in line
    assert not any(tmp_path.iterdir())  # a failed step writes nothing


def test_progress_on_a_terminal_and_a_line_per_model_when_piped(ml_data: Path,
                                                                tmp_path: Path) -> None:
    import io

    from rich.console import Console

    shown = {}
    for name, terminal in (("terminal", True), ("piped", False)):
        buf = io.StringIO()
        console = Console(file=buf, force_terminal=terminal, width=80, color_system=None)
        train_models(ml_data, tmp_path / name, ["linear", "mlp_32"], quick=True,
                     console=console, report=False)
        shown[name] = buf.getvalue()
    # a Rich progress bar per model: its description and percentage, no plain lines
    assert "linear · rich-no_abs_steer" in shown["terminal"] and "100%" in shown["terminal"]
    assert "model 1/2" not in shown["terminal"]
    # piped: exactly one plain line per model, as each finishes, without bars
    lines = shown["piped"].splitlines()
    assert [ln.split(":")[0] for ln in lines] == ["model 1/2 linear · rich-no_abs_steer",
                                                  "model 2/2 mlp_32 · rich-no_abs_steer"]
    assert "━" not in shown["piped"]


def test_old_flag_spellings_still_reach_the_same_folders(ml_data: Path, tmp_path: Path) -> None:
    proc = run_cli("ml", "train", "--data-dir", str(ml_data), "--output-dir",
                   str(tmp_path / "r"), "--models", "linear")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "r" / "linear-rich-no_abs_steer" / "model.json").is_file()
    assert "--data-dir" not in run_cli("ml", "train", "--help").stdout
