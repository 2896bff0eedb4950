"""`actelemetry archive add | query`: the team archive (actelemetry.archive)."""

from typing import Any

import typer

from actelemetry.analysis.tables import Format
from actelemetry.cli.app import app, console

archive_app = typer.Typer(help="A team archive: sessions in one partitioned Parquet "
                          "dataset, queried on DuckDB or Spark.", no_args_is_help=True)
app.add_typer(archive_app, name="archive")


@archive_app.command("add")
def add_command(
    sessions: list[str] = typer.Argument(..., help="Session files, folders or globs"),
    to: str = typer.Option(..., "--to", help="The archive: a folder, or an object-store "
                           "URL (s3://bucket/path, gs://..., any fsspec URL)"),
) -> None:
    """Store sessions in the archive (once each: adding one again does nothing)."""
    from actelemetry.archive.store import archive_add

    for item in archive_add(sessions, to):
        what = "added" if item.added else "already archived"
        console.print(f"{what}: {item.source} -> {item.data_file} ({item.samples} samples)",
                      highlight=False, soft_wrap=True)


@archive_app.command("query")
def query_command(
    archive: str = typer.Argument(..., help="The archive (folder or URL)"),
    query: str = typer.Option("summary", "--query", "-q", help="summary, laps, "
                              "distribution, inputs, fastest or corners"),
    engine: str = typer.Option("duckdb", "--engine", help="duckdb (embedded) or spark"),
    master: str = typer.Option("local[2]", "--master", help="Spark master: local[N] or "
                               "spark://HOST:7077"),
    limit: int = typer.Option(50, "--limit", help="Rows to print"),
    fmt: Format = typer.Option(Format.table, "--format", help="table (plain text when "
                               "piped), csv, json or markdown"),
) -> None:
    """One of the analysis' queries over the whole archive, on DuckDB or Spark."""
    from actelemetry.archive.engines import analyse_archive
    from actelemetry.archive.queries import QUERIES

    with analyse_archive(archive, engine, master) as analysis:
        result = analysis.run(query)
    print_arrow(result, QUERIES[query].title, limit, fmt)


def print_arrow(result: Any, title: str, limit: int, fmt: Format) -> None:
    """An Arrow table as the analysis prints its tables."""
    from actelemetry.analysis.printing import exact
    from actelemetry.analysis.tables import TextTable, render

    rows = result.to_pylist()
    shown = rows[:limit] if fmt is Format.table else rows
    names = list(result.column_names)
    table = TextTable(title, names, keys=1, values=[[r[c] for c in names] for r in shown])
    for r in shown:
        table.add(*(exact(r[c]) for c in names))
    render(table, console, fmt)
    if len(rows) > len(shown):
        console.print(f"{len(rows) - len(shown)} more rows (use --limit or --format)",
                      highlight=False)
