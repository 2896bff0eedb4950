"""Session bookkeeping against a scripted game in another process, in real time:
pauses leave marked gaps, restarts and another car open new files, quitting keeps them,
and the three file formats (and --raw) hold what the game wrote."""

from __future__ import annotations

import base64
import csv
import json
import multiprocessing as mp
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from actelemetry.capture.loop import CaptureOptions, run_capture
from actelemetry.capture.sinks import Sample, Session, SessionFileSink
from actelemetry.channels.catalogue import SEED_COLUMN_NAMES
from actelemetry.game.constants import STATUS_LIVE
from actelemetry.game.mapping import open_pages
from actelemetry.game.reader import PageReader
from actelemetry.store.session import session_metadata
from scripted_game import ScriptedGame, play_script, scripted_values


def start_game(folder: Path, script: list[tuple]) -> mp.Process:
    """The scripted game in another process; returns once its pages are live."""
    ScriptedGame(folder).close()
    proc = mp.get_context("spawn").Process(target=play_script, args=(str(folder), script))
    proc.start()
    reader = PageReader(open_pages(folder), "ac")
    deadline = time.monotonic() + 20
    while reader.status() != STATUS_LIVE or reader.packet_id() == 0:
        assert time.monotonic() < deadline and proc.is_alive(), "the scripted game did not start"
        time.sleep(0.005)
    reader.close()
    return proc


class StartWhenSeen:
    """A sink that lets the scripted game start its timed script once the capture has
    seen ``after`` samples: however long a busy machine takes to start the capture, the
    script's first pause cannot pass unseen before the capture is looking."""

    def __init__(self, go: Path, after: int = 20) -> None:
        self.go, self.after, self.seen = go, after, 0

    def open(self, session: Session) -> None: ...

    def write(self, sample: Sample) -> None:
        self.seen += 1
        if self.seen == self.after:
            self.go.touch()

    def close(self, session: Session) -> None: ...


def gated(go: Path, script: list[tuple]) -> list[tuple]:
    """``script`` after a live stretch that lasts until ``go`` appears."""
    return [("live", 120.0, {"until": str(go)}), *script]


SCRIPT = [
    ("live", 0.8, {}),
    ("pause", 0.6, {}),  # status PAUSE
    ("live", 0.5, {}),
    ("frozen", 0.6, {}),  # LIVE but the packetId stands still: AC's silent pause
    ("live", 0.5, {"laps": 1}),
    ("live", 0.5, {"pid": 10}),  # packetId restarts lower: a restart
    ("off", 0.3, {}),
    ("car", 0, {"name": "other_car"}),  # back from the menus in another car
    ("live", 0.6, {}),
    ("live", 0.5, {"laps": 0}),  # completedLaps goes back: a new session
    ("off", 1.6, {}),  # the game quits
]


def test_pauses_restarts_new_car_and_quitting(tmp_path: Path) -> None:
    go = tmp_path / "go"
    game = start_game(tmp_path / "shm", gated(go, SCRIPT))
    sink = SessionFileSink(tmp_path / "logs")
    opts = CaptureOptions(shm_dir=tmp_path / "shm", rate=100, wait=False, duration=60)
    result = run_capture(opts, [sink, StartWhenSeen(go)])
    game.join(10)
    assert result.stats.ended == "game quit"
    assert len(sink.paths) == 4, sink.paths
    tables = [pq.read_table(p).to_pydict() for p in sink.paths]
    first = tables[0]
    pids = np.array(first["packet_id"])
    assert np.all(np.diff(pids) > 0)
    # the two scripted pauses are marked gaps of about their length; a machine busy with
    # other work may stall either process too, which can only add short gaps, never hide
    # these two (a stall would have to cover a whole pause)
    gaps = np.array(first["gap_before_s"])
    long_gaps = gaps[gaps > 0.4]
    assert len(long_gaps) == 2 and np.all(long_gaps < 2.0), gaps[gaps > 0]
    quality = session_metadata(sink.paths[0])["quality"]
    assert quality["gaps"] == np.count_nonzero(gaps)
    t = np.array(first["session_time"])
    recorded = t[-1] - t[0] - gaps.sum()
    assert quality["achieved_rate_hz"] == pytest.approx((len(t) - 1) / recorded, rel=1e-3)
    assert max(first["completed_laps"]) == 1
    assert tables[1]["packet_id"][0] < 200  # the restart
    metas = [session_metadata(p) for p in sink.paths]
    assert [m["car"] for m in metas] == ["test_car", "test_car", "other_car", "other_car"]
    assert set(tables[3]["completed_laps"]) == {0}
    for table in tables:
        speeds = np.array([scripted_values(int(p))["speedKmh"] for p in table["packet_id"]])
        np.testing.assert_allclose(table["speed_kmh"], speeds)


def test_csv_jsonl_and_raw_hold_what_the_game_wrote(tmp_path: Path) -> None:
    go = tmp_path / "go"
    game = start_game(tmp_path / "shm", gated(go, [("live", 1.0, {}), ("off", 1.2, {})]))
    sinks = [SessionFileSink(tmp_path / "csv", "csv"), SessionFileSink(tmp_path / "jsonl", "jsonl"),
             SessionFileSink(tmp_path / "raw", "parquet", raw=True)]
    run_capture(CaptureOptions(shm_dir=tmp_path / "shm", rate=100, wait=False),
                [*sinks, StartWhenSeen(go)])
    game.join(10)
    paths = [s.paths[0] for s in sinks]
    with open(paths[0], newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][:38] == SEED_COLUMN_NAMES and len(SEED_COLUMN_NAMES) == 38
    lines = [json.loads(line) for line in paths[1].read_text().splitlines()]
    raw = pq.read_table(paths[2]).to_pydict()
    assert len(rows) - 1 == len(lines) == len(raw["packet_id"]) > 50
    assert [r["packet_id"] for r in lines] == raw["packet_id"]
    assert [float(r[rows[0].index("speed_kmh")]) for r in rows[1:]] == raw["speed_kmh"]
    for pid, page in zip(raw["packet_id"], raw["raw_physics"], strict=True):
        assert int.from_bytes(page[:4], "little") == pid
        values = scripted_values(pid)
        assert np.frombuffer(page, "<f4", 1, 28)[0] == pytest.approx(values["speedKmh"])
    meta = session_metadata(paths[2])
    static = base64.b64decode(meta["static_page"])
    assert static[:6] == "1.7".encode("utf-16-le")
    assert (paths[0].with_name(paths[0].name + ".meta.json")).exists()
