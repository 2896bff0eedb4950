"""The commands as users run them: ``sim --udp`` in one process, ``read --source udp`` in
another, on loopback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from udp_helpers import oval_track

from actelemetry.channels.udp import UDP_CHANNELS
from actelemetry.game.host import ask_to_stop, child_options
from actelemetry.game.mapping import NAMED_MAPPINGS

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "capture"))
from cli_helpers import ENV, finish, one_line_error, run_cli


def test_read_from_the_simulator_serving_udp(tmp_path: Path) -> None:
    sim = subprocess.Popen(
        [sys.executable, "-m", "actelemetry", "sim", "--udp", "--udp-port", "0", "--track",
         str(oval_track(tmp_path)), "--laps", "5", "--quiet"],
        env=ENV, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        **child_options())
    try:
        assert sim.stdout is not None
        line = sim.stdout.readline()  # printed before the car moves, even --quiet
        assert line.startswith("UDP: AC remote telemetry on 127.0.0.1:"), line
        port = line.rsplit(":", 1)[1].strip()
        out = tmp_path / "live.jsonl"
        done = run_cli("read", "--source", "udp", "--host", "127.0.0.1", "--port", port,
                       "--rate", "20", "--duration", "3", "-j", str(out), timeout=120)
        assert done.returncode == 0, done.stderr
        rows = [json.loads(x) for x in out.read_text().splitlines()]
        assert len(rows) >= 10
        assert all(0 <= r["speed_kmh"] < 400 for r in rows)
        # what UDP does not carry is absent, as in session files
        assert set(rows[0]) == set(UDP_CHANNELS)
        # and the console says so instead of showing zeros
        assert "validity unknown  out –" in done.stdout
    finally:
        ask_to_stop(sim)  # SIGTERM; CTRL_BREAK_EVENT on Windows
        finish(sim, timeout=60)


def test_sim_udp_refuses_acc_and_needs_somewhere_to_publish() -> None:
    assert "AC's" in one_line_error(run_cli("sim", "--udp", "--game", "acc"))
    if not NAMED_MAPPINGS:  # on Windows the game's named mappings are the default place
        assert "--shm-dir" in one_line_error(run_cli("sim"))
