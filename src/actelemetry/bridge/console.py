"""The ``read`` command's live console view: the channels a driver and an RL loop watch.

On a terminal it redraws one panel in place (a few times a second, whatever the
capture rate); piped, it prints one line per second so logs stay readable.
"""

from __future__ import annotations

import time

from rich.console import Console
from rich.live import Live
from rich.table import Table

from actelemetry.capture.sinks import Sample, Session
from actelemetry.channels.catalogue import Values
from actelemetry.timefmt import lap_time_ms


def bar(value: float, width: int = 20) -> str:
    filled = int(round(max(0.0, min(1.0, value)) * width))
    return "█" * filled + "·" * (width - filled)


def steer_bar(value: float, width: int = 21) -> str:
    half = width // 2
    pos = half + int(round(max(-1.0, min(1.0, value)) * half))
    return "".join("|" if i == half and i != pos else ("●" if i == pos else "·")
                   for i in range(width))


def lap_ms(ms: int | float | None) -> str:
    return lap_time_ms(ms)


def _carried(session: Session, name: str) -> bool:
    """Whether the source carries ``name`` (UDP carries no validity, damage or fuel)."""
    return session.channels is None or name in session.channels


def _validity(c: Values, session: Session, markup: bool) -> str:
    if not _carried(session, "lap_valid"):
        return "validity unknown"
    if markup:
        return "[green]valid[/]" if c["lap_valid"] else "[red]invalid[/]"
    return "valid" if c["lap_valid"] else "invalid"


def _value(c: Values, session: Session, name: str, fmt: str = "") -> str:
    return format(c[name], fmt) if _carried(session, name) else "–"


def panel(c: Values, session: Session, rate: float) -> Table:
    """One screen of the most watched channels ("–" for what the source does not carry)."""
    t = Table.grid(padding=(0, 2))
    t.add_column(style="bold cyan", justify="right")
    t.add_column()
    s = session.static

    def num(name: str) -> float:
        return float(c[name])

    t.add_row("session", f"{session.game.upper()}  {s.car} @ {s.track}  ({session.samples} "
                         f"samples, {rate:.1f} Hz)")
    t.add_row("speed", f"{c['speed_kmh']:6.1f} km/h   gear {c['gear']:>2}   rpm {c['rpm']:>5}")
    t.add_row("gas", f"{bar(num('gas'))} {c['gas']:.2f}")
    t.add_row("brake", f"{bar(num('brake'))} {c['brake']:.2f}")
    t.add_row("steer", f"{steer_bar(num('steer'))} {c['steer']:+.2f}")
    t.add_row("g", f"lat {c['accel_lateral']:+.2f}  long {c['accel_longitudinal']:+.2f}")
    t.add_row("lap", f"{c['current_lap']:>3}  {lap_ms(num('game_lap_ms'))}   last "
                     f"{lap_ms(num('game_last_lap_ms'))}   best {lap_ms(num('game_best_lap_ms'))}"
                     f"   {num('lap_fraction') * 100:5.1f} %")
    valid = _validity(c, session, markup=True)
    locks = "".join(w.upper() if c[f"wheel_lock_{w}"] else "··" for w in ("fl", "fr", "rl",
                                                                         "rr"))
    t.add_row("limits", f"{valid}   tyres out {_value(c, session, 'tyres_out')}   "
                        f"wheel lock {locks}")
    t.add_row("damage", f"level {_value(c, session, 'damage_level')}   "
                        f"fuel {_value(c, session, 'fuel_kg', '.1f')}")
    return t


class ConsoleView:
    """A sink that shows the latest sample; refreshes at most ``refresh_hz`` a second."""

    def __init__(self, console: Console, refresh_hz: float = 10.0) -> None:
        self.console = console
        self.period = 1.0 / refresh_hz
        self.live: Live | None = None
        self._next = 0.0
        self._count = 0
        self._t0 = 0.0

    def open(self, session: Session) -> None:
        self.console.print(f"Reading {session.game.upper()}: {session.static.car} at "
                           f"{session.static.track} ({session.detection})")
        self._count, self._t0 = 0, time.monotonic()
        if self.console.is_terminal:
            self.live = Live(console=self.console, auto_refresh=False, transient=False)
            self.live.start()
        else:
            self.period = max(self.period, 1.0)

    def write(self, sample: Sample) -> None:
        self._count += 1
        now = time.monotonic()
        if now < self._next:
            return
        self._next = now + self.period
        c = sample.channels()
        rate = self._count / max(now - self._t0, 1e-9)
        if self.live is not None:
            self.live.update(panel(c, sample.session, rate), refresh=True)
        else:
            self.console.print(
                f"{c['speed_kmh']:6.1f} km/h  gear {c['gear']:>2}  rpm {c['rpm']:>5}  gas "
                f"{c['gas']:4.2f}  brake {c['brake']:4.2f}  steer {c['steer']:+5.2f}  lap "
                f"{c['current_lap']:>3} {lap_ms(float(c['game_lap_ms']))}  "
                f"{_validity(c, sample.session, markup=False)}  "
                f"out {_value(c, sample.session, 'tyres_out')}",
                highlight=False)

    def close(self, session: Session) -> None:
        if self.live is not None:
            self.live.stop()
            self.live = None
        self.console.print(f"Session ended after {session.samples} samples.")
