"""Track geometry for the simulator: centre line with widths, race line, lap distance.

World frame (the channel catalogue's): y up, the track lies in the (x, z) plane. A heading
``h`` points along ``(sin h, cos h)`` in (x, z), so ``h`` grows when turning right, and the
right-hand normal of a direction ``h`` is ``(cos h, -sin h)``. Curvature is signed the same
way: positive in right-hand bends.

Two CSV layouts are read:

* TUMFTM racetrack-database (``x_m,y_m,w_tr_right_m,w_tr_left_m``): world (x, z) = file
  (x, y). The race line comes from a sibling ``racelines/<name>.csv`` or
  ``<name>_raceline.csv`` when there is one, otherwise one is computed (:func:`smooth_line`).
* AC-gym exports (``left_border_x, ..., pos_x, pos_y``): the physics runs in (x, z) = file
  (x, y) as well (the files hold AC's (z, x); read that way the circuits keep their real
  driving sense under the heading convention above), and the pages swap the axes back
  (:meth:`Track.game_position`), so the car sits in the game's own world coordinates. The
  AI line (``pos_*``) is the race line and the centre line is the middle of the borders.

A TUMFTM file may have a ``<name>_elevation.csv`` beside it (``s_m,grade``: grade control
points along the centre line), which gives the track its hills (:func:`elevation_profile`).

Geometry is prepared once with NumPy and then kept as plain Python lists, because the
simulator queries one point at a time and scalar list access beats NumPy indexing there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np

from actelemetry.errors import UsageError

#: built-in circuits shipped under sim/tracks/ (TUMFTM, LGPL-3.0), name -> file stem: the
#: circuits that suit a GT3 car and whose public GT3 lap times the simulator meets
BUILTIN_TRACKS: dict[str, str] = {
    "monza": "monza", "spa": "spa", "silverstone": "silverstone", "spielberg": "spielberg",
    "catalunya": "catalunya", "hockenheim": "hockenheim", "suzuka": "suzuka"}

#: spacing of the resampled lines, metres
SPACING = 2.5


@dataclass
class Polyline:
    """A closed line resampled at even spacing, with headings and signed curvature."""

    x: list[float]
    z: list[float]
    heading: list[float]
    curvature: list[float]
    s: list[float]
    length: float
    spacing: float

    @property
    def n(self) -> int:
        return len(self.x)


@dataclass
class Track:
    """A closed circuit: centre line (lap distance, widths) and the race line to follow."""

    name: str
    configuration: str
    centre: Polyline
    width_right: list[float]
    width_left: list[float]
    race: Polyline
    #: race-line offset from the centre line (m, + right), per race-line point
    race_offset: list[float] = field(default_factory=list)
    #: centre-line segment beside each race-line point
    race_centre_index: list[int] = field(default_factory=list)
    #: per centre-line point: height (m, lowest point 0), grade (rise per metre) and
    #: vertical curvature (1/m, + in a dip, where the road pushes the car up); all zero
    #: on a track without an elevation profile
    elevation: list[float] = field(default_factory=list)
    grade: list[float] = field(default_factory=list)
    vertical_curvature: list[float] = field(default_factory=list)
    #: the game's world (x, z) is this track's (z, x): AC-gym files, which hold the
    #: game's own coordinates with the axes swapped (see :func:`game_position`)
    game_axes_swapped: bool = False

    @property
    def length(self) -> float:
        """Lap length along the centre line, metres (the game's spline length)."""
        return self.centre.length

    def game_position(self, x: float, z: float) -> tuple[float, float]:
        """World (x, z) as the game has them: AC-gym tracks are read with the game's
        axes swapped, so the car sits in the game's own world coordinates once swapped
        back (laps overlay the game's laps on a map)."""
        return (z, x) if self.game_axes_swapped else (x, z)

    def game_heading(self, heading: float) -> float:
        """A heading in the game's frame (the swap mirrors the plane: pi/2 - h)."""
        if not self.game_axes_swapped:
            return heading
        h = 0.5 * math.pi - heading
        return h - 2.0 * math.pi if h > math.pi else h

    def centre_point(self, s: float) -> tuple[float, float, float]:
        """World (x, z) and heading of the centre line at lap distance ``s``."""
        c = self.centre
        s %= c.length
        i = int(s / c.spacing) % c.n
        j = (i + 1) % c.n
        f = (s - c.s[i]) / c.spacing
        return (c.x[i] + f * (c.x[j] - c.x[i]), c.z[i] + f * (c.z[j] - c.z[i]), c.heading[i])

    def project(self, x: float, z: float, hint: int) -> tuple[int, float, float]:
        """Nearest centre-line segment to (x, z), searched forward/backward from ``hint``.

        Returns ``(index, s, d)``: segment start index, lap distance, and signed lateral
        offset (m, + right of the centre line). Local search keeps this O(1) per step.
        """
        c = self.centre
        n = c.n
        cx, cz = c.x, c.z
        i = hint % n
        for _ in range(n):
            j = i + 1 if i + 1 < n else 0
            dx = cx[j] - cx[i]
            dz = cz[j] - cz[i]
            t = ((x - cx[i]) * dx + (z - cz[i]) * dz) / (dx * dx + dz * dz)
            if t > 1.0:
                i = j
            elif t < 0.0:
                i = i - 1 if i > 0 else n - 1
                # guard against bouncing between two segments at a convex corner
                j2 = i + 1 if i + 1 < n else 0
                dx2 = cx[j2] - cx[i]
                dz2 = cz[j2] - cz[i]
                t2 = ((x - cx[i]) * dx2 + (z - cz[i]) * dz2) / (dx2 * dx2 + dz2 * dz2)
                if t2 > 1.0:
                    i = j2
                    t = 0.0
                    dx, dz = cx[(i + 1) % n] - cx[i], cz[(i + 1) % n] - cz[i]
                    break
            else:
                break
        seg = math.sqrt(dx * dx + dz * dz)
        s = c.s[i] + t * seg
        # right normal of the segment direction (dx, dz) is (dz, -dx) / seg
        d = ((x - cx[i]) * dz - (z - cz[i]) * dx) / seg
        return i, s, d

    def nearest(self, x: float, z: float) -> int:
        """Global nearest centre-line index (used once, to seed the local search)."""
        c = self.centre
        cx = np.asarray(c.x)
        cz = np.asarray(c.z)
        return int(np.argmin((cx - x) ** 2 + (cz - z) ** 2))


def resample(x: np.ndarray, z: np.ndarray, spacing: float = SPACING,
             extra: list[np.ndarray] | None = None) -> tuple[Polyline, list[np.ndarray]]:
    """Resample a closed line at even spacing and derive heading and curvature.

    Curvature comes from the heading change over +-2 points, lightly smoothed, so the
    5 m GPS-derived points do not turn into curvature noise the driver would chase.
    """
    xc = np.append(x, x[0])
    zc = np.append(z, z[0])
    seg = np.hypot(np.diff(xc), np.diff(zc))
    s_in = np.concatenate([[0.0], np.cumsum(seg)])
    length = float(s_in[-1])
    n = max(int(round(length / spacing)), 16)
    step = length / n
    s = np.arange(n) * step
    xs = np.interp(s, s_in, xc)
    zs = np.interp(s, s_in, zc)
    extras = [np.interp(s, s_in, np.append(e, e[0])) for e in (extra or [])]
    hd = np.arctan2(np.roll(xs, -1) - xs, np.roll(zs, -1) - zs)
    # heading at each point: direction of the chord through the neighbours
    hc = np.arctan2(np.roll(xs, -1) - np.roll(xs, 1), np.roll(zs, -1) - np.roll(zs, 1))
    dh = np.angle(np.exp(1j * (np.roll(hc, -2) - np.roll(hc, 2))))
    k = dh / (4 * step)
    kernel = np.array([1, 2, 3, 2, 1], dtype=float)
    kernel /= kernel.sum()
    k = np.convolve(np.concatenate([k[-2:], k, k[:2]]), kernel, mode="valid")
    line = Polyline(
        x=xs.tolist(), z=zs.tolist(), heading=hd.tolist(), curvature=k.tolist(),
        s=s.tolist(), length=length, spacing=step,
    )
    return line, extras


def smooth_line(x: np.ndarray, z: np.ndarray, wr: np.ndarray, wl: np.ndarray,
                margin: float = 1.2, iterations: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """A low-curvature line inside the track: an elastic band pulled straight, kept inside
    the widths. Used when a track file comes without a race line."""
    hx = np.roll(x, -1) - np.roll(x, 1)
    hz = np.roll(z, -1) - np.roll(z, 1)
    norm = np.hypot(hx, hz)
    nx, nz = hz / norm, -hx / norm  # right normal
    lo = -np.maximum(wl - margin, 0.0)
    hi = np.maximum(wr - margin, 0.0)
    off = np.zeros_like(x)
    for _ in range(iterations):
        px = x + off * nx
        pz = z + off * nz
        mx = 0.5 * (np.roll(px, 1) + np.roll(px, -1))
        mz = 0.5 * (np.roll(pz, 1) + np.roll(pz, -1))
        off = np.clip(off + 0.5 * ((mx - px) * nx + (mz - pz) * nz), lo, hi)
    return x + off * nx, z + off * nz


#: half-width of the window smoothing an elevation profile's grade (m): a road's grade
#: changes over tens of metres, and the vertical curvature is its derivative
GRADE_SMOOTH_M = 12.0


def elevation_profile(centre: Polyline, at_s: np.ndarray, grade: np.ndarray,
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Height, grade and vertical curvature at each centre-line point, from grade
    control points (``grade`` at lap distances ``at_s``, linear between, wrapping).

    The grades are shifted by their lap mean so the lap closes (back to the same
    height at the line); the vertical curvature is the grade's rate of change.
    """
    ds = centre.spacing
    s = np.asarray(centre.s)
    order = np.argsort(at_s)
    g = np.interp(s, at_s[order], grade[order], period=centre.length)
    g -= g.mean()
    w = max(int(GRADE_SMOOTH_M / ds), 1)
    kernel = np.hanning(2 * w + 3)[1:-1]
    kernel /= kernel.sum()
    g = np.convolve(np.concatenate([g[-w:], g, g[:w]]), kernel, mode="valid")
    height = np.concatenate([[0.0], np.cumsum(0.5 * (g[1:] + g[:-1]) * ds)])
    height -= height.min()
    dg = (np.roll(g, -1) - np.roll(g, 1)) / (2 * ds)
    curvature = dg / (1.0 + g * g) ** 1.5
    return height, g, curvature


def _read_numeric(path: Path, min_rows: int = 20) -> tuple[list[str], np.ndarray]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read track file {path}: {exc}") from None
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if not lines:
        raise UsageError(f"track file {path} is empty")
    header: list[str] = []
    if not _is_number(lines[0].lstrip("#").split(",")[0]):
        header = [h.strip() for h in lines[0].lstrip("#").split(",")]
        lines = lines[1:]
    try:
        data = np.array([[float(v) for v in ln.split(",")] for ln in lines], dtype=float)
    except ValueError:
        raise UsageError(f"track file {path} has non-numeric rows") from None
    if data.ndim != 2 or len(data) < min_rows:
        raise UsageError(f"track file {path} has too few points for a circuit")
    return header, data


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _build(name: str, configuration: str, cx: np.ndarray, cz: np.ndarray, wr: np.ndarray,
           wl: np.ndarray, rx: np.ndarray | None, rz: np.ndarray | None) -> Track:
    if rx is None or rz is None:
        rx, rz = smooth_line(cx, cz, wr, wl)
    centre, (wr_s, wl_s) = resample(cx, cz, extra=[wr, wl])
    race, _ = resample(rx, rz)
    track = Track(name=name, configuration=configuration, centre=centre,
                  width_right=wr_s.tolist(), width_left=wl_s.tolist(), race=race)
    hint = track.nearest(race.x[0], race.z[0])
    offsets = []
    index = []
    for x, z in zip(race.x, race.z, strict=True):
        hint, _, d = track.project(x, z, hint)
        offsets.append(d)
        index.append(hint)
    track.race_offset = offsets
    track.race_centre_index = index
    zeros = [0.0] * centre.n
    track.elevation, track.grade, track.vertical_curvature = zeros, zeros[:], zeros[:]
    return track


def _add_elevation(track: Track, path: Path) -> None:
    """The grade profile in ``path`` (``s_m,grade`` rows), onto the track's points."""
    _, data = _read_numeric(path, min_rows=2)
    if data.shape[1] != 2:
        raise UsageError(f"elevation file {path}: expected columns s_m,grade")
    height, grade, curvature = elevation_profile(track.centre, data[:, 0], data[:, 1])
    track.elevation = height.tolist()
    track.grade = grade.tolist()
    track.vertical_curvature = curvature.tolist()


def load_track(track: str | Path) -> Track:
    """A built-in circuit by name (:data:`BUILTIN_TRACKS`) or a CSV path.

    Raises :class:`UsageError` for an unknown name or an unreadable / foreign file.
    """
    if isinstance(track, str) and track.lower() in BUILTIN_TRACKS:
        stem = BUILTIN_TRACKS[track.lower()]
        folder = resources.files("actelemetry.sim") / "tracks"
        with resources.as_file(folder) as p:  # a real folder even from a zipped install
            return _load_path(Path(p) / f"{stem}.csv", name=track.lower())
    path = Path(track)
    if not path.is_file():
        known = ", ".join(sorted(BUILTIN_TRACKS))
        raise UsageError(f"unknown track {str(track)!r}: use one of {known} or a CSV file path")
    return _load_path(path, name=path.stem.lower())


def _load_path(path: Path, name: str) -> Track:
    header, data = _read_numeric(path)
    cols = [h.lower() for h in header]
    if "left_border_x" in cols:  # AC-gym export
        need = ["left_border_x", "left_border_y", "right_border_x", "right_border_y",
                "pos_x", "pos_y"]
        if any(c not in cols for c in need) or data.shape[1] != len(cols):
            raise UsageError(f"track file {path}: AC-gym layout needs columns {need}")
        ix = {c: cols.index(c) for c in need}
        lx, lz = data[:, ix["left_border_x"]], data[:, ix["left_border_y"]]
        rx_, rz_ = data[:, ix["right_border_x"]], data[:, ix["right_border_y"]]
        px, pz = data[:, ix["pos_x"]], data[:, ix["pos_y"]]
        cx, cz = 0.5 * (lx + rx_), 0.5 * (lz + rz_)
        half = 0.5 * np.hypot(lx - rx_, lz - rz_)
        track = _build(name, "", cx, cz, half, half.copy(), px, pz)
        track.game_axes_swapped = True
        return track
    if data.shape[1] < 4:
        raise UsageError(
            f"track file {path}: expected TUMFTM columns x_m,y_m,w_tr_right_m,w_tr_left_m "
            "or an AC-gym export"
        )
    cx, cz, wr, wl = data[:, 0], data[:, 1], data[:, 2], data[:, 3]
    rx = rz = None
    for candidate in (path.with_name(f"{path.stem}_raceline.csv"),
                      path.parent.parent / "racelines" / path.name):
        if candidate.is_file():
            _, race = _read_numeric(candidate)
            rx, rz = race[:, 0], race[:, 1]
            break
    track = _build(name, "gp", cx, cz, wr, wl, rx, rz)
    elevation = path.with_name(f"{path.stem}_elevation.csv")
    if elevation.is_file():
        _add_elevation(track, elevation)
    return track
