"""The live path (one sample's page bytes through a compiled ``struct`` plan and scalar
formulas) equals the NumPy path (:func:`decode_pages`, and :func:`derive_session`'s last row
over a window) value for value, type for type: over a recorded session and over pages of
random bytes, whose NaNs, infinities and wild integers reach every rounding and wrapping
rule."""

from __future__ import annotations

import base64
import struct
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from actelemetry.channels.catalogue import Values
from actelemetry.channels.decode import (
    StaticInfo,
    as_records,
    decode_pages,
    decode_sample,
    decode_static,
)
from actelemetry.channels.derive import LiveDeriver, WindowDeriver
from actelemetry.game.dtypes import page_size
from actelemetry.store.session import session_metadata


def _same(got: Values, want: Values) -> None:
    assert list(got) == list(want)
    for name, w in want.items():
        g = got[name]
        assert type(g) is type(w), (name, g, w)
        assert g == w or (g != g and w != w), (name, g, w)  # NaN equals NaN here


def _row(game: str, physics: bytes, graphics: bytes) -> tuple[np.ndarray, Values]:
    """The NumPy path's physics records and page channels of one sample."""
    with np.errstate(all="ignore"):
        p = as_records(game, "physics", physics)
        raw = decode_pages(game, p, as_records(game, "graphics", graphics))
    return p, raw


def _random_pages(game: str, rng: np.random.Generator, n: int) -> list[tuple[bytes, bytes]]:
    """Pages of random bytes; in two samples of three, plausible driving values (so wheels
    lock, damage crosses its bands, laps go by) and, in ACC, the player in a random slot."""
    phys_fields = as_records(game, "physics", bytes(page_size(game, "physics"))).dtype.fields
    gfx_fields = as_records(game, "graphics", bytes(page_size(game, "graphics"))).dtype.fields
    assert phys_fields is not None and gfx_fields is not None
    pages = []
    for k in range(n):
        p = bytearray(rng.integers(0, 256, page_size(game, "physics"), dtype=np.uint8))
        g = bytearray(rng.integers(0, 256, page_size(game, "graphics"), dtype=np.uint8))
        if k % 3:
            for name, top in (("speedKmh", 300), ("gas", 1), ("brake", 1), ("steerAngle", 1)):
                struct.pack_into("<f", p, phys_fields[name][1], rng.uniform(0, top))
            struct.pack_into("<4f", p, phys_fields["wheelAngularSpeed"][1],
                             *rng.uniform(0, 100, 4))
            struct.pack_into("<5f", p, phys_fields["carDamage"][1],
                             *rng.choice([0.0, 0.1, float(np.float32(0.1)), 0.3, 0.5], 5))
            struct.pack_into("<i", g, gfx_fields["completedLaps"][1], k // 50)
            struct.pack_into("<f", g, gfx_fields["normalizedCarPosition"][1], rng.uniform(0, 1))
            if game == "acc":
                ids_at = gfx_fields["carID"][1]
                player = struct.unpack_from("<i", g, ids_at + 4 * int(rng.integers(60)))[0]
                struct.pack_into("<i", g, gfx_fields["playerCarID"][1], player)
        pages.append((bytes(p), bytes(g)))
    return pages


def _compare(game: str, static: StaticInfo, smoothing: int,
             samples: list[tuple[bytes, bytes, float, int, float]]) -> None:
    live, window = LiveDeriver(game, static, smoothing), WindowDeriver(game, static, smoothing)
    for physics, graphics, t, skipped, gap in samples:
        p, raw = _row(game, physics, graphics)
        _same(decode_sample(game, physics, graphics),
              {k: (v[0] if v.dtype == object else v.item(0)) for k, v in raw.items()})
        got = live.derive(physics, graphics, t, 1.7e9, skipped, gap)
        with np.errstate(all="ignore"):
            want = window.derive(p, raw, t, 1.7e9, skipped, gap)
        _same(got, want)


@pytest.mark.parametrize("game", ["ac", "acc"])
@pytest.mark.parametrize("track_length", [5793.0, 0.0])
def test_random_pages_decode_and_derive_alike_both_ways(game: str, track_length: float) -> None:
    rng = np.random.default_rng(7)
    static = StaticInfo(track_length_m=track_length, tyre_radius_m=(0.3, 0.31, 0.0, 0.33))
    samples = [(p, g, k * 0.003 + rng.uniform(0, 0.001), int(rng.integers(0, 3)),
                rng.uniform(0, 0.01)) for k, (p, g) in enumerate(_random_pages(game, rng, 300))]
    _compare(game, static, 5, samples)


@pytest.mark.slow
@pytest.mark.parametrize("smoothing", [5, 1, 2])
def test_a_recorded_session_decodes_and_derives_alike_both_ways(
        make_sim_session: Callable[..., Path], smoothing: int) -> None:
    """Every sample of a session (with and without the track length: the spline distance
    or the speed integral) through both paths."""
    path = make_sim_session(raw=True, rate=25)
    cols = pq.read_table(path, columns=["raw_physics", "raw_graphics", "session_time",
                                        "packets_skipped", "gap_before_s"]).to_pydict()
    static = decode_static("ac", base64.b64decode(session_metadata(path)["static_page"]))
    samples = list(zip(cols["raw_physics"], cols["raw_graphics"], cols["session_time"],
                       cols["packets_skipped"], cols["gap_before_s"], strict=True))[:2500]
    for s in (static, replace(static, track_length_m=0.0)):
        _compare("ac", s, smoothing, samples)


def test_acc_player_position_is_found_at_a_slot_boundary_only() -> None:
    """The player's id spelled across two slots (bytes 2..5 of the id array) is no match;
    the slot that holds it is, as NumPy's argmax finds it; no slot holding it means slot 0."""
    game = "acc"
    fields = as_records(game, "graphics", bytes(page_size(game, "graphics"))).dtype.fields
    assert fields is not None
    ids_at, player_at = fields["carID"][1], fields["playerCarID"][1]
    coords_at = fields["carCoordinates"][1]
    physics = bytes(page_size(game, "physics"))
    for ids, player, slot_x in (([0x02010000, 0x00000403, 7, 0x04030201], 0x04030201, 3.0),
                                 ([5, 6], 9, 0.0)):
        g = bytearray(page_size(game, "graphics"))
        struct.pack_into(f"<{len(ids)}i", g, ids_at, *ids)
        struct.pack_into("<i", g, player_at, player)
        for slot in range(60):
            struct.pack_into("<3f", g, coords_at + 12 * slot, slot, -slot, 0.5 * slot)
        _, raw = _row(game, physics, bytes(g))
        got = decode_sample(game, physics, bytes(g))
        assert [got[k] for k in ("pos_x", "pos_y", "pos_z")] == [
            raw[k].item(0) for k in ("pos_x", "pos_y", "pos_z")]
        assert got["pos_x"] == slot_x
