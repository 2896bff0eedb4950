"""Consistent snapshots of the pages, whatever opened them.

The game rewrites pages in place with no lock. A snapshot copies each page twice and keeps
it only when both copies agree byte for byte, packetId included (physics is copied before
and after graphics, so both come from one step); otherwise it retries. No sample is ever
half of two physics steps. The capture's look at the pages is itself a plain copy of each
(a glance), which the snapshot completes. On Linux each copy is one ``pread`` system call,
so the number of copies is the snapshot's cost.
"""

from __future__ import annotations

import functools
import struct
import time
from collections.abc import Callable
from typing import NamedTuple

from actelemetry.errors import PageError
from actelemetry.game.constants import PACKET_ID_OFFSET, STATUS_OFFSET
from actelemetry.game.dtypes import page_size
from actelemetry.game.layouts import AcGraphics
from actelemetry.game.mapping import PAGE_NAMES, PageMapping

#: pairs of copies tried before the clock is looked at (a game's page agrees at once)
_QUICK_TRIES = 100
#: a page may keep changing this long before it is called broken: a game rewrites it once a
#: step (2.5-3.3 ms), so 50 ms of copies never agreeing is no game; a count alone would be
#: a few hundred microseconds where a read costs more than the writer's pause (a slow
#: machine or a sandbox's system calls)
_CHANGING_FOR_S = 0.05
_PAIR_TRIES = 3
_INT = struct.Struct("<i")
_COMPLETED_LAPS = AcGraphics.completedLaps.offset
#: builds a named tuple from a tuple in C (the class call runs a Python ``__new__``)
_TUPLE = tuple.__new__


def consistent_copy(mapping: PageMapping, n: int) -> tuple[bytes, int]:
    """(bytes, retries): ``n`` bytes that did not change while they were copied."""
    attempt = 0
    give_up = float("inf")
    while True:
        first = mapping.read(n)
        if first == mapping.read(n):
            return first, attempt
        attempt += 1
        if attempt == _QUICK_TRIES:
            give_up = time.monotonic() + _CHANGING_FOR_S
        elif attempt > _QUICK_TRIES and time.monotonic() > give_up:
            raise PageError("a page kept changing while it was copied for "
                            f"{_CHANGING_FOR_S * 1000:.0f} ms (is something else writing it?)")


class Snapshot(NamedTuple):
    """The two dynamic pages of one instant, each sized to the game's layout. (A tuple:
    one is built per physics step, and a frozen dataclass costs twice as much to build.)
    """

    physics: bytes
    graphics: bytes
    retries: int

    @property
    def packet_id(self) -> int:
        return _INT.unpack_from(self.physics, PACKET_ID_OFFSET)[0]

    @property
    def status(self) -> int:
        return _INT.unpack_from(self.graphics, STATUS_OFFSET)[0]

    @property
    def completed_laps(self) -> int:
        """The game's lap counter (same offset in both games' graphics pages)."""
        return _INT.unpack_from(self.graphics, _COMPLETED_LAPS)[0]


class Glance(NamedTuple):
    """One plain copy of each dynamic page, not yet checked: what a look at the pages
    sees, and the first half of the consistent snapshot taken when it shows a new step
    (a copy costs a system call on Linux, about what reading one int in place costs)."""

    physics: bytes
    graphics: bytes

    @property
    def packet_id(self) -> int:
        return _INT.unpack_from(self.physics, PACKET_ID_OFFSET)[0]

    @property
    def status(self) -> int:
        return _INT.unpack_from(self.graphics, STATUS_OFFSET)[0]


