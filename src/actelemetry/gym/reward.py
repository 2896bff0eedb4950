"""The reward: a weighted sum of small named terms, each a plain physical quantity.

``reward={"progress": 1.0, "off_track": 10.0}`` (the default) pays one per metre gained
along the lap and costs ten per wheel-second outside the track limits. Every term of a step
is in ``info["reward_terms"]`` (unweighted), so what a policy was paid for can be read back,
and a recorded session can be scored with the same terms (``actelemetry ml export-rl``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from actelemetry.errors import UsageError

#: term -> what one unit of it is (the weight multiplies it)
TERMS: dict[str, str] = {
    "progress": "metres gained along the lap (centre-line distance, across the line too)",
    "off_track": "minus wheel-seconds outside the track limits (tyres_out x step seconds)",
    "time": "minus the step's seconds (a clock that runs: finish sooner)",
    "centre": "minus |offset from the centre line| in metres x step seconds",
    "steer_change": "minus |change of the steer action| since the last step",
    "crash": "minus 1 on the step that ends the episode off the track or stopped",
}
DEFAULT_REWARD: dict[str, float] = {"progress": 1.0, "off_track": 10.0}


@dataclass(frozen=True)
class StepFacts:
    """What happened in one control step, as the reward terms need it."""

    progress_m: float
    dt: float
    tyres_out: int
    offset_m: float
    steer_change: float
    crashed: bool


def check_weights(weights: Mapping[str, float]) -> dict[str, float]:
    unknown = sorted(set(weights) - set(TERMS))
    if unknown:
        raise UsageError(f"unknown reward term {', '.join(unknown)}: use {', '.join(TERMS)}")
    return {k: float(v) for k, v in weights.items()}


def terms(f: StepFacts) -> dict[str, float]:
    """Every term's unweighted value for one step."""
    return {"progress": f.progress_m, "off_track": -f.tyres_out * f.dt, "time": -f.dt,
            "centre": -abs(f.offset_m) * f.dt, "steer_change": -abs(f.steer_change),
            "crash": -1.0 if f.crashed else 0.0}


def reward(weights: Mapping[str, float], values: Mapping[str, float]) -> float:
    return float(sum(w * values[k] for k, w in weights.items()))
