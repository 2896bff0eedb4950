"""State-to-action datasets from session files, split by lap or by session, never by frame.

100 Hz frames are nearly identical, so a random frame split puts a test frame's twin in
the training set and inflates R². Here whole laps (or whole sessions) are held out, the
normaliser and the track's reference line are fitted on training laps only, out / pit /
partial / invalid laps are left out by default, and sequence windows stay inside one lap.

Output folder (the seed's names first):
``X_states.npy``, ``X_states_normalized.npy``, ``y_actions.npy``, ``X_sequences.npy``,
``normalization_min.npy``, ``normalization_max.npy``; then ``y_sequences.npy`` and
``sequence_rows.npy`` (the row each window ends on), ``dataset.parquet`` (ids, split,
every available feature, actions), ``track_maps.json`` and the dataset card
(``dataset_card.md`` for people, ``dataset_card.json`` for programs).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq

from actelemetry.errors import SessionFileError, UsageError
from actelemetry.ml.features import (
    ACTIONS,
    FEATURES,
    LEAKY_FEATURE,
    FeatureContext,
    Normaliser,
    TrackMap,
    channels_needed,
    compute_features,
    resolve_features,
    track_key,
)
from actelemetry.store.output import staged_folder
from actelemetry.store.session import session_metadata

SESSION_SUFFIXES = (".parquet", ".csv", ".jsonl")
#: where datasets go, and where `ml train` looks, unless told otherwise
DEFAULT_DATA_DIR = Path("ml_data")
#: channels that identify laps and decide which are kept
LAP_CHANNELS = ("current_lap", "lap_valid", "out_lap", "partial_lap", "in_pit_lane")
#: channels read when present (timing, gaps, the track position for the reference line)
OPTIONAL_CHANNELS = ("session_time", "gap_before_s", "lap_distance_m", "pos_x", "pos_z")
CARD_VERSION = 1
EXCLUSION_REASONS = ("out lap", "pit lane", "partial", "invalid")


@dataclass
class LapRecord:
    """One lap of one session and what became of it."""

    session_id: int
    lap: int
    samples: int
    excluded: str = ""  # the reason, or "" when kept
    lap_id: int = -1
    split: str = ""


@dataclass
class PrepareOptions:
    """How a dataset is made; every choice is written into the card."""

    features: str | tuple[str, ...] = "seed"
    split: str = "lap"  # lap | session
    test_fraction: float = 0.25
    seed: int = 0
    seq_len: int = 50
    seq_stride: int = 25
    every: int = 1
    prev_lag_s: float = 0.2
    keep_invalid: bool = False
    keep_out_laps: bool = False
    keep_partial: bool = False
    keep_pit: bool = False
    write_sequences: bool = True

    def check(self) -> None:
        if self.split not in ("lap", "session"):
            raise UsageError(f"--split must be lap or session, not {self.split!r}")
        if not 0 < self.test_fraction < 1:
            raise UsageError(f"--test-fraction must be between 0 and 1, not {self.test_fraction}")
        if self.seq_len < 1 or self.seq_stride < 1 or self.every < 1:
            raise UsageError("--seq-len, --seq-stride and --every must be at least 1")


@dataclass
class _Session:
    path: Path
    meta: dict[str, Any]
    names: set[str]
    track: str
    track_length: float
    rate_hz: float
    laps: list[LapRecord] = field(default_factory=list)
    lap_of_row: np.ndarray | None = None
    keep_rows: np.ndarray | None = None
    map_rows: dict[str, np.ndarray] = field(default_factory=dict)


# --- reading session files -----------------------------------------------------------------
def find_sessions(paths: Iterable[Path]) -> list[Path]:
    """Session files named directly or found in named folders, in a stable order."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            inside = sorted(f for f in p.iterdir()
                            if f.suffix in SESSION_SUFFIXES and f.is_file())
            if not inside:
                raise SessionFileError(f"{p}: no session files (.parquet, .csv, .jsonl) in "
                                       "this folder")
            found.extend(inside)
        elif p.is_file():
            found.append(p)
        else:
            raise SessionFileError(f"{p}: no such file or folder")
    if not found:
        raise SessionFileError("no session files given")
    return list(dict.fromkeys(found))


