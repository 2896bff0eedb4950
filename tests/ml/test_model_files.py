"""Saved models are data, not code: loading a folder someone shares never runs its code."""

from __future__ import annotations

import json
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest

from actelemetry.errors import UsageError
from actelemetry.ml.models import FORMAT_VERSION, load_model, make_model

FEATURES = ["a", "b", "c"]


def trained(name: str, folder: Path) -> Path:
    rng = np.random.default_rng(0)
    x, y = rng.random((200, 3)), rng.random((200, 3))
    return make_model(name, FEATURES, quick=True).fit(x, y).save(folder / name)


@pytest.mark.parametrize("name", ["linear", "mlp_32", "hgb"])
def test_models_are_saved_with_skops_and_reload(name: str, tmp_path: Path) -> None:
    folder = trained(name, tmp_path)
    assert json.loads((folder / "model.json").read_text())["format_version"] == FORMAT_VERSION
    assert not (folder / "model.bin").read_bytes().startswith(b"\x80")  # not a pickle
    x = np.random.default_rng(1).random((20, 3))
    again = load_model(folder)
    assert np.array_equal(again.predict(x), load_model(folder).predict(x))


class Boom:
    """What a malicious pickle would run on load."""

    def __reduce__(self) -> tuple:
        return (Path("/nonexistent/should-not-run").mkdir, ())


def test_a_pickle_is_refused_unless_trusted(tmp_path: Path) -> None:
    folder = trained("linear", tmp_path)
    meta = json.loads((folder / "model.json").read_text())
    (folder / "model.json").write_text(json.dumps({**meta, "format_version": 1}))
    (folder / "model.bin").write_bytes(pickle.dumps(Boom()))
    with pytest.raises(UsageError, match="pickle"):
        load_model(folder)
    with pytest.raises(FileNotFoundError):  # asked for: it really runs the pickle's code
        load_model(folder, trust_pickle=True)


def test_a_skops_file_with_foreign_types_is_refused(tmp_path: Path) -> None:
    import skops.io as sio

    folder = trained("linear", tmp_path)
    (folder / "model.bin").write_bytes(sio.dumps({"payload": Boom}))
    with pytest.raises(UsageError, match=r"refusing to load|cannot be read"):
        load_model(folder)


@pytest.mark.parametrize("damage", ["garbage", "no features", "a list", "future format"])
def test_damaged_model_folders_are_one_line(damage: str, tmp_path: Path) -> None:
    folder = trained("hgb", tmp_path)
    meta = json.loads((folder / "model.json").read_text())
    if damage == "garbage":
        (folder / "model.bin").write_bytes(b"\x00garbage" * 10)
    elif damage == "no features":
        del meta["features"]
    elif damage == "a list":
        meta = [1, 2]  # type: ignore[assignment]
    else:
        meta["format_version"] = 99
    if damage != "garbage":
        (folder / "model.json").write_text(json.dumps(meta))
    with pytest.raises(UsageError):
        load_model(folder)
    shutil.rmtree(folder)
