"""The live backend against the simulator's pages published in real time.

The simulator runs on the wall clock (a thread here, or `actelemetry sim --pad` as a child
process) and follows a virtual pad file, the way the game follows a uinput or ViGEm pad;
the env reads its pages through the capture's reader and drives it through the pad.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path

import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

from actelemetry.errors import UsageError
from actelemetry.game.controls import ControlsUnavailable, open_controls
from actelemetry.game.mapping import private_pages
from actelemetry.game.writer import PageWriter
from actelemetry.gym import RacingEnv
from actelemetry.sim import Simulator, run_realtime
from actelemetry.sim.pad import attach_pad, read_pad
from actelemetry.sim.simulator import Simulator as SimulatorType

FULL_GAS = np.array([0.0, 1.0, 0.0], dtype=np.float32)
NEUTRAL = (0.0, 0.0, 0.0)
ROOT = Path(__file__).resolve().parents[2]


def wait_for(done: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


class RealtimeSim:
    """A simulator publishing private pages (a folder, or named mappings on Windows) on the
    wall clock in a thread, driven by a pad file in ``folder``."""

    def __init__(self, folder: Path) -> None:
        self._pages = ExitStack()
        self.location = self._pages.enter_context(private_pages())
        self.pad = folder / "pad"
        self.publisher = PageWriter(self.location, "ac")
        self.sim: SimulatorType = Simulator(game="ac", track="monza", laps=1000, seed=0,
                                            publisher=self.publisher)
        attach_pad(self.sim, self.pad)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=run_realtime, args=(self.sim,),
                                       kwargs={"stop": self.stop}, daemon=True)
        self.thread.start()

    def env(self, **kwargs: object) -> RacingEnv:
        return RacingEnv(backend="live", controls=f"pad:{self.pad}", shm_dir=self.location,
                         **kwargs)

    def pad_is_neutral(self) -> bool:
        return read_pad(self.pad)[:3] == NEUTRAL

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=30)
        self.publisher.close()
        self._pages.close()


@pytest.fixture
def live_sim(tmp_path: Path) -> Iterator[RealtimeSim]:
    sim = RealtimeSim(tmp_path)
    yield sim
    sim.close()


def test_passes_gymnasiums_checker_without_a_warning(live_sim: RealtimeSim) -> None:
    env = live_sim.env()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_env(env, skip_render_check=True)
    env.close()


def test_the_agent_drives_the_car_and_reset_restarts_the_session(
        live_sim: RealtimeSim) -> None:
    env = live_sim.env()
    obs, info = env.reset(seed=0)
    speed = env.observation_names.index("speed_ms")
    assert obs[speed] < 0.5 and info["observation_names"][speed] == "speed_ms"
    start = time.monotonic()
    game_start = info["lap_time_ms"]
    for _ in range(40):  # 2 s at 20 Hz on the wall clock
        obs, _, terminated, truncated, info = env.step(FULL_GAS)
        assert not (terminated or truncated)
    assert time.monotonic() - start >= 1.9, "the control rate is the wall clock's"
    # a starved simulator (a busy machine) runs behind the wall clock: judge the speed
    # after 2 s of the game's own clock, however long that takes here
    for _ in range(400):
        if info["lap_time_ms"] - game_start >= 2000:
            break
        obs, _, terminated, truncated, info = env.step(FULL_GAS)
        assert not (terminated or truncated)
    assert obs[speed] > 10.0 and info["progress_m"] > 5.0
    assert live_sim.sim.car.s.gas == 1.0
    obs, info = env.reset()
    assert obs[speed] < 0.5 and info["lap_time_ms"] < 1000
    env.close()
    assert live_sim.pad_is_neutral()


def test_controls_are_released_on_close(live_sim: RealtimeSim) -> None:
    env = live_sim.env()
    env.reset(seed=0)
    env.step(FULL_GAS)
    assert read_pad(live_sim.pad)[1] == 1.0
    env.close()
    assert live_sim.pad_is_neutral()
    wait_for(lambda: live_sim.sim.car.s.gas == 0.0)  # and the car feels it


def test_controls_are_released_on_an_exception_in_step(live_sim: RealtimeSim) -> None:
    env = live_sim.env()
    env.reset(seed=0)
    env.step(FULL_GAS)
    backend = env._backend
    sensor = backend._sensor

    def broken(t: float) -> dict:
        raise OSError("the pages went away")

    sensor.read = broken  # the reader fails mid-episode, after the action went out
    with pytest.raises(OSError):
        env.step(FULL_GAS)
    assert live_sim.pad_is_neutral()
    env.close()


def test_controls_are_released_when_the_pages_stop(live_sim: RealtimeSim) -> None:
    env = live_sim.env(stale_s=0.3)
    env.reset(seed=0)
    env.step(FULL_GAS)
    live_sim.sim.pause()  # the game paused: the pages stop advancing
    wait_for(live_sim.pad_is_neutral)  # the watchdog lets go without any step
    truncated, info = False, {}
    for _ in range(40):
        _, _, _, truncated, info = env.step(FULL_GAS)
        if truncated:
            break
    assert truncated and info["end"] == "stalled"
    assert live_sim.pad_is_neutral()
    live_sim.sim.resume()
    env.close()


def test_controls_are_released_when_the_agent_stops_sending(live_sim: RealtimeSim) -> None:
    env = live_sim.env(stale_s=0.3)
    env.reset(seed=0)
    env.step(FULL_GAS)
    assert read_pad(live_sim.pad)[1] == 1.0
    wait_for(live_sim.pad_is_neutral)  # a learner busy with an update holds nothing
    env.close()


DRIVER = textwrap.dedent("""\
    import faulthandler
    import signal
    import sys
    import numpy as np
    faulthandler.register(signal.SIGUSR1, all_threads=True)  # where it is, should it hang
    # Ctrl+C as at a terminal: a run started in the background by a script inherits
    # SIGINT ignored, and the controls then (rightly) keep that after releasing
    signal.signal(signal.SIGINT, signal.default_int_handler)
    from actelemetry.gym import RacingEnv
    env = RacingEnv(backend="live", controls="pad:" + sys.argv[2], shm_dir=sys.argv[1],
                    reset_mode="none", stale_s=30.0)
    env.reset(seed=0)
    print("driving", flush=True)
    while True:
        env.step(np.array([0.0, 1.0, 0.0], dtype=np.float32))
