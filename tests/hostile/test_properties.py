"""Property-based tests (Hypothesis): whatever bytes arrive, each parser answers with a
value or its own one-line error, never another exception."""

from __future__ import annotations

import base64
import contextlib
import ctypes
import tempfile
import warnings
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from actelemetry.analysis.sources import inspect_source
from actelemetry.bridge.protocol import (
    ProtocolError,
    Subscription,
    parse_client_message,
    parse_subscription,
)
from actelemetry.channels.decode import as_records, decode_pages, decode_static
from actelemetry.channels.derive import derive_session
from actelemetry.errors import ActelemetryError
from actelemetry.game.layouts import LAYOUTS
from actelemetry.store.files import column_names, read_columns
from actelemetry.store.session import finalize_spool
from actelemetry.store.spool import MAGIC, SpoolWriter

SETTINGS = settings(max_examples=200, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
GAMES = st.sampled_from(["ac", "acc"])


def page(game: str, name: str) -> st.SearchStrategy[bytes]:
    size = ctypes.sizeof(LAYOUTS[(game, name)])
    return st.binary(min_size=size, max_size=size)


# --- the WebSocket message parser -----------------------------------------------------------
json_text = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner,
                                                               max_size=5), max_leaves=15)


@SETTINGS
@given(st.one_of(st.binary(max_size=600), st.text(max_size=600),
                 json_text.map(lambda v: __import__("json").dumps(v)),
                 st.dictionaries(st.sampled_from(["type", "channels", "rate", "encoding", "id"]),
                                 json_text, max_size=5).map(
                     lambda d: __import__("json").dumps({"type": "subscribe", **d}))))
def test_client_messages_parse_or_are_protocol_errors(data: str | bytes) -> None:
    try:
        msg = parse_client_message(data)
    except ProtocolError:
        return
    assert isinstance(msg, dict) and isinstance(msg["type"], str)
    if msg["type"] == "subscribe":
        try:
            sub = parse_subscription(msg, Subscription(), 60.0)
        except ProtocolError:
            return
        assert sub.encoding in ("json", "msgpack")


# --- the raw page decoder -------------------------------------------------------------------
@SETTINGS
@given(st.data())
def test_any_page_bytes_decode_to_every_channel(data: st.DataObject) -> None:
    game = data.draw(GAMES)
    n = data.draw(st.integers(1, 4))
    physics = b"".join(data.draw(page(game, "physics")) for _ in range(n))
    graphics = b"".join(data.draw(page(game, "graphics")) for _ in range(n))
    static = data.draw(page(game, "static"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # overflow in float arithmetic on garbage: expected
        p, g = as_records(game, "physics", physics), as_records(game, "graphics", graphics)
        raw = decode_pages(game, p, g)
        info = decode_static(game, static)
        cols = derive_session(game, p, raw, np.arange(n) / 100.0, 0.0, info,
                              np.zeros(n), np.zeros(n))
    assert all(len(v) == n for v in cols.values())


@SETTINGS
@given(st.data())
def test_a_spool_of_any_pages_becomes_a_session_or_one_error(data: st.DataObject) -> None:
    game = data.draw(GAMES)
    n = data.draw(st.integers(1, 3))
    with tempfile.TemporaryDirectory() as tmp:
        spool = Path(tmp) / "s.spool"
        static = base64.b64encode(data.draw(page(game, "static"))).decode()
        writer = SpoolWriter(spool, {"game": game, "static_page": static, "rate": 100.0,
                                     "start_wall": 0.0})
        for i in range(n):
            writer.append(i / 100.0, data.draw(st.integers(-5, 2**40)), 0.0,
                          data.draw(page(game, "physics")), data.draw(page(game, "graphics")))
        writer.close()
        tail = data.draw(st.binary(max_size=64))
        with open(spool, "ab") as fh:
            fh.write(tail)  # a torn or foreign tail
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                out = finalize_spool(spool)
            except ActelemetryError:
                return
        assert out is not None and out.exists()


# --- the session file readers ----------------------------------------------------------------
@SETTINGS
@given(st.sampled_from([".parquet", ".csv", ".jsonl"]),
       st.one_of(st.binary(max_size=2000),
                 st.text(max_size=500).map(str.encode),
                 st.just(MAGIC)))
def test_any_file_is_a_session_or_one_clear_error(suffix: str, content: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"s{suffix}"
        path.write_bytes(content)
        with contextlib.suppress(ActelemetryError):
            inspect_source(path, 1)
        try:
            names = column_names(path)
            read_columns(path, sorted(names)[:3])
        except ActelemetryError:
            pass
