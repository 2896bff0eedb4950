"""What a session must carry, and how the rest says what it skips for lack of a channel.

Real logs carry some channels and not others. Nothing absent is filled in: each table, plot
or feature that needs a channel the files lack is left out, and says so in one line,
``skipped: <what> (needs <channel>)``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

#: a session's clock: seconds (Unix time or since the start)
TIME_BASES = ("timestamp", "session_time")
#: what laps are found from: a lap counter, the lap timer's reset, or the position's wrap
LAP_SOURCES = ("current_lap", "completed_laps", "lap_time_sec", "lap_fraction")


@dataclass(frozen=True)
class Skipped:
    """A table, plot or feature left out, and the channels it needed that are absent."""

    what: str
    needs: tuple[str, ...]
    any_of: bool = False  # one of ``needs`` would do

    def __str__(self) -> str:
        names = list(self.needs)
        words = names[0] if len(names) == 1 else (
            ", ".join(names[:-1]) + (" or " if self.any_of else " and ") + names[-1])
        return f"skipped: {self.what} (needs {words})"


def absent(have: Collection[str], names: Iterable[str]) -> tuple[str, ...]:
    """Those of ``names`` not in ``have``, in the order given."""
    return tuple(n for n in names if n not in have)


def missing_minimum(columns: Collection[str]) -> str | None:
    """What a file lacks of the minimum a session needs (a clock and a way to find laps),
    as words for its one-line error; None when it has it."""
    lacks = []
    if not any(c in columns for c in TIME_BASES):
        lacks.append(" or ".join(TIME_BASES))
    if not any(c in columns for c in LAP_SOURCES):
        lacks.append("a lap channel (" + ", ".join(LAP_SOURCES[:-1])
                     + f" or {LAP_SOURCES[-1]})")
    return "; ".join(lacks) if lacks else None
