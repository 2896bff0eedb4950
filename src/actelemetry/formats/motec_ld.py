"""MoTeC i2's binary ``.ld`` log: read into a :class:`ForeignLog`, write one i2 opens.

Why one module of about 440 lines: the reader and the writer follow the same sections of
the spec and share its block layouts; split, each half would repeat them.

Written from the facts in ``spec/motec_ld.md`` (section numbers below refer to it). The
file is a fixed 1762-byte header and blocks reached only through pointers, so the reader
never assumes positions: every pointer is checked against the file's size, the channel
list walk remembers where it has been (a loop is an error, not a hang) and is capped, and
a sample array is read only when it lies wholly inside the file. Anything wrong is one
:class:`SessionFileError` line naming the file.

Samples are read one channel at a time with ``numpy.frombuffer``; no Python loop touches
individual samples.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import numpy as np

from actelemetry.errors import SessionFileError, UsageError, one_line
from actelemetry.formats.log import ForeignLog, LogChannel
from actelemetry.formats.motec_ldx import read_ldx, write_ldx
from actelemetry.store.output import atomic_file

HEADER_SIZE = 1762
MARKER = 0x40
CHANNEL_BLOCK = 124
#: no real log has near this many channels; a walk that gets here is corrupt
MAX_CHANNELS = 10_000
#: decimal places beyond this are corruption, not precision (10^-309 is no longer a float)
MAX_DECIMALS = 30
EVENT_SIZE = 1160  # fields used by i2 end at +1160 (section 4)
VENUE_SIZE = 1102
VEHICLE_SIZE = 260

#: (type code, sample size) -> stored dtype (section 6)
SAMPLE_TYPES: dict[tuple[int, int], str] = {
    (0, 2): "<i2", (0, 4): "<i4", (3, 2): "<i2", (3, 4): "<i4",
    (5, 2): "<i2", (5, 4): "<i4", (7, 2): "<f2", (7, 4): "<f4",
}

# header fields (section 3): name -> (offset, struct format)
_H_NUMBERS = {"marker": (0, "<I"), "channel_meta_ptr": (8, "<I"), "channel_data_ptr": (12, "<I"),
              "event_ptr": (36, "<I"), "device_serial": (70, "<I"), "device_version": (82, "<H"),
              "num_channels": (86, "<I")}
_H_STRINGS = {"date": (94, 16), "time": (126, 16), "driver": (158, 64), "vehicle_id": (222, 64),
              "venue": (350, 64), "session": (1508, 64), "comment": (1572, 64),
              "device_type": (74, 8)}

#: the ACC identity triple of section 10 (serial, u16@84, u32@1502, u16@64)
_IDENTITY = (8004, 0xADB0, 0x000C81A4, 1)


def _text(buf: bytes, offset: int, size: int) -> str:
    """A fixed-width string field: Latin-1, cut at the first NUL, spaces stripped."""
    return buf[offset:offset + size].split(b"\0", 1)[0].decode("latin-1").strip()


@dataclass
class _Block:
    """One channel's metadata block (section 5)."""

    offset: int
    next_ptr: int
    data_ptr: int
    count: int
    type_code: int
    size: int
    rate: int
    shift: int
    mul: int
    scale: int
    dec: int
    name: str
    short_name: str
    unit: str


_CHANNEL = struct.Struct("<IIIIHHHHhhhh32s8s12s")


class _Reader:
    """Bounds-checked random access to one open file."""

    def __init__(self, fh: BinaryIO, path: Path, size: int) -> None:
        self.fh, self.path, self.size = fh, path, size

    def fail(self, why: str) -> SessionFileError:
        return SessionFileError(one_line(f"{self.path}: {why}"))

    def read(self, offset: int, n: int, what: str) -> bytes:
        if offset < 0 or n < 0 or offset + n > self.size:
            raise self.fail(f"{what} at byte {offset} ({n} bytes) lies past the end of the "
                            f"file ({self.size} bytes): the file is cut or corrupt")
        self.fh.seek(offset)
        data = self.fh.read(n)
        if len(data) != n:  # the file shrank under us
            raise self.fail(f"{what} at byte {offset}: the file ended early")
        return data


