"""The generated docs stay in step with the code they describe."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _generator():
    spec = importlib.util.spec_from_file_location("gen_channels_doc",
                                                  ROOT / "scripts" / "gen_channels_doc.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_channels_doc_is_generated_from_the_current_catalogue() -> None:
    doc = (ROOT / "docs" / "channels.md").read_text(encoding="utf-8")
    assert doc == _generator().render(), "docs/channels.md is stale: run `make docs`"


def test_every_seed_column_is_documented() -> None:
    from actelemetry.channels.catalogue import SEED_COLUMN_NAMES

    doc = (ROOT / "docs" / "channels.md").read_text(encoding="utf-8")
    assert len(SEED_COLUMN_NAMES) == 38
    for name in SEED_COLUMN_NAMES:
        assert f"| `{name}` *seed*" in doc, name
