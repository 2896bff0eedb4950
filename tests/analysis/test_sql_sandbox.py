"""`sql` reads the given sessions and nothing else unless told --unsafe."""

from __future__ import annotations

from pathlib import Path

import pytest

from actelemetry.analysis.query import run_query
from actelemetry.errors import UsageError


def escapes(tmp_path: Path) -> dict[str, str]:
    return {
        "read another file": "SELECT * FROM read_csv('/etc/passwd')",
        "write a file": f"COPY (SELECT 1) TO '{tmp_path / 'leak.csv'}'",
        "create a database": f"ATTACH '{tmp_path / 'x.duckdb'}' AS x",
        "install an extension": "INSTALL httpfs",
        "load an extension": "LOAD httpfs",
        "unlock": "SET enable_external_access = true",
        "unlock the lock": "SET lock_configuration = false",
    }


@pytest.mark.parametrize("what", list(escapes(Path("/tmp"))))
def test_escapes_are_refused(what: str, sim_session: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="query failed"):
        run_query(escapes(tmp_path)[what], [sim_session])
    assert list(tmp_path.iterdir()) == []


def test_the_session_files_stay_readable(sim_session: Path) -> None:
    table = run_query("SELECT count(*) AS n FROM telemetry", [sim_session])
    assert int(table.column("n")[0]) > 1000
    direct = run_query(f"SELECT count(*) AS n FROM read_parquet('{sim_session}')",
                       [sim_session])
    assert direct.column("n")[0] == table.column("n")[0]


def test_unsafe_is_full_duckdb(sim_session: Path, tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    try:
        run_query(f"COPY (SELECT 1 AS x) TO '{target}'", [sim_session], unsafe=True)
    except UsageError as exc:  # a statement without a result set says so
        assert "no result set" in str(exc)
    assert target.read_text().strip().splitlines() == ["x", "1"]
