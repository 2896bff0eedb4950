"""Finding session files and reading their channels: real files on disk, one-line errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from actelemetry.errors import SessionFileError, UsageError
from actelemetry.store.files import (
    column_names,
    find_session_files,
    is_session_file,
    read_columns,
)

TABLE = pa.table({"speed_ms": [1.0, 2.0, 3.0], "gear": [1, 2, 2], "lap_valid": [True] * 3,
                  "car": ["a", "b", "c"]})


def _write_all(folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"parquet": folder / "b.parquet", "csv": folder / "a.csv",
             "jsonl": folder / "c.jsonl"}
    pq.write_table(TABLE, paths["parquet"])
    pacsv.write_csv(TABLE, paths["csv"])
    paths["jsonl"].write_text("".join(
        f'{{"speed_ms": {s}, "gear": {g}, "lap_valid": true, "car": "{c}"}}\n'
        for s, g, c in zip(*(TABLE.column(n).to_pylist() for n in ("speed_ms", "gear", "car")),
                           strict=True)))
    return paths


def test_folders_globs_and_files_in_a_stable_order_without_duplicates(tmp_path: Path) -> None:
    paths = _write_all(tmp_path / "logs")
    (tmp_path / "logs" / "b.parquet.meta.json").write_text("{}")
    (tmp_path / "logs" / "notes.txt").write_text("not a session")
    found = find_session_files([tmp_path / "logs", paths["csv"], str(tmp_path / "logs" / "*.csv")])
    assert [p.name for p in found] == ["a.csv", "b.parquet", "c.jsonl"]
    assert not is_session_file(tmp_path / "logs" / "b.parquet.meta.json")


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl"])
def test_every_format_gives_the_same_columns_and_numbers(tmp_path: Path, fmt: str) -> None:
    path = _write_all(tmp_path)[fmt]
    assert column_names(path) == ("speed_ms", "gear", "lap_valid", "car")
    cols = read_columns(path, ["speed_ms", "gear", "lap_valid", "gear"])
    assert list(cols) == ["speed_ms", "gear", "lap_valid"]
    np.testing.assert_array_equal(cols["speed_ms"], [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(cols["gear"], [1, 2, 2])
    with pytest.raises(SessionFileError, match="car hold text"):
        read_columns(path, ["car"])


def test_bad_inputs_are_one_line(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "broken.parquet").write_bytes(b"PAR1 not really")
    (tmp_path / "list.jsonl").write_text("[1, 2]\n")
    (tmp_path / "x.txt").write_text("a,b\n")
    cases = [
        (lambda: find_session_files([tmp_path / "empty"]), "holds no session files"),
        (lambda: find_session_files([tmp_path / "nope.parquet"]), "no such file"),
        (lambda: find_session_files([str(tmp_path / "*.nothing")]), "no session files match"),
        (lambda: column_names(tmp_path / "empty.csv"), "empty file"),
        (lambda: column_names(tmp_path / "broken.parquet"), "not a readable Parquet file"),
        (lambda: column_names(tmp_path / "list.jsonl"), "not a JSON object"),
        (lambda: column_names(tmp_path / "x.txt"), "not a session file"),
        (lambda: read_columns(tmp_path / "broken.parquet", ["a"]), "cannot read channels"),
    ]
    for call, words in cases:
        with pytest.raises(SessionFileError, match=words) as err:
            call()
        assert "\n" not in str(err.value)
    with pytest.raises(UsageError, match="no session files given"):
        find_session_files([])
