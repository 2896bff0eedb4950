"""The shared page facts agree with the layouts of both games."""

from __future__ import annotations

import pytest

from actelemetry.game.constants import PACKET_ID_OFFSET, STATUS_NAMES, STATUS_OFFSET
from actelemetry.game.layouts import LAYOUTS


@pytest.mark.parametrize("game", ["ac", "acc"])
def test_offsets_are_the_layouts(game: str) -> None:
    assert LAYOUTS[(game, "graphics")].status.offset == STATUS_OFFSET
    assert LAYOUTS[(game, "physics")].packetId.offset == PACKET_ID_OFFSET
    assert LAYOUTS[(game, "graphics")].packetId.offset == PACKET_ID_OFFSET


def test_every_status_has_one_name() -> None:
    assert sorted(STATUS_NAMES) == [0, 1, 2, 3]
    assert len(set(STATUS_NAMES.values())) == 4
