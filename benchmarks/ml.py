"""ML benchmark: held-out-lap R² of every model, with and without abs_steer, on hundreds of
simulator laps, next to the seed's claimed 0.923 / 0.891 / 0.856 (no lap split), plus the
training time of each model on this machine.

    python benchmarks/ml.py                      # 300 laps, cached under bench_out/ml
    python benchmarks/ml.py --laps 60 --quick    # a smaller, faster run
    python benchmarks/ml.py --default-train      # `ml train` with its defaults, timed
    nice -n 10 python benchmarks/ml.py --groups  # the docs/ml.md tables (a few minutes)

``--groups`` prints the tables of docs/ml.md: simulated drivers at several skill levels
(``sim-SKILL-sSEED``, one session each), every feature set (state, state+history,
state+actions) under K folds by lap and leave-one-driver-out, each model's R² as mean
(min..max) over folds next to the baselines (constant; persistence where past actions are
features), then the leave-one-driver-out scores by the held-out driver's skill.

``--default-train`` times the command a user runs after the demo, ``actelemetry ml train``
with no option, on a dataset like the demo's (five timed laps at 100 Hz, the seed feature
set; ``--laps`` changes it), in a fresh folder: start-up, loading, every model, the report.
The target is under 60 s on 2 cores; ``--all`` also times the full grid.

Sessions are made by the simulator in fast mode (several in parallel) and cached, so a
second run only trains. The four variants (seed / rich features, with / without
abs_steer) train in parallel processes, one thread each (on a shared machine, threads
fighting over two cores cost far more than they give). The same rows are also split by
random frames once, for one model, to show how much such a split inflates R².
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from actelemetry.ml.evaluate import SEED_CLAIMED_R2, action_metrics, fmt3
from actelemetry.ml.features import ACTIONS

#: `ml train` with its defaults must finish within this on 2 cores
DEFAULT_TRAIN_TARGET_S = 60.0


def make_session(job: tuple[Path, int, int, str]) -> tuple[int, float]:
    """One simulator session of ``laps`` timed laps, captured in fast mode into ``folder``."""
    from actelemetry.capture.loop import CaptureOptions, run_capture
    from actelemetry.capture.sinks import SessionFileSink

    folder, laps, seed, track = job
    done = folder / "done"
    if done.exists():
        return seed, 0.0
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*"):
        stale.unlink()
    t0 = time.perf_counter()
    sink = SessionFileSink(folder)
    run_capture(CaptureOptions(source="sim", fast=True, sim_laps=laps, seed=seed, track=track),
                [sink])
    done.write_text(json.dumps([p.name for p in sink.paths]))
    return seed, time.perf_counter() - t0


def make_sessions(root: Path, laps: int, per_session: int, workers: int,
                  track: str) -> list[Path]:
    n = max(1, int(np.ceil(laps / per_session)))
    jobs = [(root / f"seed_{s:03d}", per_session, s, track) for s in range(100, 100 + n)]
    todo = [j for j in jobs if not (j[0] / "done").exists()]
    if todo:
        print(f"simulating {len(todo)} session(s) of {per_session} laps on {workers} "
              f"process(es)...", flush=True)
        t0 = time.perf_counter()
        with mp.get_context("spawn").Pool(workers) as pool:
            for k, (seed, secs) in enumerate(pool.imap_unordered(make_session, todo), 1):
                print(f"  session seed {seed}: {secs:.0f} s ({k}/{len(todo)})", flush=True)
        print(f"simulated in {time.perf_counter() - t0:.0f} s", flush=True)
    return [j[0] for j in jobs]


def frame_split_r2(data_dir: Path, seed: int, epochs: int) -> dict[str, float]:
    """The leaky way, for contrast: the seed's MLP with abs_steer on a random frame split."""
    from actelemetry.ml.dataset import load_dataset
    from actelemetry.ml.features import SEED_FEATURES
    from actelemetry.ml.models import make_model
    from actelemetry.ml.train import limit_threads

    ds = load_dataset(data_dir)
    x, y = ds.x(SEED_FEATURES), ds.y
    test = np.random.default_rng(seed).random(len(x)) < 0.25
    with limit_threads(1):
        model = make_model("mlp_128_64_32", list(SEED_FEATURES), seed, epochs=epochs)
        model.fit(x[~test], y[~test])
    m = action_metrics(y[test], model.predict(x[test]))
    return {a: m[a]["r2"] for a in ACTIONS}


