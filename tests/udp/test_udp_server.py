"""The simulator's UDP server on loopback: the handshake, updates from the same values as
the pages, lap events, dismiss, and requests that are not the protocol."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from udp_helpers import Client, oval_track

from actelemetry.channels.decode import as_records
from actelemetry.errors import UsageError
from actelemetry.game.udp import (
    CAR_INFO_SIZE,
    LAP_SIZE,
    Operation,
    decode_car_info,
    decode_lap,
)
from actelemetry.game.writer import PageWriter
from actelemetry.sim import Simulator
from actelemetry.sim.udp import UdpServer


@pytest.fixture()
def served(tmp_path: Path):
    pub = PageWriter(tmp_path / "pages", "ac")
    sim = Simulator(game="ac", track=oval_track(tmp_path), laps=1, seed=3, publisher=pub)
    server = UdpServer("127.0.0.1", 0)
    server.attach(sim)
    client = Client(server.address)
    yield sim, server, client, pub
    client.close()
    server.close()
    pub.close()


def test_handshake_names_car_driver_and_track(served) -> None:
    _, server, client, _ = served
    info = client.handshake()
    assert info.car == "actelemetry_gt3"
    assert info.driver == "sim-pro-s3"  # one driver per skill and seed
    assert info.track == "oval"
    assert (info.identifier, info.version) == (4242, 1)
    assert server.clients == 1


def test_updates_carry_the_values_of_the_pages(served) -> None:
    sim, server, client, pub = served
    client.handshake()
    client.send(Operation.SUBSCRIBE_UPDATE)
    while server.stats.subscribed == []:  # the server thread takes it on
        sim.step(publish=False)
    last_ms, same_step = -1, 0
    for _ in range(400):
        sim.step()
        data = client.recv()
        assert len(data) == CAR_INFO_SIZE
        info = decode_car_info(data)
        assert info is not None
        phys = as_records("ac", "physics", pub.read("physics", 580))[0]
        gfx = as_records("ac", "graphics", pub.read("graphics", 296))[0]
        assert info["speed_Kmh"] == phys["speedKmh"]
        assert info["gear"] == phys["gear"]
        assert info["engineRPM"] == phys["rpms"]
        assert info["steer"] == phys["steerAngle"]
        assert np.array_equal(info["wheelAngularSpeed"], phys["wheelAngularSpeed"])
        assert np.array_equal(info["load"], phys["wheelLoad"])
        assert (info["accG_horizontal"], info["accG_vertical"], info["accG_frontal"]) == \
            tuple(phys["accG"])
        # the lap timer and position of this very step: the graphics page's values on
        # the steps that write it (every 3rd), ahead of the page in between
        assert info["lapTime"] > last_ms
        last_ms = info["lapTime"]
        if sim.packet_id % 3 == 0:
            assert info["lapTime"] == gfx["iCurrentTime"]
            assert info["lapCount"] == gfx["completedLaps"]
            assert info["carPositionNormalized"] == gfx["normalizedCarPosition"]
            assert np.array_equal(info["carCoordinates"], gfx["carCoordinates"])
            same_step += 1
    assert same_step >= 400 // 3  # every 3rd step, wherever the 400 began
    assert sim.car.s.u > 5.0  # the car drove off


def test_a_lap_is_a_spot_event_and_dismiss_stops_everything(served) -> None:
    sim, server, client, _ = served
    client.handshake()
    client.send(Operation.SUBSCRIBE_SPOT)
    while not sim.completed_laps:
        sim.step()
    (data,) = [d for d in client.drain() if len(d) == LAP_SIZE]
    event = decode_lap(data)
    assert event is not None
    assert (event.lap, event.time_ms) == (1, sim.last_lap_ms)
    assert event.car == "actelemetry_gt3"
    client.send(Operation.SUBSCRIBE_UPDATE)
    assert len(client.drain(0.3)) == 0  # nothing until the simulator steps
    for _ in range(5):
        sim.step()
    assert len(client.drain()) == 5
    client.send(Operation.DISMISS)
    deadline = 200
    while server.clients and deadline:
        sim.step(publish=False)
        client.drain(0.02)
        deadline -= 1
    assert server.clients == 0 and server.stats.dismissed == 1
    client.drain(0.1)  # whatever was in flight before the dismiss
    for _ in range(20):
        sim.step()
    assert client.drain(0.2) == []


def test_requests_that_are_not_the_protocol_are_ignored(served) -> None:
    sim, server, client, _ = served
    client.sock.sendto(b"\x00" * 7, server.address)
    client.send(Operation.SUBSCRIBE_UPDATE)  # no handshake first
    info = client.handshake()  # the server still answers
    assert info.track == "oval"
    assert server.stats.ignored == 2
    for _ in range(3):
        sim.step()
    assert client.drain(0.2) == []  # never subscribed after the handshake


def test_bad_port_and_rate_are_usage_errors() -> None:
    with UdpServer("127.0.0.1", 0) as taken, pytest.raises(UsageError, match="cannot serve"):
        UdpServer("127.0.0.1", taken.address[1])
    with pytest.raises(UsageError, match="udp-rate"):
        UdpServer("127.0.0.1", 0, rate=1000)
