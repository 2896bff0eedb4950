"""MQTT fan-out benchmark: what `stream --mqtt` costs the capture loop, with and without a
slow subscriber.

A real mosquitto on a free loopback port, a real-time simulator capture at 100 Hz whose
frames go out at 60 Hz (13 channel groups: 780 messages a second), real paho
subscribers. For each case it prints how late the capture loop woke for its samples
(p50, p99, max), the frames published and dropped, and what the subscribers received:

* no sink at all (the capture alone);
* the MQTT sink, no subscriber;
* the MQTT sink, three subscribers;
* the MQTT sink, three subscribers and a slow one (5 ms a message: it falls behind).

    .venv/bin/python benchmarks/mqtt.py [--seconds 10]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import paho.mqtt.client as mqtt

from actelemetry.bridge.mqtt import BrokerAddress, MqttPublisher
from actelemetry.bridge.sink import BridgeSink
from actelemetry.capture.loop import CaptureOptions, run_capture
from actelemetry.capture.sinks import Sink

RATE = 60.0
CAPTURE_RATE = 100.0


class Counter:
    """A subscriber that counts messages (optionally taking ``delay_s`` over each)."""

    def __init__(self, port: int, delay_s: float = 0.0) -> None:
        self.count = 0
        self.delay_s = delay_s
        ready = threading.Event()
        c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
        c.on_connect = lambda cl, *_: cl.subscribe("bench/#")
        c.on_subscribe = lambda *_: ready.set()
        c.on_message = self._on_message
        c.connect("127.0.0.1", port)
        c.loop_start()
        ready.wait(30)
        self.client = c

    def _on_message(self, *_: Any) -> None:
        if self.delay_s:
            time.sleep(self.delay_s)
        self.count += 1

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def subscribers_main(port: int, fast: int, slow: int) -> None:
    """In a child process (so that the subscribers do not share the capture's
    interpreter): subscribe, say "ready", count until stdin closes, print the counts."""
    counters = [Counter(port) for _ in range(fast)] + [Counter(port, 0.005)
                                                       for _ in range(slow)]
    print("ready", flush=True)
    sys.stdin.read()
    time.sleep(1.0)  # what the broker still had in flight
    print(json.dumps([c.count for c in counters]), flush=True)
    for c in counters:
        c.close()


class Subscribers:
    """``fast`` and ``slow`` subscribers in a child process."""

    def __init__(self, port: int, fast: int, slow: int) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--subscribers", f"{port},{fast},{slow}"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8")
        assert self.proc.stdout is not None
        if self.proc.stdout.readline().strip() != "ready":
            raise RuntimeError("the subscribers did not start")

    def counts(self) -> list[int]:
        out, _ = self.proc.communicate(timeout=60)
        return list(json.loads(out.strip().splitlines()[-1]))


def lateness(sinks: list[Sink], seconds: float) -> tuple[np.ndarray, int]:
    opts = CaptureOptions(source="sim", rate=CAPTURE_RATE, duration=seconds, sim_laps=5,
                          seed=2)
    result = run_capture(opts, sinks)
    return np.asarray(result.stats.lateness) * 1e3, result.stats.samples


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--subscribers", help=argparse.SUPPRESS)  # PORT,FAST,SLOW: the child
    args = ap.parse_args()
    if args.subscribers:
        port_s, fast_s, slow_s = args.subscribers.split(",")
        subscribers_main(int(port_s), int(fast_s), int(slow_s))
        return
    exe = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    folder = Path(tempfile.mkdtemp(prefix="actelemetry-mqtt-bench-"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    conf = folder / "mosquitto.conf"
    conf.write_text(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n",
                    encoding="utf-8")
    broker = subprocess.Popen([exe, "-c", str(conf)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    rows = []
    try:
        for case, subs, slow in (("capture alone", None, False),
                                 ("MQTT, no subscriber", 0, False),
                                 ("MQTT, 3 subscribers", 3, False),
                                 ("MQTT, 3 subscribers + 1 slow", 3, True)):
            subscribers = Subscribers(port, subs or 0, int(slow)) if subs else None
            publisher = None
            sinks: list[Sink] = []
            if subs is not None:
                publisher = MqttPublisher(BrokerAddress("127.0.0.1", port), RATE, "bench/",
                                          "json", print)
                sinks = [BridgeSink(publisher, CAPTURE_RATE)]
            late, samples = lateness(sinks, args.seconds)
            if publisher is not None:
                publisher.close()
            counts = subscribers.counts() if subscribers else []
            got = ", ".join(str(n) for n in counts[:subs or 0])
            if slow:
                got += f"; slow {counts[-1]}"
            rows.append((case, samples, np.percentile(late, 50), np.percentile(late, 99),
                         late.max(), publisher.stats.frames if publisher else "-",
                         publisher.stats.messages if publisher else "-",
                         publisher.stats.dropped if publisher else "-", got or "-"))
    finally:
        broker.terminate()
        broker.wait(10)
        shutil.rmtree(folder, ignore_errors=True)
    print("| case | samples | lateness p50 ms | p99 ms | max ms | frames | messages | "
          "dropped | messages received |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[2]:.2f} | {r[3]:.2f} | {r[4]:.1f} | {r[5]} | {r[6]} | "
              f"{r[7]} | {r[8]} |")
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    print(f"\n(load: {load[0]:.2f} {load[1]:.2f}, {os.cpu_count()} cores;"
          f" {args.seconds:g} s each)")


if __name__ == "__main__":
    main()