""")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals: Windows cannot send "
                    "SIGTERM or SIGINT to another process")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_controls_are_released_when_the_agent_process_is_signalled(
        sig: signal.Signals) -> None:
    """`actelemetry sim --pad` in one process, the agent in another, signalled mid-lap."""
    env_vars = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    with tempfile.TemporaryDirectory() as tmp:
        folder, pad = Path(tmp), Path(tmp) / "pad"
        sim = subprocess.Popen([sys.executable, "-m", "actelemetry", "sim", "--shm-dir",
                                str(folder), "--pad", str(pad), "--laps", "100", "--quiet"],
                               env=env_vars, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        agent = None
        try:
            wait_for(pad.exists)
            agent = subprocess.Popen([sys.executable, "-c", DRIVER, str(folder), str(pad)],
                                     env=env_vars, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
            assert agent.stdout is not None
            assert agent.stdout.readline().strip() == "driving", agent.stderr
            wait_for(lambda: read_pad(pad)[1] == 1.0)
            agent.send_signal(sig)
            try:  # (communicate drains its pipes: a full pipe never holds it)
                agent.communicate(timeout=120)
            except subprocess.TimeoutExpired:
                agent.send_signal(signal.SIGUSR1)
                time.sleep(2)
                agent.kill()
                _, err = agent.communicate(timeout=30)
                pytest.fail(f"the agent did not stop within 120 s of {sig.name}; its threads:\n"
                            f"{err}")
            assert agent.returncode != 0  # it stopped, as the signal asks
            assert read_pad(pad)[:3] == NEUTRAL
        finally:
            for proc in (agent, sim):
                if proc is not None and proc.poll() is None:
                    proc.terminate()
                    proc.wait(timeout=30)


def test_live_needs_controls_and_pages(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="needs controls"):
        RacingEnv(backend="live")
    with pytest.raises(ControlsUnavailable, match="no pad"):
        RacingEnv(backend="live", controls=f"pad:{tmp_path / 'none'}")
    with pytest.raises(UsageError, match="unknown controls"):
        RacingEnv(backend="live", controls="joystick")


def test_uinput_pad_sends_and_releases() -> None:
    """Linux's virtual pad, where this machine has one."""
    if sys.platform != "linux":
        pytest.skip("uinput is Linux's")
    try:
        pad = open_controls("uinput")
    except ControlsUnavailable as exc:
        pytest.skip(f"no uinput device here: {exc}")
    pad.send(0.5, 1.0, 0.0)
    pad.release()
    pad.close()


def test_vgamepad_sends_and_releases() -> None:
    """Windows' ViGEm pad, where this machine has one."""
    if sys.platform != "win32":
        pytest.skip("ViGEm is Windows'")
    try:
        pad = open_controls("vgamepad")
    except ControlsUnavailable as exc:
        pytest.skip(f"no ViGEm bus here: {exc}")
    pad.send(0.5, 1.0, 0.0)
    pad.release()
    pad.close()
