"""`actelemetry ml prepare | train | predict`: thin shells over :mod:`actelemetry.ml`."""

from enum import Enum
from pathlib import Path
from typing import Any

import typer

from actelemetry.cli.app import console, ml_app
from actelemetry.cli.capture import SkillOpt, parse_skill
from actelemetry.errors import UsageError
from actelemetry.sources.base import SourceKind


class SplitBy(str, Enum):
    lap = "lap"
    session = "session"
    driver = "driver"
    track = "track"


class AbsSteer(str, Enum):
    both = "both"
    with_ = "with"
    without = "without"


@ml_app.command()
def prepare(
    sessions: list[Path] = typer.Argument(..., help="Session files or folders of them"),
    out: Path = typer.Option(Path("ml_data"), "--out", "-o", help="Dataset folder"),
    features: str = typer.Option("seed", help="state | state+history | state+actions (named "
                                 "by what they leak; cut to the channels the sessions have, "
                                 "printing what is left out) | seed | rich | rich_prev | "
                                 "a,comma,list (every one needed)"),
    split: SplitBy = typer.Option(SplitBy.lap, help="Hold out whole laps, sessions, drivers "
                                  "(session metadata) or tracks"),
    folds: int = typer.Option(0, help="K >= 2: K folds over the groups, each held out once "
                              "(K = number of groups: leave-one-group-out); ml train "
                              "then reports mean and range over folds"),
    rate: float | None = typer.Option(None, help="Resample every session to this rate (Hz); "
                                      "otherwise only irregular logs, at their median step"),
    test_fraction: float = typer.Option(0.25, help="Share of groups held out (without "
                                        "--folds)"),
    seed: int = typer.Option(0, help="Seed of the split"),
    seq_len: int = typer.Option(50, help="Rows per sequence window"),
    seq_stride: int = typer.Option(25, help="Rows between window starts in X_sequences.npy"),
    every: int = typer.Option(1, help="Keep every Nth sample of each lap (5: 100 -> 20 Hz)"),
    prev_lag: float = typer.Option(0.2, help="Seconds back for the prev_* features"),
    keep_invalid: bool = typer.Option(False, help="Keep invalid laps"),
    keep_out_laps: bool = typer.Option(False, help="Keep out laps"),
    keep_partial: bool = typer.Option(False, help="Keep partial laps"),
    keep_pit: bool = typer.Option(False, help="Keep laps that visit the pit lane"),
) -> None:
    """State-to-action dataset (the seed's files plus a card), split by group, never by
    frame."""
    from actelemetry.ml.card import card_notes, card_summary, read_card
    from actelemetry.ml.dataset import DEFAULT_DATA_DIR, prepare_dataset
    from actelemetry.ml.folds import read_plan

    with console.status("Preparing...") as status:
        path = prepare_dataset(
            sessions, out, features=features, split=split.value, test_fraction=test_fraction,
            seed=seed, seq_len=seq_len, seq_stride=seq_stride, every=every,
            prev_lag_s=prev_lag, keep_invalid=keep_invalid, keep_out_laps=keep_out_laps,
            keep_partial=keep_partial, keep_pit=keep_pit, folds=folds, rate_hz=rate,
            on_session=lambda p: status.update(f"Reading {p.name}..."))
    if folds:
        plan = read_plan(path)["folds"]
        console.print(f"Dataset: {path}  {len(plan)} folds by {split.value}:", highlight=False)
        for fold in plan:
            console.print(f"  {fold['folder']}: {card_summary(read_card(path / fold['folder']))}"
                          f"; held out: {', '.join(fold['test_groups'])}", highlight=False,
                          soft_wrap=True, markup=False)
        card = read_card(path / plan[0]["folder"])
    else:
        card = read_card(path)
        console.print(f"Dataset: {path}  {card_summary(card)}", highlight=False,
                      soft_wrap=True)
    for line in card_notes(card):
        console.print(line, highlight=False, markup=False, soft_wrap=True)
    card_dir = path / read_plan(path)["folds"][0]["folder"] if folds else path
    console.print(f"Card: {card_dir / 'dataset_card.md'} (abs_steer leaks the steer target: "
                  "ml train leaves it out unless --abs-steer with|both)", highlight=False,
                  soft_wrap=True)
    console.print("next: actelemetry ml train" + ("" if out == DEFAULT_DATA_DIR
                                                  else f" --data {out}"), highlight=False)


