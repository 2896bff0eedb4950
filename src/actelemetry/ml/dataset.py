"""State-to-action datasets from session files, split by lap, session, driver or track, never
by frame.

Why one module of about 360 lines: it is the pipeline, in the order it runs, from sessions
to the saved folder; what each step knows is its own module (features, split, windows, card).

100 Hz frames are nearly identical, so a random frame split puts a test frame's twin in
the training set and inflates R². Here whole groups (laps, sessions, drivers or tracks) are
held out, the
normaliser and the track's reference line are fitted on training laps only, out / pit /
partial / invalid laps are left out by default, and sequence windows stay inside one lap.

Output folder (the seed's names first):
``X_states.npy``, ``X_states_normalized.npy``, ``y_actions.npy``, ``X_sequences.npy``,
``normalization_min.npy``, ``normalization_max.npy``; then ``y_sequences.npy`` and
``sequence_rows.npy`` (the row each window ends on), ``dataset.parquet`` (ids, split,
every available feature, actions), ``track_maps.json`` and the dataset card
(``dataset_card.md`` for people, ``dataset_card.json`` for programs).

With ``folds`` the folder instead holds ``fold_1`` .. ``fold_K`` (each such a dataset, one
set of groups held out, its normaliser and reference line from its own training groups) and
``folds.json`` naming them: `ml train` then evaluates every fold.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from actelemetry.analysis.present import missing_minimum
from actelemetry.errors import SessionFileError, UsageError
from actelemetry.ml.card import (
    CARD_FILE,
    CardSession,
    PrepareOptions,
    build_card,
    card_markdown,
)
from actelemetry.ml.features import (
    ACTIONS,
    FEATURE_SETS,
    FEATURES,
    FeatureContext,
    Normaliser,
    TrackMap,
    channels_needed,
    compute_features,
    resolve_features,
    session_rate,
    track_key,
)
from actelemetry.ml.split import (
    LapRecord,
    assign_split,
    exclusion_counts,
    fold_groups,
    label_groups,
    lap_table,
    number_kept,
)
from actelemetry.ml.timebase import TIMING_CHANNELS, clock, is_irregular, lap_numbers, resample
from actelemetry.ml.windows import position_in_group, run_labels, window_ends, window_indices
from actelemetry.store.files import column_names, find_session_files, read_columns
from actelemetry.store.output import staged_folder
from actelemetry.store.session import session_metadata

#: where datasets go, and where `ml train` looks, unless told otherwise
DEFAULT_DATA_DIR = Path("ml_data")
#: flags that decide which laps are kept, read when present (absent: not known to hold,
#: except that without partial_lap the first and last laps of a log are partial)
LAP_CHANNELS = ("lap_valid", "out_lap", "partial_lap", "in_pit_lane")
#: in a dataset folder made with folds: the folds and what each holds out
FOLDS_FILE = "folds.json"
#: channels read when present (timing, gaps, the track position for the reference line)
OPTIONAL_CHANNELS = ("gap_before_s", "lap_distance_m", "pos_x", "pos_z")

@dataclass
class _Session:
    path: Path
    meta: dict[str, Any]
    names: set[str]
    track: str
    track_length: float
    rate_hz: float
    resampled: bool = False  # irregular samples put on a regular grid (ML only)
    laps: list[LapRecord] = field(default_factory=list)
    lap_of_row: np.ndarray | None = None
    keep_rows: np.ndarray | None = None
    map_rows: dict[str, np.ndarray] = field(default_factory=dict)


# --- the whole pipeline --------------------------------------------------------------------
def prepare_dataset(paths: list[Path], out_dir: Path, *, features: str | tuple[str, ...] = "seed",
                    split: str = "lap", test_fraction: float = 0.25, seed: int = 0,
                    seq_len: int = 50, seq_stride: int = 25, every: int = 1,
                    prev_lag_s: float = 0.2, keep_invalid: bool = False,
                    keep_out_laps: bool = False, keep_partial: bool = False,
                    keep_pit: bool = False, write_sequences: bool = True,
                    folds: int = 0, rate_hz: float | None = None,
                    on_session: Callable[[Path], None] | None = None) -> Path:
    """Build a state-to-action dataset from session files (or folders of them) in ``out_dir``.

    ``split`` names what is held out whole (lap, session, driver, track); ``folds`` >= 2
    writes one dataset per fold instead (see the module's docstring); ``rate_hz`` puts
    every session on a regular grid at that rate (otherwise only irregular sessions are
    resampled, at their median step).

    Returns ``out_dir``. Raises :class:`SessionFileError` / :class:`UsageError` (one line)
    for an empty folder, a missing channel, or no usable laps.
    """
    opts = PrepareOptions(features, split, test_fraction, seed, seq_len, seq_stride, every,
                          prev_lag_s, keep_invalid, keep_out_laps, keep_partial, keep_pit,
                          write_sequences, folds, rate_hz)
    opts.check()
    named = isinstance(features, str) and features.strip() in FEATURE_SETS
    chosen = resolve_features(features)
    files = find_session_files(paths)
    # a named set is trained on what the sessions have; a list given feature by feature
    # must be there whole
    strict = set() if named else channels_needed(chosen)

    # pass 1: lap flags and track positions only
    sessions: list[_Session] = []
    for sid, path in enumerate(files):
        names = set(column_names(path))
        lacks = missing_minimum(names)
        if lacks:
            raise SessionFileError(f"{path}: not a session: missing {lacks}")
        missing = [a for a in ACTIONS if a not in names]
        if missing:
            raise SessionFileError(f"{path}: missing {', '.join(missing)}: a dataset needs "
                                   f"the driver's actions {', '.join(ACTIONS)} (its targets)")
        missing = sorted(strict - names)
        if missing:
            raise SessionFileError(f"{path}: missing channel(s) {', '.join(missing)} "
                                   f"(needed for features {opts.feature_spec})")
        meta = session_metadata(path) if path.suffix == ".parquet" or \
            path.with_name(path.name + ".meta.json").exists() else {}
        light, resampled = _read(path, names, [*LAP_CHANNELS, *OPTIONAL_CHANNELS],
                                 opts.rate_hz)
        laps, lap_of_row = lap_table(light, sid, opts.kept_reasons)
        stated = opts.rate_hz or (None if resampled else meta.get("rate_hz"))
        s = _Session(path, meta, names, _track_name(meta), 0.0,
                     session_rate(stated, light["session_time"]), resampled, laps, lap_of_row)
        s.track_length = float(meta.get("track_length_m") or 0.0) or float(
            np.nanmax(light["lap_distance_m"]) if "lap_distance_m" in light else 0.0)
        if {"lap_distance_m", "pos_x", "pos_z"} <= names:
            s.map_rows = {k: light[k] for k in ("lap_distance_m", "pos_x", "pos_z")}
        sessions.append(s)

    all_laps = [lap for s in sessions for lap in s.laps]
    if not any(not lap.excluded for lap in all_laps):
        counts = exclusion_counts(all_laps)
        detail = ", ".join(f"{v} {k}" for k, v in counts.items() if v) or "no laps"
        raise SessionFileError(f"no usable laps in {len(files)} session(s) ({detail}); "
                               "--keep-invalid / --keep-out-laps / --keep-partial include them")
    number_kept(all_laps)
    labels = [s.path.name for s in sessions]
    if len(set(labels)) < len(labels):  # same file names in different folders
        labels = [str(s.path) for s in sessions]
    label_groups(all_laps, opts.split, {i: {
        "session": labels[i], "driver": str(s.meta.get("driver") or "").strip(),
        "track": s.track if s.meta.get("track") else ""} for i, s in enumerate(sessions)})
    out_dir = Path(out_dir)
    if opts.folds:
        plan = fold_groups(all_laps, opts.split, opts.folds, opts.seed)
        with staged_folder(out_dir) as stage:
            for k, test_groups in enumerate(plan, 1):
                assign_split(all_laps, opts.split, opts.test_fraction, opts.seed, test_groups)
                _build(stage / f"fold_{k}", sessions, files, opts, features, chosen, named,
                       on_session)
            (stage / FOLDS_FILE).write_text(json.dumps({
                "by": opts.split, "seed": opts.seed,
                "folds": [{"folder": f"fold_{k}", "test_groups": g}
                          for k, g in enumerate(plan, 1)]}, indent=1), encoding="utf-8")
        (out_dir / CARD_FILE).unlink(missing_ok=True)  # a stale single dataset
        return out_dir
    assign_split(all_laps, opts.split, opts.test_fraction, opts.seed)
    with staged_folder(out_dir) as stage:
        _build(stage, sessions, files, opts, features, chosen, named, on_session)
    (out_dir / FOLDS_FILE).unlink(missing_ok=True)  # stale folds of an earlier run
    return out_dir


def _build(out: Path, sessions: list[_Session], files: list[Path], opts: PrepareOptions,
           features: str | tuple[str, ...], chosen: tuple[str, ...], named: bool,
           on_session: Callable[[Path], None] | None) -> None:
    """One dataset in ``out`` from the sessions as their laps are now split."""
    # reference lines from training laps only
    track_maps = _build_track_maps(sessions)

    # which features every session can give
    left_out = {f: _lacking(f, sessions, track_maps) for f in FEATURES}
    available = [f for f in FEATURES if not left_out[f]]
    if named:
        chosen = tuple(f for f in chosen if f in available)
        if not chosen:
            raise SessionFileError(f"no feature of set {opts.feature_spec} can be computed "
                                   f"from {len(files)} session(s): " + "; ".join(
                                       f"{f} needs {', '.join(left_out[f])}"
                                       for f in FEATURE_SETS[opts.feature_spec]))
    skipped = {f: left_out[f] for f in resolve_features(features) if f not in chosen}
    wanted_channels = set(ACTIONS) | channels_needed(available) | set(LAP_CHANNELS) | {
        c for c in OPTIONAL_CHANNELS if all(c in s.names for s in sessions)}

    # pass 2: features per session (whole session, so lags look back continuously)
    parts: list[dict[str, np.ndarray]] = []
    for s in sessions:
        if on_session is not None:
            on_session(s.path)
        parts.append(_session_rows(s, sorted(wanted_channels), available, opts, track_maps))
    table = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    _write(out, table, sessions, chosen, available, track_maps, opts, skipped)


def _read(path: Path, names: set[str], wanted: Iterable[str], rate_hz: float | None = None
          ) -> tuple[dict[str, np.ndarray], bool]:
    """The ``wanted`` channels the file has, with its clock (``session_time``) and lap
    numbers (``current_lap``) made from whichever channels give them; an irregular session
    (every session, given ``rate_hz``) resampled onto a regular grid (True when it was)."""
    timing = [c for c in TIMING_CHANNELS if c in names]
    cols = read_columns(path, [*timing, *(c for c in wanted if c in names)])
    t = clock(cols)
    laps = lap_numbers(cols)
    if t is None or laps is None:  # checked before: missing_minimum
        raise SessionFileError(f"{path}: not a session: missing "
                               f"{missing_minimum(names)}")
    cols["session_time"], cols["current_lap"] = t, laps
    if rate_hz or is_irregular(t):
        try:
            return resample(cols, t, 1.0 / rate_hz if rate_hz else None), True
        except ValueError as exc:
            raise SessionFileError(f"{path}: {exc}") from exc
    return cols, False


def _lacking(feature: str, sessions: list[_Session], track_maps: dict[str, TrackMap]
             ) -> tuple[str, ...]:
    """The channels some session lacks for ``feature`` (empty: every session gives it)."""
    needs = FEATURES[feature].needs
    lacks = tuple(c for c in needs if any(c not in s.names for s in sessions))
    if not lacks and feature.startswith("curvature_") and not track_maps:
        lacks = tuple(c for c in ("pos_x", "pos_z") if any(c not in s.names
                                                             for s in sessions)) \
            or ("a track map (pos_x, pos_z and a track length)",)
    return lacks


def _track_name(meta: dict[str, Any]) -> str:
    return track_key(str(meta.get("track") or ""), str(meta.get("track_config") or ""))


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
    cols, _ = _read(s.path, s.names, channels, opts.rate_hz)
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
    frame = position_in_group(s.lap_of_row)
    rows = kept & (frame % opts.every == 0)
    out: dict[str, np.ndarray] = {
        "session": np.full(rows.sum(), s.path.name, dtype=object),
        "session_id": np.full(rows.sum(), s.laps[0].session_id if s.laps else 0, np.int32),
        "track": np.full(rows.sum(), s.track, dtype=object),
        "lap": np.asarray(cols["current_lap"])[rows].astype(np.int32),
        "lap_id": lap_id[rows].astype(np.int32),
        "split": split[rows],
        "group": np.array([lap.group for lap in lap_rec], dtype=object)[s.lap_of_row][rows],
        "segment": segment[rows].astype(np.int32),
        "frame": frame[rows].astype(np.int32),
        "session_time": np.asarray(cols["session_time"], dtype=np.float64)[rows],
        # absent is absent: NaN, never a made-up distance
        "lap_distance_m": np.asarray(cols.get("lap_distance_m", np.full(n, np.nan)),
                                     dtype=np.float64)[rows],
    }
    for f in available:
        out[f] = feats[f][rows].astype(np.float32)
    for a in ACTIONS:
        out[f"y_{a}"] = np.asarray(cols[a], dtype=np.float32)[rows]
    return out


def _write(out: Path, table: dict[str, np.ndarray], sessions: list[_Session],
           chosen: tuple[str, ...], available: list[str], track_maps: dict[str, TrackMap],
           opts: PrepareOptions, skipped: dict[str, tuple[str, ...]]) -> Path:
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

    groups = row_groups(table)
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
        {k: m.to_dict() for k, m in track_maps.items()}), encoding="utf-8")
    card = build_card(
        table["split"],
        [CardSession(s.path.name, s.track, str(s.meta.get("car", "")),
                     str(s.meta.get("game", "")), s.rate_hz, len(s.laps)) for s in sessions],
        [lap for s in sessions for lap in s.laps], chosen, available, sorted(track_maps), opts,
        norm, len(ends))
    card["left_out"] = {f: list(needs) for f, needs in skipped.items()}
    card["resampled"] = [s.path.name for s in sessions if s.resampled]
    (out / "dataset_card.json").write_text(json.dumps(card, indent=1), encoding="utf-8")
    (out / "dataset_card.md").write_text(card_markdown(card), encoding="utf-8")
    return out


def row_groups(table: dict[str, np.ndarray]) -> np.ndarray:
    """A label per row that changes at every lap or gap: windows never cross one."""
    return run_labels(table["lap_id"].astype(np.int64), table["segment"].astype(np.int64))


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
        return row_groups(self.table)


def load_dataset(data_dir: Path) -> Dataset:
    """Read a folder written by :func:`prepare_dataset`."""
    data_dir = Path(data_dir)
    card_path, parquet = data_dir / "dataset_card.json", data_dir / "dataset.parquet"
    if not card_path.exists() or not parquet.exists():
        raise UsageError(f"{data_dir}: not a prepared dataset (run `actelemetry ml prepare "
                         "SESSION...` or `actelemetry analyze SESSION --ml` first, or give "
                         "--data FOLDER)")
    card = json.loads(card_path.read_text(encoding="utf-8"))
    tbl = pq.read_table(parquet)
    table = {n: tbl.column(n).to_numpy(zero_copy_only=False) for n in tbl.column_names}
    maps_path = data_dir / "track_maps.json"
    maps = {k: TrackMap.from_dict(v)
            for k, v in json.loads(maps_path.read_text(encoding="utf-8")).items()} \
        if maps_path.exists() else {}
    return Dataset(data_dir, table, card, maps)
