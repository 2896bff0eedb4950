"""Gymnasium environments over the game's pages (the built-in simulator as actuator)."""

from __future__ import annotations

from gymnasium.envs.registration import register

from actelemetry.gym.env import DEFAULT_OBSERVATION, SimRacingEnv

ENV_ID = "actelemetry/SimRacing-v0"
register(id=ENV_ID, entry_point="actelemetry.gym.env:SimRacingEnv")

__all__ = ["DEFAULT_OBSERVATION", "ENV_ID", "SimRacingEnv"]
