"""Session metadata from files: a bad sidecar or Parquet key is one clear error, never a crash."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actelemetry.errors import SessionFileError
from actelemetry.store.session import META_KEY, parse_metadata, session_metadata

BAD = {
    "not JSON": b"{not json",
    "a list": b"[1, 2]",
    "a number": b"5",
    "null": b"null",
    "quality a string": json.dumps({"quality": "bad"}).encode(),
    "length a string": json.dumps({"track_length_m": "long"}).encode(),
    "rate a bool": json.dumps({"rate_hz": True}).encode(),
    "quality value a string": json.dumps({"quality": {"samples": "many"}}).encode(),
    "radii strings": json.dumps({"tyre_radius_m": ["a", "b"]}).encode(),
    "deep nesting": b"[" * 100_000 + b"]" * 100_000,
}


@pytest.mark.parametrize("what", list(BAD))
def test_bad_sidecar_is_one_clear_error(what: str, tmp_path: Path) -> None:
    csv = tmp_path / "s.csv"
    csv.write_text("a\n1\n")
    (tmp_path / "s.csv.meta.json").write_bytes(BAD[what])
    with pytest.raises(SessionFileError, match=r"s\.csv\.meta\.json: ") as info:
        session_metadata(csv)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("what", list(BAD))
def test_bad_parquet_metadata_is_one_clear_error(what: str, sim_session: Path,
                                                 tmp_path: Path) -> None:
    table = pq.read_table(sim_session)
    bad = tmp_path / "bad.parquet"
    pq.write_table(table.replace_schema_metadata({META_KEY: BAD[what]}), bad)
    with pytest.raises(SessionFileError, match=r"bad\.parquet: metadata: "):
        session_metadata(bad)


def test_real_metadata_passes(sim_session: Path, tmp_path: Path) -> None:
    meta = session_metadata(sim_session)
    assert meta["game"] == "ac" and meta["quality"]["samples"] > 0
    shutil.copy(sim_session, tmp_path / "copy.parquet")
    assert session_metadata(tmp_path / "copy.parquet") == meta


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["game", "quality", "track_length_m", "rate_hz",
                                        "tyre_radius_m", "car", "other"]), json_values)
       | json_values)
def test_any_json_is_metadata_or_one_clear_error(value: object) -> None:
    try:
        meta = parse_metadata(json.dumps(value), "m")
    except SessionFileError as exc:
        assert str(exc).startswith("m: ") and "\n" not in str(exc)
        return
    assert isinstance(meta, dict)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_any_bytes_are_metadata_or_one_clear_error(data: bytes) -> None:
    try:
        meta = parse_metadata(data, "m")
    except SessionFileError as exc:
        assert str(exc).startswith("m: ")
    else:
        assert isinstance(meta, dict)
