"""Gymnasium environments over the game's pages: the built-in simulator or the game.

``actelemetry/Racing-v0`` takes ``backend="sim"`` (default) or ``"live"``;
``actelemetry/RacingLive-v0`` is the live backend, marked non-deterministic (the game runs
on its own clock); ``actelemetry/SimRacing-v0`` is the first version's name for Racing-v0.
"""

from __future__ import annotations

from gymnasium.envs.registration import register

from actelemetry.gym.env import ACTION_NAMES, LIVE_SPEC_ID, RacingEnv, SimRacingEnv
from actelemetry.gym.observation import DEFAULT_OBSERVATION
from actelemetry.gym.reward import DEFAULT_REWARD, TERMS

ENV_ID = "actelemetry/Racing-v0"
LIVE_ENV_ID = LIVE_SPEC_ID
OLD_ENV_ID = "actelemetry/SimRacing-v0"
_ENTRY = "actelemetry.gym.env:RacingEnv"
register(id=ENV_ID, entry_point=_ENTRY)
register(id=OLD_ENV_ID, entry_point=_ENTRY)
register(id=LIVE_ENV_ID, entry_point=_ENTRY, kwargs={"backend": "live"}, nondeterministic=True)

__all__ = [
    "ACTION_NAMES", "DEFAULT_OBSERVATION", "DEFAULT_REWARD", "ENV_ID", "LIVE_ENV_ID",
    "OLD_ENV_ID", "TERMS", "RacingEnv", "SimRacingEnv",
]
