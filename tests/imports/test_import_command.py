"""`actelemetry import` end to end on Parquet (readers of other formats: see the other
test files): paths printed, the summary, one-line errors."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from actelemetry.cli import main
from actelemetry.store.session import session_metadata


def test_import_of_a_session_file_prints_path_mapping_and_summary(
        sim_session: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["import", str(sim_session), "-o", str(tmp_path)])
    out = capsys.readouterr().out.replace("\n", " ")
    target = tmp_path / sim_session.name
    assert f"wrote {target}" in out and "mapping actelemetry (best fit" in out
    assert "laps: from the lap column" in out
    assert pq.read_table(target).num_rows == pq.read_table(sim_session).num_rows
    assert session_metadata(target)["imported"]["mapping"] == "actelemetry"


def test_a_mapping_by_name_and_bad_options_are_one_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    n = 50
    t = 1.7e9 + np.arange(n) / 10
    table = pa.table({"timestamp": t, "speed_Kmh": np.full(n, 120.0),
                      "lapCount": np.zeros(n), "gear": np.full(n, 3.0)})
    src = tmp_path / "udp.parquet"
    pq.write_table(table, src)
    main(["import", str(src), "--map", "ac-udp", "-o", str(tmp_path / "out")])
    assert "mapping ac-udp (--map" in capsys.readouterr().out
    gear = pq.read_table(tmp_path / "out" / "udp.parquet").column("gear").to_pylist()
    assert set(gear) == {2}  # the game's 3 is second gear
    for args, needle in ((["--format", "xls"], "--format xls"),
                         (["--map", "nope"], "--map nope"),
                         ([], "no shipped mapping fits")):
        odd = tmp_path / "odd.parquet"
        pq.write_table(pa.table({"a": [1.0, 2.0], "b": [3.0, 4.0]}), odd)
        with pytest.raises(SystemExit) as code:
            main(["import", str(odd), "-o", str(tmp_path / "x"), *args])
        assert code.value.code == 2
        err = capsys.readouterr().err
        assert needle in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x").exists() or not any((tmp_path / "x").iterdir())


def test_a_glob_over_session_files_never_imports_their_metadata(
        make_sim_session: Callable[..., Path], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from actelemetry.store.files import find_session_files

    monkeypatch.setenv("ACTELEMETRY_CACHE_DIR", str(tmp_path / "cache"))
    session = make_sim_session(fmt="csv")
    assert session.with_name(session.name + ".meta.json").is_file()
    assert find_session_files([str(session.parent / "*")]) == [session]
    assert not (tmp_path / "cache").exists()