def read_ld(path: Path) -> ForeignLog:
    """Every channel of the ``.ld`` at ``path`` at its own rate, scaled to physical values,
    with the header's metadata; lap marks from ``X.ldx`` beside it when there is one (one
    that cannot be read leaves the log one stint, with why in ``meta["warnings"]``)."""
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            size = fh.seek(0, 2)
            log = _read(_Reader(fh, path, size))
    except OSError as exc:
        raise SessionFileError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    ldx = path.with_suffix(".ldx")
    if ldx.is_file():
        try:  # a damaged sidecar costs the laps, not the data: said in the warnings
            log.lap_marks = read_ldx(ldx).marks
            log.meta["ldx"] = str(ldx)
        except SessionFileError as exc:
            log.meta["warnings"] = "; ".join(
                w for w in (log.meta.get("warnings"), f"lap beacons not read: {exc}") if w)
    return log


def _read(r: _Reader) -> ForeignLog:
    if r.size < HEADER_SIZE:
        raise r.fail(f"not a MoTeC .ld file ({r.size} bytes; its header alone is "
                     f"{HEADER_SIZE})")
    head = r.read(0, HEADER_SIZE, "the header")
    h = {k: struct.unpack_from(f, head, o)[0] for k, (o, f) in _H_NUMBERS.items()}
    if h["marker"] != MARKER:
        raise r.fail(f"not a MoTeC .ld file (first word {h['marker']:#x}, an .ld starts "
                     "with 0x40)")
    meta = {k: _text(head, o, n) for k, (o, n) in _H_STRINGS.items()}
    meta["device_serial"] = str(h["device_serial"])
    meta["device_version"] = str(h["device_version"])
    if h["event_ptr"]:
        meta.update(_read_event(r, h["event_ptr"]))
    meta["vehicle"] = meta.get("vehicle") or meta.get("vehicle_id", "")
    venue_block = meta.pop("venue_block", "")
    meta["venue"] = meta.get("venue") or venue_block
    warnings: list[str] = []
    blocks = _walk(r, h["channel_meta_ptr"])
    if len(blocks) != h["num_channels"]:
        warnings.append(f"header says {h['num_channels']} channels, the list holds "
                        f"{len(blocks)}")
    channels: dict[str, LogChannel] = {}
    unreadable: list[str] = []
    for b in blocks:
        ch = _read_channel(r, b)
        if ch is None:
            unreadable.append(f"{b.name} (type {b.type_code}, {b.size} bytes, "
                              f"{b.dec} decimals)")
            continue
        name, k = ch.name, 2
        while name in channels:  # two channels of one name: keep both
            name, k = f"{ch.name} ({k})", k + 1
        ch.name = name
        channels[name] = ch
    warnings += _fix_rates(channels)
    if unreadable:
        warnings.append("channels of unknown sample type skipped: " + ", ".join(unreadable))
    if warnings:
        meta["warnings"] = "; ".join(warnings)
    return ForeignLog(source=r.path, fmt="ld", channels=channels,
                      meta={k: v for k, v in meta.items() if v})


def _read_event(r: _Reader, ptr: int) -> dict[str, str]:
    """Event, venue and vehicle blocks (section 4); each pointer checked."""
    ev = r.read(ptr, 1156, "the event block")
    meta = {"event": _text(ev, 0, 64), "event_session": _text(ev, 64, 64),
            "long_comment": _text(ev, 128, 1024)}
    venue_ptr = struct.unpack_from("<H", ev, 1152)[0]
    if venue_ptr:
        ve = r.read(venue_ptr, 1100, "the venue block")
        meta["venue_block"] = _text(ve, 0, 64)
        vehicle_ptr = struct.unpack_from("<H", ve, 1098)[0]
        if vehicle_ptr:
            vh = r.read(vehicle_ptr, VEHICLE_SIZE, "the vehicle block")
            weight = struct.unpack_from("<I", vh, 192)[0]
            meta.update({"vehicle": _text(vh, 0, 64), "vehicle_description": _text(vh, 64, 64),
                         "vehicle_weight": str(weight) if weight else "",
                         "vehicle_type": _text(vh, 196, 32),
                         "vehicle_comment": _text(vh, 228, 32)})
    return meta


