"""Builds ``handmade.ld`` and ``handmade.ldx`` byte by byte from ``spec/motec_ld.md`` and
``spec/motec_ldx.md`` with ``struct`` only (not with the project's writer), so the reader is
checked against the spec rather than against itself.

The layout is deliberately unlike the project's writer: the vehicle block comes first (as in
ACC files), blocks have gaps between them, the channel list is not in address order, the
sample arrays are not in list order, the 64-byte header strings end with a space (MoTeC's
own sample does this), one channel's prev pointer points at itself (the GT7 converter does
this) and there are channels of an unknown sample type and an empty garbage-typed one.

Run ``python tests/data/motec/make_handmade.py`` to rebuild; a test checks the committed
files equal what this script makes.
"""

from __future__ import annotations

import struct
from pathlib import Path

HERE = Path(__file__).parent

# (name, short, unit, type, size, rate, shift, mul, scale, dec, raw samples)
CHANNELS = [
    ("Engine RPM", "RPM", "rpm", 3, 2, 10, 0, 6, 10, 0 - 1, [275 + 10 * i for i in range(20)]),
    ("Worked Example", "WEx", "x", 3, 2, 5, 10, 3, 4, 2, [-1234, 0, 1234, 4, -4] * 2),
    ("Air Temp Inlet", "Air Tem", "C", 3, 2, 1, 0, 1, 1, 1, [199, 205]),
    ("Lap Time", "LapT", "s", 5, 4, 20, 0, 1, 1, 3, [100_000 + 50 * i for i in range(40)]),
    ("Ground Speed", "Spd", "km/h", 7, 4, 50, 0, 1, 1, 0, [0.5 * i for i in range(100)]),
    ("Half Float", "Half", "bar", 7, 2, 2, 0, 1, 1, 0, [1.5, -2.25, 1024.0, 0.099975586]),
    ("GPS Latitude", "Lat", "deg", 8, 8, 10, 0, 1, 1, 0, [0] * 20),
    ("Mu Junk", "Mu", "", 17536, 5, 10, 0, 1, 1, 0, []),
]
#: where each channel's block and samples go (list order is CHANNELS order)
BLOCK_AT = [5000, 4600, 5300, 5600, 4724, 6100, 6300, 6500]
DATA_AT = [8000, 7000, 7100, 7200, 7500, 7400, 9000, 0]
VEHICLE_AT, VENUE_AT, EVENT_AT = 1762, 2100, 3300
SIZE = 9160
FORMATS = {(3, 2): "<h", (5, 4): "<i", (7, 4): "<f", (7, 2): "<e", (8, 8): "<q"}


def text(value: str, size: int, space: bool = False) -> bytes:
    raw = value.encode("latin-1").ljust(size, b"\0")
    return raw[:-1] + b" " if space else raw


