"""Turn the live stream into Gymnasium observations: a fixed vector with a Box space.

An RL agent (or a training pipeline) gets ``observation_space`` once and then the latest
observation whenever it asks, however fast the game publishes:

    actelemetry stream --source sim --rate 60
    python examples/gym_observation.py
"""

from __future__ import annotations

import argparse
import asyncio
import threading
from typing import Any

import gymnasium as gym
import numpy as np

from actelemetry.bridge.client import open_stream

#: channel, low, high: what the agent sees, scaled to [-1, 1] by these bounds
FEATURES: list[tuple[str, float, float]] = [
    ("speed_kmh", 0.0, 350.0), ("gas", 0.0, 1.0), ("brake", 0.0, 1.0), ("steer", -1.0, 1.0),
    ("gear", -1.0, 8.0), ("rpm", 0.0, 10000.0), ("accel_lateral", -4.0, 4.0),
    ("accel_longitudinal", -4.0, 4.0), ("yaw_rate", -3.0, 3.0), ("local_vx", -20.0, 20.0),
    ("lap_fraction", 0.0, 1.0), ("tyres_out", 0.0, 4.0), ("lap_valid", 0.0, 1.0),
    ("wheel_lock_fl", 0.0, 1.0), ("wheel_lock_fr", 0.0, 1.0), ("wheel_lock_rl", 0.0, 1.0),
    ("wheel_lock_rr", 0.0, 1.0), ("damage_level", 0.0, 3.0),
    ("wheel_slip_fl", 0.0, 5.0), ("wheel_slip_fr", 0.0, 5.0), ("wheel_slip_rl", 0.0, 5.0),
    ("wheel_slip_rr", 0.0, 5.0),
]
NAMES = [name for name, _, _ in FEATURES]
LOW = np.array([lo for _, lo, _ in FEATURES], dtype=np.float32)
HIGH = np.array([hi for _, _, hi in FEATURES], dtype=np.float32)


def observation_space() -> gym.spaces.Box:
    return gym.spaces.Box(-1.0, 1.0, shape=(len(FEATURES),), dtype=np.float32)


def to_observation(data: dict[str, Any]) -> np.ndarray:
    """One frame's data as a vector in [-1, 1] (missing or null values read as low)."""
    raw = np.array([float(data.get(n) or 0.0) for n in NAMES], dtype=np.float32)
    scaled = 2.0 * (raw - LOW) / (HIGH - LOW) - 1.0
    return np.clip(scaled, -1.0, 1.0).astype(np.float32)


class LiveObservations:
    """Keeps the newest observation from the bridge, in a background thread."""

    def __init__(self, url: str = "ws://127.0.0.1:8765/", rate: float | None = None,
                 token: str | None = None) -> None:
        self.space = observation_space()
        self.latest: np.ndarray | None = None
        self.seq = 0
        self._ready = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run(url, rate, token)),
                                        daemon=True)
        self._thread.start()

    async def _run(self, url: str, rate: float | None, token: str | None) -> None:
        client = await open_stream(url, channels=NAMES, rate=rate, token=token,
                                   encoding="msgpack")
        async for msg in client.messages():
            if msg["type"] == "frame":
                self.latest, self.seq = to_observation(msg["data"]), msg["seq"]
                self._ready.set()

    def observe(self, timeout: float = 10.0) -> np.ndarray:
        if not self._ready.wait(timeout):
            raise TimeoutError("no frame from the bridge yet (is `actelemetry stream` on?)")
        assert self.latest is not None
        return self.latest


if __name__ == "__main__":
    import time

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", default="ws://127.0.0.1:8765/")
    ap.add_argument("--rate", type=float, default=10.0)
    args = ap.parse_args()
    live = LiveObservations(args.url, args.rate)
    print(live.space)
    for _ in range(20):
        obs = live.observe()
        assert live.space.contains(obs)
        print(live.seq, np.array2string(obs, precision=2, max_line_width=200))
        time.sleep(0.5)