def column_names(path: Path) -> set[str]:
    """The channels a session file holds, without reading its rows."""
    if path.suffix not in SESSION_SUFFIXES:
        raise SessionFileError(f"{path}: not a session file (expected .parquet, .csv or "
                               ".jsonl)")
    try:
        if path.suffix == ".parquet":
            return set(pq.read_schema(path).names)
        with open(path, encoding="utf-8") as fh:
            first = fh.readline()
        if not first.strip():
            raise SessionFileError(f"{path}: empty session file")
        if path.suffix == ".csv":
            return {c.strip().strip('"') for c in first.rstrip("\n").split(",")}
        row = json.loads(first)
        if not isinstance(row, dict):
            raise SessionFileError(f"{path}: line 1 is not a JSON object")
        return set(row)
    except (pa.ArrowException, OSError, ValueError, UnicodeDecodeError) as exc:
        raise SessionFileError(f"{path}: not a readable session file ({exc})") from exc


def read_columns(path: Path, names: Iterable[str]) -> dict[str, np.ndarray]:
    """Only the named channels of a session file, as NumPy arrays."""
    names = list(dict.fromkeys(names))
    try:
        if path.suffix == ".parquet":
            table = pq.read_table(path, columns=names)
        elif path.suffix == ".csv":
            table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(
                include_columns=names))
        else:
            table = pajson.read_json(path).select(names)
    except (pa.ArrowException, OSError, KeyError) as exc:
        raise SessionFileError(f"{path}: cannot read channels ({exc})") from exc
    if table.num_rows == 0:
        raise SessionFileError(f"{path}: the session holds no samples")
    wrong = [n for n in names if not (pa.types.is_integer(table.schema.field(n).type)
                                      or pa.types.is_floating(table.schema.field(n).type)
                                      or pa.types.is_boolean(table.schema.field(n).type))]
    if wrong:
        raise SessionFileError(f"{path}: channel(s) {', '.join(wrong[:5])} hold text, not "
                               "numbers")
    return {n: table.column(n).to_numpy(zero_copy_only=False) for n in names}


# --- laps and splits ---------------------------------------------------------------------------
def lap_table(cols: dict[str, np.ndarray], session_id: int,
              opts: PrepareOptions) -> tuple[list[LapRecord], np.ndarray]:
    """One record per lap with its exclusion reason, and each row's index into the records."""
    laps, first, inverse = np.unique(cols["current_lap"], return_index=True, return_inverse=True)
    order = np.argsort(first)  # laps in driving order
    records = []
    for k in order:
        rows = inverse == k

        def any_(name: str, rows: np.ndarray = rows) -> bool:
            return bool(np.asarray(cols[name][rows], dtype=bool).any())

        reason = ""
        if any_("out_lap") and not opts.keep_out_laps:
            reason = "out lap"
        elif any_("in_pit_lane") and not opts.keep_pit:
            reason = "pit lane"
        elif any_("partial_lap") and not opts.keep_partial:
            reason = "partial"
        elif not np.asarray(cols["lap_valid"][rows], dtype=bool).all() and not opts.keep_invalid:
            reason = "invalid"
        records.append(LapRecord(session_id, int(laps[k]), int(rows.sum()), reason))
    remap = np.empty(len(order), dtype=np.int64)
    remap[order] = np.arange(len(order))
    return records, remap[inverse]


def assign_split(laps: list[LapRecord], by: str, test_fraction: float, seed: int) -> None:
    """Hold out whole laps (or whole sessions) for testing; never single frames."""
    kept = [lap for lap in laps if not lap.excluded]
    units = sorted({lap.session_id for lap in kept}) if by == "session" else \
        list(range(len(kept)))
    if len(units) < 2:
        what = "sessions with usable laps" if by == "session" else "usable laps"
        raise UsageError(f"a {by} split needs at least 2 {what}, found {len(units)}")
    n_test = min(max(1, int(round(test_fraction * len(units)))), len(units) - 1)
    test = set(np.random.default_rng(seed).permutation(len(units))[:n_test].tolist())
    test_units = {units[i] for i in test}
    for i, lap in enumerate(kept):
        unit = lap.session_id if by == "session" else i
        lap.split = "test" if unit in test_units else "train"


