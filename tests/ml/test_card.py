"""The dataset card from plain records: counts, exclusions, leaks, and its two renderings."""

from __future__ import annotations

import numpy as np

from actelemetry.ml.card import CardSession, PrepareOptions, build_card, card_markdown, card_summary
from actelemetry.ml.features import SEED_FEATURES, Normaliser
from actelemetry.ml.split import LapRecord


def test_the_card_counts_what_was_kept_held_out_and_left_out() -> None:
    laps = [LapRecord(0, 1, 30, "out lap"), LapRecord(0, 2, 40, "", 0, "train", "a#lap2"),
            LapRecord(0, 3, 40, "", 1, "test", "a#lap3"), LapRecord(1, 1, 40, "invalid"),
            LapRecord(1, 2, 40, "", 2, "train", "b#lap2")]
    split = np.array(["train"] * 80 + ["test"] * 40, dtype=object)
    sessions = [CardSession("a.parquet", "monza/gp", "gt3", "ac", 100.0, 3),
                CardSession("b.parquet", "monza/gp", "gt3", "ac", 100.0, 2)]
    opts = PrepareOptions(every=5, keep_partial=True)
    norm = Normaliser(np.zeros(len(SEED_FEATURES)), np.ones(len(SEED_FEATURES)))
    card = build_card(split, sessions, laps, SEED_FEATURES, list(SEED_FEATURES), [], opts,
                      norm, 7)
    assert (card["rows"], card["rows_train"], card["rows_test"]) == (120, 80, 40)
    assert card["sample_rate_hz"] == 20.0 and card["rate_hz"] == 100.0
    assert card["exclusions"] == {"out lap": 1, "pit lane": 0, "partial": 0, "invalid": 1}
    assert card["split"]["test_laps"] == [{"session": "a.parquet", "lap": 3, "lap_id": 1,
                                           "group": "a#lap3"}]
    assert card["split"]["test_groups"] == ["a#lap3"]
    assert card["split"]["train_groups"] == ["a#lap2", "b#lap2"]
    assert card["kept_options"]["partial"] and not card["kept_options"]["invalid"]
    assert card["feature_info"]["abs_steer"]["leak"]
    assert card_summary(card) == ("120 rows, 13 features, 3 laps kept of 5 (2 train, 1 held "
                                  "out by lap); 7 sequence windows")
    text = card_markdown(card)
    assert "- b.parquet lap 1: invalid" in text and "**(leaks the target)**" in text
    assert PrepareOptions(keep_out_laps=True, keep_pit=True).kept_reasons == {"out lap",
                                                                              "pit lane"}
