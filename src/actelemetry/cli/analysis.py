"""`actelemetry analyze | compare | sql | export`: thin shells over actelemetry.analysis."""

from enum import Enum
from pathlib import Path

import typer

from actelemetry.analysis.tables import Format
from actelemetry.cli.app import app, console
from actelemetry.errors import UsageError


def parse_lap_spec(spec: str) -> tuple[str, int | None]:
    """``SESSION[:LAP]`` -> (session path, lap or None); a drive letter is not a lap."""
    head, sep, tail = spec.rpartition(":")
    if sep and tail.isdigit() and head:
        return head, int(tail)
    return spec, None


@app.command("analyze")
def analyze_command(
    sessions: list[str] = typer.Argument(..., help="Session files, folders or globs"),
    plots: bool = typer.Option(False, "--plots", help="Write the HTML report and plots"),
    ml: bool = typer.Option(False, "--ml", help="Also prepare the ML dataset in ml_data/ "
                            "(where `ml train` looks)"),
    out: Path = typer.Option(Path("reports"), "--out", "-o",
                           help="Folder for the HTML report (--plots)"),
    downsample: int = typer.Option(1, "--downsample", help="Draw N times fewer points"),
    split_plots: bool = typer.Option(False, "--split-plots", help="--plots: also each figure "
                                     "as its own page (speed_trace.html, ...), sharing one "
                                     "plotly.min.js"),
    graphs: bool = typer.Option(True, "--graphs/--no-graphs", help="ASCII graphs"),
    fmt: Format = typer.Option(Format.table, "--format", help="How tables print: table "
                               "(plain text when piped), csv, json or markdown"),
) -> None:
    """Session summary, lap table, inputs, wheels, graphs; --plots writes HTML."""
    from actelemetry.analysis.printing import print_analysis
    from actelemetry.analysis.report import analyze

    result = analyze(sessions, out, plots=plots, downsample=downsample,
                     split_plots=split_plots)
    print_analysis(result, console, graphs=graphs, fmt_=fmt)
    if ml:  # the seed's --ml: the dataset `ml train` then finds by default
        from actelemetry.analysis.sources import resolve_inputs
        from actelemetry.ml.dataset import DEFAULT_DATA_DIR, prepare_dataset

        folder = prepare_dataset(resolve_inputs(sessions), DEFAULT_DATA_DIR)
        console.print(f"wrote ML dataset: {folder}  (next: actelemetry ml train)")


@app.command("compare")
def compare_command(
    laps: list[str] = typer.Argument(..., help="SESSION[:LAP], one or two"),
    ref: str = typer.Option(None, "--ref", help="Reference SESSION:LAP (default: the first "
                            "of two laps given, else the best valid lap)"),
    out: Path = typer.Option(Path("reports"), "--out", "-o",
                             help="Folder for lap_comparison.html"),
    html: bool = typer.Option(True, "--html/--no-html", help="Write lap_comparison.html"),
) -> None:
    """Compare two laps by track position: delta time, corners, where time is lost."""
    from actelemetry.analysis.compare import compare_laps
    from actelemetry.analysis.dataset import open_dataset
    from actelemetry.analysis.printing import print_comparison
    from actelemetry.analysis.select import choose_laps

    specs = [parse_lap_spec(s) for s in laps]
    if len(specs) > 2:
        raise UsageError("compare takes one or two SESSION[:LAP]")
    ref_spec = parse_lap_spec(ref) if ref else None
    paths = [p for p, _ in specs] + ([ref_spec[0]] if ref_spec else [])
    with open_dataset(paths) as ds:
        reference, compared = choose_laps(ds, specs, ref_spec)
        result = compare_laps(ds, reference, compared)
    print_comparison(result, console)
    if html:
        from actelemetry.plots.report import write_comparison
        from actelemetry.store.output import moved, staged_folder

        with staged_folder(out) as stage:
            files = write_comparison(result, stage)
        for name, path in moved(files, stage, out).items():
            console.print(f"wrote {name}: {path}")


@app.command("sql")
def sql_command(
    query: str = typer.Argument(..., help="SQL over the views telemetry, laps, sessions"),
    sessions: list[str] = typer.Argument(..., help="Session files, folders or globs"),
    param: list[str] = typer.Option([], "--param", "-p", help="Value for a ? placeholder"),
    out: Path = typer.Option(None, "--out", "-o", help="Write .csv or .parquet instead"),
    limit: int = typer.Option(50, "--limit", help="Rows to print"),
    unsafe: bool = typer.Option(False, "--unsafe", help="Full DuckDB: the query may read "
                                "and write any file and install extensions"),
    fmt: Format = typer.Option(Format.table, "--format", help="table (plain text when "
                               "piped), csv, json or markdown"),
    engine: str = typer.Option("duckdb", "--engine", help="duckdb, or spark over an "
                               "archive (the query is transpiled to Spark SQL)"),
    master: str = typer.Option("local[2]", "--master", help="--engine spark: local[N] or "
                               "spark://HOST:7077"),
) -> None:
    """Run DuckDB SQL against the sessions (or an archive) and print the result."""
    from actelemetry.analysis.printing import exact
    from actelemetry.analysis.query import run_query
    from actelemetry.analysis.tables import TextTable, render

    if engine != "duckdb" or _one_archive(sessions):
        _archive_sql(query, sessions, engine, master, bool(param), out, unsafe, limit, fmt)
        return
    result = run_query(query, sessions, [_param(p) for p in param], out, unsafe=unsafe)
    if isinstance(result, Path):
        console.print(f"wrote {result}")
        return
    rows = result.rows()
    shown = rows[:limit] if fmt is Format.table else rows
    table = TextTable("", list(result.columns), keys=1,
                      values=[[r[c] for c in result.columns] for r in shown])
    for r in shown:
        table.add(*(exact(r[c]) for c in result.columns))
    render(table, console, fmt)
    if len(rows) > len(shown):
        console.print(f"{len(rows) - len(shown)} more rows (use --limit, --format or -o)",
                      highlight=False)