@ml_app.command()
def train(
    data_dir: Path = typer.Option(Path("ml_data"), "--data", help="Folder from `ml prepare` "
                                  "or `analyze --ml`"),
    output_dir: Path = typer.Option(Path("ml_results"), "--out", "-o",
                                    help="Models, report and plots"),
    old_data_dir: Path | None = typer.Option(None, "--data-dir", hidden=True),
    old_output_dir: Path | None = typer.Option(None, "--output-dir", hidden=True),
    models: str | None = typer.Option(None, help="Comma list (default: linear, mlp_32, hgb; "
                                      "known: linear, mlp_32, mlp_64_32, mlp_128_64_32, hgb, "
                                      "lstm, gru)"),
    all_models: bool = typer.Option(False, "--all", help="The full grid: every model on the "
                                    "dataset's and the rich feature set, with and without "
                                    "abs_steer (minutes)"),
    features: str | None = typer.Option(None, help="Feature sets, comma list (default: the "
                                        "dataset's; with --all also rich)"),
    abs_steer: AbsSteer | None = typer.Option(None, help="Train with abs_steer (which leaks "
                                              "the steer target), without it, or both "
                                              "(default: without; --all: both)"),
    seed: int = typer.Option(0, help="Random seed (runs are deterministic)"),
    quick: bool = typer.Option(False, help="Small fast models (linear, mlp_32, hgb)"),
    epochs: int | None = typer.Option(None, help="Epochs for the MLPs and sequence models"),
    threads: int | None = typer.Option(None, help="Cap CPU threads (1 is fastest on a busy "
                                       "machine)"),
) -> None:
    """Train models, score them on held-out laps next to the baselines, save them and write
    the report (a dataset of folds: every fold, each score as mean and range)."""
    from actelemetry.analysis.tables import TextTable, render
    from actelemetry.ml.evaluate import fmt3, gain_text
    from actelemetry.ml.features import ACTIONS
    from actelemetry.ml.folds import cross_validate, is_folded
    from actelemetry.ml.report import must_beat_line
    from actelemetry.ml.train import train_models

    data_dir, output_dir = old_data_dir or data_dir, old_output_dir or output_dir
    names = [m.strip() for m in models.split(",") if m.strip()] if models else None
    sets = _feature_sets(features)
    options: dict[str, Any] = {"models": names, "seed": seed, "quick": quick, "feature_sets": sets,
               "abs_steer": abs_steer.value if abs_steer else None, "epochs": epochs,
               "threads": threads, "all_models": all_models}
    if is_folded(data_dir):
        cv = cross_validate(data_dir, output_dir, console=console, **options)
        console.print(cv.first_line(), highlight=False, soft_wrap=True)
        rows = cv.table_rows()
        cv_table = TextTable(f"R² over {len(cv.runs)} folds by {cv.by}: mean (min..max)",
                             rows[0], keys=2)
        for row in rows[1:]:
            cv_table.add(*row)
        render(cv_table, console)
        console.print(f"report: {cv.report_md}; each fold's models and report under "
                      f"{output_dir}/fold_*", highlight=False, soft_wrap=True)
        return
    result = train_models(data_dir, output_dir, console=console, **options)
    console.print(must_beat_line(result), highlight=False, soft_wrap=True)
    table = TextTable("R² on held-out laps (RMSE and MAE: see the report)",
                      ["model", "features", "abs_steer", "gas R²", "brake R²", "steer R²",
                       "gain over best baseline", "train s"], keys=3)
    for r in [*result.baselines.values(), *result.persistence.values(), *result.results]:
        table.add(r.name, r.variant.removesuffix("-no_abs_steer"),
                  "with" if r.with_abs_steer else "without",
                  *(fmt3(r.r2(a)) for a in ACTIONS), gain_text(r.extra.get("gain_r2")),
                  f"{r.train_seconds:.1f}")
    render(table, console)
    for s in result.skipped:
        console.print(f"[yellow]skipped[/] {s}", highlight=False)
    console.print(f"wrote {len(result.files())} paths:", highlight=False)
    for path in result.files():
        console.print(f"  {path}{'/' if path.is_dir() else ''}", highlight=False,
                      soft_wrap=True)
    best = result.best()
    if best is not None:
        console.print(f"best: {best.key} (mean R² {best.mean_r2:.3f} without abs_steer), "
                      f"noted in {output_dir / 'best.json'}", highlight=False, soft_wrap=True)
        console.print("next: actelemetry ml predict --source sim" + (
            "" if output_dir == Path("ml_results") else f" --model {best.path}"),
            highlight=False, soft_wrap=True)


