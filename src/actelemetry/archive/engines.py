"""Running the archive's queries on DuckDB (embedded, the default) or Spark (a cluster).

Every statement is DuckDB SQL (:mod:`actelemetry.archive.queries`, a user's query); the
Spark engine transpiles it with SQLGlot and refuses, in one line, what has no Spark
equivalent. PySpark is an optional extra (``pip install actelemetry[spark]``), imported only
when the Spark engine is asked for.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from actelemetry.archive import queries
from actelemetry.archive.store import ArchiveLocation, locate, read_sessions
from actelemetry.channels.catalogue import BY_NAME
from actelemetry.errors import UsageError

ENGINES = ("duckdb", "spark")
DEFAULT_MASTER = "local[2]"


def _first_line(exc: BaseException) -> str:
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    return (lines[0] if lines else type(exc).__name__)[:400]


def to_spark(query: str) -> str:
    """``query`` (DuckDB SQL) as Spark SQL; a UsageError names what does not carry over."""
    import sqlglot
    from sqlglot.errors import ErrorLevel, ParseError, UnsupportedError

    try:
        out = sqlglot.transpile(query, read="duckdb", write="spark",
                                unsupported_level=ErrorLevel.RAISE)
    except ParseError as exc:
        raise UsageError(f"query is not SQL that SQLGlot reads as DuckDB's: "
                         f"{_first_line(exc)}") from None
    except UnsupportedError as exc:
        raise UsageError(f"query uses DuckDB SQL that Spark SQL has no equivalent for: "
                         f"{_first_line(exc)}") from None
    statements = [s for s in out if s.strip()]
    if len(statements) != 1:
        raise UsageError("give one SQL statement")
    return statements[0]


def only_a_query(query: str) -> None:
    """Refuse anything but one query (SELECT, UNION, WITH ...): over an archive the reads
    are allowed in its folder, so a COPY or an ATTACH could write there."""
    import sqlglot
    from sqlglot import exp
    from sqlglot.errors import ParseError

    try:
        trees = [t for t in sqlglot.parse(query, read="duckdb") if t is not None]
    except ParseError as exc:
        raise UsageError(f"query is not SQL that SQLGlot reads as DuckDB's "
                         f"({_first_line(exc)}); --unsafe runs it as it is") from None
    if len(trees) != 1 or not isinstance(trees[0], exp.Query):
        raise UsageError("only one query (SELECT ...) runs over an archive; --unsafe runs "
                         "any statement")


class Engine:
    """An engine holding the relations ``archive_data`` and ``archive_sessions``."""

    name = ""

    def columns(self) -> list[str]:
        raise NotImplementedError

    def view(self, name: str, select: str) -> None:
        """Create the view ``name`` from a DuckDB SELECT."""
        raise NotImplementedError

    def register(self, name: str, table: pa.Table) -> None:
        """A small Arrow table as the relation ``name``."""
        raise NotImplementedError

    def arrow(self, query: str) -> pa.Table:
        """Run a DuckDB SELECT; the result as an Arrow table."""
        raise NotImplementedError

    def lock_down(self) -> None:
        """Before a user's query: read the archive and nothing else (where the engine can)."""

    def close(self) -> None:
        pass


class DuckEngine(Engine):
    """DuckDB in this process, reading the data files where they lie."""

    name = "duckdb"

    def __init__(self, loc: ArchiveLocation, threads: int | None = None) -> None:
        import duckdb

        self.loc = loc
        self._duckdb = duckdb
        self.con = duckdb.connect()
        self._locked = False
        if threads:
            self.con.execute(f"SET threads = {int(threads)}")
        pattern = f"{loc.data_root}/**/*.parquet"
        try:
            # partition values stay text, as Spark is told to read them
            self.con.sql("SELECT * FROM read_parquet($pattern, hive_partitioning = true, "
                         "union_by_name = true, hive_types_autocast = false)",
                         params={"pattern": pattern}).create_view("archive_data")
            self.con.read_parquet(loc.sessions_path).create_view("archive_sessions")
        except duckdb.Error as exc:
            raise UsageError(f"{loc.uri}: cannot read the archive ({_first_line(exc)})") \
                from None

    def columns(self) -> list[str]:
        return [r[0] for r in self.con.execute("DESCRIBE archive_data").fetchall()]

    def view(self, name: str, select: str) -> None:
        try:
            self.con.execute(f"CREATE OR REPLACE VIEW {name} AS {select}")
        except self._duckdb.Error as exc:  # the archive's files lack what the view needs
            raise UsageError(f"{self.loc.uri}: cannot make the {name} view "
                             f"({_first_line(exc)})") from None

    def register(self, name: str, table: pa.Table) -> None:
        self.con.register(name, table)

    def arrow(self, query: str) -> pa.Table:
        try:
            return self.con.sql(query).to_arrow_table()
        except AttributeError:  # a statement that returns no rows
            raise UsageError("query returned no result set") from None
        except self._duckdb.Error as exc:
            raise UsageError(f"query failed: {_first_line(exc)}") from None

    def lock_down(self) -> None:
        if self._locked:  # the configuration cannot be set again once locked
            return
        self._locked = True
        con = self.con
        con.execute("SET autoinstall_known_extensions = false")
        con.execute("SET autoload_known_extensions = false")
        if self.loc.local:
            con.execute("SET allowed_directories = ?", [[self.loc.root]])
            con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")

    def close(self) -> None:
        self.con.close()


