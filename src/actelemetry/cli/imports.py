"""`actelemetry import`: other tools' logs (MoTeC .ld and i2 CSV, CSV, JSONL, JSON) in as
session files; a thin shell over actelemetry.imports."""

from pathlib import Path

import typer
from rich.markup import escape

from actelemetry.cli.app import app, console
from actelemetry.errors import UsageError


@app.command("import")
def import_command(
    files: list[Path] = typer.Argument(..., help="Files to import"),
    out: Path = typer.Option(Path("telemetry_logs/imported"), "--out", "-o",
                             help="Folder for the session files"),
    fmt: str = typer.Option("auto", "--format", help="auto, ld, motec-csv, csv, jsonl, json "
                            "or parquet"),
    mapping: str = typer.Option(None, "--map", help="A mapping file (MAP.toml) or the name of "
                                "a shipped mapping; default: the one whose fields fit best"),
    show_columns: bool = typer.Option(False, "--show-columns", help="List each file's fields "
                                      "(name, unit, count, range, example) and the mappings "
                                      "that fit, to help write a mapping; writes nothing"),
) -> None:
    """Turn foreign logs into session files with the catalogue's names and units."""
    from actelemetry.imports.files import FORMATS, import_file
    from actelemetry.imports.mapping import mapping_named

    if fmt not in FORMATS:
        raise UsageError(f"--format {fmt}: one of {', '.join(FORMATS)}")
    if show_columns:
        for path in files:
            _show_columns(path, fmt)
        return
    chosen = mapping_named(mapping) if mapping else None
    for path in files:
        target, summary, how = import_file(path, out, fmt, chosen)
        console.print(f"wrote {escape(str(target))}  ({escape(how)})", highlight=False,
                      soft_wrap=True)
        for line in summary.lines():
            console.print(escape(line), highlight=False, soft_wrap=True)


def _show_columns(path: Path, fmt: str) -> None:
    from actelemetry.formats.plain import describe_columns
    from actelemetry.imports.files import fits, read_log

    log = read_log(path, fmt)
    console.print(f"{escape(str(path))}: {log.fmt}, {len(log.channels)} numeric fields, "
                  f"{len(log.texts)} text fields, {len(log.lap_marks)} lap marks",
                  highlight=False, soft_wrap=True)
    for key, value in sorted(log.meta.items()):
        console.print(f"  {escape(key)}: {escape(str(value))}", highlight=False, soft_wrap=True)
    rows = describe_columns(log)
    if rows:
        keys = list(rows[0])
        console.print("  " + "\t".join(keys), highlight=False, soft_wrap=True)
        for row in rows:
            console.print("  " + "\t".join(escape(str(row[k])) for k in keys),
                          highlight=False, soft_wrap=True)
    best = fits(log)[:3]
    console.print("  mappings that fit: " + ", ".join(
        f"{f.mapping.name} ({f.found} of {f.wanted} fields)" for f in best), highlight=False,
        soft_wrap=True)
