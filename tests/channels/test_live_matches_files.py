"""Live sinks and session files derive channels with the same rules."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from actelemetry.channels.decode import as_records, decode_pages, decode_static
from actelemetry.channels.derive import LiveDeriver
from actelemetry.store.session import session_metadata

LIVE_EQUALS_FILE = ("speed_ms", "gear", "accel_lateral", "accel_longitudinal", "abs_steer",
                    "gas_smooth", "lap_distance_m", "wheel_lock_fl", "wheel_lock_fr",
                    "wheel_lock_rl", "wheel_lock_rr", "wheel_lock_any", "damage_level")


def test_live_derivation_of_each_sample_equals_the_file(
        make_sim_session: Callable[..., Path]) -> None:
    path = make_sim_session(raw=True)
    game = "ac"
    table = pq.read_table(path).to_pydict()
    static = decode_static(game, base64.b64decode(session_metadata(path)["static_page"]))
    live = LiveDeriver(game, static)
    got: dict[str, list] = {name: [] for name in LIVE_EQUALS_FILE}
    for k, (phys, gfx) in enumerate(zip(table["raw_physics"], table["raw_graphics"],
                                        strict=True)):
        physics = as_records(game, "physics", phys)
        raw = decode_pages(game, physics, as_records(game, "graphics", gfx))
        values = live.derive(physics, raw, table["session_time"][k], 0.0, 0, 0.0)
        for name in LIVE_EQUALS_FILE:
            got[name].append(values[name])
    assert any(table["wheel_lock_any"]), "the session should contain a lock-up to compare"
    for name in LIVE_EQUALS_FILE:
        np.testing.assert_allclose(np.asarray(got[name], dtype="f8"),
                                   np.asarray(table[name], dtype="f8"), rtol=1e-5, atol=1e-6,
                                   err_msg=name)
