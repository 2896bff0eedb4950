"""A scripted stand-in for the game: real pages in the game's byte layout, written in place.

Unlike the simulator it writes exactly the values a test chooses, so a test can check
that what the reader decodes equals what was written, field by field.
"""

from __future__ import annotations

import ctypes
import mmap
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
            with open(path, "wb") as fh:
                fh.write(bytes(size))
            fh = open(path, "r+b")  # noqa: SIM115 - kept open with the mapping
            self._maps[page] = mmap.mmap(fh.fileno(), size)
            fh.close()
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
