"""The games' lap validity rule, one for AC and ACC: a fact about the games, kept here so
the simulator (which plays the game) and the channels (which read it) share it."""

from __future__ import annotations

#: AC invalidates a lap when more than this many tyres are out
MAX_TYRES_OUT = 2


def lap_valid(out: bool, max_tyres_out: float | None = None,
              game_flag: bool | None = None) -> bool:
    """The one validity rule: not an out lap, never more than :data:`MAX_TYRES_OUT`
    tyres out, and the game's own flag (where it keeps one) never down. ``None``: the
    recording does not say."""
    if out:
        return False
    if max_tyres_out is not None and max_tyres_out > MAX_TYRES_OUT:
        return False
    return game_flag is None or bool(game_flag)
