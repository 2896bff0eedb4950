"""Errors a user can cause, one type per family.

The CLI catches :class:`ActelemetryError` once and prints its message as one line
with the family's exit code; library callers get ordinary exceptions.
"""

from __future__ import annotations


class ActelemetryError(Exception):
    """Base of every error that is the user's input or environment, not a bug."""

    exit_code: int = 2


class GameNotRunning(ActelemetryError):
    """The game's pages are missing or hold no live session."""


class PageError(ActelemetryError):
    """Pages exist but cannot be read as either game's layout (too small, zeroed, foreign)."""


class SessionFileError(ActelemetryError):
    """A session file is truncated, foreign, empty or lacks required channels."""


class UsageError(ActelemetryError):
    """Arguments that cannot work together, unknown channels, laps that do not exist."""


class StorageError(ActelemetryError):
    """Writing a session failed (disk full, permissions); what was captured is kept."""


def one_line(text: str) -> str:
    """``text`` as one printable line: line breaks become spaces, other control characters
    (from a foreign file's bytes) their escapes, so a message can never break a terminal."""
    out = []
    for ch in text:
        if ch.isprintable():
            out.append(ch)
        elif ch in "\n\r\t":
            out.append(" ")
        else:
            out.append(ch.encode("unicode_escape").decode("ascii"))
    return " ".join("".join(out).split())