def window_ends(groups: np.ndarray, length: int, stride: int) -> np.ndarray:
    """Rows that end a full window of ``length`` rows inside one group, ``stride`` apart."""
    n = len(groups)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    change = np.r_[True, groups[1:] != groups[:-1]]
    start = np.maximum.accumulate(np.where(change, np.arange(n), 0))
    offset = np.arange(n) - start  # position inside the group
    ok = (offset >= length - 1) & ((offset - (length - 1)) % stride == 0)
    return np.flatnonzero(ok)


def window_indices(groups: np.ndarray, ends: np.ndarray, length: int) -> np.ndarray:
    """Row indices of the window ending at each row, oldest first, never leaving the row's
    group: near a group's start the first row is repeated (left padding)."""
    n = len(groups)
    change = np.r_[True, groups[1:] != groups[:-1]] if n else np.zeros(0, bool)
    start = np.maximum.accumulate(np.where(change, np.arange(n), 0)) if n else change
    idx = ends[:, None] - np.arange(length - 1, -1, -1)[None, :]
    return np.maximum(idx, start[ends][:, None])


# --- the whole pipeline --------------------------------------------------------------------
def prepare_dataset(paths: list[Path], out_dir: Path, *, features: str | tuple[str, ...] = "seed",
                    split: str = "lap", test_fraction: float = 0.25, seed: int = 0,
                    seq_len: int = 50, seq_stride: int = 25, every: int = 1,
                    prev_lag_s: float = 0.2, keep_invalid: bool = False,
                    keep_out_laps: bool = False, keep_partial: bool = False,
                    keep_pit: bool = False, write_sequences: bool = True,
                    on_session: Callable[[Path], None] | None = None) -> Path:
    """Build a state-to-action dataset from session files (or folders of them) in ``out_dir``.

    Returns ``out_dir``. Raises :class:`SessionFileError` / :class:`UsageError` (one line)
    for an empty folder, a missing channel, or no usable laps.
    """
    opts = PrepareOptions(features, split, test_fraction, seed, seq_len, seq_stride, every,
                          prev_lag_s, keep_invalid, keep_out_laps, keep_partial, keep_pit,
                          write_sequences)
    opts.check()
    chosen = resolve_features(features)
    files = find_sessions(paths)
    required = set(LAP_CHANNELS) | set(ACTIONS) | channels_needed(chosen)

    # pass 1: lap flags and track positions only
    sessions: list[_Session] = []
    for sid, path in enumerate(files):
        names = column_names(path)
        missing = sorted(required - names)
        if missing:
            raise SessionFileError(f"{path}: missing channel(s) {', '.join(missing)} "
                                   f"(needed for features {_spec_name(features)} and laps)")
        meta = session_metadata(path) if path.suffix == ".parquet" or \
            path.with_name(path.name + ".meta.json").exists() else {}
        light = read_columns(path, [*LAP_CHANNELS,
                                    *(c for c in OPTIONAL_CHANNELS if c in names)])
        laps, lap_of_row = lap_table(light, sid, opts)
        s = _Session(path, meta, names, _track_name(meta), 0.0, _rate(meta, light), laps,
                     lap_of_row)
        s.track_length = float(meta.get("track_length_m") or 0.0) or float(
            np.nanmax(light["lap_distance_m"]) if "lap_distance_m" in light else 0.0)
        if {"lap_distance_m", "pos_x", "pos_z"} <= names:
            s.map_rows = {k: light[k] for k in ("lap_distance_m", "pos_x", "pos_z")}
        sessions.append(s)

    all_laps = [lap for s in sessions for lap in s.laps]
    if not any(not lap.excluded for lap in all_laps):
        counts = _exclusion_counts(all_laps)
        detail = ", ".join(f"{v} {k}" for k, v in counts.items() if v) or "no laps"
        raise SessionFileError(f"no usable laps in {len(files)} session(s) ({detail}); "
                               "--keep-invalid / --keep-out-laps / --keep-partial include them")
    for lap_id, lap in enumerate(lap for lap in all_laps if not lap.excluded):
        lap.lap_id = lap_id
    assign_split(all_laps, opts.split, opts.test_fraction, opts.seed)

    # reference lines from training laps only
    track_maps = _build_track_maps(sessions)

    # which features every session can give
    available = [f for f in FEATURES if all(channels_needed([f]) <= s.names for s in sessions)
                 and not (f.startswith("curvature_") and not track_maps)]
    wanted_channels = set(required) | channels_needed(available) | {
        c for c in OPTIONAL_CHANNELS if all(c in s.names for s in sessions)}

    # pass 2: features per session (whole session, so lags look back continuously)
    parts: list[dict[str, np.ndarray]] = []
    for s in sessions:
        if on_session is not None:
            on_session(s.path)
        parts.append(_session_rows(s, sorted(wanted_channels), available, opts, track_maps))
    table = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    with staged_folder(Path(out_dir)) as stage:
        _write(stage, table, sessions, chosen, available, track_maps, opts)
    return Path(out_dir)


