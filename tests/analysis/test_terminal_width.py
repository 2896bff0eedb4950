"""Every table the CLI prints, at 80 columns on a terminal and piped: no value is cut or
elided, and piped output is plain text a program can read."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from actelemetry.analysis.query import run_query
from actelemetry.capture.summary import summarize_session
from actelemetry.timefmt import lap_time_s

ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
BOX = set("┏┳┓┃┡╇┩│└┴┘━─")


def run(args: list[str], terminal: bool, columns: int = 80) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env["COLUMNS"] = str(columns)
    if terminal:
        env["FORCE_COLOR"] = "1"  # Rich draws as on a terminal of COLUMNS width
    proc = subprocess.run([sys.executable, "-m", "actelemetry", *args], capture_output=True,
                          text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return ANSI.sub("", proc.stdout)


def assert_whole(text: str, width: int | None) -> None:
    assert "…" not in text  # what Rich puts where it cuts a value
    if width is not None:
        assert max(len(line) for line in text.splitlines()) <= width


def commands(session: Path) -> dict[str, list[str]]:
    s = str(session)
    return {
        "analyze": ["analyze", s, "--no-graphs"],
        "compare": ["compare", f"{s}:2", f"{s}:3", "--no-html"],
        "sql laps": ["sql", "SELECT * FROM laps", s],
        "sql sessions": ["sql", "SELECT * FROM sessions", s],
        "sql telemetry": ["sql", "SELECT * FROM telemetry LIMIT 3", s],
        "channels": ["channels"],
    }


@pytest.mark.parametrize("terminal", [True, False], ids=["terminal-80", "piped"])
@pytest.mark.parametrize("name", ["analyze", "compare", "sql laps", "sql sessions",
                                  "sql telemetry", "channels"])
def test_every_table_keeps_every_value(name: str, terminal: bool, three_laps: Path) -> None:
    out = run(commands(three_laps)[name], terminal)
    assert_whole(out, 80 if terminal else None)
    if not terminal:
        assert not BOX & set(out), "box drawing when piped"
    if name in ("analyze", "sql laps"):
        laps = run_query("SELECT lap, game_time_s FROM laps", [three_laps]).rows()
        for lap in laps:
            if lap["game_time_s"] is not None:
                shown = lap_time_s(lap["game_time_s"]) if name == "analyze" else \
                    f"{lap['game_time_s']:.6f}".rstrip("0").rstrip(".")
                assert shown in out, (shown, name)
    if name == "sql sessions":  # the long path is whole, even if wrapped at the edge
        path = str(three_laps)
        assert path in out.replace("\n", "") if terminal else path in out
    if name == "channels":
        assert "wheel_slip_fl" in out and "speed_kmh" in out


@pytest.mark.parametrize("fmt", ["csv", "json", "markdown"])
def test_sql_formats_for_programs(fmt: str, three_laps: Path) -> None:
    out = run(["sql", "SELECT lap, game_time_s, valid FROM laps", str(three_laps),
               "--format", fmt], terminal=True)
    rows = run_query("SELECT lap, game_time_s, valid FROM laps", [three_laps]).rows()
    if fmt == "json":
        assert [r["lap"] for r in json.loads(out)] == [r["lap"] for r in rows]
    elif fmt == "csv":
        lines = out.strip().splitlines()
        assert lines[0] == "lap,game_time_s,valid" and len(lines) == len(rows) + 1
    else:
        assert out.splitlines()[0].startswith("| lap | game_time_s | valid |")


def test_summary_words_and_time_format(three_laps: Path) -> None:
    text = "\n".join(summarize_session(three_laps).lines())
    assert "Max acceleration:" in text and "Max braking:" in text
    assert "left out, as asked" in text  # 100 Hz of a 333 Hz game: normal, and said so
    assert "duplicates refused" not in text and "not sampled" not in text
    assert re.search(r"Best valid lap:\s+\d:\d\d\.\d\d\d", text)
    assert re.search(r"Timed laps:\s+3 \(\+\d out or partial\)", text)
