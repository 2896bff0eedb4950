"""The game over AC's remote-telemetry UDP protocol: the socket that talks to it, and each
RTCarInfo datagram written as the AC pages a capture records.

Every source ends up as the game's pages, so a UDP capture is spooled, decoded, derived
and streamed by the same code as a shared-memory one. The pages are filled from the
datagram by a table of (page field, RTCarInfo field) pairs copied byte for byte (the
types match, checked at import); the few fields whose types differ are converted one by
one. What the datagram does not carry stays zero in the pages, and the session file
leaves those channels out (:data:`~actelemetry.channels.udp.UDP_CHANNELS`).
"""

from __future__ import annotations

import contextlib
import ctypes
import select
import socket
import struct
from typing import Final

import numpy as np

from actelemetry.errors import UsageError
from actelemetry.game.constants import STATUS_LIVE, STATUS_OFFSET
from actelemetry.game.layouts import AcGraphics, AcPhysics, element_shape, fields_of
from actelemetry.game.udp import (
    PORT,
    GameInfo,
    Operation,
    RTCarInfo,
    encode_operation,
)
from actelemetry.game.writer import FORMATS, encode_text
from actelemetry.sim.pages import format_lap_time

__all__ = ["CarInfoPages", "UdpLink", "static_page"]

#: the socket's receive buffer: a burst of datagrams while the capture is held back (a
#: second at the physics rate) waits here instead of being dropped by the kernel
RECV_BUFFER: Final = 1 << 22
#: datagrams larger than any of the protocol's are read this far (and refused)
MAX_DATAGRAM: Final = 2048

#: (page field, RTCarInfo field) pairs of the same type and size, copied as bytes
PHYSICS_FROM: Final = (
    ("speedKmh", "speed_Kmh"), ("gas", "gas"), ("brake", "brake"), ("clutch", "clutch"),
    ("steerAngle", "steer"), ("gear", "gear"), ("cgHeight", "cgHeight"),
    ("wheelAngularSpeed", "wheelAngularSpeed"), ("wheelSlip", "tyreSlip"),
    ("wheelLoad", "load"), ("tyreDirtyLevel", "tyreDirtyLevel"), ("camberRAD", "camberRAD"),
)
GRAPHICS_FROM: Final = (
    ("iCurrentTime", "lapTime"), ("iLastTime", "lastLap"), ("iBestTime", "bestLap"),
    ("completedLaps", "lapCount"), ("normalizedCarPosition", "carPositionNormalized"),
    ("carCoordinates", "carCoordinates"),
)
#: the page's accG is the car frame [x right, y up, z forward]
ACCG_FROM: Final = ("accG_horizontal", "accG_vertical", "accG_frontal")


def _scalar(ctype: type) -> type:
    return element_shape(ctype)[0]


def _copies(page: type[ctypes.Structure], pairs: tuple[tuple[str, str], ...]
            ) -> tuple[tuple[int, int, int], ...]:
    """(page offset, datagram offset, bytes) of each pair, its types checked equal."""
    out = []
    for page_field, udp_field in pairs:
        a, b = getattr(page, page_field), getattr(RTCarInfo, udp_field)
        if a.size != b.size or _scalar(dict(fields_of(page))[page_field]) is not _scalar(
                dict(fields_of(RTCarInfo))[udp_field]):
            raise TypeError(f"{page.__name__}.{page_field} and RTCarInfo.{udp_field} differ")
        out.append((a.offset, b.offset, a.size))
    return tuple(out)


_PHYSICS_COPIES = _copies(AcPhysics, PHYSICS_FROM)
_GRAPHICS_COPIES = _copies(AcGraphics, GRAPHICS_FROM)
_ACCG = [(AcPhysics.accG.offset + 4 * i, getattr(RTCarInfo, f).offset)
         for i, f in enumerate(ACCG_FROM)]
_INT = struct.Struct("<i")
_FLOAT = struct.Struct("<f")
_BOOL = struct.Struct("<?")
_RPM = (AcPhysics.rpms.offset, RTCarInfo.engineRPM.offset)
_LIMITER = (AcPhysics.pitLimiterOn.offset, RTCarInfo.isEngineLimiterOn.offset)
_IN_PIT = (AcGraphics.isInPit.offset, RTCarInfo.isInPit.offset)
_LAP_TIME = RTCarInfo.lapTime.offset
_CURRENT_TIME = (AcGraphics.currentTime.offset, AcGraphics.currentTime.size)


