"""Thinning a stream of samples to a lower rate without drift or jitter-induced halving."""

from __future__ import annotations


class Pacer:
    """Says which samples to keep so that about ``rate`` per second pass.

    The schedule advances by whole periods from where it started, so a 100 Hz stream
    thinned to 30 Hz gives 30 Hz, not 33; ``slack`` (half the input period) keeps a
    sample that arrives a hair early from being skipped, which would halve the rate when
    input and output rates are equal.
    """

    def __init__(self, rate: float, input_rate: float | None = None) -> None:
        self.period = 1.0 / rate
        self.slack = 0.5 / input_rate if input_rate else 0.0
        self.next: float | None = None

    def due(self, t: float) -> bool:
        if self.next is not None and t < self.next - self.slack:
            return False
        if self.next is None or t - self.next > self.period:
            self.next = t  # first sample, or far behind (pause): re-anchor
        self.next += self.period
        return True
