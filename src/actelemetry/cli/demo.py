"""`actelemetry demo`: the main job on the built-in simulator."""

from pathlib import Path

import typer
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from actelemetry.cli.app import app, console
from actelemetry.cli.capture import SkillOpt, parse_skill


@app.command()
def demo(
    out: Path = typer.Option(Path("."), help="Folder for telemetry_logs/, reports/, ml_*"),
    quick: bool = typer.Option(False, help="Fewer laps and small models (for CI)"),
    seed: int = typer.Option(7, help="Simulator and training seed"),
    game: str = typer.Option("ac", help="Layout the simulator publishes: ac or acc"),
    skill: str = SkillOpt,
) -> None:
    """Simulate a short session, capture it, then analyse it and train models on it."""
    from actelemetry.app.demo import run_demo
    from actelemetry.capture.summary import summarize_session

    skill_level = parse_skill(skill)

    columns = (SpinnerColumn(), TextColumn("{task.description:<28}"), BarColumn(),
               TextColumn("{task.fields[info]}"), TimeElapsedColumn())
    with Progress(*columns, console=console) as progress:
        laps_total = 3 if quick else 5
        tasks: dict[str, TaskID] = {}

        def on_stage(name: str, frac: float) -> None:
            for other, task in tasks.items():
                if other != name:
                    progress.update(task, completed=100)
            if name != "done" and name not in tasks:
                tasks[name] = progress.add_task(name, total=100, info="")

        capture_task = None

        def on_lap(laps: int) -> None:
            nonlocal capture_task
            capture_task = capture_task or tasks.get("simulate + capture")
            if capture_task is not None:
                progress.update(capture_task, completed=100 * laps / (laps_total + 1),
                                info=f"lap {laps + 1}")

        result = run_demo(out, quick, seed, game, on_stage, on_lap, skill_level)
    console.print()
    for line in summarize_session(result.session).lines():
        console.print(line, highlight=False, soft_wrap=True)
    console.print()
    for stage in result.stages:
        console.print(f"[bold]{stage.name}[/] ({stage.seconds:.1f} s)")
        for path in stage.outputs:
            console.print(f"   {path}", soft_wrap=True, highlight=False)
        if stage.note:
            console.print(f"   {stage.note}", soft_wrap=True)