def _walk(r: _Reader, ptr: int) -> list[_Block]:
    """The channel list from ``ptr`` along next pointers to 0; loops and runaway lists are
    errors (section 9, step 4)."""
    blocks: list[_Block] = []
    seen: set[int] = set()
    while ptr:
        if ptr in seen:
            raise r.fail(f"channel list loops back to byte {ptr} after {len(blocks)} "
                         "channels: the file is corrupt")
        if len(blocks) >= MAX_CHANNELS:
            raise r.fail(f"channel list runs past {MAX_CHANNELS} channels: the file is "
                         "corrupt")
        seen.add(ptr)
        raw = r.read(ptr, CHANNEL_BLOCK, f"channel block {len(blocks) + 1}")
        (_, nxt, data_ptr, count, _, type_code, size, rate, shift, mul, scale, dec,
         name, short, unit) = _CHANNEL.unpack_from(raw)
        blocks.append(_Block(ptr, nxt, data_ptr, count, type_code, size, rate, shift, mul,
                             scale, dec, _text(name, 0, 32), _text(short, 0, 8),
                             _text(unit, 0, 12)))
        ptr = nxt
    return blocks


def _read_channel(r: _Reader, b: _Block) -> LogChannel | None:
    """One channel's samples, converted (section 7); None for an unknown sample type."""
    label = b.name or f"at byte {b.offset}"
    if b.count == 0:
        values = np.empty(0, np.float64)
    else:
        dtype = SAMPLE_TYPES.get((b.type_code, b.size))
        if dtype is None or abs(b.dec) > MAX_DECIMALS:
            return None
        raw = r.read(b.data_ptr, b.count * b.size, f"the samples of channel {label!r}")
        values = np.frombuffer(raw, dtype).astype(np.float64)
        del raw
        scale = b.scale or 1  # a 0 would divide by zero; treat as 1 like other readers
        mul = b.mul or 1
        if scale != 1:
            values /= scale
        if b.dec > 0:
            values /= 10.0 ** b.dec
        elif b.dec < 0:
            values *= 10.0 ** -b.dec
        if b.shift:
            values += b.shift
        if mul != 1:
            values *= mul
    return LogChannel(name=b.name or f"channel@{b.offset}", unit=b.unit, values=values,
                      rate_hz=float(b.rate) if b.rate else None,
                      decimals=b.dec if b.type_code != 7 else None)


def _fix_rates(channels: dict[str, LogChannel]) -> list[str]:
    """Channels whose count / rate disagrees with the duration most channels share get the
    rate that fits it (section 8: AC Evo mislabels some); a rate of 0 likewise."""
    durations = {n: len(c.values) / c.rate_hz for n, c in channels.items()
                 if c.rate_hz and len(c.values)}
    if not durations:
        return [f"channel {n!r} has no rate" for n, c in channels.items()
                if not c.rate_hz and len(c.values)]
    values = sorted(durations.values())
    support = [sum(1 for v in values if abs(v - d) <= 0.02 * d) for d in values]
    best = max(range(len(values)), key=lambda i: (support[i], values[i]))
    ref, agreed = values[best], support[best] >= 2
    warnings = []
    for n, c in channels.items():
        if not len(c.values) or ref <= 0:
            continue
        if c.rate_hz and not (agreed and abs(durations[n] - ref) > 0.05 * ref):
            continue
        old = c.rate_hz or 0.0
        c.rate_hz = len(c.values) / ref
        warnings.append(f"channel {n!r}: rate {old:g} Hz does not fit the log's {ref:g} s; "
                        f"read at {c.rate_hz:.6g} Hz")
    return warnings


