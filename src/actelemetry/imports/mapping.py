"""Mapping files: which field of a foreign log is which catalogue channel, in what unit.

A mapping is a small TOML file (read with :mod:`tomllib`); its format is documented in
``docs/import_export.md``. :func:`load_mapping` parses and checks one and refuses a bad one
with a one-line :class:`~actelemetry.errors.UsageError` naming the file and the key.
:func:`shipped_mappings` are the ones in ``imports/mappings/`` plus ``actelemetry`` (the
project's own session files, every catalogue channel under its own name, built here).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from actelemetry.channels.catalogue import BY_NAME, CATALOGUE, names_for
from actelemetry.errors import UsageError
from actelemetry.imports import units

LAP_METHODS = ("marks", "column", "time_reset", "position_wrap", "none")
GEAR_CONVENTIONS = ("catalogue", "ac")  # ac: 0 = R, 1 = N, 2 = first (the games' raw gear)
#: channels the [time] and [laps] tables make; a mapping cannot name them in [channels]
MADE_HERE = ("timestamp", "completed_laps", "current_lap")
_TOP = {"name", "description", "game", "formats", "prefix", "none", "time", "laps",
        "channels", "meta"}
_SPEC = {"field", "unit", "scale", "offset", "none", "gear"}
_TIME = {"field", "unit", "epoch", "lap_field"}
_LAPS = {"method", "field", "first"}
_FORMATS = ("ld", "motec-csv", "csv", "jsonl", "json", "parquet")


@dataclass(frozen=True)
class Source:
    """One way to read a channel: the first of ``fields`` the file has, in ``unit``."""

    fields: tuple[str, ...]
    unit: str | None = None  # the unit the file uses when it states none
    scale: float = 1.0
    offset: float = 0.0
    none: tuple[float, ...] = ()  # values that mean "no value" (sentinels)
    gear: str = "catalogue"


@dataclass(frozen=True)
class Mapping:
    """A checked mapping."""

    name: str
    origin: str  # the file it came from, or "built in"
    description: str = ""
    game: str = ""
    formats: tuple[str, ...] = ()
    channels: dict[str, tuple[Source, ...]] = field(default_factory=dict)
    time_fields: tuple[str, ...] = ()
    time_unit: str = "s"
    epoch: bool | str = "auto"  # True: Unix time; False: from the log's start; "auto"
    lap_time_fields: tuple[str, ...] = ()  # per-lap time (distance-sampled logs)
    lap_methods: tuple[str, ...] = ("marks", "position_wrap")
    lap_fields: tuple[str, ...] = ()
    lap_first: int = 0
    meta: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def fields(self) -> set[str]:
        """Every source field the mapping can use (for picking the best mapping)."""
        out = set(self.time_fields) | set(self.lap_fields) | set(self.lap_time_fields)
        for sources in self.channels.values():
            for s in sources:
                out.update(s.fields)
        return out


def _fail(origin: str, key: str, why: str) -> UsageError:
    return UsageError(f"{origin}: {key}: {why}")


def _names(value: Any, origin: str, key: str, prefix: str) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(
            isinstance(v, str) and v for v in items):
        raise _fail(origin, key, "should be a field name or a list of field names")
    return tuple(prefix + v for v in items)


def _number(value: Any, origin: str, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(origin, key, f"should be a number, not {type(value).__name__}")
    return float(value)


def _numbers(value: Any, origin: str, key: str) -> tuple[float, ...]:
    items = value if isinstance(value, list) else [value]
    return tuple(_number(v, origin, key) for v in items)


def _source(spec: Any, channel: str, origin: str, key: str, prefix: str,
            none: tuple[float, ...]) -> Source:
    if isinstance(spec, str):
        spec = {"field": spec}
    if not isinstance(spec, dict):
        raise _fail(origin, key, "should be a field name or a table with field = ...")
    extra = set(spec) - _SPEC
    if extra:
        raise _fail(origin, f"{key}.{sorted(extra)[0]}", "unknown key (known: "
                    + ", ".join(sorted(_SPEC)) + ")")
    if "field" not in spec:
        raise _fail(origin, key, "needs field = ...")
    target = BY_NAME[channel].unit
    unit = spec.get("unit")
    scale = _number(spec.get("scale", 1.0), origin, f"{key}.scale")
    offset = _number(spec.get("offset", 0.0), origin, f"{key}.offset")
    if unit is not None:
        if not isinstance(unit, str) or not units.known(unit):
            raise _fail(origin, f"{key}.unit", f"unknown unit {unit!r}")
        if units.factor_offset(unit, target) is None and "scale" not in spec:
            raise _fail(origin, f"{key}.unit", f"{unit!r} does not convert to {channel}'s "
                        f"unit {target!r} (give scale = ... to convert by hand)")
    gear = spec.get("gear", "catalogue")
    if gear not in GEAR_CONVENTIONS:
        raise _fail(origin, f"{key}.gear", "should be one of " + ", ".join(GEAR_CONVENTIONS))
    if gear != "catalogue" and channel != "gear":
        raise _fail(origin, f"{key}.gear", "only the gear channel has a gear convention")
    own_none = _numbers(spec["none"], origin, f"{key}.none") if "none" in spec else ()
    return Source(_names(spec["field"], origin, f"{key}.field", prefix), unit, scale, offset,
                  own_none + none, gear)


def parse_mapping(data: dict[str, Any], origin: str) -> Mapping:
    """A checked :class:`Mapping` from parsed TOML (``origin`` names it in errors)."""
    extra = set(data) - _TOP
    if extra:
        raise _fail(origin, sorted(extra)[0], "unknown key (known: "
                    + ", ".join(sorted(_TOP)) + ")")
    name = data.get("name")
    if not isinstance(name, str) or not name:
        raise _fail(origin, "name", "a mapping needs a name")
    game = data.get("game", "")
    if game not in ("", "ac", "acc"):
        raise _fail(origin, "game", "should be ac, acc or empty")
    formats = data.get("formats", [])
    if not isinstance(formats, list) or any(f not in _FORMATS for f in formats):
        raise _fail(origin, "formats", "should list some of " + ", ".join(_FORMATS))
    prefix = data.get("prefix", "")
    if not isinstance(prefix, str):
        raise _fail(origin, "prefix", "should be text")
    none = _numbers(data["none"], origin, "none") if "none" in data else ()
    allowed = set(names_for(game or "acc"))
    channels: dict[str, tuple[Source, ...]] = {}
    table = data.get("channels", {})
    if not isinstance(table, dict) or not table:
        raise _fail(origin, "channels", "a mapping needs a [channels] table")
    for channel, spec in table.items():
        key = f"channels.{channel}"
        if channel in MADE_HERE:
            raise _fail(origin, key, "comes from the [time] and [laps] tables")
        if channel not in BY_NAME:
            raise _fail(origin, key, "not a catalogue channel (see actelemetry channels)")
        if channel not in allowed:
            raise _fail(origin, key, f"not a channel of {game} sessions")
        specs = spec if isinstance(spec, list) else [spec]
        if not specs:
            raise _fail(origin, key, "an empty list")
        channels[channel] = tuple(_source(s, channel, origin, key, prefix, none)
                                  for s in specs)
    time = data.get("time", {})
    if not isinstance(time, dict):
        raise _fail(origin, "time", "should be a table")
    extra = set(time) - _TIME
    if extra:
        raise _fail(origin, f"time.{sorted(extra)[0]}", "unknown key")
    time_unit = time.get("unit", "s")
    if units.factor_offset(str(time_unit), "s") is None:
        raise _fail(origin, "time.unit", f"{time_unit!r} is not a unit of time")
    epoch = time.get("epoch", "auto")
    if epoch not in (True, False, "auto"):
        raise _fail(origin, "time.epoch", "should be true, false or \"auto\"")
    if "field" in time and "lap_field" in time:
        raise _fail(origin, "time", "give field or lap_field, not both")
    time_fields = _names(time["field"], origin, "time.field", prefix) if "field" in time else ()
    lap_time = (_names(time["lap_field"], origin, "time.lap_field", prefix)
                if "lap_field" in time else ())
    laps = data.get("laps", {})
    if not isinstance(laps, dict):
        raise _fail(origin, "laps", "should be a table")
    extra = set(laps) - _LAPS
    if extra:
        raise _fail(origin, f"laps.{sorted(extra)[0]}", "unknown key")
    methods = laps.get("method", ["marks", "position_wrap"])
    methods = [methods] if isinstance(methods, str) else methods
    if not isinstance(methods, list) or not methods or any(m not in LAP_METHODS
                                                           for m in methods):
        raise _fail(origin, "laps.method", "should be one or a list of "
                    + ", ".join(LAP_METHODS))
    lap_fields = _names(laps["field"], origin, "laps.field", prefix) if "field" in laps else ()
    if {"column", "time_reset"} & set(methods) and not lap_fields:
        raise _fail(origin, "laps.field", "the column and time_reset methods need a field")
    if "position_wrap" in methods and "lap_fraction" not in channels:
        raise _fail(origin, "laps.method", "position_wrap needs channels.lap_fraction")
    if lap_time and not ({"column", "time_reset"} & set(methods)):
        raise _fail(origin, "time.lap_field", "a per-lap time needs laps from a column "
                    "or a lap-time reset")
    first = laps.get("first", 0)
    if isinstance(first, bool) or not isinstance(first, int):
        raise _fail(origin, "laps.first", "should be an integer")
    meta_table = data.get("meta", {})
    if not isinstance(meta_table, dict):
        raise _fail(origin, "meta", "should be a table")
    meta = {k: _names(v, origin, f"meta.{k}", "") for k, v in meta_table.items()}
    desc = data.get("description", "")
    return Mapping(name=name, origin=origin, description=str(desc), game=game,
                   formats=tuple(formats), channels=channels, time_fields=time_fields,
                   time_unit=str(time_unit), epoch=epoch, lap_time_fields=lap_time,
                   lap_methods=tuple(methods), lap_fields=lap_fields, lap_first=first,
                   meta=meta)


def load_mapping(path: Path) -> Mapping:
    """A mapping file, parsed and checked."""
    try:
        text = Path(path).read_bytes()
    except OSError as exc:
        raise UsageError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    try:
        data = tomllib.loads(text.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}: not UTF-8 text") from exc
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: not valid TOML ({exc})") from exc
    return parse_mapping(data, str(path))


def own_mapping() -> Mapping:
    """The project's own session files: every catalogue channel under its own name."""
    channels: dict[str, tuple[Source, ...]] = {
        c.name: (Source((c.name,), c.unit),) for c in CATALOGUE if c.name not in MADE_HERE}
    return Mapping(name="actelemetry", origin="built in",
                   description="session files written by actelemetry (any of its formats)",
                   game="", formats=("csv", "jsonl", "json", "parquet"), channels=channels,
                   time_fields=("timestamp",), time_unit="s", epoch=True,
                   lap_methods=("column",), lap_fields=("completed_laps",), lap_first=0)


@cache
def shipped_mappings() -> tuple[Mapping, ...]:
    """Every mapping that comes with the package, by name."""
    folder = resources.files("actelemetry.imports") / "mappings"
    found = [own_mapping()]
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if item.name.endswith(".toml"):
            data = tomllib.loads(item.read_text(encoding="utf-8"))
            found.append(parse_mapping(data, f"mappings/{item.name}"))
    return tuple(found)


def mapping_named(name: str) -> Mapping:
    """A shipped mapping by name, or a mapping file by path."""
    for m in shipped_mappings():
        if m.name == name:
            return m
    path = Path(name)
    if path.suffix == ".toml" or path.exists():
        return load_mapping(path)
    names = ", ".join(m.name for m in shipped_mappings())
    raise UsageError(f"--map {name}: neither a mapping file nor a shipped mapping ({names})")