def _feature_sets(text: str | None) -> list[str] | None:
    """Named sets (``seed,rich``), or one custom set when the list names single features."""
    from actelemetry.ml.features import FEATURE_SETS

    if not text:
        return None
    parts = [p.strip() for p in text.split(",") if p.strip()]
    return parts if all(p in FEATURE_SETS for p in parts) else [",".join(parts)]


@ml_app.command()
def predict(
    model: Path | None = typer.Option(None, help="A saved model folder (default: the best "
                                      "of ml_results/, as `ml train` noted in best.json)"),
    trust_pickle: bool = typer.Option(False, "--trust-pickle", help="Load a model saved in "
                                      "the old pickle format (runs code from the folder)"),
    source: SourceKind = typer.Option(SourceKind.shm, help="shm: the game; sim: the "
                                      "built-in simulator (replay and udp: not here)"),
    window: float = typer.Option(5.0, help="Seconds in the rolling error"),
    laps: int | None = typer.Option(None, help="Stop after this many timed laps; sim: the "
                                    "simulated driver drives that many (default 2)"),
    duration: float | None = typer.Option(None, help="Stop after this many seconds"),
    track: str = typer.Option("monza", help="sim: track"),
    sim_laps: int | None = typer.Option(None, "--sim-laps", hidden=True),  # old spelling
    seed: int = typer.Option(0, help="sim: random seed"),
    skill: str = SkillOpt,
    fast: bool = typer.Option(False, help="sim: as fast as possible"),
    shm_dir: Path | None = typer.Option(None, help="Read pages from this folder"),
) -> None:
    """Predicted vs actual gas, brake and steer live, with the rolling error."""
    from actelemetry.app.live_predict import run_live_prediction
    from actelemetry.capture.options import CaptureOptions, one_laps
    from actelemetry.ml.predict import best_model

    if source not in (SourceKind.shm, SourceKind.sim):
        raise UsageError("ml predict reads the game (--source shm) or the simulator "
                         "(--source sim)")
    if model is None:
        model = best_model(Path("ml_results"))
        console.print(f"model: {model} (the best of ml_results/, from best.json)",
                      highlight=False)
    driven = 2
    if source is SourceKind.sim:  # one --laps: what the driver drives is what is recorded
        laps, driven = one_laps(laps, sim_laps, default=2)
    opts = CaptureOptions(source=source.value, shm_dir=shm_dir, duration=duration, laps=laps,
                          track=track, sim_laps=driven, seed=seed, skill=parse_skill(skill),
                          fast=fast)
    summary = run_live_prediction(model, opts, console, window_s=window,
                                  trust_pickle=trust_pickle)
    for line in summary.lines():
        console.print(line, highlight=False)


@ml_app.command("export-rl")
def export_rl(
    sessions: list[Path] = typer.Argument(..., help="Session files or folders of them "
                                          "(recorded, simulated or imported)"),
    out: Path = typer.Option(..., "--out", "-o", help="Minari datasets folder (the "
                             "MINARI_DATASETS_PATH to load it from)"),
    dataset_id: str | None = typer.Option(None, "--id", help="Dataset id, "
                                          "(namespace/)name-vN (default actelemetry/TRACK-v0)"),
    control_hz: float = typer.Option(20.0, "--control-hz", help="The env's control rate"),
    track: str | None = typer.Option(None, "--track", help="Built-in track or centre-line CSV "
                                     "(default: the sessions' own, when built in)"),
    reward: str | None = typer.Option(None, "--reward", help="Reward weights, e.g. "
                                      "progress=1,off_track=10 (the env's default)"),
) -> None:
    """Laps as an offline-RL / imitation dataset (Minari): the env's observations and
    reward, the driver's steer, gas and brake, one episode per lap."""
    from actelemetry.ml.rl_dataset import export_rl as export

    if control_hz <= 0:
        raise UsageError("--control-hz must be positive")
    weights = None
    if reward is not None:
        try:
            weights = {k.strip(): float(v) for k, v in
                       (part.split("=", 1) for part in reward.split(",") if part.strip())}
        except ValueError:
            raise UsageError(f"--reward takes term=weight pairs, not {reward!r}") from None
    summary = export(sessions, out, dataset_id, control_hz, track, weights)
    console.print(f"Dataset {summary.dataset_id}: {summary.episodes} episodes (laps), "
                  f"{summary.steps} steps from {summary.sessions} session(s) at "
                  f"{control_hz:g} Hz -> {summary.path}", highlight=False, soft_wrap=True)
    console.print(f"load: MINARI_DATASETS_PATH={out} python -c \"import minari; "
                  f"minari.load_dataset('{summary.dataset_id}')\"", highlight=False,
                  soft_wrap=True, markup=False)