def train_variant(job: tuple) -> list[dict]:
    """One feature set, with or without abs_steer: every model, one thread."""
    from actelemetry.ml.train import train_models

    data, out, names, seed, quick, params, fset, abs_steer = job
    if fset == "frame-split":
        return [{"frame_split": frame_split_r2(data, seed, params["mlp_128_64_32"]["epochs"])}]
    result = train_models(data, out / f"{fset}-{abs_steer}", names, seed, quick,
                          feature_sets=[fset], abs_steer=abs_steer, params=params, threads=1)
    return [r.to_dict() for r in [*result.baselines.values(), *result.results]]


def timed_train(folder: Path, *extra: str) -> tuple[float, list[str]]:
    """Wall time of `actelemetry ml train EXTRA` run in ``folder``, and its per-model lines."""
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "actelemetry", "ml", "train", *extra],
                          cwd=folder, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(proc.stderr)
    return wall, [ln for ln in proc.stdout.splitlines() if re.match(r"model \d+/\d+", ln)]


def default_train(laps: int, with_all: bool) -> None:
    """Time `ml train` with defaults (and ``--all``) on a demo-like dataset; print a table."""
    with tempfile.TemporaryDirectory(prefix="ml_train_bench_") as tmp:
        _default_train(Path(tmp), laps, with_all)


def _default_train(folder: Path, laps: int, with_all: bool) -> None:
    from actelemetry.capture.loop import CaptureOptions, run_capture
    from actelemetry.capture.sinks import SessionFileSink
    from actelemetry.ml.dataset import prepare_dataset

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, load "
          f"{os.getloadavg()[0]:.1f}, Python {platform.python_version()}; dataset: {laps} "
          "timed laps of the simulator at 100 Hz, seed features (as the demo's)", flush=True)
    sink = SessionFileSink(folder / "telemetry_logs")
    run_capture(CaptureOptions(source="sim", fast=True, sim_laps=laps, seed=7), [sink])
    prepare_dataset(sink.paths, folder / "ml_data")
    runs = [("ml train (defaults)", ())] + ([("ml train --all", ("--all",))] if with_all else [])
    print("\n| command | wall s | models | target | met |\n|---|---|---|---|---|", flush=True)
    lines_of = {}
    for label, extra in runs:
        wall, lines_of[label] = timed_train(folder, *extra)
        target = f"< {DEFAULT_TRAIN_TARGET_S:g}" if not extra else ""
        met = "" if extra else ("yes" if wall < DEFAULT_TRAIN_TARGET_S else "no")
        print(f"| {label} | {wall:.1f} | {len(lines_of[label])} | {target} | {met} |",
              flush=True)
    for label, lines in lines_of.items():
        print(f"\n{label}:", *(f"  {line}" for line in lines), sep="\n")


#: --groups: the simulated drivers' skills, and the feature sets compared
GROUP_SKILLS = ("novice", "club", "pro", "alien")
GROUP_SETS = ("state", "state+history", "state+actions")


def skill_session(job: tuple[Path, int, int, str, float, str]) -> tuple[str, float]:
    """One simulator session of a driver of ``skill`` (named sim-SKILL-sSEED), captured in
    fast mode at ``rate`` Hz into ``folder``."""
    from actelemetry.capture.loop import CaptureOptions, run_capture
    from actelemetry.capture.sinks import SessionFileSink
    from actelemetry.sim.driver import skill_value

    folder, laps, seed, skill, rate, track = job
    if (folder / "done").exists():
        return folder.name, 0.0
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*"):
        stale.unlink()
    t0 = time.perf_counter()
    run_capture(CaptureOptions(source="sim", fast=True, sim_laps=laps, seed=seed, rate=rate,
                               skill=skill_value(skill), track=track),
                [SessionFileSink(folder)])
    (folder / "done").write_text("")
    return folder.name, time.perf_counter() - t0


