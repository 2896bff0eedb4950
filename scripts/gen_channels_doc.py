"""Write docs/channels.md from the channel catalogue (the catalogue is the source of truth)."""

from __future__ import annotations

import sys
from pathlib import Path

from actelemetry.channels.catalogue import CATALOGUE, CATALOGUE_VERSION, SEED_COLUMN_NAMES

DOC = Path(__file__).resolve().parents[1] / "docs" / "channels.md"


def render() -> str:
    """The Markdown page of every channel, grouped, seed columns marked."""
    lines = [
        "# Channels",
        "",
        "Generated from `src/actelemetry/channels/catalogue.py` by "
        "`scripts/gen_channels_doc.py` (`make docs`); do not edit by hand.",
        "",
        f"Catalogue version {CATALOGUE_VERSION}. {len(CATALOGUE)} channels; "
        f"{len(SEED_COLUMN_NAMES)} of them are the seed's CSV columns (marked *seed*), "
        "which come first in CSV files in the seed's order.",
        "",
        "Frames: world y is up and the track plane is (x, z); the car frame has x to the "
        "right, y up, z forward. Wheel order is FL, FR, RL, RR. An origin `page.field[i]` is "
        "read straight from the game's page; `derived: ...` is computed from them.",
        "",
    ]
    groups: dict[str, list] = {}
    for ch in CATALOGUE:
        groups.setdefault(ch.group, []).append(ch)
    for group, chans in groups.items():
        lines += [f"## {group}", "", "| name | unit | type | games | origin | meaning |",
                  "|---|---|---|---|---|---|"]
        for ch in chans:
            seed = " *seed*" if ch.name in SEED_COLUMN_NAMES else ""
            desc = ch.description.replace("|", "\\|")
            lines.append(f"| `{ch.name}`{seed} | {ch.unit} | {ch.dtype} | "
                         f"{', '.join(ch.games)} | `{ch.origin}` | {desc} |")
        lines.append("")
    return "\n".join(lines)


def main() -> int:
    DOC.write_text(render(), encoding="utf-8")
    print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