class PageReader:
    """Reads snapshots of open pages in one game's layout."""

    def __init__(self, mappings: dict[str, PageMapping], game: str) -> None:
        self.mappings = mappings
        self.game = game
        self.sizes = {page: page_size(game, page) for page in mappings}
        for page, mapping in mappings.items():
            check_size(page, mapping.size, "ac")
        self._n = {page: min(mapping.size, self.sizes[page]) for page, mapping in mappings.items()}
        self._pad = {page: bytes(self.sizes[page] - self._n[page]) for page in mappings}
        self.retries = 0
        self._physics = mappings["physics"]
        self._graphics = mappings["graphics"]
        # the snapshot's fast path, bound once (it runs at the physics rate): copies with no
        # Python frame around them where the mapping offers them (one pread each)
        self._n_physics, self._n_graphics = self._n["physics"], self._n["graphics"]
        self._read_physics = _copier(self._physics, self._n_physics)
        self._read_graphics = _copier(self._graphics, self._n_graphics)
        self._padded = any(self._pad[page] for page in ("physics", "graphics"))

    def _page(self, page: str) -> bytes:
        data, retries = consistent_copy(self.mappings[page], self._n[page])
        self.retries += retries
        return data + self._pad[page] if self._pad[page] else data

    def packet_id(self) -> int:
        """The physics packetId read in place: cheap enough to poll at kilohertz rates."""
        return self._physics.read_int(PACKET_ID_OFFSET)

    def status(self) -> int:
        """The graphics page's status read in place."""
        return self._graphics.read_int(STATUS_OFFSET)

    def glance(self) -> Glance:
        """One copy of physics, then graphics: packetId and status to look at, and the
        first copies of :meth:`snapshot` when the look finds a new step."""
        physics, graphics = self._read_physics(), self._read_graphics()
        if len(physics) != self._n_physics or len(graphics) != self._n_graphics:
            # a truncated page file: the mappings' own reads say so, or it grew back
            physics = self._physics.read(self._n_physics)
            graphics = self._graphics.read(self._n_graphics)
        return _TUPLE(Glance, (physics, graphics))

    def pages_exist(self) -> bool:
        """False once any page has vanished (the file behind it was removed)."""
        return all(m.exists() for m in self.mappings.values())

    def snapshot(self, glance: Glance | None = None) -> Snapshot:
        """Physics and graphics, each a consistent copy, preferably within one physics
        step; a writer faster than a copy gets each page consistent on its own.

        The usual case costs four copies: physics, graphics, graphics again, physics
        again; the first two may be the ``glance`` a look just took, so the snapshot
        itself copies twice. Equal graphics copies are a consistent graphics page (when
        the second differs, the page was being written: one more copy must match it);
        equal physics copies, taken before and after them, are a consistent physics page
        that stood still the whole time, so both pages come from one physics step. The
        graphics page is always copied again after the look: a game writes it after
        physics, so a look that catches a new physics step may see the step's graphics
        not yet written. A glance that the next step overtook is followed by fresh
        copies; anything else takes the slow path of :meth:`_settle`, page by page.

        The usual case after a look is written out here, in this one frame: it runs
        once a step, just after a sleep, when every line of Python it touches is cold
        (measured in the paced loop, its Python costs as much as its two copies)."""
        if glance is not None and not self._padded:
            physics, graphics = glance  # whole pages: a glance checks their lengths
            if self._read_graphics() == graphics and physics == self._read_physics():
                return _TUPLE(Snapshot, (physics, graphics, self.retries))
        return self._settle(glance)

    def _settle(self, glance: Glance | None) -> Snapshot:
        """The snapshot when the usual case did not hold (or there was no look)."""
        if not self._padded:
            snap = self._complete(glance if glance is not None else self.glance())
            if snap is None and glance is not None:  # the next step overtook the glance
                snap = self._complete(self.glance())
            if snap is not None:
                return snap
        for _ in range(_PAIR_TRIES):
            physics = self._page("physics")
            graphics = self._page("graphics")
            now = self._physics.read_int(PACKET_ID_OFFSET)
            if now == _INT.unpack_from(physics, PACKET_ID_OFFSET)[0]:
                break
            self.retries += 1
        return Snapshot(physics, graphics, self.retries)

    def _complete(self, first: Glance) -> Snapshot | None:
        """``first`` made a snapshot by copying graphics, then physics, again (None, and a
        retry counted, when a page moved on)."""
        physics, graphics = first  # whole pages: a glance checks their lengths
        again = self._read_graphics()
        if again != graphics:  # being written: a copy that matches the newest
            graphics, again = again, self._read_graphics()
            if len(graphics) != self._n_graphics:  # truncated: a fresh glance will say so
                self.retries += 1
                return None
        if again == graphics and physics == self._read_physics():
            return _TUPLE(Snapshot, (physics, graphics, self.retries))
        self.retries += 1
        return None

    def static(self) -> bytes:
        return self._page("static")

    def close(self) -> None:
        for mapping in self.mappings.values():
            mapping.close()


def _copier(mapping: PageMapping, n: int) -> Callable[[], bytes]:
    """The mapping's unchecked copy of ``n`` bytes where it has one, else its read."""
    copier = getattr(mapping, "copier", None)
    return copier(n) if copier is not None else functools.partial(mapping.read, n)


def check_size(page: str, size: int, game: str) -> None:
    """A page smaller than the smallest layout cannot be either game's."""
    need = page_size(game, page)
    if size < need:
        raise PageError(
            f"page {PAGE_NAMES[page]} holds {size} bytes, fewer than the {need} of the "
            f"{game.upper()} layout: not Assetto Corsa's shared memory")


def peek(mapping: PageMapping, page: str) -> bytes:
    """A consistent copy of as much of a page as the larger (ACC) layout needs."""
    return consistent_copy(mapping, min(mapping.size, page_size("acc", page)))[0]
