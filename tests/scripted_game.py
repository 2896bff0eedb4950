"""A scripted stand-in for the game: real pages in the game's byte layout, written in place.

Unlike the simulator it writes exactly the values a test chooses, so a test can check
that what the reader decodes equals what was written, field by field.
"""

from __future__ import annotations

import ctypes
import mmap
import time
from pathlib import Path

from actelemetry.game.layouts import LAYOUTS
from actelemetry.game.mapping import BRIDGE_FILE_SIZE, PAGE_NAMES


def put_text(field: ctypes.Array, text: str) -> None:
    units = text.encode("utf-16-le")
    for i in range(len(field)):
        field[i] = int.from_bytes(units[2 * i:2 * i + 2], "little") if 2 * i < len(units) else 0


class ScriptedGame:
    """Writes AC/ACC pages into ``folder`` the way the game does (in place, no lock)."""

    def __init__(self, folder: Path, game: str = "ac", size: int = BRIDGE_FILE_SIZE) -> None:
        self.folder = Path(folder)
        self.game = game
        self.physics = LAYOUTS[(game, "physics")]()
        self.graphics = LAYOUTS[(game, "graphics")]()
        self.static = LAYOUTS[(game, "static")]()
        self._maps: dict[str, mmap.mmap] = {}
        self.folder.mkdir(parents=True, exist_ok=True)
        for page, name in PAGE_NAMES.items():
            path = self.folder / name
            # pages that exist are zeroed in place, never truncated: a reader may be
            # reading them already, as it may while a game starts
            if not path.is_file() or path.stat().st_size != size:
                with open(path, "wb") as fh:
                    fh.write(bytes(size))
            fh = open(path, "r+b")  # noqa: SIM115 - kept open with the mapping
            self._maps[page] = mmap.mmap(fh.fileno(), size)
            fh.close()
            self._maps[page][:] = bytes(size)
        put_text(self.static.smVersion, "1.7" if game == "ac" else "1.8.12")
        put_text(self.static.acVersion, "1.16.4")
        put_text(self.static.carModel, "test_car")
        put_text(self.static.track, "test_track")
        put_text(self.static.playerName, "Test")
        put_text(self.static.playerSurname, "Driver")
        self.static.trackSPlineLength = 5000.0
        self.static.tyreRadius[:] = [0.33, 0.33, 0.34, 0.34]
        self.static.maxRpm = 8000
        if game == "acc":
            self.static.isOnline = 0
            put_text(self.static.dryTyresName, "DHE")
            self.graphics.activeCars = 1
            self.graphics.carID[0] = 7
            self.graphics.playerCarID = 7
        self.write_page("static")

    def write_page(self, page: str) -> None:
        data = bytes(getattr(self, page))
        self._maps[page][: len(data)] = data

    def step(self, packet_id: int, status: int = 2, **physics: float) -> None:
        """Publish one physics step (and the graphics page) with the given values."""
        self.physics.packetId = packet_id
        for name, value in physics.items():
            setattr(self.physics, name, value)
        self.graphics.packetId = packet_id
        self.graphics.status = status
        self.write_page("physics")
        self.write_page("graphics")

    def close(self) -> None:
        for m in self._maps.values():
            m.close()


STEP_S = 0.003


def scripted_values(pid: int) -> dict[str, float]:
    """What :func:`play_script` publishes at packet ``pid`` (a test's ground truth)."""
    return {"speedKmh": float(pid % 300), "gas": (pid % 100) / 100.0,
            "brake": (pid % 7) / 7.0, "rpms": 1000 + pid % 7000, "gear": 2 + pid % 5}


def play_script(folder: str, script: list[tuple], game: str = "ac") -> None:
    """Play a scenario in real time, as the game would (run it in another process).

    Each segment is ``(action, seconds, options)``:

    * ``live``: a physics step every 3 ms (packetId +1, the values of
      :func:`scripted_values`); options ``pid`` restarts the counter, ``laps`` sets
      completedLaps, ``session`` the session type, ``until`` a file whose appearing ends
      the segment early (a test says when it has seen enough, however busy the machine).
    * ``pause`` / ``frozen`` / ``off`` / ``replay``: status PAUSE / LIVE / OFF / REPLAY with
      the packetId standing still.
    * ``car``: another car on the static page (instant).
    * ``remove``: the page files are deleted (the game and its bridge have gone).
    """
    game_pages = ScriptedGame(Path(folder), game)
    pid, laps, session = 1000, 0, 2
    status_of = {"pause": 3, "frozen": 2, "off": 0, "replay": 1}
    try:
        for action, seconds, options in script:
            if action == "car":
                put_text(game_pages.static.carModel, options["name"])
                game_pages.write_page("static")
                continue
            if action == "remove":
                for name in PAGE_NAMES.values():
                    (Path(folder) / name).unlink(missing_ok=True)
                continue
            pid = options.get("pid", pid)
            laps = options.get("laps", laps)
            session = options.get("session", session)
            game_pages.graphics.completedLaps = laps
            game_pages.graphics.session = session
            t0 = time.perf_counter()
            if action != "live":
                game_pages.step(pid, status=status_of[action], **scripted_values(pid))
                time.sleep(seconds)
                continue
            k, until = 0, options.get("until")
            while (now := time.perf_counter() - t0) < seconds:
                if until is not None and Path(until).exists():
                    break
                game_pages.graphics.normalizedCarPosition = (pid % 400) / 400.0
                game_pages.graphics.iCurrentTime = (pid % 400) * 3
                game_pages.step(pid, **scripted_values(pid))
                pid, k = pid + 1, k + 1
                time.sleep(max(0.0, k * STEP_S - now))
    finally:
        game_pages.close()
