"""MoTeC i2's ``.ldx`` sidecar: the lap beacons (and a few summary strings) of a ``.ld`` log.

Written from the facts in ``spec/motec_ldx.md``. The XML is parsed with expat directly so a
document type declaration or an entity is refused before anything is expanded (a sidecar
never needs either), and files above :data:`MAX_BYTES` are refused unread.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import Any, NoReturn
from xml.parsers import expat
from xml.sax.saxutils import quoteattr

from actelemetry.errors import SessionFileError, one_line
from actelemetry.store.output import atomic_file

#: a real sidecar is a few kB; anything this large is not one
MAX_BYTES = 16 * 1024 * 1024
#: marker times are microseconds since the log's first sample
US_PER_S = 1_000_000.0


@dataclass
class LdxInfo:
    """What a sidecar says: beacon crossings (s, sorted, unique) and its Details strings."""

    marks: list[float] = field(default_factory=list)
    details: dict[str, str] = field(default_factory=dict)


class _Refused(Exception):
    """Raised inside expat's callbacks to stop at a DTD or entity."""


def _parse_xml(data: bytes) -> ET.Element:
    builder = ET.TreeBuilder()
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def refuse(*_: Any) -> NoReturn:
        raise _Refused("it declares a document type or entities, which a sidecar never has")

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.StartElementHandler = lambda tag, attrs: builder.start(tag, attrs)
    parser.EndElementHandler = lambda tag: builder.end(tag)
    parser.Parse(data, True)
    return builder.close()


def parse_ldx(data: bytes, where: str) -> LdxInfo:
    """The beacons and details of a sidecar's bytes; ``where`` names it in errors."""
    if len(data) > MAX_BYTES:
        raise SessionFileError(f"{where}: {len(data)} bytes is too large for an .ldx sidecar")
    try:
        root = _parse_xml(data)
    except _Refused as exc:
        raise SessionFileError(f"{where}: not accepted as an .ldx sidecar: {exc}") from exc
    except expat.ExpatError as exc:
        raise SessionFileError(one_line(f"{where}: not valid XML ({exc})")) from exc
    except (ValueError, LookupError, RecursionError) as exc:  # odd encodings, deep nesting
        raise SessionFileError(one_line(f"{where}: not valid XML ({exc})")) from exc
    if root.tag != "LDXFile":
        raise SessionFileError(one_line(f"{where}: root element is <{root.tag[:40]}>, "
                                        "not <LDXFile>: not an .ldx sidecar"))
    groups = list(root.iter("MarkerGroup"))
    beacons = [g for g in groups if g.get("Name") == "Beacons"]
    markers = [m for g in beacons for m in g.iter("Marker")] if beacons \
        else list(root.iter("Marker"))
    marks: set[float] = set()
    for k, marker in enumerate(markers, 1):
        text = marker.get("Time")
        if text is None:
            continue
        try:
            us = float(text)
        except ValueError as exc:
            raise SessionFileError(one_line(f"{where}: marker {k} has Time {text[:40]!r}, "
                                            "not a number")) from exc
        if math.isfinite(us) and us >= 0:
            marks.add(us / US_PER_S)
    details = {s.get("Id", ""): s.get("Value", "") for d in root.iter("Details")
               for s in d.iter("String") if s.get("Id")}
    return LdxInfo(sorted(marks), details)


def read_ldx(path: Path) -> LdxInfo:
    """The sidecar at ``path``; a one-line :class:`SessionFileError` when it cannot be read."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise SessionFileError(f"{path}: {size} bytes is too large for an .ldx sidecar")
        data = path.read_bytes()
    except OSError as exc:
        raise SessionFileError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    return parse_ldx(data, str(path))


def lap_time_text(seconds: float) -> str:
    """``M:SS.mmm`` as i2's Details show a lap time."""
    ms = int(round(seconds * 1000))
    return f"{ms // 60000}:{ms % 60000 // 1000:02d}.{ms % 1000:03d}"


def ldx_text(marks: list[float]) -> str:
    """A sidecar for beacon crossings at ``marks`` (s), in the shape of ``motec_ldx.md``
    section 7. Laps are numbered with the out-lap as lap 1 (the lap ending at marker k is
    lap k), as sim-to-motec and ACC do."""
    times = sorted({float(t) for t in marks if math.isfinite(t) and t >= 0})
    lines = ['<?xml version="1.0"?>',
             '<LDXFile Locale="English_United Kingdom.1252" DefaultLocale="C" Version="1.6">',
             " <Layers>"]
    if times:
        lines += ["  <Layer>", "   <MarkerBlock>",
                  '    <MarkerGroup Name="Beacons" Index="3">']
        for k, t in enumerate(times, 1):
            lines.append(f'     <Marker Version="100" ClassName="BCN" Name="Manual.{k}" '
                         f'Flags="77" Time="{t * US_PER_S:.6f}"/>')
        lines += ["    </MarkerGroup>", "   </MarkerBlock>", "   <RangeBlock/>", "  </Layer>"]
    details = [("Total Laps", str(len(times) + 1))]
    laps = [b - a for a, b in pairwise(times)]
    if laps:
        best = min(range(len(laps)), key=laps.__getitem__)
        details += [("Fastest Time", lap_time_text(laps[best])), ("Fastest Lap", str(best + 2))]
    lines.append("  <Details>")
    lines += [f"   <String Id={quoteattr(k)} Value={quoteattr(v)}/>" for k, v in details]
    lines += ["  </Details>", " </Layers>", "</LDXFile>", ""]
    return "\n".join(lines)


def write_ldx(path: Path, marks: list[float]) -> Path:
    """Write the sidecar for ``marks`` atomically; returns its path."""
    path = Path(path)
    with atomic_file(path) as tmp:
        tmp.write_text(ldx_text(marks), encoding="ascii")
    return path