def spark_session(master: str = DEFAULT_MASTER, app_name: str = "actelemetry") -> Any:
    """A SparkSession for the archive: partition values read as text (as DuckDB does),
    few shuffle partitions (the sessions table is small), no UI."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise UsageError("the Spark engine needs PySpark: pip install 'actelemetry[spark]' "
                         "(and Java 17 or later)") from None
    # PySpark warns about pandas versions even where nothing here uses pandas
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas",
                            category=FutureWarning)
    try:
        session = (SparkSession.builder.master(master).appName(app_name)
                .config("spark.sql.shuffle.partitions", "4")
                .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
                .config("spark.sql.session.timeZone", "UTC")
                .config("spark.ui.enabled", "false")
                .config("spark.ui.showConsoleProgress", "false")
                .getOrCreate())
    except Exception as exc:  # the JVM failed to start: no Java, a bad master URL
        raise UsageError(f"cannot start Spark ({master}): {_first_line(exc)}") from None
    session.sparkContext.setLogLevel("ERROR")
    return session


class SparkEngine(Engine):
    """Spark SQL, local or on a cluster (``master``), over the same files."""

    name = "spark"

    def __init__(self, loc: ArchiveLocation, master: str = DEFAULT_MASTER,
                 session: Any = None) -> None:
        self.loc = loc
        self.spark = session if session is not None else spark_session(master)
        root = loc.uri if "://" in loc.uri else loc.root
        try:
            (self.spark.read.option("mergeSchema", "true").option("basePath", f"{root}/data")
             .parquet(f"{root}/data").createOrReplaceTempView("archive_data"))
            self.spark.read.parquet(f"{root}/{loc.sessions_path.rsplit('/', 1)[1]}") \
                .createOrReplaceTempView("archive_sessions")
        except Exception as exc:
            raise UsageError(f"{loc.uri}: Spark cannot read the archive "
                             f"({_first_line(exc)})") from None

    def columns(self) -> list[str]:
        return list(self.spark.table("archive_data").columns)

    def view(self, name: str, select: str) -> None:
        try:
            self.spark.sql(to_spark(select)).createOrReplaceTempView(name)
        except UsageError:
            raise
        except Exception as exc:  # the archive's files lack what the view needs
            raise UsageError(f"{self.loc.uri}: Spark cannot make the {name} view "
                             f"({_first_line(exc)})") from None

    def register(self, name: str, table: pa.Table) -> None:
        ddl = ", ".join(f"`{f.name}` {_SPARK_TYPES[str(f.type)]}" for f in table.schema)
        self.spark.createDataFrame([tuple(r.values()) for r in table.to_pylist()], ddl) \
            .createOrReplaceTempView(name)

    def arrow(self, query: str) -> pa.Table:
        """Rows collected through Py4J, not ``toArrow`` (which needs pandas): the results
        of the shared queries are small, a user's large one belongs in ``-o``."""
        text = to_spark(query)
        try:
            frame = self.spark.sql(text)
            rows = frame.collect()
        except Exception as exc:  # AnalysisException, ParseException, ...: the user's query
            raise UsageError(f"Spark refused the query as SQLGlot wrote it in Spark SQL "
                             f"({' '.join(text.split())[:200]}): {_first_line(exc)} (DuckDB "
                             "SQL without a Spark equivalent, such as ASOF JOIN or COLUMNS(), "
                             "runs only with --engine duckdb)") from None
        columns = [pa.array([r[i] for r in rows]) for i in range(len(frame.columns))]
        return pa.Table.from_arrays(columns, names=list(frame.columns))


