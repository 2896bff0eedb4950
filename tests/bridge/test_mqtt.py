"""``stream --mqtt``: a real mosquitto on loopback (started here on a free port), a real
simulator capture at real time, real paho subscribers.

Bounded in count and time: 10 s of frames at 60 Hz to three subscribers, 5 s with a slow
subscriber, and a broker stopped and started again under a running capture. Correctness
only: every frame, in order; how late the capture loop woke is measured and printed, and
the timing claim is benchmarks/mqtt.py's.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from actelemetry.bridge.mqtt import (
    BrokerAddress,
    MqttPublisher,
    channel_groups,
    decode_payload,
    parse_broker,
)
from actelemetry.bridge.sink import BridgeSink
from actelemetry.capture.loop import CaptureOptions, run_capture
from actelemetry.capture.options import CaptureResult
from actelemetry.cli import main
from actelemetry.errors import UsageError

mqtt = pytest.importorskip("paho.mqtt.client", reason="paho-mqtt is not installed "
                           "(pip install 'actelemetry[mqtt]'; scripts/setup.sh does)")

MOSQUITTO = shutil.which("mosquitto") or next(
    (p for p in ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto") if Path(p).exists()), None)
pytestmark = pytest.mark.skipif(
    MOSQUITTO is None, reason="mosquitto is not installed: scripts/setup.sh installs it as "
    "root on Debian (apt-get install mosquitto)")

RATE = 60.0
CAPTURE_RATE = 100.0
PREFIX = "test/"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(condition: Callable[[], bool], timeout: float = 60.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


class Broker:
    """mosquitto on 127.0.0.1:port, stoppable and startable again on the same port."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.conf = folder / "mosquitto.conf"
        self.conf.write_text(f"listener {self.port} 127.0.0.1\nallow_anonymous true\n"
                             "persistence false\nmax_queued_messages 100000\n",
                             encoding="utf-8")
        self.log = folder / "mosquitto.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        assert MOSQUITTO is not None
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen([MOSQUITTO, "-c", str(self.conf)], stdout=log,
                                         stderr=subprocess.STDOUT)
        wait_for(self._accepts, 30, f"mosquitto on port {self.port} ({self.log})")

    def _accepts(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            log = self.log.read_text(encoding="utf-8", errors="replace")
            raise AssertionError(f"mosquitto exited: {log[-500:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port),
                                                                    0.5):
            return True
        return False

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.proc = None

    @property
    def address(self) -> BrokerAddress:
        return BrokerAddress("127.0.0.1", self.port)


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    b = Broker(tmp_path_factory.mktemp("mosquitto"))
    b.start()
    yield b
    b.stop()


class Subscriber:
    """A paho client that keeps every message of ``topic`` (decoded), optionally slow;
    it subscribes again whenever it (re)connects."""

    def __init__(self, broker: Broker, topic: str = PREFIX + "#", delay_s: float = 0.0
                 ) -> None:
        self.topic = topic
        self.delay_s = delay_s
        self.messages: list[tuple[str, dict[str, Any], bool]] = []
        self.subscribed = threading.Event()
        c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
        c.on_connect = lambda cl, *_: cl.subscribe(self.topic, qos=1)
        c.on_subscribe = lambda *_: self.subscribed.set()
        c.on_message = self._on_message
        c.reconnect_delay_set(1, 2)
        c.connect("127.0.0.1", broker.port)
        c.loop_start()
        self.client = c
        wait_for(self.subscribed.is_set, 30, "a subscription")

    def _on_message(self, client: Any, userdata: Any, msg: Any) -> None:
        if self.delay_s:
            time.sleep(self.delay_s)
        self.messages.append((msg.topic, decode_payload(msg.payload), bool(msg.retain)))

    def events(self, name: str) -> list[dict[str, Any]]:
        return [m for t, m, _ in list(self.messages)
                if t.endswith("/events") and m.get("event") == name]

    def frames(self) -> dict[str, list[int]]:
        """seq of the frames of each group, in arrival order."""
        out: dict[str, list[int]] = defaultdict(list)
        for topic, m, _ in list(self.messages):
            if "/frames/" in topic:
                out[topic.rsplit("/", 1)[1]].append(m["seq"])
        return out

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def capture(publisher: MqttPublisher, seconds: float, stop: threading.Event | None = None
            ) -> CaptureResult:
    """A real-time simulator capture of ``seconds`` into ``publisher`` (then closed)."""
    opts = CaptureOptions(source="sim", rate=CAPTURE_RATE, duration=seconds, sim_laps=3,
                          seed=2)
    try:
        return run_capture(opts, [BridgeSink(publisher, CAPTURE_RATE)], stop)
    finally:
        publisher.close()


def every_frame_in_order(sub: Subscriber, frames: int, game: str = "ac") -> None:
    seqs = sub.frames()
    assert set(seqs) == set(channel_groups(game)), sorted(seqs)
    for group, got in seqs.items():
        assert got == list(range(1, frames + 1)), (group, len(got), frames)


def test_three_subscribers_get_every_frame_in_order(broker: Broker) -> None:
    subs = [Subscriber(broker) for _ in range(3)]
    warnings: list[str] = []
    publisher = MqttPublisher(broker.address, RATE, PREFIX, "json", warnings.append)
    result = capture(publisher, 10.0)
    frames = publisher.stats.frames
    for sub in subs:
        wait_for(lambda s=sub: bool(s.events("session_end")), 60, "session_end")
    assert publisher.stats.dropped == 0 and not warnings
    assert frames >= 0.5 * RATE * 10  # 60 Hz for 10 s of samples, thinned from 100 Hz
    assert frames <= RATE * (result.stats.recorded_s + 1)
    for sub in subs:
        every_frame_in_order(sub, frames)
        end = sub.events("session_end")[0]
        assert end["frames"] == frames and end["samples"] == result.stats.samples
        meta = [m for t, m, _ in sub.messages if t.endswith("/meta")]
        assert meta[0]["event"] == "session_start" and meta[0]["protocol"] == 1
        assert meta[0]["session"]["car"] == "actelemetry_gt3"
        data = next(m for t, m, _ in sub.messages if t.endswith("/frames/inputs"))["data"]
        assert set(data) == set(channel_groups("ac")["inputs"])
        sub.close()
    # the session's metadata is retained: a subscriber that comes later gets it at once
    late = Subscriber(broker, PREFIX + "+/meta")
    wait_for(lambda: bool(late.messages), 30, "the retained metadata")
    assert late.messages[0][2] is True and late.messages[0][1]["session_id"]
    late.close()
    print(f"\n60 Hz to 3 subscribers: {frames} frames x {len(channel_groups('ac'))} groups, "
          f"capture lateness p99 {result.stats.jitter_ms(0.99):.2f} ms")


def test_a_slow_subscriber_costs_the_capture_nothing(broker: Broker) -> None:
    """A subscriber that takes 5 ms a message (it falls further behind every second): the
    publisher drops nothing and the others still get every frame in order."""
    slow = Subscriber(broker, delay_s=0.005)
    fast = Subscriber(broker)
    publisher = MqttPublisher(broker.address, RATE, PREFIX, "msgpack", print)
    result = capture(publisher, 5.0)
    wait_for(lambda: bool(fast.events("session_end")), 60, "session_end")
    assert publisher.stats.dropped == 0
    every_frame_in_order(fast, publisher.stats.frames)
    assert len(slow.messages) < len(fast.messages)  # it really is behind
    print(f"\nwith a slow subscriber: capture lateness p99 "
          f"{result.stats.jitter_ms(0.99):.2f} ms, the slow one had "
          f"{len(slow.messages)}/{len(fast.messages)} messages at the end")
    slow.close()
    fast.close()


def test_the_broker_going_away_and_coming_back(broker: Broker) -> None:
    sub = Subscriber(broker)
    warnings: list[str] = []
    publisher = MqttPublisher(broker.address, RATE, PREFIX, "json", warnings.append)
    done: list[CaptureResult] = []
    worker = threading.Thread(target=lambda: done.append(capture(publisher, 8.0)))
    worker.start()
    try:
        wait_for(lambda: len(sub.frames().get("inputs", [])) > 30, 60, "frames")
        broker.stop()
        wait_for(lambda: len(warnings) == 1, 30, "the warning")
        time.sleep(1.0)
        broker.start()
        wait_for(lambda: publisher.stats.reconnects == 1, 60, "the reconnection")
    finally:
        worker.join(120)
    assert done and done[0].stats.samples > 0  # the capture ran to its end
    wait_for(lambda: bool(sub.events("session_end")), 60, "session_end after the restart")
    assert "went away" in warnings[0] and len(warnings[0].splitlines()) == 1
    assert "is back" in warnings[1] and len(warnings) == 2
    seqs = sub.frames()["inputs"]
    assert seqs == sorted(seqs) and seqs[-1] > 30  # frames again after the restart
    assert sub.events("session_end")[0]["dropped"] == publisher.stats.dropped
    # the restarted broker holds the session's metadata again (it kept nothing)
    late = Subscriber(broker, PREFIX + "+/meta")
    wait_for(lambda: bool(late.messages), 30, "the retained metadata after the restart")
    late.close()
    sub.close()


def test_bad_broker_urls_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    for url in ("http://x", "mqtt://", "mqtt://host:99999"):
        with pytest.raises(UsageError):
            parse_broker(url)
    port = free_port()  # nobody listens there
    with pytest.raises(SystemExit) as exc:
        main(["stream", "--source", "sim", "--mqtt", f"mqtt://127.0.0.1:{port}",
              "--duration", "1"])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and len(err.strip().splitlines()) == 1
    assert "cannot reach the MQTT broker" in err


def test_stream_command_publishes(broker: Broker, capsys: pytest.CaptureFixture[str]) -> None:
    sub = Subscriber(broker, "cli/#")
    main(["stream", "--source", "sim", "--speed", "4", "--mqtt",
          f"mqtt://127.0.0.1:{broker.port}", "--topic-prefix", "cli", "--rate", "20",
          "--duration", "2", "--encoding", "msgpack"])
    out = capsys.readouterr().out
    assert "Publishing at 20 Hz" in out and "0 dropped" in out
    wait_for(lambda: bool(sub.events("session_end")), 60, "session_end")
    assert sub.frames()["motion"][:3] == [1, 2, 3]
    sub.close()
