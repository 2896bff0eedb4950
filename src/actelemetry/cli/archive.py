"""`actelemetry archive add`: the team archive (actelemetry.archive)."""

from __future__ import annotations

import typer

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

