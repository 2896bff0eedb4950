"""The live window under the one derivation kernel: plain arrays, no pages, no clock."""

from __future__ import annotations

import numpy as np

from actelemetry.channels.derive import SampleWindow, trailing_mean, wheel_lock


def test_the_window_holds_the_last_rows_oldest_first() -> None:
    w = SampleWindow(3)
    seen = []
    for k in range(7):
        got = w.push({"x": np.array([float(k)]), "v": np.array([[k, -k]])})
        seen.append(got["x"].tolist())
        assert got["v"].shape == (len(got["x"]), 2)
        np.testing.assert_array_equal(got["v"][:, 0], got["x"])
    assert seen == [[0], [0, 1], [0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5], [4, 5, 6]]


def test_the_last_smoothed_value_of_a_window_equals_the_whole_series() -> None:
    x = np.random.default_rng(0).random(50)
    whole = trailing_mean(x, 5)
    w = SampleWindow(5)
    last = [trailing_mean(w.push({"x": x[k:k + 1]})["x"], 5)[-1] for k in range(len(x))]
    np.testing.assert_array_equal(last, whole)


def test_a_wheel_is_locked_braking_at_speed_well_below_the_cars_speed() -> None:


    speed = np.array([30.0, 30.0, 30.0, 30.0, 3.0])
    brake = np.array([0.9, 0.9, 0.0, 0.9, 0.9])
    wheel = np.array([30.0, 10.0, 10.0, 25.0, 0.0]) / 0.34  # rad/s
    assert wheel_lock(speed, brake, wheel, 0.34).tolist() == [False, True, False, False,
                                                              False]
    assert not wheel_lock(speed, brake, wheel, 0.0).any()  # no radius: cannot tell
