"""Which two laps ``compare`` compares.

Rules: ``--ref`` wins; of two laps given, the first is the reference, whichever is faster
(the command prints which is which); otherwise the reference is the best valid lap of the
given sessions, and a session given without a lap contributes its best lap other than that.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from actelemetry.analysis.compare import best_lap, timed_laps
from actelemetry.analysis.dataset import Dataset
from actelemetry.analysis.laps import LapRef, lap_info
from actelemetry.analysis.sources import resolve_inputs
from actelemetry.errors import UsageError

Spec = tuple[str, int | None]


def _session(ds: Dataset, path: str) -> int:
    """The session of a spec's path (a glob or folder: its first file)."""
    for candidate in [Path(path), *resolve_inputs([path])]:
        s = ds.session_of(candidate)
        if s is not None:
            return s
    raise UsageError(f"{path}: not among the opened sessions")


def _other_best(ds: Dataset, session: int, not_this: LapRef) -> LapRef:
    for r in timed_laps(ds, session):
        ref = LapRef(int(r["session"]), int(r["lap"]))
        if ref != not_this:
            return ref
    raise UsageError(f"{ds.source(session).path}: no other lap driven from line to line "
                     f"to compare with lap {not_this.lap}")


def choose_laps(ds: Dataset, specs: Sequence[Spec], ref_spec: Spec | None
                ) -> tuple[LapRef, LapRef]:
    """(reference, compared) from the command line's SESSION[:LAP] specs.

    Two laps given: the first is the reference, in the order given. One: it is compared
    with the best valid lap (or ``--ref``).
    """
    given = [(_session(ds, p), lap) for p, lap in specs]
    named = [LapRef(s, lap) for s, lap in given if lap is not None]
    for ref in named:
        lap_info(ds, ref)  # a lap that does not exist: one-line error
    if ref_spec is not None:
        s, lap = _session(ds, ref_spec[0]), ref_spec[1]
        reference = LapRef(s, lap) if lap is not None else best_lap(ds, s)
        lap_info(ds, reference)
    elif len(given) == 2 and len(named) == 2:
        return named[0], named[1]  # the order given: the first is the reference
    else:
        reference = best_lap(ds)
    for s, lap in reversed(given):
        cand = LapRef(s, lap) if lap is not None else None
        if cand is not None and cand != reference:
            return reference, cand
    for s, lap in reversed(given):
        if lap is None:
            return reference, _other_best(ds, s, reference)
    raise UsageError("nothing to compare: give a second lap (SESSION:LAP)")