#: Arrow types of the tables given to Spark, in Spark's DDL
_SPARK_TYPES = {"string": "STRING", "int32": "INT", "int64": "BIGINT", "double": "DOUBLE",
                "float": "FLOAT", "bool": "BOOLEAN"}


def open_engine(archive: str, engine: str = "duckdb", master: str = DEFAULT_MASTER,
                spark: Any = None) -> Engine:
    """The engine ``engine`` over the archive; an empty or missing archive is refused."""
    if engine not in ENGINES:
        raise UsageError(f"--engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    loc = locate(archive)
    if read_sessions(loc).num_rows == 0:
        raise UsageError(f"{archive}: not an archive (no sessions; add some with "
                         "`actelemetry archive add SESSION --to ARCHIVE`)")
    return DuckEngine(loc) if engine == "duckdb" else SparkEngine(loc, master, spark)


class ArchiveAnalysis:
    """The analysis' views over an archive on one engine, and its shared queries."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.have = {c for c in engine.columns() if c in BY_NAME}
        for name, select in queries.views(self.have):
            engine.view(name, select)
        self._corners = False

    def run(self, name: str) -> pa.Table:
        """One of :data:`queries.QUERIES` (rows in its keys' order)."""
        query = queries.QUERIES.get(name)
        if query is None:
            raise UsageError(f"unknown query {name!r}: one of {', '.join(queries.QUERIES)}")
        text = query.build(self.have)
        if text is None:
            raise UsageError(f"the archive lacks the channels the {name} query needs")
        if name == "corners":
            self._register_corners()
        return self.engine.arrow(text)

    def sql(self, query: str, unsafe: bool = False) -> pa.Table:
        """A user's query over ``telemetry``, ``laps``, ``sessions`` and ``session_files``
        (on DuckDB locked down to the archive unless ``unsafe``)."""
        if not unsafe:
            only_a_query(query)
            self.engine.lock_down()
        return self.engine.arrow(query)

    def _register_corners(self) -> None:
        """``corners``: each track's corners, found on its fastest counted lap's line."""
        if self._corners:
            return
        from actelemetry.analysis.corners import detect_corners
        from actelemetry.analysis.laps import GRID_STEP_M

        rows: list[dict[str, Any]] = []
        for ref in self.engine.arrow(queries.REFERENCE_LAPS).to_pylist():
            line = self.engine.arrow(queries.lap_line(ref["session"], ref["lap"]))
            d = np.asarray(line.column("lap_distance_m").to_numpy(zero_copy_only=False), "f8")
            x = np.asarray(line.column("pos_x").to_numpy(zero_copy_only=False), "f8")
            z = np.asarray(line.column("pos_z").to_numpy(zero_copy_only=False), "f8")
            keep = np.isfinite(d) & np.isfinite(x) & np.isfinite(z)
            d, x, z = d[keep], x[keep], z[keep]
            if len(d) < 10:
                continue
            order = np.argsort(d, kind="stable")
            d, x, z = d[order], x[order], z[order]
            grid = np.arange(0.0, float(d[-1]), GRID_STEP_M)
            for c in detect_corners(np.interp(grid, d, x), np.interp(grid, d, z), grid):
                rows.append({"track": ref["track"], "corner": c.number, "start_m": c.start_m,
                             "apex_m": c.apex_m, "end_m": c.end_m})
        schema = pa.schema([("track", pa.string()), ("corner", pa.int32()),
                            ("start_m", pa.float64()), ("apex_m", pa.float64()),
                            ("end_m", pa.float64())])
        self.engine.register("corners", pa.Table.from_pylist(rows, schema=schema))
        self._corners = True

    def close(self) -> None:
        self.engine.close()

    def __enter__(self) -> ArchiveAnalysis:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def analyse_archive(archive: str, engine: str = "duckdb", master: str = DEFAULT_MASTER,
                    spark: Any = None) -> ArchiveAnalysis:
    return ArchiveAnalysis(open_engine(archive, engine, master, spark))


def plain_rows(table: pa.Table, keys: Sequence[str] = ()) -> list[dict[str, Any]]:
    """Rows as plain Python values (decimals as floats, dates as text), in ``keys``' order:
    what two engines' results are compared as."""
    rows = []
    for row in table.to_pylist():
        out = {}
        for k, v in row.items():
            if v is not None and type(v).__name__ == "Decimal":
                v = float(v)
            elif hasattr(v, "isoformat"):
                v = v.isoformat()
            out[k.lower()] = v
        rows.append(out)
    if keys:
        rows.sort(key=lambda r: tuple((r[k] is None, r[k]) for k in keys))
    return rows
