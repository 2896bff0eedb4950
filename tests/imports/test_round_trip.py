"""A session written by the project, exported and imported back, equals the original on
every channel the import carries; reading commands import foreign files on the fly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from actelemetry.analysis.sources import resolve_inputs
from actelemetry.cli import main
from actelemetry.imports.files import import_file
from actelemetry.store.session import session_metadata, write_session
from imports.helpers import columns

FIX = Path(__file__).parent.parent / "data" / "imports"


def _same(original: dict[str, np.ndarray], imported: dict[str, np.ndarray]) -> list[str]:
    """The channels on which the import differs from the original."""
    differ = []
    for name, values in imported.items():
        if name not in original:
            differ.append(f"{name} (not in the original)")
            continue
        a, b = original[name], values
        if a.dtype == object or b.dtype == object:
            same = [str(x) for x in a] == [str(x) for x in b]
        else:
            same = np.array_equal(a, b, equal_nan=True)
        if not same:
            differ.append(name)
    return differ


@pytest.mark.parametrize("how", ["export-csv", "export-parquet", "csv", "jsonl"])
def test_an_exported_session_imports_back_equal(sim_session: Path, tmp_path: Path,
                                                how: str) -> None:
    if how.startswith("export"):
        out = tmp_path / f"export.{how.split('-')[1]}"
        main(["export", str(sim_session), "-o", str(out)])
    else:
        table = pq.read_table(sim_session)
        cols = {n: table.column(n).to_numpy(zero_copy_only=False) for n in table.column_names}
        out = tmp_path / f"written.{how}"
        write_session(cols, "ac", session_metadata(sim_session), out, how)
    path, summary, chosen = import_file(out, tmp_path / "imported")
    assert "mapping actelemetry" in chosen
    original, back = columns(sim_session), columns(path)
    assert len(back) > 100  # every catalogue channel of an AC session
    assert _same(original, back) == []
    assert summary.rows == len(original["timestamp"])
    meta = session_metadata(path)
    if not how.startswith("export"):  # export writes the samples only; a session keeps its
        # metadata beside it (or inside, in Parquet), and the import carries it over
        assert meta["game"] == "ac"
        assert meta["track"] == session_metadata(sim_session)["track"]


def test_reading_commands_import_foreign_files_on_the_fly(tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    monkeypatch.setenv("ACTELEMETRY_CACHE_DIR", str(tmp_path / "cache"))
    log = tmp_path / "udp.csv"
    log.write_bytes((FIX / "ac_udp.csv").read_bytes())
    first = resolve_inputs([log])
    assert first[0].suffix == ".parquet" and first[0].is_relative_to(tmp_path / "cache")
    assert first[0].stem == "udp"
    stamp = first[0].stat().st_mtime_ns
    assert resolve_inputs([log]) == first  # cached: not imported again
    assert first[0].stat().st_mtime_ns == stamp
    log.write_text(log.read_text().rsplit("\n", 2)[0] + "\n")  # a changed file: a row less
    again = resolve_inputs([log])
    assert again != first and len(columns(again[0])["timestamp"]) == 110
    # a session file is read as it is, never imported
    session = tmp_path / "s.csv"
    session.write_bytes((FIX / "seed.csv").read_bytes())
    assert resolve_inputs([session]) == [session]
