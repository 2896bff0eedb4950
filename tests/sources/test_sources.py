"""The sources as the capture sees them: the game's folder, the simulator in lockstep and
in a child process, and the child entry point's errors."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from actelemetry.errors import GameNotRunning, UsageError
from actelemetry.game.constants import STATUS_LIVE
from actelemetry.game.mapping import open_pages
from actelemetry.game.reader import PageReader
from actelemetry.sources import child
from actelemetry.sources.base import PublishedSource, SourceKind
from actelemetry.sources.game import GameSource
from actelemetry.sources.sim import SimSpec, sim_source


def test_a_game_folder_is_the_game_without_its_process(tmp_path: Path) -> None:
    source = GameSource(tmp_path)
    assert source.kind is SourceKind.shm and source.is_game and not source.watch_process
    assert source.alive() is None  # only the pages can tell
    with pytest.raises(GameNotRunning):
        source.open_pages()


def test_lockstep_simulator_steps_when_its_clock_sleeps() -> None:
    with sim_source(SimSpec(laps=1, fast=True)) as source:
        assert source.kind is SourceKind.sim and not source.is_game
        assert not source.clock.realtime and source.alive() is True
        reader = PageReader(source.open_pages(), "ac")
        first = reader.packet_id()
        source.clock.sleep_until(source.clock.now() + 0.5)
        assert reader.status() == STATUS_LIVE
        assert reader.packet_id() - first == pytest.approx(0.5 * 333, abs=2)
        reader.close()
        assert isinstance(source, PublishedSource)
        location = source.location
    with pytest.raises(GameNotRunning):  # the private pages went with the source
        open_pages(location)
    if location.folder is not None:
        assert not location.folder.exists()


def test_simulator_child_writes_live_pages() -> None:
    with sim_source(SimSpec(laps=1)) as source:
        assert source.clock.realtime and source.alive() is True
        reader = PageReader(source.open_pages(), "ac")
        deadline = time.monotonic() + 60
        while reader.packet_id() < 10:  # the child steps on its own
            assert time.monotonic() < deadline and source.alive(), "the child never stepped"
            time.sleep(0.01)
        assert reader.status() == STATUS_LIVE
        assert reader.static()[:4] == "1.".encode("utf-16-le")  # smVersion
        reader.close()


def test_a_child_that_cannot_start_is_one_line(tmp_path: Path) -> None:
    source = sim_source(SimSpec(track="nowhere"))
    with pytest.raises(UsageError, match="the simulator did not start: error: unknown track"):
        source.__enter__()


@pytest.mark.parametrize("arg", ["not json", "[1, 2]", json.dumps({"kind": "tape"})])
def test_the_child_entry_point_refuses_a_bad_job(arg: str, capsys: pytest.CaptureFixture[str],
                                                  tmp_path: Path) -> None:
    job = arg if "kind" not in arg else json.dumps({**json.loads(arg),
                                                     "pages": f"folder:{tmp_path}"})
    assert child.main([job]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1


def test_a_speed_must_be_positive() -> None:
    with pytest.raises(UsageError, match="--speed must be positive"):
        SimSpec(speed=0)


def test_the_capture_s_skill_reaches_the_simulated_driver() -> None:
    from actelemetry.capture.options import CaptureOptions, open_source
    from actelemetry.sources.sim import SimClock

    with open_source(CaptureOptions(source="sim", fast=True, sim_laps=1, skill=0.1)) as src:
        assert isinstance(src, PublishedSource) and isinstance(src.clock, SimClock)
        assert src.clock.sim.skill == 0.1


def test_a_child_s_pages_outlive_it_until_the_source_ends() -> None:
    """Pages that live only while a handle is open (named mappings) are held by the
    parent, so a child that has ended leaves them readable, as a folder's files are."""
    from dataclasses import asdict

    from actelemetry.game.mapping import private_pages
    from actelemetry.sources.child import run_child

    with private_pages() as location:
        job: dict[str, object] = {"kind": "sim", **asdict(SimSpec(laps=1))}
        with run_child(job, location, "simulator") as proc:
            reader = PageReader(open_pages(location), "ac")
            wait_for_steps(reader, lambda: proc.poll() is None)
            reader.close()
            proc.kill()  # no goodbye: the child's own handles close with it
            proc.wait(60)
            reader = PageReader(open_pages(location), "ac")
            assert reader.packet_id() > 0 and reader.status() == STATUS_LIVE
            assert reader.static()[:4] == "1.".encode("utf-16-le")  # smVersion
            reader.close()
        if location.named:  # let go by the source: gone
            with pytest.raises(GameNotRunning):
                open_pages(location)


def test_the_simulator_inside_a_capture_publishes_at_a_private_location() -> None:
    """Named mappings where the game's are (Windows), a private folder elsewhere; never
    the game's own names."""
    from actelemetry.capture.options import CaptureOptions, open_source
    from actelemetry.game.mapping import NAMED_MAPPINGS, PageLocation

    for fast in (True, False):
        with open_source(CaptureOptions(source="sim", fast=fast, sim_laps=1)) as src:
            assert isinstance(src, PublishedSource)
            assert src.location.named == NAMED_MAPPINGS
            assert src.location != PageLocation()
            reader = PageReader(src.open_pages(), "ac")
            if not src.clock.realtime:  # lockstep: it steps when the capture sleeps
                src.clock.sleep_until(src.clock.now() + 0.1)
            wait_for_steps(reader, lambda: src.alive() is not False)
            assert reader.static()[:4] == "1.".encode("utf-16-le")
            reader.close()


def wait_for_steps(reader: PageReader, alive: Callable[[], bool]) -> None:
    """Until the writer has stepped (its pages are whole): generous, for a busy machine."""
    deadline = time.monotonic() + 60
    while reader.packet_id() < 1:
        assert time.monotonic() < deadline and alive(), "the writer never stepped"
        time.sleep(0.01)
