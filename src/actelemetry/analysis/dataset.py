"""One DuckDB connection with the views ``telemetry``, ``laps`` and ``sessions`` over files.

DuckDB reads the files where they lie (relations made by ``read_parquet``/``read_csv``/
``read_json`` with the path passed as an argument, never pasted into SQL), so a summary
of a 10 h session is a scan of the columns it needs, not a load into Python.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

from actelemetry.analysis import sql
from actelemetry.analysis.present import Skipped
from actelemetry.analysis.sources import SessionSource, open_sources
from actelemetry.analysis.summary import Summary, read_summary
from actelemetry.channels.catalogue import BY_NAME, CATALOGUE
from actelemetry.errors import SessionFileError

DUCK_TYPES = {"float64": "DOUBLE", "float32": "FLOAT", "int32": "INTEGER", "int8": "TINYINT",
              "bool": "BOOLEAN", "string": "VARCHAR"}
_CATALOGUE_ORDER = {c.name: i for i, c in enumerate(CATALOGUE)}


def _quote(identifier: str) -> str:
    """A column name from the catalogue (or a file's own header) as a SQL identifier."""
    return '"' + identifier.replace('"', '""') + '"'


@dataclass
class Table:
    """A query's result: column names and one NumPy array per column."""

    columns: list[str]
    data: dict[str, np.ndarray]

    def __len__(self) -> int:
        return len(next(iter(self.data.values()))) if self.data else 0

    def rows(self) -> list[dict[str, Any]]:
        return [{c: _py(self.data[c][i]) for c in self.columns} for i in range(len(self))]

    def column(self, name: str) -> np.ndarray:
        return self.data[name]


def _py(value: Any) -> Any:
    """A plain Python value: NumPy scalars unwrapped, arrays (LIST) as lists, masked as None."""
    if value is np.ma.masked:
        return None
    if isinstance(value, np.ndarray):
        return [_py(v) for v in value.tolist()] if value.ndim else _py(value.item())
    return value.item() if isinstance(value, np.generic) else value


class Dataset:
    """Sessions opened for analysis; close it (or use ``with``) to free the connection."""

    def __init__(self, sources: Sequence[SessionSource], threads: int | None = None) -> None:
        self.sources = list(sources)
        self.con = duckdb.connect()
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        self._by_session = {s.session: s for s in self.sources}
        self._laps: list[dict[str, Any]] | None = None
        #: sessions whose file carries a summary that fits it: their per-lap tables are read
        #: from it instead of being computed from every sample
        self.summaries: dict[int, Summary] = {}
        self._settled = False
        self.skipped: list[Skipped] = []  # what the views leave out for lack of a channel
        self.con.execute(sql.SESSION_FILES_TABLE)
        for src in self.sources:
            self._register(src)
        self.columns = self._telemetry_columns()
        self._guard(lambda: self._create_views())

    # --- set-up --------------------------------------------------------------------------
    def _register(self, src: SessionSource) -> None:
        view = f"src_{src.session}"
        types = {c: DUCK_TYPES[BY_NAME[c].dtype] if c in BY_NAME else "VARCHAR"
                 for c in src.columns}
        try:
            if src.fmt == "parquet":
                rel = self.con.read_parquet(str(src.path))
            elif src.fmt == "csv":
                rel = self.con.read_csv(str(src.path), header=True, columns=types,
                                        delimiter=",", quotechar='"', auto_detect=False)
            else:
                rel = self.con.read_json(str(src.path), format="newline_delimited",
                                         columns=types)
            rel.create_view(view)
            summary = read_summary(src.path) if src.fmt == "parquet" else None
        except duckdb.Error as exc:
            raise SessionFileError(f"{src.path}: {_duck_message(exc)}") from exc
        if summary is not None and not self._derived(src):
            self.summaries[src.session] = summary
        meta = src.meta
        quality = meta.get("quality") or {}
        self.con.execute(sql.INSERT_SESSION_FILE, [
            src.session, src.name, str(src.path), src.fmt, meta.get("game"), meta.get("car"),
            meta.get("track"), meta.get("driver"), meta.get("start_time"), meta.get("rate_hz"),
            meta.get("track_length_m"), quality.get("achieved_rate_hz"),
            quality.get("duplicates_refused"), bool(meta)])

    def _derived(self, src: SessionSource) -> dict[str, str | None]:
        """Channels ``src`` lacks that its others give: name -> SQL formula (None: built by
        a wrapping query, :func:`sql.counted_laps` or :func:`sql.lap_distance`)."""
        have = set(src.columns)
        out: dict[str, str | None] = {}
        for name, formula, needs in sql.DERIVED:
            if name not in have and all(n in have for n in needs):
                out[name] = formula.format(src=f"src_{src.session}")
                have.add(name)
        if "current_lap" not in have:
            out["current_lap"] = None  # counted from the lap timer or the position
        if "lap_distance_m" not in have and "distance_m" in have:
            out["lap_distance_m"] = None
        return out

    def _telemetry_columns(self) -> list[str]:
        """Catalogue channels present in any file or derived from its others, in catalogue
        order: a channel no file gives is not a column at all."""
        names = {c for s in self.sources for c in s.columns if c in BY_NAME}
        for s in self.sources:
            names |= set(self._derived(s))
        return sorted(names, key=_CATALOGUE_ORDER.__getitem__)

    def _source_select(self, src: SessionSource) -> str:
        """One file's rows: its catalogue channels as they are, plus those derived."""
        have = [c for c in src.columns if c in BY_NAME]
        derived = self._derived(src)
        parts = [f"CAST({src.session} AS INTEGER) AS session", *map(_quote, have)]
        parts += [f"{f} AS {_quote(c)}" for c, f in derived.items() if f is not None]
        body = f"SELECT {', '.join(parts)} FROM src_{src.session}"
        if "current_lap" in derived and derived["current_lap"] is None:
            counter = next(c for c, _ in sql.LAP_STARTS if c in src.columns)
            body = sql.counted_laps(body, counter)
        if "lap_distance_m" in derived:
            body = sql.lap_distance(body)
        return body

    def has(self, *names: str) -> bool:
        """Whether the telemetry view has every channel of ``names``."""
        return all(n in self.columns for n in names)

    def _create_views(self) -> None:
        body = "\nUNION ALL BY NAME\n".join(self._source_select(s) for s in self.sources)
        cols = ", ".join(["session", *map(_quote, self.columns)])
        # `lap` as in the laps view (the seed's current_lap stays): one name joins them
        self.con.execute(f"CREATE VIEW telemetry AS SELECT {cols}, current_lap AS lap "
                         f"FROM ({body})")
        have = set(self.columns)
        self._create_parts(have)
        laps, skipped_laps = sql.laps_view(have)
        sessions, skipped_sessions = sql.sessions_view(have)
        self.skipped = [*skipped_sessions, *skipped_laps]
        self.con.execute(laps)
        self.con.execute(sessions)

    def _create_parts(self, have: set[str]) -> None:
        """The views the tables add up: ``lap_parts``, ``input_bins`` and ``slip_p95``, read
        from each file's stored summary where it has one, computed from the samples of the
        others (``lap_lockups`` then finds their lock-ups)."""
        slow = [s.session for s in self.sources if s.session not in self.summaries]
        where = f"WHERE session IN ({', '.join(map(str, slow))})" if self.summaries else ""
        branches: dict[str, list[str]] = {"lap_parts": [], "input_bins": [], "slip_p95": []}
        for session, summary in self.summaries.items():
            for name, table in summary.tables.items():
                stored = f"summary_{name}_{session}"
                self.con.register("_summary", table)
                self.con.execute(f"CREATE TEMP TABLE {stored} AS SELECT "
                                 f"CAST({session} AS INTEGER) AS session, * FROM _summary")
                self.con.unregister("_summary")
                if name in branches:  # the series and G-G cells are read as they are
                    branches[name].append(f"SELECT * FROM {stored}")
        if slow:
            lockups = sql.lap_lockups(have, where)
            if lockups is not None:
                self.con.execute(f"CREATE VIEW lap_lockups AS {lockups}")
            branches["lap_parts"].append(sql.lap_parts(have, where))
            for name, query in (("input_bins", sql.input_bins(have, where)),
                                ("slip_p95", sql.slip_p95(have, where))):
                if query is not None:
                    branches[name].append(query)
        for name, parts in branches.items():
            if parts:
                body = "\nUNION ALL BY NAME\n".join(f"({p})" for p in parts)
                self.con.execute(f"CREATE VIEW {name} AS {body}")

    def stored(self, session: int, name: str) -> Table | None:
        """A table of the session's stored summary (``series``, ``gg``, ...), if it has one."""
        summary = self.summaries.get(session)
        if summary is None or name not in summary.tables:
            return None
        return self.table(f"SELECT * EXCLUDE (session) FROM summary_{name}_{int(session)}")

    def settle(self) -> None:
        """Compute ``lap_parts`` and ``laps`` once for the queries that follow (each reads
        them again otherwise: a scan of every sample for a file without a summary)."""
        if self._settled:
            return
        self._settled = True
        for name in ("lap_parts", "laps"):
            self._guard(lambda n=name: (
                self.con.execute(f"CREATE TEMP TABLE settled_{n} AS SELECT * FROM {n}"),
                self.con.execute(f"CREATE OR REPLACE VIEW {n} AS SELECT * FROM settled_{n}")))

    def lock_down(self) -> None:
        """From now on the connection reads the session files and nothing else: no other
        file, no writing (COPY, ATTACH), no extension installed or loaded, and the
        configuration locked, so a query cannot undo it."""
        paths = sorted({str(s.path) for s in self.sources} | {str(s.path.resolve())
                                                             for s in self.sources})
        con = self.con
        con.execute("SET autoinstall_known_extensions = false")
        con.execute("SET autoload_known_extensions = false")
        con.execute("SET allowed_paths = ?", [paths])
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")

    # --- queries -------------------------------------------------------------------------
    def _guard(self, fn: Any) -> Any:
        try:
            return fn()
        except duckdb.Error as exc:
            raise SessionFileError(self._blame(exc)) from exc

    def _blame(self, exc: duckdb.Error) -> str:
        """One line naming the file DuckDB complained about (or every file if it did not)."""
        text = str(exc)
        for src in self.sources:
            if str(src.path) in text or src.path.name in text:
                return f"{src.path}: {_duck_message(exc, src.path)}"
        names = ", ".join(str(s.path) for s in self.sources)
        return f"{names}: {_duck_message(exc)}"

    def table(self, query: str, params: Sequence[Any] | None = None) -> Table:
        """Run a statement of :mod:`sql` (or a user's query) and return NumPy columns."""
        def run() -> Table:
            cur = self.con.execute(query, list(params or []))
            names = [d[0] for d in cur.description]
            data = cur.fetchnumpy()
            return Table(names, {n: data[n] for n in names})
        return self._guard(run)

    def rows(self, query: str, params: Sequence[Any] | None = None) -> list[dict[str, Any]]:
        return self.table(query, params).rows()

    def lap_rows(self) -> list[dict[str, Any]]:
        """The ``laps`` view, computed once per data set (the files do not change under it)."""
        if self._laps is None:
            self._laps = self.rows(sql.LAP_TABLE)
        return self._laps

    def source(self, session: int) -> SessionSource:
        return self._by_session[session]

    def session_of(self, path: Path) -> int | None:
        target = Path(path).resolve()
        for s in self.sources:
            if s.path.resolve() == target:
                return s.session
        return None

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Dataset:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _duck_message(exc: BaseException, path: Path | None = None) -> str:
    """DuckDB's multi-line message reduced to its first informative line."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    line = lines[0] if lines else type(exc).__name__
    line = re.sub(r"^[A-Za-z ]*Error: ", "", line)
    if path is not None:
        # the line is printed after the path already: drop DuckDB's own mention of it
        line = re.sub(r'\s*(?:in\s+)?(?:file\s+)?"?' + re.escape(str(path)) + '"?', "", line)
    # a CSV error names the line it stopped at on a later line: keep it
    for extra in lines[1:4]:
        if extra.lower().startswith(("line", "original line")) or "line:" in extra.lower():
            line += f" ({extra[:120]})"
            break
    return line[:300]


def open_dataset(inputs: Iterable[str | Path], threads: int | None = None) -> Dataset:
    """Files, folders or globs as one data set (``session`` column = 1-based file order)."""
    return Dataset(open_sources(inputs), threads)