def _spec_name(features: str | tuple[str, ...]) -> str:
    return features if isinstance(features, str) else ",".join(features)


def _track_name(meta: dict[str, Any]) -> str:
    return track_key(str(meta.get("track") or ""), str(meta.get("track_config") or ""))


def _rate(meta: dict[str, Any], cols: dict[str, np.ndarray]) -> float:
    rate = float(meta.get("rate_hz") or 0.0)
    if rate <= 0 and "session_time" in cols and len(cols["session_time"]) > 1:
        dt = np.diff(np.asarray(cols["session_time"], dtype=np.float64))
        rate = 1.0 / float(np.median(dt[dt > 0])) if (dt > 0).any() else 100.0
    return rate if rate > 0 else 100.0


def _exclusion_counts(laps: list[LapRecord]) -> dict[str, int]:
    return {r: sum(lap.excluded == r for lap in laps) for r in EXCLUSION_REASONS}


def _build_track_maps(sessions: list[_Session]) -> dict[str, TrackMap]:
    parts: dict[str, list[tuple[np.ndarray, ...]]] = {}
    lengths: dict[str, float] = {}
    for s in sessions:
        if not s.map_rows or s.lap_of_row is None or s.track_length <= 0:
            continue
        train = np.array([lap.split == "train" for lap in s.laps])[s.lap_of_row]
        if train.any():
            parts.setdefault(s.track, []).append(
                tuple(np.asarray(s.map_rows[k], dtype=np.float64)[train]
                      for k in ("lap_distance_m", "pos_x", "pos_z")))
            lengths[s.track] = max(lengths.get(s.track, 0.0), s.track_length)
    maps = {}
    for track, chunks in parts.items():
        d, x, z = (np.concatenate(c) for c in zip(*chunks, strict=True))
        maps[track] = TrackMap.build(track, lengths[track], d, x, z)
    return maps