def _one_archive(inputs: list[str]) -> bool:
    from actelemetry.archive.store import is_archive

    return len(inputs) == 1 and is_archive(inputs[0])


def _archive_sql(query: str, inputs: list[str], engine: str, master: str, params: bool,
                 out: Path | None, unsafe: bool, limit: int, fmt: Format) -> None:
    """``sql`` over an archive, on DuckDB or Spark."""
    from actelemetry.archive.engines import analyse_archive
    from actelemetry.cli.archive import print_arrow

    if not _one_archive(inputs):
        raise UsageError(f"--engine {engine} runs over one archive (made with `actelemetry "
                         "archive add SESSION --to ARCHIVE`), not session files")
    if params:
        raise UsageError("--param does not apply to an archive: write the values in the query")
    if out is not None:
        from actelemetry.analysis.query import OUTPUT_FORMATS

        if out.suffix.lower() not in OUTPUT_FORMATS:
            raise UsageError(f"{out}: output must end in .csv or .parquet")
    with analyse_archive(inputs[0], engine, master) as analysis:
        result = analysis.sql(query, unsafe=unsafe)
    if out is not None:
        import pyarrow as pa

        from actelemetry.analysis.query import write_stream

        write_stream(pa.RecordBatchReader.from_batches(result.schema, result.to_batches()),
                     out)
        console.print(f"wrote {out}")
        return
    print_arrow(result, "", limit, fmt)


def _param(text: str) -> object:
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


class ExportFormat(str, Enum):
    """What ``export`` writes; ``auto`` goes by the output's extension."""

    auto = "auto"
    csv = "csv"
    parquet = "parquet"
    ld = "ld"
    motec_csv = "motec-csv"


@app.command("export")
def export_command(
    session: str = typer.Argument(..., help="A session file"),
    out: Path = typer.Option(..., "--out", "-o", help="Output .csv, .parquet or .ld (MoTeC "
                             "i2; its .ldx with the lap beacons goes beside it)"),
    fmt: ExportFormat = typer.Option(ExportFormat.auto, "--format", help="auto (by the "
                                     "output's extension), csv, parquet, ld (MoTeC i2 log) "
                                     "or motec-csv (i2's CSV export layout)"),
    columns: str = typer.Option(None, "--columns", help="Comma-separated channels"),
    rows: str = typer.Option(None, "--rows", help="START:STOP file rows (0-based)"),
    laps: str = typer.Option(None, "--laps", help="Comma-separated lap numbers"),
    where: str = typer.Option(None, "--where", help="A condition on channels"),
) -> None:
    """Stream a subset of a session to CSV (spreadsheets) or Parquet, or write the whole
    session for MoTeC i2 (.ld + .ldx, or i2's CSV layout)."""
    cols = [c.strip() for c in columns.split(",") if c.strip()] if columns else []
    kind = fmt.value
    if kind == "auto":
        kind = "ld" if out.suffix.lower() == ".ld" else out.suffix.lower().lstrip(".")
    if kind in ("ld", "motec-csv"):
        from actelemetry.analysis.export_motec import export_ld, export_motec_csv

        if rows or laps or where:
            raise UsageError(f"--rows, --laps and --where do not apply to --format {kind}: "
                             "a MoTeC log holds the whole session (use --columns to choose "
                             "channels)")
        done = (export_ld if kind == "ld" else export_motec_csv)(session, out, cols)
        beacons = f"{done.laps} lap beacons"
        shape = f"{done.channels} channels x {done.samples} samples at {done.rate_hz} Hz"
        wrote = (f"{done.paths[0]} ({shape}) and {done.paths[1]} ({beacons})" if kind == "ld"
                 else f"{done.paths[0]} ({shape}, {beacons})")
        console.print(f"wrote {wrote}", highlight=False, soft_wrap=True)
        return
    if fmt is not ExportFormat.auto and out.suffix.lower() != f".{kind}":
        raise UsageError(f"{out}: --format {kind} writes a .{kind} file")
    from actelemetry.analysis.export import export_session

    result = export_session(session, out, cols, rows, laps, where)
    console.print(f"wrote {result.rows} rows x {len(result.columns)} columns to {result.path}")