def group_benchmark(args: argparse.Namespace) -> None:
    """The docs/ml.md tables: feature set x split x model x target, mean (range) over
    folds, with the baselines; then leave-one-driver-out scores by skill."""
    from actelemetry.ml.dataset import prepare_dataset
    from actelemetry.ml.folds import cross_validate
    from actelemetry.ml.train import machine_summary

    skills = args.skills.split(",")
    root = args.out / "groups"
    jobs = [(root / "sessions" / f"{k}_s{s}", args.laps or 3, s, k, args.rate, args.track)
            for k in skills for s in range(args.seeds)]
    t0 = time.perf_counter()
    with mp.get_context("spawn").Pool(args.workers) as pool:
        for name, secs in pool.imap_unordered(skill_session, jobs):
            if secs:
                print(f"  simulated {name}: {secs:.0f} s", flush=True)
    folders = [j[0] for j in jobs]
    names = args.models.split(",") if args.models else ["linear", "hgb"]
    params = {"hgb": {"max_iter": 100}, "mlp_64_32": {"epochs": args.epochs},
              "gru": {"epochs": args.seq_epochs, "stride": args.seq_train_stride},
              "lstm": {"epochs": args.seq_epochs, "stride": args.seq_train_stride}}
    splits = [("lap", args.lap_folds), ("driver", len(folders))]
    cvs = {}
    for split, folds in splits:
        data = root / f"data_{split}"
        prepare_dataset(folders, data, features="state+actions", split=split, folds=folds,
                        keep_invalid=True, seq_len=args.seq_len,
                        seq_stride=max(1, args.seq_len // 2), seed=args.seed,
                        write_sequences=any(n in ("gru", "lstm") for n in names))
        cvs[split] = cross_validate(data, root / f"results_{split}", models=names,
                                    seed=args.seed, feature_sets=list(GROUP_SETS),
                                    params=params, threads=1, report=False)
    card = json.loads((root / "data_driver" / "fold_1" / "dataset_card.json").read_text())
    print(f"\nML by group: {len(folders)} simulated drivers ({', '.join(skills)}; "
          f"{args.seeds} seed(s) each, one session of {args.laps or 3} laps at {args.track}), "
          f"{card['rows']} rows at {card['sample_rate_hz']:g} Hz, invalid laps kept, "
          f"prev lag {card['prev_lag_s']:g} s; {machine_summary()}; load "
          f"{os.getloadavg()[0]:.1f}; {time.perf_counter() - t0:.0f} s in all\n")
    for fset in GROUP_SETS:
        print(f"### `{fset}`\n")
        head = ["split (folds)", "model", *(f"{a} R²" for a in ACTIONS),
                "gain over best baseline"]
        print("| " + " | ".join(head) + " |\n|" + "---|" * len(head))
        for split, cv in cvs.items():
            for s_ in cv.summaries():
                if s_.variant != fset:
                    continue
                gain = "/".join(s_.gain_cell(a) for a in ACTIONS) if s_.gain else "baseline"
                print(f"| {split} ({len(cv.runs)}) | {s_.name} | "
                      + " | ".join(s_.cell(a) for a in ACTIONS) + f" | {gain} |")
        print(f"\nMust beat: lap split {cvs['lap'].must_beat(fset).name}, driver split "
              f"{cvs['driver'].must_beat(fset).name}.\n")
    by_skill(cvs["driver"], skills)


def by_skill(cv: Any, skills: list[str]) -> None:
    """Leave-one-driver-out R² (mean of gas, brake, steer) by the held-out driver's skill."""
    scores: dict[tuple[str, str, str], list[float]] = {}
    for fold, run in zip(cv.plan, cv.runs, strict=True):
        (driver,) = fold["test_groups"]
        skill = driver.split("-")[1]
        for r in [*run.baselines.values(), *run.persistence.values(), *run.results]:
            scores.setdefault((r.variant, r.name, skill), []).append(r.mean_r2)
    print("### Leave-one-driver-out by the held-out driver's skill (mean R² of gas, brake, "
          "steer; mean over that skill's drivers)\n")
    print("| features | model | " + " | ".join(skills) + " |\n|" + "---|" * (2 + len(skills)))
    rank = {"constant": 0, "persistence": 1}
    pairs = sorted(dict.fromkeys((v, n) for v, n, _ in scores),
                   key=lambda p: (GROUP_SETS.index(p[0]) if p[0] in GROUP_SETS else 9,
                                  rank.get(p[1], 2)))
    for variant, name in pairs:
        print(f"| {variant} | {name} | " + " | ".join(
            fmt3(float(np.mean(scores[(variant, name, k)]))) for k in skills) + " |")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--default-train", action="store_true",
                    help="only time `ml train` with its defaults on a demo-like dataset")
    ap.add_argument("--all", action="store_true", help="--default-train: also time --all")
    ap.add_argument("--laps", type=int, default=None,
                    help="timed laps in all (default 300; --default-train: 5)")
    ap.add_argument("--laps-per-session", type=int, default=10)
    ap.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    ap.add_argument("--track", default="monza")
    ap.add_argument("--every", type=int, default=10,
                    help="keep every Nth sample (10: 100 -> 10 Hz)")
    ap.add_argument("--seq-len", type=int, default=20, help="rows per window (at the kept rate)")
    ap.add_argument("--epochs", type=int, default=10, help="MLP epochs")
    ap.add_argument("--seq-epochs", type=int, default=10, help="LSTM / GRU epochs")
    ap.add_argument("--seq-train-stride", type=int, default=2,
                    help="rows between the training windows of LSTM / GRU")
    ap.add_argument("--out", type=Path, default=Path("bench_out/ml"))
    ap.add_argument("--models", default=None, help="comma list (default: all)")
    ap.add_argument("--quick", action="store_true", help="small fast models only")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--split", choices=("lap", "session"), default="lap",
                    help="hold out whole laps (default) or whole sessions")
    ap.add_argument("--no-frame-split", action="store_true",
                    help="skip the leaky random-frame contrast")
    ap.add_argument("--groups", action="store_true",
                    help="the docs/ml.md tables: folds by lap and by driver over simulated "
                    "drivers of several skills (--laps per session, default 3)")
    ap.add_argument("--skills", default=",".join(GROUP_SKILLS), help="--groups: skills")
    ap.add_argument("--seeds", type=int, default=2, help="--groups: drivers per skill")
    ap.add_argument("--rate", type=float, default=20.0, help="--groups: capture rate (Hz)")
    ap.add_argument("--lap-folds", type=int, default=4, help="--groups: folds by lap")
    args = ap.parse_args()
    if args.groups:
        group_benchmark(args)
        return
    if args.default_train:
        default_train(args.laps or 5, args.all)
        return
    args.laps = args.laps or 300

    from actelemetry.ml.dataset import prepare_dataset
    from actelemetry.ml.evaluate import ModelResult
    from actelemetry.ml.train import machine_summary

    folders = make_sessions(args.out / "sessions", args.laps, args.laps_per_session,
                            args.workers, args.track)
    tag = f"every{args.every}_seq{args.seq_len}" + ("_by_session" if args.split == "session"
                                                    else "")
    data = args.out / f"data_{tag}"
    t0 = time.perf_counter()
    prepare_dataset(folders, data, features="rich", every=args.every, seq_len=args.seq_len,
                    seq_stride=args.seq_len // 2, seed=args.seed, split=args.split)
    card = json.loads((data / "dataset_card.json").read_text())
    print(f"prepared {card['rows']} rows from {card['laps_kept']} laps in "
          f"{time.perf_counter() - t0:.0f} s", flush=True)

    names = args.models.split(",") if args.models else None
    e = args.epochs
    params = {"mlp_32": {"epochs": e}, "mlp_64_32": {"epochs": e},
              "mlp_128_64_32": {"epochs": e}, "hgb": {"max_iter": 200},
              "lstm": {"epochs": args.seq_epochs, "stride": args.seq_train_stride},
              "gru": {"epochs": args.seq_epochs, "stride": args.seq_train_stride}}
    jobs = [(data, args.out / f"results_{tag}", names, args.seed, args.quick, params, fs, ab)
            for fs in ("seed", "rich") for ab in ("with", "without")]
    if not args.no_frame_split:
        jobs.append((data, None, None, args.seed, False, params, "frame-split", ""))
    t0 = time.perf_counter()
    print(f"training {len(jobs)} job(s) on {args.workers} process(es), one thread each...",
          flush=True)
    rows, leaky = [], None
    with mp.get_context("spawn").Pool(args.workers) as pool:
        for out in pool.imap(train_variant, jobs):
            if "frame_split" in out[0]:
                leaky = out[0]["frame_split"]
                continue
            rows += [ModelResult(d["name"], d["variant"], d["features"], d["metrics"],
                                 d["train_seconds"], d["path"], d["device"]) for d in out]
    print(f"trained in {time.perf_counter() - t0:.0f} s", flush=True)
    report(args, card, rows, leaky, machine_summary())


def report(args: argparse.Namespace, card: dict, rows: list, leaky: dict | None,
           machine: str) -> None:
    split = card["split"]
    print()
    print(f"ML benchmark: {card['laps_kept']} simulator laps ({args.track}), "
          f"{len(split['train_laps'])} training / {len(split['test_laps'])} held-out laps "
          f"(split by {split['by']}), "
          f"{card['rows']} rows at {card['sample_rate_hz']:g} Hz; {machine}; "
          "1 thread per training process")
    print(f"R² on held-out laps (whole {split['by']}s never seen in training).")
    head = f"{'model':<15} {'features':<8} {'abs_steer':<9} {'gas':>6} {'brake':>6} " \
           f"{'steer':>6} {'mean':>6} {'train s':>8}"
    print(head)
    print("-" * len(head))
    order = {"seed": 0, "seed-no_abs_steer": 1, "rich": 2, "rich-no_abs_steer": 3}
    model_order = ["constant", "linear", "mlp_32", "mlp_64_32", "mlp_128_64_32", "hgb",
                   "lstm", "gru"]
    rows = sorted(rows, key=lambda r: (model_order.index(r.name) if r.name in model_order
                                       else 99, order.get(r.variant, 9)))
    for r in rows:
        print(f"{r.name:<15} {r.variant.removesuffix('-no_abs_steer'):<8} "
              f"{'with' if r.with_abs_steer else 'without':<9} "
              + " ".join(f"{fmt3(r.r2(a)):>6}" for a in ACTIONS)
              + f" {fmt3(r.mean_r2):>6} {r.train_seconds:8.1f}")
    print("-" * len(head))
    print(f"{'seed claim':<15} {'seed':<8} {'with':<9} "
          + " ".join(f"{SEED_CLAIMED_R2[a]:6.3f}" for a in ACTIONS)
          + "   (MLP 128-64-32, no lap split)")
    if leaky is not None:
        print(f"{'mlp_128_64_32':<15} {'seed':<8} {'with':<9} "
              + " ".join(f"{leaky[a]:6.3f}" for a in ACTIONS)
              + "   (random FRAME split of the same rows: leaky, for contrast)")
    (args.out / f"benchmark_{card['split']['by']}.json").write_text(json.dumps({
        "laps": card["laps_kept"], "rows": card["rows"], "machine": machine,
        "results": [r.to_dict() for r in rows], "frame_split_r2": leaky,
        "seed_claim": SEED_CLAIMED_R2}, indent=1))


if __name__ == "__main__":
    sys.exit(main())