def _session_rows(s: _Session, channels: list[str], available: list[str],
                  opts: PrepareOptions, track_maps: dict[str, TrackMap]
                  ) -> dict[str, np.ndarray]:
    cols = read_columns(s.path, [c for c in channels if c in s.names])
    n = len(cols["current_lap"])
    assert s.lap_of_row is not None and len(s.lap_of_row) == n
    gaps = np.asarray(cols.get("gap_before_s", np.zeros(n)), dtype=np.float64)
    segment = np.cumsum(gaps > 0)
    ctx = FeatureContext(s.rate_hz, opts.prev_lag_s, track_maps.get(s.track))
    feats = compute_features(cols, available, ctx, segment)

    lap_rec = s.laps
    kept = np.array([not lap.excluded for lap in lap_rec])[s.lap_of_row]
    lap_id = np.array([lap.lap_id for lap in lap_rec])[s.lap_of_row]
    split = np.array([lap.split or "" for lap in lap_rec], dtype=object)[s.lap_of_row]
    # position inside the lap, to decimate evenly from each lap's first sample
    change = np.r_[True, s.lap_of_row[1:] != s.lap_of_row[:-1]]
    start = np.maximum.accumulate(np.where(change, np.arange(n), 0))
    frame = np.arange(n) - start
    rows = kept & (frame % opts.every == 0)
    out: dict[str, np.ndarray] = {
        "session": np.full(rows.sum(), s.path.name, dtype=object),
        "session_id": np.full(rows.sum(), s.laps[0].session_id if s.laps else 0, np.int32),
        "track": np.full(rows.sum(), s.track, dtype=object),
        "lap": np.asarray(cols["current_lap"])[rows].astype(np.int32),
        "lap_id": lap_id[rows].astype(np.int32),
        "split": split[rows],
        "segment": segment[rows].astype(np.int32),
        "frame": frame[rows].astype(np.int32),
        "session_time": np.asarray(cols.get("session_time", np.arange(n) / s.rate_hz),
                                   dtype=np.float64)[rows],
        "lap_distance_m": np.asarray(cols.get("lap_distance_m", np.zeros(n)),
                                     dtype=np.float64)[rows],
    }
    for f in available:
        out[f] = feats[f][rows].astype(np.float32)
    for a in ACTIONS:
        out[f"y_{a}"] = np.asarray(cols[a], dtype=np.float32)[rows]
    return out


def _write(out: Path, table: dict[str, np.ndarray], sessions: list[_Session],
           chosen: tuple[str, ...], available: list[str], track_maps: dict[str, TrackMap],
           opts: PrepareOptions) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    train = table["split"] == "train"
    x = np.column_stack([table[f] for f in chosen]).astype(np.float32)
    y = np.column_stack([table[f"y_{a}"] for a in ACTIONS]).astype(np.float32)
    norm = Normaliser.fit(x[train])
    xn = norm.transform(x)
    np.save(out / "X_states.npy", x)
    np.save(out / "X_states_normalized.npy", xn)
    np.save(out / "y_actions.npy", y)
    np.save(out / "normalization_min.npy", norm.minimum.astype(np.float32))
    np.save(out / "normalization_max.npy", norm.maximum.astype(np.float32))

    groups = _groups(table)
    ends = window_ends(groups, opts.seq_len, opts.seq_stride) if opts.write_sequences else \
        np.zeros(0, np.int64)
    seq = np.lib.format.open_memmap(out / "X_sequences.npy", mode="w+", dtype=np.float32,
                                    shape=(len(ends), opts.seq_len, len(chosen)))
    for lo in range(0, len(ends), 4096):
        seq[lo:lo + 4096] = xn[window_indices(groups, ends[lo:lo + 4096], opts.seq_len)]
    seq.flush()
    del seq
    np.save(out / "y_sequences.npy", y[ends])
    np.save(out / "sequence_rows.npy", ends.astype(np.int64))

    pq.write_table(pa.table({k: v for k, v in table.items()}), out / "dataset.parquet",
                   compression="zstd")
    (out / "track_maps.json").write_text(json.dumps(
        {k: m.to_dict() for k, m in track_maps.items()}))
    card = _card(table, sessions, chosen, available, track_maps, opts, norm, len(ends))
    (out / "dataset_card.json").write_text(json.dumps(card, indent=1))
    (out / "dataset_card.md").write_text(card_markdown(card))
    return out


def _groups(table: dict[str, np.ndarray]) -> np.ndarray:
    """A label per row that changes at every lap or gap: windows never cross one."""
    lap = table["lap_id"].astype(np.int64)
    seg = table["segment"].astype(np.int64)
    change = np.r_[True, (lap[1:] != lap[:-1]) | (seg[1:] != seg[:-1])]
    return np.cumsum(change)