# --- writing ---------------------------------------------------------------------------------

@dataclass
class _Encoded:
    """How one channel is stored: (type code, size), decimals and the raw bytes."""

    type_code: int
    size: int
    dec: int
    data: bytes


def _encode(ch: LogChannel) -> _Encoded:
    """The narrowest exact encoding: whole numbers as int16/int32, values with stated
    decimals as scaled integers when they fit, everything else float32 (NaN stays NaN)."""
    v = np.asarray(ch.values, dtype=np.float64)
    if not len(v):
        return _Encoded(7, 4, 0, b"")
    if np.isfinite(v).all():
        dec = ch.decimals if ch.decimals is not None and 0 <= ch.decimals <= 6 else 0
        scaled = v * 10.0 ** dec if dec else v
        whole = np.round(scaled)
        if dec or np.array_equal(whole, scaled):
            lo, hi = whole.min(), whole.max()
            if lo >= -32768 and hi <= 32767:
                return _Encoded(3, 2, dec, whole.astype("<i2").tobytes())
            if lo >= -(2**31) and hi <= 2**31 - 1:
                return _Encoded(3, 4, dec, whole.astype("<i4").tobytes())
    with np.errstate(over="ignore"):
        return _Encoded(7, 4, 0, v.astype("<f4").tobytes())


def _field(text: str, size: int) -> bytes:
    """A fixed-width field, always NUL-terminated (section 10, point 7)."""
    raw = text.encode("latin-1", "replace")[: size - 1]
    return raw.ljust(size, b"\0")


def _check_rates(log: ForeignLog) -> dict[str, int]:
    rates = {}
    for name, ch in log.channels.items():
        rate = ch.rate_hz or 0.0
        if ch.times is not None or not (1 <= rate <= 65535) or rate != round(rate):
            raise UsageError(f"channel {name!r}: an .ld needs a whole sample rate of 1 to "
                             f"65535 Hz, this one has {rate:g}")
        rates[name] = int(round(rate))
    return rates