def build_ld() -> bytes:
    buf = bytearray(SIZE)
    # header (section 3)
    struct.pack_into("<I", buf, 0, 0x40)
    struct.pack_into("<I", buf, 8, BLOCK_AT[0])
    struct.pack_into("<I", buf, 12, DATA_AT[0])
    struct.pack_into("<I", buf, 36, EVENT_AT)
    struct.pack_into("<H", buf, 64, 0)
    struct.pack_into("<I", buf, 66, 1_000_000)
    struct.pack_into("<I", buf, 70, 12007)
    buf[74:82] = text("ADL", 8)
    struct.pack_into("<H", buf, 82, 420)
    struct.pack_into("<H", buf, 84, 0x0080)
    struct.pack_into("<I", buf, 86, len(CHANNELS))
    buf[94:110] = text("23/11/2005", 16)
    buf[126:142] = text("10:20:30", 16)
    buf[158:222] = text("A. Driver", 64, space=True)
    buf[222:286] = text("11A", 64, space=True)
    buf[286:350] = text("", 64, space=True)
    buf[350:414] = text("Calder", 64, space=True)
    struct.pack_into("<I", buf, 1502, 0x00D20822)
    buf[1508:1572] = text("2", 64)
    buf[1572:1636] = text("second warmup", 64, space=True)
    buf[1644] = 0x63
    # vehicle block (section 4)
    buf[VEHICLE_AT:VEHICLE_AT + 64] = text("11A", 64)
    buf[VEHICLE_AT + 64:VEHICLE_AT + 128] = text("Daytona", 64)
    struct.pack_into("<I", buf, VEHICLE_AT + 192, 1360)
    buf[VEHICLE_AT + 196:VEHICLE_AT + 228] = text("Car", 32)
    buf[VEHICLE_AT + 228:VEHICLE_AT + 260] = text("handmade", 32)
    # venue block
    buf[VENUE_AT:VENUE_AT + 64] = text("Calder Park", 64)
    struct.pack_into("<H", buf, VENUE_AT + 1098, VEHICLE_AT)
    # event block
    buf[EVENT_AT:EVENT_AT + 64] = text("i2 data day", 64)
    buf[EVENT_AT + 64:EVENT_AT + 128] = text("2", 64)
    buf[EVENT_AT + 128:EVENT_AT + 1152] = text("Calder Park, 23/11/05, fine sunny day", 1024)
    struct.pack_into("<H", buf, EVENT_AT + 1152, VENUE_AT)
    # channel blocks (section 5) and their samples (section 8)
    for i, (name, short, unit, typ, size, rate, shift, mul, scale, dec, raw) in \
            enumerate(CHANNELS):
        at = BLOCK_AT[i]
        prev = BLOCK_AT[i - 1] if i else 0
        if name == "Half Float":
            prev = at  # a prev pointer at itself: readers must ignore prev
        nxt = BLOCK_AT[i + 1] if i + 1 < len(CHANNELS) else 0
        struct.pack_into("<IIIIHHHHhhhh", buf, at, prev, nxt, DATA_AT[i], len(raw), 4 + i,
                         typ, size, rate, shift, mul, scale, dec)
        buf[at + 32:at + 64] = text(name, 32)
        buf[at + 64:at + 72] = text(short, 8)
        buf[at + 72:at + 84] = text(unit, 12)
        if raw:
            fmt = FORMATS[(typ, size)]
            data = b"".join(struct.pack(fmt, v) for v in raw)
            buf[DATA_AT[i]:DATA_AT[i] + len(data)] = data
            struct.pack_into("<ii", buf, at + 84, int(max(raw)), int(min(raw)))
    return bytes(buf)


#: ACTI's older shape (motec_ldx.md section 6): tabs, utf-8 declaration, Version 1.5, a
#: marker at 0, no RangeBlock; plus a second marker group that is not the beacons
LDX = """<?xml version="1.0" encoding="utf-8"?>
<LDXFile Version="1.5">
\t<Layers>
\t\t<Layer>
\t\t\t<MarkerBlock>
\t\t\t\t<MarkerGroup Name="Beacons" Index="3">
\t\t\t\t\t<Marker Version="100" ClassName="BCN" Name="Manual.1" Flags="77" Time="0.000000"/>
\t\t\t\t\t<Marker Version="100" ClassName="BCN" Name="Manual.2" Flags="77" Time="750000.000000"/>
\t\t\t\t\t<Marker Version="100" ClassName="BCN" Name="Manual.3" Flags="77" Time="1.5e+06"/>
\t\t\t\t</MarkerGroup>
\t\t\t\t<MarkerGroup Name="Other" Index="1">
\t\t\t\t\t<Marker Version="100" ClassName="XYZ" Name="x" Flags="1" Time="1000000.0"/>
\t\t\t\t</MarkerGroup>
\t\t\t</MarkerBlock>
\t\t</Layer>
\t\t<Details>
\t\t\t<String Id="Fastest Time" Value="0:0.750"/>
\t\t\t<String Id="Fastest Lap" Value="1"/>
\t\t\t<String Id="Total Laps" Value="4"/>
\t\t</Details>
\t</Layers>
</LDXFile>
"""


def main() -> None:
    (HERE / "handmade.ld").write_bytes(build_ld())
    (HERE / "handmade.ldx").write_bytes(LDX.encode("utf-8"))
    print(f"wrote {HERE / 'handmade.ld'} and {HERE / 'handmade.ldx'}")


if __name__ == "__main__":
    main()
