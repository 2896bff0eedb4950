"""A simulator session exported as MoTeC (.ld, and i2 CSV) and imported back equals the
exported samples on every channel the import carries, within each channel's quantisation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from actelemetry.analysis.export_motec import session_log
from actelemetry.cli import main
from actelemetry.formats.motec_ld import quantum
from actelemetry.imports.files import import_file
from imports.helpers import columns


@pytest.mark.parametrize("suffix", [".ld", ".csv"])
def test_a_motec_export_imports_back_equal(sim_session: Path, tmp_path: Path,
                                           suffix: str) -> None:
    out = tmp_path / f"export{suffix}"
    fmt = "ld" if suffix == ".ld" else "motec-csv"
    main(["export", str(sim_session), "--format", fmt, "-o", str(out)])
    path, summary, how = import_file(out, tmp_path / "imported")
    assert "mapping actelemetry" in how
    sent = session_log(sim_session)
    back = columns(path)
    compared = 0
    for name, ch in sent.channels.items():
        if name not in back:
            continue
        a, b = np.asarray(ch.values, dtype="f8"), back[name]
        q = quantum(ch)
        tol = q * np.maximum(np.abs(a), 1.0) if q < 1e-6 else np.full(len(a), q + 1e-9)
        bad = ~(np.abs(a - b) <= tol) & ~(np.isnan(a) & np.isnan(b))
        assert not bad.any(), (name, a[bad][:3], b[bad][:3])
        compared += 1
    assert compared >= 100  # every numeric channel of an AC session made the trip
    assert np.array_equal(back["completed_laps"],
                          np.asarray(sent.channels["completed_laps"].values))
    assert summary.rows == len(sent.channels["speed_kmh"].values)
