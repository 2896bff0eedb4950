"""The capture sink that feeds the bridge server: frames, lap and session events."""

from __future__ import annotations

import time
from typing import Any, Protocol

from actelemetry.bridge.laps import LapTracker
from actelemetry.bridge.pacing import Pacer
from actelemetry.capture.sinks import Sample, Session

#: the rate a stream captures at, whatever rate it sends frames at: that of session files
LAP_RATE_HZ = 100.0


def stream_capture_rate(frame_rate: float) -> float:
    """The capture rate behind a stream of ``frame_rate`` frames a second: laps are judged on
    every sample at the files' rate (a short trip off the track between two frames of a slow
    stream still invalidates the lap, as in the session file); the sink thins the frames."""
    return max(frame_rate, LAP_RATE_HZ)


def sample_wall_time(t: float) -> float:
    """The Unix time a sample was taken: its perf_counter stamp moved onto the wall clock.

    In fast (simulated) time the stamp is not a perf_counter reading; then "now" is the
    best there is.
    """
    age = time.perf_counter() - t
    return time.time() - age if 0.0 <= age < 5.0 else time.time()


class Publisher(Protocol):
    """Where a stream goes: the WebSocket server (:class:`bridge.server.BridgeServer`) or an
    MQTT broker (:class:`bridge.mqtt.MqttPublisher`). Each call only hands the message
    over: it never waits on a network."""

    @property
    def rate(self) -> float: ...

    def session_start(self, metadata: dict[str, Any], game: str) -> None: ...

    def session_end(self, info: dict[str, Any]) -> None: ...

    def publish(self, t: float, wall: float, data: dict[str, Any],
                delta_best_s: float | None = None) -> None: ...

    def event(self, name: str, **fields: Any) -> None: ...


class BridgeSink:
    """Publishes every sample (thinned to ``rate`` when the capture runs faster)."""

    def __init__(self, server: Publisher, capture_rate: float | None = None) -> None:
        self.server = server
        self.capture_rate = capture_rate
        self.laps = LapTracker()
        self._pacer: Pacer | None = None

    def open(self, session: Session) -> None:
        rate = self.server.rate
        self.laps = LapTracker()
        self._pacer = Pacer(rate, self.capture_rate) \
            if self.capture_rate and self.capture_rate > rate else None
        self.server.session_start(json_safe(session.metadata()), session.game)

    def write(self, sample: Sample) -> None:
        c = sample.channels()
        if sample.gap > 0:
            self.server.event("resume", gap_s=round(sample.gap, 3))
        for ev in self.laps.update(c):
            name = ev.pop("event")
            self.server.event(name, **ev)
        if self._pacer is None or self._pacer.due(sample.t):
            carried = sample.session.channels  # UDP: what it does not carry is not sent
            data = c if carried is None else {k: c[k] for k in carried if k in c}
            self.server.publish(sample.t, sample_wall_time(sample.t), data,
                                self.laps.delta_best_s(c))

    def close(self, session: Session) -> None:
        self.server.session_end({"samples": session.samples})


def json_safe(value: Any) -> Any:
    """Session metadata as plain JSON types (paths and tuples become strings and lists)."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