def _card(table: dict[str, np.ndarray], sessions: list[_Session], chosen: tuple[str, ...],
          available: list[str], track_maps: dict[str, TrackMap], opts: PrepareOptions,
          norm: Normaliser, n_windows: int) -> dict[str, Any]:
    laps = [lap for s in sessions for lap in s.laps]
    kept = [lap for lap in laps if not lap.excluded]
    names = {i: s.path.name for i, s in enumerate(sessions)}

    def lap_list(split: str) -> list[dict[str, Any]]:
        return [{"session": names[lap.session_id], "lap": lap.lap, "lap_id": lap.lap_id}
                for lap in kept if lap.split == split]

    rates = sorted({s.rate_hz for s in sessions})
    train = table["split"] == "train"
    return {
        "card_version": CARD_VERSION,
        "features": list(chosen),
        "feature_spec": _spec_name(opts.features),
        "available_features": available,
        "feature_info": {f: {"unit": FEATURES[f].unit, "description": FEATURES[f].description,
                             "leak": FEATURES[f].leak} for f in available},
        "actions": list(ACTIONS),
        "leaks": {LEAKY_FEATURE: FEATURES[LEAKY_FEATURE].leak,
                  "prev_*": "previous actions are the driver's own inputs a lag earlier "
                            f"({opts.prev_lag_s:g} s here): autoregressive, close to the target"},
        "rows": int(len(table["split"])),
        "rows_train": int(train.sum()),
        "rows_test": int((~train).sum()),
        "sessions": [{"file": s.path.name, "track": s.track, "car": s.meta.get("car", ""),
                      "game": s.meta.get("game", ""), "rate_hz": s.rate_hz,
                      "laps": len(s.laps)} for s in sessions],
        "rate_hz": rates[0] if len(rates) == 1 else rates,
        "sample_rate_hz": (rates[0] if len(rates) == 1 else max(rates)) / opts.every,
        "every": opts.every,
        "prev_lag_s": opts.prev_lag_s,
        "split": {"by": opts.split, "test_fraction": opts.test_fraction, "seed": opts.seed,
                  "train_laps": lap_list("train"), "test_laps": lap_list("test")},
        "laps_total": len(laps),
        "laps_kept": len(kept),
        "exclusions": _exclusion_counts(laps),
        "excluded_laps": [{"session": names[lap.session_id], "lap": lap.lap,
                           "reason": lap.excluded} for lap in laps if lap.excluded],
        "kept_options": {"invalid": opts.keep_invalid, "out_laps": opts.keep_out_laps,
                         "partial": opts.keep_partial, "pit": opts.keep_pit},
        "normaliser": {"kind": "min-max", "fitted_on": "training laps only",
                       "rows": int(train.sum()), **norm.to_dict()},
        "sequences": {"length": opts.seq_len, "stride": opts.seq_stride, "windows": n_windows,
                      "crosses_laps": False},
        "tracks": sorted(track_maps),
    }


