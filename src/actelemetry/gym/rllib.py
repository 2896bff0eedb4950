"""The racing env on Ray RLlib: N env runners, on this machine or on a cluster.

``ppo_config`` names the env to RLlib (each runner process builds its own
:class:`~actelemetry.gym.env.RacingEnv` from ``env_config``); ``ray.init(address=...)``
before ``build_algo`` decides where the runners go: a local cluster by default, a real one
by its address (docs/rl.md has the commands). Ray is imported only here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

RLLIB_ENV = "actelemetry-racing"


def make_env(env_config: Mapping[str, Any]) -> Any:
    from actelemetry.gym.env import RacingEnv

    return RacingEnv(**dict(env_config))


def ppo_config(env_config: Mapping[str, Any] | None = None, env_runners: int = 2,
               rollout_steps: int = 200, train_batch: int = 800) -> Any:
    """An RLlib PPO configuration over ``env_runners`` runner processes, one CPU each."""
    from ray.rllib.algorithms.ppo import PPOConfig
    from ray.tune.registry import register_env

    register_env(RLLIB_ENV, make_env)
    return (PPOConfig()
            .environment(RLLIB_ENV, env_config=dict(env_config or {}))
            .env_runners(num_env_runners=env_runners, num_cpus_per_env_runner=1,
                         rollout_fragment_length=rollout_steps)
            .training(train_batch_size_per_learner=train_batch,
                      minibatch_size=min(train_batch, 256), num_epochs=2)
            .framework("torch"))