def ld_names(names: list[str]) -> dict[str, str]:
    """Each name as it fits the 31 characters of a channel block, made unique."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for name in names:
        short = name.encode("latin-1", "replace")[:31].decode("latin-1")
        k = 2
        while short in used:
            tag = f"~{k}"
            short = short[: 31 - len(tag)] + tag
            k += 1
        used.add(short)
        out[name] = short
    return out


def _header(meta: dict[str, str], n: int, meta_ptr: int, data_ptr: int,
            event_ptr: int) -> bytes:
    serial, key84, key1502, key64 = _IDENTITY
    h = bytearray(HEADER_SIZE)
    struct.pack_into("<I", h, 0, MARKER)
    struct.pack_into("<III", h, 8, meta_ptr, data_ptr, 0)
    struct.pack_into("<I", h, 36, event_ptr)
    struct.pack_into("<HIIH", h, 64, key64, 1_000_000, serial, 0)
    h[74:82] = _field("ADL", 8)
    struct.pack_into("<HHI", h, 82, 420, key84, n)
    for key, (offset, size) in _H_STRINGS.items():
        if key != "device_type":
            h[offset:offset + size] = _field(meta.get(key, ""), size)
    h[350:414] = _field(meta.get("venue", ""), 64)
    h[222:286] = _field(meta.get("vehicle_id", meta.get("vehicle", "")), 64)
    struct.pack_into("<I", h, 1502, key1502)
    return bytes(h)


def _event(meta: dict[str, str], venue_ptr: int) -> bytes:
    ev = bytearray(EVENT_SIZE)
    ev[0:64] = _field(meta.get("event", ""), 64)
    ev[64:128] = _field(meta.get("event_session", meta.get("session", "")), 64)
    ev[128:1152] = _field(meta.get("long_comment", ""), 1024)
    struct.pack_into("<H", ev, 1152, venue_ptr)
    return bytes(ev)


def _venue(meta: dict[str, str], vehicle_ptr: int) -> bytes:
    ve = bytearray(VENUE_SIZE)
    ve[0:64] = _field(meta.get("venue", ""), 64)
    struct.pack_into("<H", ve, 1098, vehicle_ptr)
    return bytes(ve)


def _vehicle(meta: dict[str, str]) -> bytes:
    vh = bytearray(VEHICLE_SIZE)
    vh[0:64] = _field(meta.get("vehicle", ""), 64)
    weight = meta.get("vehicle_weight", "")
    if weight.isdigit() and int(weight) < 2**32:
        struct.pack_into("<I", vh, 192, int(weight))
    vh[196:228] = _field(meta.get("vehicle_type", "Car"), 32)
    vh[228:260] = _field(meta.get("vehicle_comment", ""), 32)
    return bytes(vh)


def write_ld(path: Path, log: ForeignLog,
             progress: Callable[[int, int], None] | None = None) -> tuple[Path, Path]:
    """Write ``log`` as ``path`` (.ld) and its ``.ldx`` beside it (lap beacons), each
    atomically; returns both paths.

    Layout as section 10 recommends: header, event, venue and vehicle blocks (all below
    65 536), the channel blocks, then the sample arrays in list order. Metadata keys used:
    venue, vehicle, driver, date (DD/MM/YYYY), time (HH:MM:SS), comment, session, event,
    long_comment, vehicle_type, vehicle_weight, vehicle_comment.
    """
    path = Path(path)
    meta = log.meta
    rates = _check_rates(log)
    names = ld_names(list(log.channels))
    event_ptr = HEADER_SIZE
    venue_ptr = event_ptr + EVENT_SIZE
    vehicle_ptr = venue_ptr + VENUE_SIZE
    first_block = vehicle_ptr + VEHICLE_SIZE
    n = len(log.channels)
    data_ptr = first_block + n * CHANNEL_BLOCK
    with atomic_file(path) as tmp, open(tmp, "wb") as fh:
        fh.write(_header(meta, n, first_block if n else 0, data_ptr, event_ptr))
        fh.write(_event(meta, venue_ptr))
        fh.write(_venue(meta, vehicle_ptr))
        fh.write(_vehicle(meta))
        encoded = []
        at = data_ptr
        for i, (name, ch) in enumerate(log.channels.items()):
            enc = _encode(ch)
            encoded.append(enc)
            own = first_block + i * CHANNEL_BLOCK
            fh.write(_CHANNEL.pack(
                own - CHANNEL_BLOCK if i else 0, own + CHANNEL_BLOCK if i < n - 1 else 0,
                at, len(ch.values), (0x2EE1 + i) & 0xFFFF, enc.type_code, enc.size,
                rates[name], 0, 1, 1, enc.dec, _field(names[name], 32),
                _field(_short_name(names[name]), 8), _field(ch.unit, 12)))
            fh.write(bytes(CHANNEL_BLOCK - _CHANNEL.size))
            at += len(enc.data)
        for i, enc in enumerate(encoded):
            fh.write(enc.data)
            if progress:
                progress(i + 1, n)
    ldx = write_ldx(path.with_suffix(".ldx"), list(log.lap_marks))
    return path, ldx


def _short_name(name: str) -> str:
    """A 7-character abbreviation for i2's narrow columns."""
    return name[:7]


def quantum(ch: LogChannel) -> float:
    """The largest difference a write and read of ``ch`` may introduce at a value of 1
    (relative for float32, absolute for scaled integers): what "equal within the channel's
    quantisation" means in tests and in the export's check."""
    enc = _encode(LogChannel(ch.name, ch.unit, ch.values, ch.rate_hz, None, ch.decimals))
    if enc.type_code == 7:
        return float(np.finfo(np.float32).eps)
    return 0.5 * 10.0 ** -enc.dec if enc.dec else 0.0

