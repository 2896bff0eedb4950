"""Telling AC from ACC at run time: process, then page contents (spec: acc_shared_memory.md §8)."""

from __future__ import annotations

import struct

from actelemetry.errors import PageError
from actelemetry.game.dtypes import decode_text, page_size
from actelemetry.game.layouts import AccGraphics, AccStatic, AcStatic

#: executable names of the games (Windows, or under Proton in /proc/<pid>/cmdline)
PROCESS_NAMES = {"acs.exe": "ac", "ac2-win64-shipping.exe": "acc"}
STEAM_APP_IDS = {"244210": "ac", "805550": "acc"}


def running_game() -> tuple[str, str] | None:
    """(game, reason) from the running processes, or None when neither game runs."""
    import psutil  # loaded here: listing processes is the only use, and it is slow to load
    for proc in psutil.process_iter(["name", "cmdline"]):
        try:
            names = [proc.info.get("name") or "", *(proc.info.get("cmdline") or [])]
        except Exception:
            continue
        for name in names:
            base = name.replace("\\", "/").rsplit("/", 1)[-1].lower()
            if base in PROCESS_NAMES:
                return PROCESS_NAMES[base], f"process {base} is running"
    return None


def _int_at(raw: bytes, offset: int) -> int | None:
    return struct.unpack_from("<i", raw, offset)[0] if len(raw) >= offset + 4 else None


def detect_from_pages(static: bytes, graphics: bytes) -> tuple[str, str]:
    """(game, reason) from the page contents alone: structural probes, then smVersion."""
    active = _int_at(graphics, AccGraphics.activeCars.offset)
    player = _int_at(graphics, AccGraphics.playerCarID.offset)
    if active is not None and player is not None and 1 <= active <= 60 \
            and len(graphics) >= page_size("acc", "graphics"):
        ids = struct.unpack_from(f"<{active}i", graphics, AccGraphics.carID.offset)
        if player in ids:
            return "acc", f"graphics page holds {active} ACC car slot(s) with the player's id"
    online = _int_at(static, AccStatic.isOnline.offset)
    if online in (0, 1) and len(static) >= page_size("acc", "static"):
        import numpy as np

        off = AccStatic.dryTyresName.offset
        tyres = decode_text(np.frombuffer(static[off:off + 66], dtype="<u2"))
        if tyres and tyres.isprintable():
            return "acc", f"static page names ACC dry tyres {tyres!r}"
    import numpy as np

    version = decode_text(np.frombuffer(static[: AcStatic.acVersion.offset], dtype="<u2"))
    try:
        major, minor = (int(x) for x in version.split(".")[:2])
        if (major, minor) >= (1, 8):
            return "acc", f"smVersion {version!r} >= 1.8"
    except ValueError:
        pass
    return "ac", f"smVersion {version!r} and no ACC structures in the pages"


def detect_game(static: bytes, graphics: bytes, forced: str | None = None,
                check_process: bool = True) -> tuple[str, str]:
    """Decide the layout: forced, else the running process, else the pages' contents."""
    if forced:
        _check_forced(forced, static, graphics)
        return forced, f"forced with --game {forced}"
    if check_process:
        found = running_game()
        if found:
            return found
    return detect_from_pages(static, graphics)


def _check_forced(forced: str, static: bytes, graphics: bytes) -> None:
    """A forced layout must not contradict what the pages plainly hold."""
    import numpy as np

    found, reason = detect_from_pages(static, graphics)
    version = decode_text(np.frombuffer(static[: AcStatic.acVersion.offset], dtype="<u2"))
    plainly_ac = found == "ac" and version.startswith("1.") and version < "1.8"
    if (forced == "ac" and found == "acc") or (forced == "acc" and plainly_ac):
        raise PageError(f"--game {forced}, but the pages are {found.upper()}'s ({reason}); "
                        f"leave out --game or give --game {found}")
