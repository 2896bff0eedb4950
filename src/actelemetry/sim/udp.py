"""The simulator as AC's remote-telemetry UDP server: what the game does on port 9996.

Clients handshake, subscribe to updates (RTCarInfo) and spot events (RTLap), and dismiss.
RTCarInfo is sent after each published physics step (or every n-th, for a lower rate) and
is filled by the code that fills the pages: the physics page's values of that step, and
the graphics page's values as of that step (the page itself is rewritten every 3rd step),
so a capture through UDP and one through the pages see the same numbers. The server
thread only answers requests; the datagrams go out from the simulator's thread as it steps.
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, SupportsFloat

from actelemetry.errors import UsageError
from actelemetry.game.constants import PHYSICS_HZ, STATUS_LIVE
from actelemetry.game.udp import (
    PORT,
    GameInfo,
    LapEvent,
    Operation,
    car_info_record,
    decode_operation,
    encode_car_info,
    encode_lap,
    encode_response,
)
from actelemetry.sim.pages import PNEUMATIC_TRAIL_M

if TYPE_CHECKING:
    from actelemetry.game.writer import PageFormat
    from actelemetry.sim.simulator import Simulator

__all__ = ["UdpServer", "car_info"]

#: how often the server thread wakes to see whether it should stop (s)
_POLL_S = 0.1
#: clients beyond this many are not taken on (the game serves a handful of dashboards)
MAX_CLIENTS = 16
KMH_PER_MPH = 1.609344


def _get(fmt: PageFormat, vals: list, name: str) -> object:
    i, n = fmt.index[name]
    return vals[i] if n == 1 else vals[i:i + n]


def _num(fmt: PageFormat, vals: list, name: str) -> float:
    value = _get(fmt, vals, name)
    if not isinstance(value, SupportsFloat):
        raise TypeError(f"{name} is not one number")
    return float(value)


def _nums(fmt: PageFormat, vals: list, name: str) -> list[float]:
    value = _get(fmt, vals, name)
    if not isinstance(value, list):
        raise TypeError(f"{name} is not an array")
    return [float(v) for v in value]


def _per_wheel(front: float, rear: float) -> list[float]:
    return [front, front, rear, rear]


def car_info(sim: Simulator) -> bytes:
    """The RTCarInfo of the simulator's last published step: the pages' values where the
    pages have the field (graphics as of this step), the car's state for the tyre fields
    only UDP carries."""
    pages = sim.pages
    pf, ph = pages.fmt["physics"], pages.vals["physics"]
    # the graphics page is written every 3rd step; UDP carries the lap timer and position
    # of this very step (on a step that writes the graphics page, the page's values)
    gf, gr = pages.fmt["graphics"], list(pages.vals["graphics"])
    pages.fill_graphics(gr)
    sf, st = pages.fmt["static"], pages.vals["static"]
    cs, p = sim.car.s, sim.params
    rec = car_info_record()
    kmh = _num(pf, ph, "speedKmh")
    acc = _nums(pf, ph, "accG")
    radius = _get(sf, st, "tyreRadius")
    ride = _nums(pf, ph, "rideHeight")
    slip = _nums(pf, ph, "wheelSlip")
    peak = sim.car.p.tyre_peak_slip()
    values: dict[str, object] = {
        "speed_Kmh": kmh, "speed_Mph": kmh / KMH_PER_MPH, "speed_Ms": kmh / 3.6,
        "isAbsEnabled": p.abs_slip > 0, "isAbsInAction": cs.abs_active,
        "isTcInAction": cs.tc_active, "isTcEnabled": p.tc_slip > 0,
        "isInPit": bool(_get(gf, gr, "isInPit")),
        "isEngineLimiterOn": bool(_get(pf, ph, "pitLimiterOn")),
        "accG_vertical": acc[1], "accG_horizontal": acc[0], "accG_frontal": acc[2],
        "lapTime": _get(gf, gr, "iCurrentTime"), "lastLap": _get(gf, gr, "iLastTime"),
        "bestLap": _get(gf, gr, "iBestTime"), "lapCount": _get(gf, gr, "completedLaps"),
        "gas": _get(pf, ph, "gas"), "brake": _get(pf, ph, "brake"),
        "clutch": _get(pf, ph, "clutch"), "engineRPM": _num(pf, ph, "rpms"),
        "steer": _get(pf, ph, "steerAngle"), "gear": _get(pf, ph, "gear"),
        "cgHeight": _get(pf, ph, "cgHeight"),
        "wheelAngularSpeed": _get(pf, ph, "wheelAngularSpeed"),
        "slipAngle": cs.alpha, "slipAngle_ContactPatch": cs.alpha, "slipRatio": cs.kappa,
        "tyreSlip": slip, "ndSlip": [s / peak for s in slip],
        "load": _get(pf, ph, "wheelLoad"),
        "Dy": [fy / load if load > 0 else 0.0 for fy, load in zip(cs.fy, cs.load, strict=True)],
        "Mz": [-PNEUMATIC_TRAIL_M * fy for fy in cs.fy],
        "tyreDirtyLevel": _get(pf, ph, "tyreDirtyLevel"),
        "camberRAD": _get(pf, ph, "camberRAD"),
        # the tyre's loaded radius is not modelled: the unloaded one stands for it
        "tyreRadius": radius, "tyreLoadedRadius": radius,
        "suspensionHeight": _per_wheel(ride[0], ride[1]),
        "carPositionNormalized": _get(gf, gr, "normalizedCarPosition"),
        "carSlope": 0.0,  # flat tracks
        "carCoordinates": _get(gf, gr, "carCoordinates"),
    }
    for name, value in values.items():
        rec[name] = value
    return encode_car_info(rec)


@dataclass
class _Client:
    updates: bool = False
    spot: bool = False


@dataclass
class ServerStats:
    """What the server did: handshakes answered, datagrams sent, clients dismissed, and
    datagrams that were no valid request (ignored)."""

    handshakes: int = 0
    car_infos: int = 0
    laps: int = 0
    dismissed: int = 0
    ignored: int = 0
    send_errors: int = 0
    subscribed: list[tuple[str, int]] = field(default_factory=list)


class UdpServer:
    """AC's UDP service for one simulator: bind, :meth:`attach` to the simulator, and
    :meth:`close` when it ends. ``rate`` below the physics rate sends every n-th step."""

    def __init__(self, host: str = "127.0.0.1", port: int = PORT,
                 rate: float = PHYSICS_HZ) -> None:
        if not 0 < rate <= PHYSICS_HZ:
            raise UsageError(f"--udp-rate must be above 0 and at most {PHYSICS_HZ}, not {rate:g}")
        self._every = max(int(round(PHYSICS_HZ / rate)), 1)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            self.sock.bind((host, port))
        except OSError as exc:
            self.sock.close()
            raise UsageError(f"cannot serve UDP on {host}:{port}: "
                             f"{exc.strerror or exc}") from None
        self.sock.settimeout(_POLL_S)
        self.address: tuple[str, int] = self.sock.getsockname()[:2]
        self.stats = ServerStats()
        self.info = GameInfo("", "", "", "")
        self._clients: dict[tuple[str, int], _Client] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="actelemetry-udp",
                                        daemon=True)
        self._steps = 0
        self._laps: int | None = None

    def attach(self, sim: Simulator) -> None:
        """Serve ``sim``: answer handshakes with its car, driver and track, and send after
        each of its published steps."""
        if sim.game != "ac":
            raise UsageError("the remote-telemetry UDP protocol is AC's: use --game ac")
        sf, st = sim.pages.fmt["static"], sim.pages.vals["static"]

        def text(name: str) -> str:  # a page's text field: UTF-16-LE bytes
            value = _get(sf, st, name)
            assert isinstance(value, bytes), name  # a text field is one bytes value
            return value.decode("utf-16-le", errors="replace")

        first, last = text("playerName"), text("playerSurname")
        self.info = GameInfo(car=text("carModel"), driver=f"{first} {last}".strip(),
                             track=text("track"), track_config=text("trackConfiguration"))
        sim.listeners.append(self.on_step)
        self._thread.start()

    # --- the simulator's thread ----------------------------------------------------------
    def on_step(self, sim: Simulator) -> None:
        """After a published step: RTLap to spot subscribers when a lap was completed,
        RTCarInfo to update subscribers on every n-th step."""
        if sim.status != STATUS_LIVE:
            return
        laps = sim.completed_laps
        if self._laps is not None and laps > self._laps:
            event = LapEvent(0, laps, self.info.driver, self.info.car, sim.last_lap_ms)
            self._send([a for a, c in self._snapshot() if c.spot], encode_lap(event))
            self.stats.laps += 1
        self._laps = laps
        self._steps += 1
        if self._steps % self._every:
            return
        targets = [a for a, c in self._snapshot() if c.updates]
        if targets:
            self._send(targets, car_info(sim))
            self.stats.car_infos += len(targets)

    def _snapshot(self) -> list[tuple[tuple[str, int], _Client]]:
        with self._lock:
            return [(a, _Client(c.updates, c.spot)) for a, c in self._clients.items()]

    def _send(self, targets: list[tuple[str, int]], data: bytes) -> None:
        for addr in targets:
            try:
                self.sock.sendto(data, addr)
            except OSError:  # a full buffer, a client gone: the datagram is lost, as UDP's are
                self.stats.send_errors += 1

    # --- the server thread ---------------------------------------------------------------
    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, addr = self.sock.recvfrom(2048)
            except TimeoutError:
                continue
            except OSError:
                if self._stop.is_set():
                    return
                continue
            self.handle(data, addr)

    def handle(self, data: bytes, addr: tuple[str, int]) -> None:
        """One request: handshake (answered), subscribe (after a handshake), dismiss."""
        op = decode_operation(data)
        with self._lock:
            client = self._clients.get(addr)
            if op is Operation.HANDSHAKE and (client is not None
                                              or len(self._clients) < MAX_CLIENTS):
                self._clients[addr] = client or _Client()
                self.stats.handshakes += 1
                reply: bytes | None = encode_response(self.info)
            elif op is Operation.SUBSCRIBE_UPDATE and client is not None:
                client.updates = True
                self.stats.subscribed.append((addr[0], addr[1]))
                reply = None
            elif op is Operation.SUBSCRIBE_SPOT and client is not None:
                client.spot = True
                reply = None
            elif op is Operation.DISMISS and client is not None:
                del self._clients[addr]
                self.stats.dismissed += 1
                reply = None
            else:
                self.stats.ignored += 1
                reply = None
        if reply is not None:
            self._send([addr], reply)

    @property
    def clients(self) -> int:
        with self._lock:
            return len(self._clients)

    def close(self) -> None:
        """Stop answering; clients hear nothing more (as when the game quits)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=2.0)
        self.sock.close()

    def __enter__(self) -> UdpServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
