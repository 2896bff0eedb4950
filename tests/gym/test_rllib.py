"""The env on Ray RLlib: two env runner processes on a local cluster sample and train."""

from __future__ import annotations

import os

import pytest

ray = pytest.importorskip("ray", reason="the rl extra (Ray RLlib) is not installed")
pytest.importorskip("torch", reason="RLlib runs on PyTorch, which is not installed")


@pytest.fixture
def local_cluster(monkeypatch: pytest.MonkeyPatch):
    # Ray starts its workers at niceness 15: beside other work on the machine (two CPU
    # hogs) they got almost no CPU and this test took 61-216 s instead of 16; at the test
    # process's own niceness they hold their share, as Ray's own job drivers do (its raylet
    # reads this when ray.init starts it)
    monkeypatch.setenv("RAY_worker_niceness", "0")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


@pytest.mark.timeout(600)
def test_ppo_trains_with_two_env_runners(local_cluster: None) -> None:
    from actelemetry.gym.rllib import ppo_config

    algo = ppo_config({"control_hz": 10.0}, env_runners=2, rollout_steps=100,
                      train_batch=400).build_algo()
    try:
        result = algo.train()
        runners = algo.env_runner_group
        assert runners.num_remote_env_runners() == 2
        pids = runners.foreach_env_runner(lambda runner: os.getpid(), local_env_runner=False)
        assert len(set(pids)) == 2 and os.getpid() not in pids  # two processes of their own
        names = runners.foreach_env_runner(
            lambda runner: runner.env.unwrapped.get_attr("observation_names")[0],
            local_env_runner=False)
        assert all("speed_ms" in n for n in names)
        assert result["env_runners"]["num_env_steps_sampled_lifetime"] >= 400
        assert "policy_loss" in result["learners"]["default_policy"]  # and it learned
    finally:
        algo.stop()