class CarInfoPages:
    """The AC physics and graphics pages one RTCarInfo stands for (status LIVE, packetId
    the capture's datagram count)."""

    def __init__(self) -> None:
        self._physics = bytearray(bytes(AcPhysics()))
        self._graphics = bytearray(bytes(AcGraphics()))
        _INT.pack_into(self._graphics, STATUS_OFFSET, STATUS_LIVE)

    def pages(self, data: bytes, packet_id: int) -> tuple[bytes, bytes]:
        """(physics, graphics) page bytes of a valid RTCarInfo datagram."""
        ph, gr = self._physics, self._graphics
        for page_off, udp_off, n in _PHYSICS_COPIES:
            ph[page_off:page_off + n] = data[udp_off:udp_off + n]
        for page_off, udp_off in _ACCG:
            ph[page_off:page_off + 4] = data[udp_off:udp_off + 4]
        rpm = _FLOAT.unpack_from(data, _RPM[1])[0]
        _INT.pack_into(ph, _RPM[0], int(rpm) if np.isfinite(rpm) and abs(rpm) < 2**31 else 0)
        _INT.pack_into(ph, _LIMITER[0], int(_BOOL.unpack_from(data, _LIMITER[1])[0] != 0))
        _INT.pack_into(ph, 0, packet_id)
        for page_off, udp_off, n in _GRAPHICS_COPIES:
            gr[page_off:page_off + n] = data[udp_off:udp_off + n]
        _INT.pack_into(gr, _IN_PIT[0], int(data[_IN_PIT[1]] != 0))
        text = encode_text(format_lap_time(_INT.unpack_from(data, _LAP_TIME)[0]),
                           _CURRENT_TIME[1] // 2)
        off, size = _CURRENT_TIME
        gr[off:off + size] = text.ljust(size, b"\0")
        _INT.pack_into(gr, 0, packet_id)
        return bytes(ph), bytes(gr)


def static_page(info: GameInfo, car_info: np.void | None) -> bytes:
    """The AC static page of what the handshake named (car, driver, track, layout) and
    the tyre radii of the first RTCarInfo; everything else UDP does not say stays zero
    (no track length: the lap distance is then integrated from the speed)."""
    fmt = FORMATS[("ac", "static")]
    vals = fmt.blank()
    fmt.set(vals, "carModel", info.car)
    fmt.set(vals, "playerName", info.driver)
    fmt.set(vals, "track", info.track)
    fmt.set(vals, "trackConfiguration", info.track_config)
    if car_info is not None:
        radii = [float(r) for r in car_info["tyreRadius"]]
        fmt.set(vals, "tyreRadius", [r if np.isfinite(r) and 0 < r < 5 else 0.0
                                     for r in radii])
    return fmt.struct.pack(*vals)


class UdpLink:
    """One UDP socket talking to the game at ``host:port``: the game answers to the
    address a request came from, so requests and datagrams share the socket."""

    def __init__(self, host: str, port: int = PORT) -> None:
        try:
            infos = socket.getaddrinfo(host, port, socket.AF_INET, socket.SOCK_DGRAM)
        except (socket.gaierror, UnicodeError, OverflowError) as exc:
            raise UsageError(f"cannot find the game's address {host!r}: {exc}") from None
        address = infos[0][4]  # AF_INET: (host, port)
        self.game: tuple[str, int] = (str(address[0]), int(address[1]))
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        with contextlib.suppress(OSError):  # else the system's default buffer
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECV_BUFFER)
        self.sock.bind(("0.0.0.0", 0))
        self.sock.setblocking(False)

    def send(self, op: Operation) -> bool:
        """Send one request; False when the network refused it (no route, no interface)."""
        try:
            self.sock.sendto(encode_operation(op), self.game)
        except OSError:
            return False
        return True

    def recv(self, timeout: float) -> tuple[bytes, tuple[str, int]] | None:
        """The next datagram and its sender, or None after ``timeout`` seconds."""
        try:
            return self._recv()
        except BlockingIOError:
            pass
        if not select.select([self.sock], [], [], timeout)[0]:
            return None
        try:
            return self._recv()
        except BlockingIOError:
            return None

    def _recv(self) -> tuple[bytes, tuple[str, int]] | None:
        try:
            data, addr = self.sock.recvfrom(MAX_DATAGRAM)
        except ConnectionError:  # an ICMP "port unreachable" for an earlier request
            return None
        return data, addr[:2]

    def close(self) -> None:
        self.sock.close()
