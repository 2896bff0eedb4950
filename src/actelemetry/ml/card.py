"""The dataset card (``dataset_card.json`` for programs, ``dataset_card.md`` for people) and
the options it records: how a dataset was made, from what, and what it leaves out."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from actelemetry.errors import UsageError
from actelemetry.ml.features import (
    ACTIONS,
    FEATURE_SET_INFO,
    FEATURE_SETS,
    FEATURES,
    LEAKY_FEATURE,
    PREV_ACTIONS,
    Normaliser,
)
from actelemetry.ml.split import EXCLUSION_REASONS, SPLITS, LapRecord, exclusion_counts

CARD_VERSION = 1
CARD_FILE = "dataset_card.json"


@dataclass
class PrepareOptions:
    """How a dataset is made; every choice is written into the card."""

    features: str | tuple[str, ...] = "seed"
    split: str = "lap"  # lap | session | driver | track
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
    folds: int = 0  # 0: one split; K >= 2: K folds over the groups
    rate_hz: float | None = None  # resample every session to this rate

    def check(self) -> None:
        if self.split not in SPLITS:
            raise UsageError(f"--split must be one of {', '.join(SPLITS)}, not {self.split!r}")
        if self.folds < 0 or self.folds == 1:
            raise UsageError(f"--folds must be 0 (one split) or at least 2, not {self.folds}")
        if self.rate_hz is not None and not self.rate_hz > 0:
            raise UsageError(f"--rate must be a positive number of Hz, not {self.rate_hz}")
        if not 0 < self.test_fraction < 1:
            raise UsageError(f"--test-fraction must be between 0 and 1, not {self.test_fraction}")
        if self.seq_len < 1 or self.seq_stride < 1 or self.every < 1:
            raise UsageError("--seq-len, --seq-stride and --every must be at least 1")

    @property
    def feature_spec(self) -> str:
        """The features as asked for: a set's name or a comma list."""
        return self.features if isinstance(self.features, str) else ",".join(self.features)

    @property
    def kept_reasons(self) -> frozenset[str]:
        """The exclusion reasons these options switch off."""
        flags = (self.keep_out_laps, self.keep_pit, self.keep_partial, self.keep_invalid)
        return frozenset(r for r, keep in zip(EXCLUSION_REASONS, flags, strict=True) if keep)


@dataclass(frozen=True)
class CardSession:
    """What the card says about one session file."""

    file: str
    track: str
    car: str
    game: str
    rate_hz: float
    laps: int


def build_card(split_of_row: np.ndarray, sessions: list[CardSession], laps: list[LapRecord],
               chosen: tuple[str, ...], available: list[str], tracks: list[str],
               opts: PrepareOptions, norm: Normaliser, n_windows: int) -> dict[str, Any]:
    """The dataset card for programs: every choice, count, exclusion and leak, so a model
    trained on the dataset can say what it was trained on."""
    kept = [lap for lap in laps if not lap.excluded]
    names = {i: s.file for i, s in enumerate(sessions)}

    def lap_list(split: str) -> list[dict[str, Any]]:
        return [{"session": names[lap.session_id], "lap": lap.lap, "lap_id": lap.lap_id,
                 "group": lap.group} for lap in kept if lap.split == split]

    def group_list(split: str) -> list[str]:
        return list(dict.fromkeys(lap.group for lap in kept if lap.split == split))

    rates = sorted({s.rate_hz for s in sessions})
    train = split_of_row == "train"
    return {
        "card_version": CARD_VERSION,
        "features": list(chosen),
        "feature_spec": opts.feature_spec,
        "available_features": available,
        "feature_info": {f: {"unit": FEATURES[f].unit, "description": FEATURES[f].description,
                             "leak": FEATURES[f].leak} for f in available},
        "actions": list(ACTIONS),
        "leaks": {LEAKY_FEATURE: FEATURES[LEAKY_FEATURE].leak,
                  "prev_*": "previous actions (" + ", ".join(PREV_ACTIONS) + ") are the "
                            f"driver's own inputs a lag earlier ({opts.prev_lag_s:g} s here): "
                            "autoregressive, close to the target; prev_ of a state is the "
                            "car's own past"},
        "feature_sets": {name: {"leaks": leak, "good_for": good,
                                "features": [f for f in FEATURE_SETS[name] if f in available]}
                         for name, (leak, good) in FEATURE_SET_INFO.items()},
        "rows": int(len(split_of_row)),
        "rows_train": int(train.sum()),
        "rows_test": int((~train).sum()),
        "sessions": [{"file": s.file, "track": s.track, "car": s.car, "game": s.game,
                      "rate_hz": s.rate_hz, "laps": s.laps} for s in sessions],
        "rate_hz": rates[0] if len(rates) == 1 else rates,
        "sample_rate_hz": (rates[0] if len(rates) == 1 else max(rates)) / opts.every,
        "every": opts.every,
        "prev_lag_s": opts.prev_lag_s,
        "rate_stated_hz": opts.rate_hz,
        "split": {"by": opts.split, "test_fraction": opts.test_fraction, "seed": opts.seed,
                  "train_laps": lap_list("train"), "test_laps": lap_list("test"),
                  "train_groups": group_list("train"), "test_groups": group_list("test")},
        "laps_total": len(laps),
        "laps_kept": len(kept),
        "exclusions": exclusion_counts(laps),
        "excluded_laps": [{"session": names[lap.session_id], "lap": lap.lap,
                           "reason": lap.excluded} for lap in laps if lap.excluded],
        "kept_options": {"invalid": opts.keep_invalid, "out_laps": opts.keep_out_laps,
                         "partial": opts.keep_partial, "pit": opts.keep_pit},
        "normaliser": {"kind": "min-max", "fitted_on": "training laps only",
                       "rows": int(train.sum()), **norm.to_dict()},
        "sequences": {"length": opts.seq_len, "stride": opts.seq_stride, "windows": n_windows,
                      "crosses_laps": False},
        "tracks": sorted(tracks),
    }


