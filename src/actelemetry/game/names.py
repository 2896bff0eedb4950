"""The names a user picks a game by, defined once for the library and the command line."""

from __future__ import annotations

from enum import Enum


class Game(str, Enum):
    """Which game's page layout: Assetto Corsa or Assetto Corsa Competizione."""

    ac = "ac"
    acc = "acc"


#: the games' names as plain strings
GAMES: tuple[str, ...] = tuple(g.value for g in Game)
