"""Facts about the games' pages that every reader and writer shares, named once."""

from __future__ import annotations

from typing import Final

#: the graphics page's ``status``: what the game is showing
STATUS_OFF: Final = 0
STATUS_REPLAY: Final = 1
STATUS_LIVE: Final = 2
STATUS_PAUSE: Final = 3
STATUS_NAMES: Final = {STATUS_OFF: "off", STATUS_REPLAY: "replay", STATUS_LIVE: "live",
                       STATUS_PAUSE: "pause"}
#: byte offset of ``packetId`` in every page that has one (the first field)
PACKET_ID_OFFSET: Final = 0
#: byte offset of ``status`` in the graphics page, the same in AC and ACC (after packetId)
STATUS_OFFSET: Final = 4
#: physics steps per second: AC's rate (and the simulator's, for ACC too); every physics
#: page carries a new packetId this often
PHYSICS_HZ: Final = 333
