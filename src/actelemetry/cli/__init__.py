"""The `actelemetry` command line: parse, call a library function, print.

Each command module registers its commands on the shared app; user errors are caught
here once and printed as one line with a non-zero exit code.
"""

from __future__ import annotations

import importlib
import sys

from actelemetry.cli.app import app, err_console
from actelemetry.errors import ActelemetryError

# command modules, imported for their registrations; a module not written yet is skipped
_COMMAND_MODULES = ("capture", "replay", "sim", "analysis", "ml", "bridge", "demo")
for _name in _COMMAND_MODULES:
    try:
        importlib.import_module(f"actelemetry.cli.{_name}")
    except ModuleNotFoundError as exc:  # pragma: no cover - only while a module is absent
        if exc.name != f"actelemetry.cli.{_name}":
            raise


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app, turning user errors into one line and exit code 2."""
    try:
        code = app(args=argv, standalone_mode=False)
    except ActelemetryError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        sys.exit(130)
    except SystemExit:
        raise
    except Exception as exc:  # click usage errors arrive here in non-standalone mode
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        if isinstance(exc, click.exceptions.Abort):
            sys.exit(130)
        raise
    if isinstance(code, int) and code:
        sys.exit(code)
