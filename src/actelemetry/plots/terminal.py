"""ASCII graphs for the terminal: the speed trace and the G-G diagram, as text lines.

Pure functions (arrays in, lines out) so the CLI prints them and tests read them.
"""

from __future__ import annotations

import numpy as np

DENSITY = " .:-=+*#%@"


def line_graph(x: np.ndarray, y: np.ndarray, width: int = 72, height: int = 12,
               label: str = "") -> list[str]:
    """``y`` over ``x``: each column shows the bucket's range (``│``) and mean (``•``)."""
    x, y = np.asarray(x, "f8"), np.asarray(y, "f8")
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if len(x) < 2:
        return [f"{label}: no data"]
    lo, hi = float(y.min()), float(y.max())
    span = hi - lo or 1.0
    col = np.minimum(((x - x[0]) / ((x[-1] - x[0]) or 1.0) * width).astype(int), width - 1)
    grid = [[" "] * width for _ in range(height)]

    def row(v: float) -> int:
        return height - 1 - min(int((v - lo) / span * (height - 1) + 0.5), height - 1)

    for c in range(width):
        v = y[col == c]
        if len(v) == 0:
            continue
        top, bottom, mid = row(float(v.max())), row(float(v.min())), row(float(v.mean()))
        for r in range(top, bottom + 1):
            grid[r][c] = "│"
        grid[mid][c] = "•"
    lines = [f"{label}  (max {hi:.0f}, min {lo:.0f})" if label else ""]
    for r in range(height):
        value = hi - r * span / (height - 1)
        lines.append(f"{value:7.0f} ┤" + "".join(grid[r]))
    lines.append(" " * 8 + "└" + "─" * width)
    lines.append(" " * 9 + f"{x[0]:.0f} s" + " " * max(1, width - 16) + f"{x[-1]:.0f} s")
    return lines


def gg_diagram(lat: np.ndarray, lon: np.ndarray, counts: np.ndarray | None = None,
               size: int = 21, limit_g: float | None = None) -> list[str]:
    """Density of (lateral, longitudinal) g on a square grid; ``+`` marks 0 g."""
    lat, lon = np.asarray(lat, "f8"), np.asarray(lon, "f8")
    w = np.ones(len(lat)) if counts is None else np.asarray(counts, "f8")
    ok = np.isfinite(lat) & np.isfinite(lon)
    lat, lon, w = lat[ok], lon[ok], w[ok]
    if len(lat) == 0:
        return ["G-G: no data"]
    g = limit_g or max(float(np.abs(lat).max()), float(np.abs(lon).max()), 0.5)
    width = 2 * size
    hist, _, _ = np.histogram2d(-lon, lat, bins=[size, width], range=[[-g, g], [-g, g]],
                                weights=w)
    scaled = np.log1p(hist) / np.log1p(hist.max() or 1.0)
    chars = np.array(list(DENSITY))[np.minimum((scaled * (len(DENSITY) - 1)).round()
                                               .astype(int), len(DENSITY) - 1)]
    lines = [f"G-G diagram (±{g:.1f} g; up = accelerating, right = lateral +)"]
    for r in range(size):
        row = chars[r].copy()
        if r == size // 2:
            row[width // 2] = "+" if row[width // 2] == " " else row[width // 2]
        lines.append("  │" + "".join(row) + "│")
    return lines
