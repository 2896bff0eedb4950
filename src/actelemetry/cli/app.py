"""The Typer applications every command module registers on."""

import typer
from rich.console import Console

app = typer.Typer(
    name="actelemetry",
    help="Capture, analyse, learn from and stream Assetto Corsa / ACC telemetry.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
ml_app = typer.Typer(help="Datasets, models and live prediction.", no_args_is_help=True)
app.add_typer(ml_app, name="ml")

console = Console()
err_console = Console(stderr=True)
