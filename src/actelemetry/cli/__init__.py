"""The `actelemetry` command line: parse, call a library function, print.

Each command module registers its commands on the shared app; user errors are caught
here once and printed as one line with a non-zero exit code.
"""

import importlib
import io
import sys

import typer
from rich.markup import escape

from actelemetry.cli.app import app, err_console
from actelemetry.errors import ActelemetryError, one_line

# the command modules, imported for their registrations (in the order --help lists them)
for _name in ("capture", "replay", "sim", "analysis", "archive", "imports", "ml", "bridge",
              "demo"):
    importlib.import_module(f"actelemetry.cli.{_name}")


def tolerant_console() -> None:
    """A console that cannot show a glyph (Windows' cp1252 console or a redirected pipe:
    no box drawing, no full block) gets ``?`` for it instead of a crash halfway through a
    table; a UTF-8 console shows everything as before."""
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper) and stream.errors == "strict":
            stream.reconfigure(errors="replace")


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app, turning user errors into one line and exit code 2."""
    tolerant_console()
    try:
        code = app(args=argv, standalone_mode=False)
    except ActelemetryError as exc:
        err_console.print(f"[bold red]error:[/] {escape(one_line(str(exc)))}", highlight=False,
                          soft_wrap=True)
        sys.exit(exc.exit_code)
    except (KeyboardInterrupt, typer.Abort):
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.TyperException as exc:  # usage errors: the parser's own one-line message
        show = getattr(exc, "show", None)
        if show is not None:
            show()
        else:
            err_console.print(f"error: {exc.format_message()}", highlight=False)
        sys.exit(exc.exit_code)
    if isinstance(code, int) and code:
        sys.exit(code)
