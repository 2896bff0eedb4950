"""Builds ``handmade.ld``/``.ldx`` and ``acc_shaped.ld``/``.ldx`` byte by byte from
``spec/motec_ld.md`` and ``spec/motec_ldx.md`` with ``struct`` only (not with the project's
writer), so the reader is checked against the spec rather than against itself.

The layout is deliberately unlike the project's writer: the vehicle block comes first (as in
ACC files), blocks have gaps between them, the channel list is not in address order, the
sample arrays are not in list order, the 64-byte header strings end with a space (MoTeC's
own sample does this), one channel's prev pointer points at itself (the GT7 converter does
this) and there are channels of an unknown sample type and an empty garbage-typed one.

``acc_shaped`` is laid out as ACC lays out its files (section 2's ACC row: vehicle block at
1762, venue at 5078, event at 8180, channel blocks from 11336, samples right after them;
ACC's identity constants; every channel float32 with identity scaling; ACC's upper-case
channel names at the rates of ``motec_csv.md`` section 6; the track in the header's venue,
the car in the vehicle block and the event name, empty driver and vehicle id) with an
ACC-style sidecar (``n, id=99`` markers, Flags 13, scientific times, the lap counter
starting at 2). Its 8 s hold an out-lap, two laps of 2.5 s and 2.25 s, and an in-lap.

Run ``python tests/data/motec/make_handmade.py`` to rebuild; a test checks the committed
files equal what this script makes.
"""

from __future__ import annotations

import math
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


#: (name, unit, rate Hz, value at t seconds) of the ACC-shaped file; 8 s long
ACC_SECONDS = 8
ACC_MARKS = (1.5, 4.0, 6.25)  # line crossings (s)
ACC_CHANNELS = [
    ("LAP_BEACON", "", 100, lambda t: float(sum(t >= b for b in ACC_MARKS))),
    ("SPEED", "km/h", 60, lambda t: 120.0 + 60.0 * math.sin(t)),
    ("THROTTLE", "%", 60, lambda t: max(0.0, min(100.0, 50.0 + 80.0 * math.sin(2 * t)))),
    ("BRAKE", "%", 60, lambda t: max(0.0, -80.0 * math.sin(2 * t))),
    ("STEERANGLE", "deg", 60, lambda t: 90.0 * math.sin(0.7 * t)),
    ("RPMS", "rpm", 60, lambda t: 5000.0 + 2500.0 * math.sin(1.3 * t)),
    ("GEAR", "", 20, lambda t: float(2 + int(t) % 4)),
    ("G_LAT", "G", 20, lambda t: 1.8 * math.sin(0.7 * t)),
    ("G_LON", "G", 20, lambda t: 0.9 * math.cos(2 * t)),
    ("ROTY", "deg/s", 20, lambda t: 25.0 * math.sin(0.7 * t)),
    ("SUS_TRAVEL_LF", "mm", 200, lambda t: 30.0 + 5.0 * math.sin(9 * t)),
    ("TYRE_PRESS_LF", "psi", 20, lambda t: 27.5 + 0.01 * t),
]
ACC_BLOCKS = 11336
ACC_VEHICLE, ACC_VENUE, ACC_EVENT = 1762, 5078, 8180


def build_acc_ld() -> bytes:
    n = len(ACC_CHANNELS)
    data_at = ACC_BLOCKS + 124 * n
    arrays = [struct.pack(f"<{rate * ACC_SECONDS}f",
                          *(fn(k / rate) for k in range(rate * ACC_SECONDS)))
              for _, _, rate, fn in ACC_CHANNELS]
    buf = bytearray(data_at + sum(len(a) for a in arrays))
    struct.pack_into("<I", buf, 0, 0x40)
    struct.pack_into("<II", buf, 8, ACC_BLOCKS, data_at)
    struct.pack_into("<I", buf, 36, ACC_EVENT)
    struct.pack_into("<HIIH", buf, 64, 1, 1_000_000, 8004, 0)
    buf[74:82] = text("ADL", 8)
    struct.pack_into("<HHI", buf, 82, 420, 0xADB0, n)
    buf[94:110] = text("07/12/2021", 16)
    buf[126:142] = text("20:41:07", 16)
    buf[350:414] = text("Kyalami", 64)
    struct.pack_into("<I", buf, 1502, 0x000C81A4)
    buf[ACC_VEHICLE:ACC_VEHICLE + 64] = text("R8 LMS EVO", 64)
    struct.pack_into("<I", buf, ACC_VEHICLE + 192, 1360)
    buf[ACC_VENUE:ACC_VENUE + 64] = text("Kyalami", 64)
    struct.pack_into("<H", buf, ACC_VENUE + 1098, ACC_VEHICLE)
    buf[ACC_EVENT:ACC_EVENT + 64] = text("audi_r8_lms_evo", 64)
    struct.pack_into("<H", buf, ACC_EVENT + 1152, ACC_VENUE)
    at = data_at
    for i, ((name, unit, rate, _), arr) in enumerate(zip(ACC_CHANNELS, arrays, strict=True)):
        block = ACC_BLOCKS + 124 * i
        prev = block - 124 if i else 0
        nxt = block + 124 if i + 1 < n else 0
        struct.pack_into("<IIIIHHHHhhhh", buf, block, prev, nxt, at, len(arr) // 4,
                         0x2EE1 + i, 7, 4, rate, 0, 1, 1, 0)
        buf[block + 32:block + 64] = text(name, 32)
        buf[block + 64:block + 72] = text(name[:7], 8)
        buf[block + 72:block + 84] = text(unit, 12)
        buf[at:at + len(arr)] = arr
        at += len(arr)
    return bytes(buf)


_ACC_MARKERS = "\n".join(
    f'     <Marker Version="100" ClassName="BCN" Name="{k}, id=99" Flags="13" '
    f'Time="{t * 1e6:.17e}"/>' for k, t in enumerate(ACC_MARKS, 2))
ACC_LDX = f"""<?xml version="1.0"?>
<LDXFile Locale="English_United States.1252" DefaultLocale="C" Version="1.6">
 <Layers>
  <Layer>
   <MarkerBlock>
    <MarkerGroup Name="Beacons" Index="0">
{_ACC_MARKERS}
    </MarkerGroup>
   </MarkerBlock>
   <RangeBlock/>
  </Layer>
  <Details>
   <String Id="Total Laps" Value="4"/>
   <String Id="Fastest Time" Value="0:02.250"/>
   <String Id="Fastest Lap" Value="4"/>
  </Details>
 </Layers>
</LDXFile>
"""


def main() -> None:
    for name, ld, ldx in (("handmade", build_ld(), LDX), ("acc_shaped", build_acc_ld(), ACC_LDX)):
        (HERE / f"{name}.ld").write_bytes(ld)
        (HERE / f"{name}.ldx").write_bytes(ldx.encode("utf-8"))
        print(f"wrote {HERE / name}.ld and {HERE / name}.ldx")


if __name__ == "__main__":
    main()