def card_markdown(card: dict[str, Any]) -> str:
    """The dataset card for people."""
    split = card["split"]
    lines = [
        "# Dataset card", "",
        f"- Rows: {card['rows']} ({card['rows_train']} train, {card['rows_test']} test), "
        f"at {card['sample_rate_hz']:g} Hz (session rate {card['rate_hz']} Hz, every "
        f"{card['every']} sample(s))",
        f"- Sessions: {len(card['sessions'])}; laps: {card['laps_total']} seen, "
        f"{card['laps_kept']} kept",
        f"- Split: by **{split['by']}**, never by frame; {len(split['train_laps'])} training "
        f"laps, {len(split['test_laps'])} held-out laps (seed {split['seed']}, test fraction "
        f"{split['test_fraction']:g})",
        f"- Normaliser: min-max, fitted on the {card['normaliser']['rows']} training rows only "
        "(`normalization_min.npy`, `normalization_max.npy`)",
        f"- Sequences: windows of {card['sequences']['length']} rows, stride "
        f"{card['sequences']['stride']}, {card['sequences']['windows']} windows; no window "
        "crosses a lap or a gap",
        "- Exclusions: " + (", ".join(f"{v} {k}" for k, v in card["exclusions"].items() if v)
                            or "none"),
        "",
        "## Leakage warning", "",
        f"- `abs_steer` is {card['leaks']['abs_steer']}.",
        f"- `prev_*`: {card['leaks']['prev_*']}.",
        "",
        "## Features in X_states.npy (in column order)", "",
        "| # | feature | unit | meaning |", "|---|---|---|---|",
    ]
    for i, f in enumerate(card["features"]):
        info = card["feature_info"][f]
        flag = " **(leaks the target)**" if info["leak"] else ""
        desc = info["description"].replace("|", "\\|")
        lines.append(f"| {i} | `{f}` | {info['unit']} | {desc}{flag} |")
    lines += ["", "## Actions in y_actions.npy", "",
              "| # | action | range |", "|---|---|---|",
              "| 0 | `gas` | 0..1 |", "| 1 | `brake` | 0..1 |", "| 2 | `steer` | -1..1 |", "",
              "## Other features in dataset.parquet", "",
              ", ".join(f"`{f}`" for f in card["available_features"]
                        if f not in card["features"]) or "none", "",
              "## Sessions", "", "| file | track | car | rate (Hz) | laps |",
              "|---|---|---|---|---|"]
    for s in card["sessions"]:
        lines.append(f"| {s['file']} | {s['track']} | {s['car']} | {s['rate_hz']:g} | "
                     f"{s['laps']} |")
    lines += ["", "## Held-out laps", ""]
    lines += [f"- {t['session']} lap {t['lap']}" for t in split["test_laps"]]
    if card["excluded_laps"]:
        lines += ["", "## Excluded laps", ""]
        lines += [f"- {e['session']} lap {e['lap']}: {e['reason']}"
                  for e in card["excluded_laps"]]
    return "\n".join(lines) + "\n"


# --- reading a prepared dataset back --------------------------------------------------------
@dataclass
class Dataset:
    """A prepared dataset: its table (one row per kept sample), card and track maps."""

    path: Path
    table: dict[str, np.ndarray]
    card: dict[str, Any]
    track_maps: dict[str, TrackMap]

    @property
    def train(self) -> np.ndarray:
        return self.table["split"] == "train"

    @property
    def test(self) -> np.ndarray:
        return self.table["split"] == "test"

    def x(self, features: Iterable[str]) -> np.ndarray:
        missing = [f for f in features if f not in self.table]
        if missing:
            raise UsageError(f"{self.path}: the dataset lacks feature(s) {', '.join(missing)}")
        return np.column_stack([self.table[f] for f in features]).astype(np.float32)

    @property
    def y(self) -> np.ndarray:
        return np.column_stack([self.table[f"y_{a}"] for a in ACTIONS]).astype(np.float32)

    @property
    def groups(self) -> np.ndarray:
        return _groups(self.table)


def load_dataset(data_dir: Path) -> Dataset:
    """Read a folder written by :func:`prepare_dataset`."""
    data_dir = Path(data_dir)
    card_path, parquet = data_dir / "dataset_card.json", data_dir / "dataset.parquet"
    if not card_path.exists() or not parquet.exists():
        raise UsageError(f"{data_dir}: not a prepared dataset (run `actelemetry ml prepare "
                         "SESSION...` or `actelemetry analyze SESSION --ml` first, or give "
                         "--data FOLDER)")
    card = json.loads(card_path.read_text())
    tbl = pq.read_table(parquet)
    table = {n: tbl.column(n).to_numpy(zero_copy_only=False) for n in tbl.column_names}
    maps_path = data_dir / "track_maps.json"
    maps = {k: TrackMap.from_dict(v) for k, v in json.loads(maps_path.read_text()).items()} \
        if maps_path.exists() else {}
    return Dataset(data_dir, table, card, maps)
