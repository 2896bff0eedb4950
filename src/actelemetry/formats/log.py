"""A foreign log as read: channels under the file's own names and units, lap marks, metadata.

Nothing here knows the catalogue. Readers (``.ld``, MoTeC CSV, plain CSV/JSONL/JSON) fill it;
the importer maps it onto catalogue channels; the exporters build one from a session.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np


@dataclass
class LogChannel:
    """One channel as the file holds it, scaling applied, NaN where the file has no value."""

    name: str
    unit: str
    values: np.ndarray  # float64
    rate_hz: float | None = None  # samples per second when sampled regularly
    times: np.ndarray | None = None  # seconds from the log's start, when not regular
    decimals: int | None = None  # the file's stated precision, when it states one

    def time_axis(self, start: float = 0.0) -> np.ndarray:
        """Seconds from the log's start of every value."""
        if self.times is not None:
            return self.times
        if not self.rate_hz:
            raise ValueError(f"channel {self.name!r} has neither a rate nor times")
        return start + np.arange(len(self.values), dtype=np.float64) / self.rate_hz


@dataclass
class ForeignLog:
    """What one file holds, before any mapping onto the catalogue."""

    source: Path
    fmt: str  # "ld", "motec-csv", "csv", "jsonl", "json"
    channels: dict[str, LogChannel] = field(default_factory=dict)
    #: venue, vehicle, driver, date, time, comment, event, session, ... as the file says
    meta: dict[str, str] = field(default_factory=dict)
    #: seconds from the log's start at which the car crossed the line (beacons, markers)
    lap_marks: list[float] = field(default_factory=list)
    #: text columns (track name, car model, ...) kept as text, one entry per row
    texts: dict[str, list[str]] = field(default_factory=dict)


def unique_names(names: Iterable[str]) -> list[str]:
    """Column names made unique: a repeated name gets ``#2``, ``#3``; an empty one ``column_N``."""
    out: list[str] = []
    seen: set[str] = set()
    for i, name in enumerate(names):
        name = name.strip() or f"column_{i + 1}"
        candidate, k = name, 1
        while candidate in seen:
            k += 1
            candidate = f"{name}#{k}"
        seen.add(candidate)
        out.append(candidate)
    return out