def read_card(folder: Path) -> dict[str, Any]:
    """The card of a dataset folder (``dataset_card.json``)."""
    return dict(json.loads((Path(folder) / CARD_FILE).read_text(encoding="utf-8")))


def card_notes(card: dict[str, Any]) -> list[str]:
    """What the dataset left out for lack of a channel, one line each, and the sessions it
    resampled onto a regular grid."""
    lines = [f"skipped: feature {f} (needs {' and '.join(needs)})"
             for f, needs in card.get("left_out", {}).items()]
    if card.get("resampled"):
        how = (f"at the stated {card['rate_stated_hz']:g} Hz" if card.get("rate_stated_hz")
               else "at the median step (irregular samples)")
        lines.append(f"resampled onto a regular grid {how} (ML only): "
                     + ", ".join(card["resampled"]))
    return lines


def card_summary(card: dict[str, Any]) -> str:
    """One line: rows, features, laps kept and held out, sequence windows."""
    s = card["split"]
    return (f"{card['rows']} rows, {len(card['features'])} features, {card['laps_kept']} laps "
            f"kept of {card['laps_total']} ({len(s['train_laps'])} train, "
            f"{len(s['test_laps'])} held out by {s['by']}); "
            f"{card['sequences']['windows']} sequence windows")


def card_markdown(card: dict[str, Any]) -> str:
    """The dataset card for people."""
    split = card["split"]
    extra = []
    if card.get("left_out"):
        extra.append("- Left out (the sessions lack a channel): " + ", ".join(
            f"`{f}` (needs {' and '.join(needs)})" for f, needs in card["left_out"].items()))
    if card.get("resampled"):
        how = (f"at the stated {card['rate_stated_hz']:g} Hz (--rate)"
               if card.get("rate_stated_hz") else "at the median step (irregular samples)")
        extra.append(f"- Resampled onto a regular grid {how}: " + ", ".join(card["resampled"]))
    lines = [
        "# Dataset card", "",
        f"- Rows: {card['rows']} ({card['rows_train']} train, {card['rows_test']} test), "
        f"at {card['sample_rate_hz']:g} Hz (session rate {card['rate_hz']} Hz, every "
        f"{card['every']} sample(s))",
        f"- Sessions: {len(card['sessions'])}; laps: {card['laps_total']} seen, "
        f"{card['laps_kept']} kept",
        f"- Split: by **{split['by']}**, never by frame; {len(split['train_laps'])} training "
        f"laps, {len(split['test_laps'])} held-out laps (seed {split['seed']}, test fraction "
        f"{split['test_fraction']:g}); held-out {split['by']}s: "
        + ", ".join(f"`{g}`" for g in split.get("test_groups", [])),
        f"- Normaliser: min-max, fitted on the {card['normaliser']['rows']} training rows only "
        "(`normalization_min.npy`, `normalization_max.npy`)",
        f"- Sequences: windows of {card['sequences']['length']} rows, stride "
        f"{card['sequences']['stride']}, {card['sequences']['windows']} windows; no window "
        "crosses a lap or a gap",
        "- Exclusions: " + (", ".join(f"{v} {k}" for k, v in card["exclusions"].items() if v)
                            or "none"),
        *extra,
        "",
        "## Leakage warning", "",
        f"- `abs_steer` is {card['leaks']['abs_steer']}.",
        f"- `prev_*`: {card['leaks']['prev_*']}.",
        "",
        "## Feature sets, named by what they leak", "",
        "| set | leaks | good for |", "|---|---|---|",
        *(f"| `{n}` | {i['leaks']} | {i['good_for']} |"
          for n, i in card.get("feature_sets", {}).items()),
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
