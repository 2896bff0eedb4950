"""Set up everything the project needs, idempotently and out loud, on Linux or Windows:

  1. a virtual environment .venv/ with the package and its dev tools (pytest, ruff, mypy);
  2. PyTorch, optional, for the sequence models (see WITH_TORCH below);
  3. the `rl` extra (Ray RLlib, Stable-Baselines3, Minari) once PyTorch is there, since they
     run on it (WITH_RL=0: never; without them the RL tests skip);
  4. a Chromium-family browser for the browser tests of the live page (WITH_BROWSER=1;
     the test command asks): on Linux Debian's chromium when we are root; elsewhere it
     says what to install (or set CHROME_PATH);
  5. PySpark (the archive's Spark engine) where Java 17 or later is present, and the
     mosquitto MQTT broker (Debian's package, when we are root) for the MQTT tests;
     without them those tests skip and say why.

A fresh venv gets the Python parts (1, 2, 3 and PySpark) from one pip run. A second
run finds everything in place and takes about a second. Plain Python, no shell
or make: ``py scripts/setup.py`` on Windows, ``python3 scripts/setup.py`` (or
``scripts/setup.sh``, which calls this) on Linux.

Environment:
  PYTHON=python3.12   the interpreter for the venv (default: the one running this script,
                      which must be 3.11 or newer)
  WITH_TORCH=auto     (default) install PyTorch only from a wheel already on this machine:
                      a torch-*+cpu-*.whl in a folder named by pip's own PIP_FIND_LINKS;
                      nothing is downloaded. 1: install the `torch` extra through pip, from
                      whatever index pip is configured with. 0: never.
  TORCH_WHEEL=FILE    install PyTorch from this wheel file.
  WITH_RL=0           never install the rl extra (default 1: once PyTorch is installed)
  WITH_BROWSER=1      install Chromium (Debian package) when none is found and we are root.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
WINDOWS = sys.platform == "win32"
MIN_PYTHON = (3, 11)
#: a browser the tests can drive, by name on the PATH (as tests/browser.py looks)
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome", "msedge")


def say(text: str, err: bool = False) -> None:
    print(f"setup: {text}", file=sys.stderr if err else sys.stdout, flush=True)


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if WINDOWS else "bin/python")


def venv_tool(name: str) -> Path:
    """An executable the package installs into the venv (``actelemetry``, ``pytest``)."""
    return VENV / ("Scripts" if WINDOWS else "bin") / (f"{name}.exe" if WINDOWS else name)


def step(label: str, cmd: list[str], env: dict[str, str] | None = None) -> bool:
    """Run a long step, printing a line every 10 s so that it never sits silent. Beside
    the Python installs (:func:`beside`) its output is kept, and shown only if it fails."""
    t0 = time.monotonic()
    say(f"{label} ...")
    done = threading.Event()
    quiet = threading.current_thread() is not threading.main_thread()

    def heartbeat() -> None:
        while not done.wait(10):
            say(f"  ... still {label} ({time.monotonic() - t0:.0f} s)")

    beat = threading.Thread(target=heartbeat, daemon=True)
    beat.start()
    try:
        run = subprocess.run(cmd, cwd=ROOT, env=env, text=True, capture_output=quiet)
        ok = run.returncode == 0
    finally:
        done.set()
        beat.join()
    if ok:
        say(f"  done in {time.monotonic() - t0:.0f} s")
    elif quiet:
        print((run.stdout or "") + (run.stderr or ""), file=sys.stderr, flush=True)
    return ok


def beside(*jobs: Callable[[], None]) -> threading.Thread:
    """Start ``jobs`` in turn on a thread of their own (system packages, while pip works:
    apt and pip never share a lock, so each waits on its own downloads only)."""

    def run() -> None:
        for job in jobs:
            job()

    thread = threading.Thread(target=run, name="system-packages")
    thread.start()
    return thread


def interpreter() -> str:
    """The Python for the venv: $PYTHON, or the one running this script."""
    chosen = os.environ.get("PYTHON") or sys.executable
    found = shutil.which(chosen) or chosen
    probe = subprocess.run(
        [found, "-c", f"import sys; sys.exit(sys.version_info < {MIN_PYTHON!r})"],
        capture_output=True)
    if probe.returncode != 0:
        say(f"Python {MIN_PYTHON[0]}.{MIN_PYTHON[1]} or newer is required "
            f"({chosen} is not; set PYTHON=...)", err=True)
        sys.exit(1)
    return found


def pip(*args: str) -> list[str]:
    return [str(venv_python()), "-m", "pip", "--disable-pip-version-check", *args]


def present(*modules: str) -> set[str]:
    """Which of ``modules`` the venv's Python finds, asked in one interpreter start."""
    code = ("import importlib.util as u; "
            f"print(' '.join(m for m in {modules!r} if u.find_spec(m)))")
    out = subprocess.run([str(venv_python()), "-c", code], capture_output=True, text=True)
    return set(out.stdout.split())


#: the modules of the rl extra, which runs on PyTorch
RL_MODULES = ("ray", "stable_baselines3", "minari")


def wanted_optional(have: set[str]) -> tuple[list[str], list[str]]:
    """The optional parts this machine asks for and the venv lacks, as pip sees them:
    (extras, wheel files). PyTorch from a wheel here, the torch extra (WITH_TORCH=1) or
    not at all; the rl extra once PyTorch is there or comes with it; PySpark where Java
    17+ is."""
    extras: list[str] = []
    wheels: list[str] = []
    torch = "torch" in have
    if not torch:
        mode = os.environ.get("WITH_TORCH", "auto")
        wheel = os.environ.get("TORCH_WHEEL") or (
            torch_wheel_on_this_machine() if mode == "auto" else None)
        if wheel:
            wheels.append(wheel)
        elif mode == "1":
            extras.append("torch")
        torch = bool(wheel) or mode == "1"
    if (os.environ.get("WITH_RL", "1") == "1" and torch
            and not all(m in have for m in RL_MODULES)):
        extras.append("rl")
    if "pyspark" not in have and (java_major() or 0) >= 17:
        extras.append("spark")
    return extras, wheels


def install_package() -> None:
    """The venv and the package with its dev extra, once per version of pyproject.toml.
    A fresh venv gets the optional parts in the same pip run (one resolve, each package
    installed once; in turn they took a minute more): if that fails, the package alone,
    and the optional parts one by one after it, as a second run would."""
    digest = hashlib.sha1((ROOT / "pyproject.toml").read_bytes()).hexdigest()[:12]
    stamp = VENV / f".installed-{digest}"
    if not venv_python().exists():
        py = interpreter()
        version = subprocess.run([py, "--version"], capture_output=True, text=True)
        if not step(f"creating .venv with {version.stdout.strip() or version.stderr.strip()}",
                    [py, "-m", "venv", str(VENV)]):
            sys.exit(1)
    if stamp.exists():
        return
    say("installing actelemetry and its libraries into .venv (NumPy, PyArrow, DuckDB, Plotly,")
    say("scikit-learn, Gymnasium, websockets, Typer/Rich, paho-mqtt; dev tools pytest, ruff "
        "and mypy)")
    if not step("upgrading pip", pip("install", "-q", "--upgrade", "pip")):
        sys.exit(1)
    extras, wheels = wanted_optional(present("torch", *RL_MODULES, "pyspark"))
    named = {"torch": "PyTorch", "rl": "the rl extra (Ray RLlib, Stable-Baselines3, Minari)",
             "spark": "PySpark"}
    also = [named[e] for e in extras] + (["PyTorch from " + w for w in wheels])
    if also:
        say("  with " + ", ".join(also))
    ok = step("installing packages (first time: a few minutes)",
              pip("install", "-e", ".[" + ",".join(["dev", "mqtt", *extras]) + "]", *wheels))
    if not ok and (extras or wheels):
        say("retrying without the optional parts (each is tried alone next)")
        ok = step("installing packages", pip("install", "-e", ".[dev,mqtt]"))
    if not ok:
        sys.exit(1)
    for old in VENV.glob(".installed-*"):
        old.unlink()
    stamp.touch()


def torch_wheel_on_this_machine() -> str | None:
    for folder in os.environ.get("PIP_FIND_LINKS", "").split():
        found = sorted(Path(folder).glob("torch-*+cpu-*.whl"))
        if found:
            return str(found[0])
    return None


def install_torch(have: set[str]) -> None:
    """PyTorch is optional (the sequence models): an explicit choice, never a surprise."""
    if "torch" in have:
        return
    extras, wheels = wanted_optional(have)
    if wheels:
        if not step(f"installing PyTorch for the sequence models from {wheels[0]}",
                    pip("install", wheels[0])):
            say("PyTorch did not install; the sequence models stay off")
    elif "torch" in extras:
        if not step("installing PyTorch for the sequence models (the torch extra)",
                    pip("install", "-e", ".[dev,torch]")):
            say("PyTorch did not install; the sequence models stay off")
    elif not (VENV / ".torch-note").exists():
        say("PyTorch is not installed: the sequence models (GRU, TCN) are off and their tests "
            "skip.")
        say("  WITH_TORCH=1 installs it through pip, TORCH_WHEEL=FILE from a wheel (see "
            "README).")
        (VENV / ".torch-note").touch()


def install_rl(have: set[str]) -> None:
    """The rl extra runs on PyTorch: installed once PyTorch is, so pip never fetches
    another build of it."""
    if os.environ.get("WITH_RL", "1") != "1" or all(m in have for m in RL_MODULES):
        return
    if "torch" in have and not step("installing the rl extra (Ray RLlib, Stable-Baselines3, "
                                    "Minari; a few minutes)", pip("install", "-e", ".[dev,rl]")):
        say("the rl extra did not install; the RL tests will skip")


def java_major() -> int | None:
    """The major version of the ``java`` on the PATH, or None."""
    if not shutil.which("java"):
        return None
    out = subprocess.run(["java", "-version"], capture_output=True, text=True)
    text = out.stderr + out.stdout
    start = text.find('version "')
    if start < 0:
        return None
    digits = text[start + 9:].split(".")[0].split('"')[0]
    return int(digits) if digits.isdigit() else None


def install_spark(have: set[str]) -> None:
    """PySpark runs the archive's queries on Spark (tests/archive); it needs Java 17+."""
    if "pyspark" in have:
        return
    major = java_major()
    if major is not None and major >= 17:
        if not step("installing PySpark for the archive's Spark engine (about 400 MB)",
                    pip("install", "-q", "-e", ".[spark]")):
            say("PySpark did not install; the Spark tests skip")
    elif not (VENV / ".spark-note").exists():
        say("no Java 17 or later: PySpark is not installed and the archive's Spark tests skip")
        (VENV / ".spark-note").touch()


def install_mosquitto() -> None:
    """mosquitto is the MQTT broker the MQTT tests start on loopback."""
    if shutil.which("mosquitto") or Path("/usr/sbin/mosquitto").exists():
        return
    is_root = hasattr(os, "geteuid") and os.geteuid() == 0
    if not WINDOWS and is_root and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = ["apt-get", "install", "-y", "-q", "-o", "Dpkg::Use-Pty=0", "mosquitto"]
        label = "installing the mosquitto MQTT broker for the MQTT tests"
        ok = step(label, install, env) or (
            step("updating Debian's package lists (for mosquitto)",
                 ["apt-get", "update", "-q"], env) and step(label, install, env))
        if not ok:
            say("could not install mosquitto; the MQTT tests skip", err=True)
    else:
        say("install mosquitto (e.g. 'sudo apt-get install mosquitto') for the MQTT tests; "
            "they skip without it", err=True)


def browser_found() -> bool:
    """A browser tests/browser.py will find: named by CHROME_PATH or on the PATH, or on
    Windows where Chrome and Edge install themselves."""
    given = os.environ.get("ACTELEMETRY_CHROMIUM") or os.environ.get("CHROME_PATH")
    if given and Path(given).is_file():
        return True
    if any(shutil.which(name) for name in BROWSERS):
        return True
    if WINDOWS:
        for var, rel in (("PROGRAMFILES", "Google/Chrome/Application/chrome.exe"),
                         ("PROGRAMFILES(X86)", "Google/Chrome/Application/chrome.exe"),
                         ("LOCALAPPDATA", "Google/Chrome/Application/chrome.exe"),
                         ("PROGRAMFILES(X86)", "Microsoft/Edge/Application/msedge.exe"),
                         ("PROGRAMFILES", "Microsoft/Edge/Application/msedge.exe")):
            base = os.environ.get(var)
            if base and (Path(base) / rel).is_file():
                return True
    return False


def install_browser() -> None:
    """Chromium drives the browser tests of the live page."""
    if os.environ.get("WITH_BROWSER", "0") != "1" or browser_found():
        return
    is_root = hasattr(os, "geteuid") and os.geteuid() == 0
    if not WINDOWS and is_root and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        ok = step("updating Debian's package lists (for Chromium)",
                  ["apt-get", "update", "-q"], env) and step(
            "installing Chromium for the browser tests of the live page (about 100 MB)",
            ["apt-get", "install", "-y", "-q", "-o", "Dpkg::Use-Pty=0", "chromium"], env)
        if not ok:
            say("could not install Chromium; the browser tests will fail", err=True)
    elif WINDOWS:
        say("install Google Chrome (or set CHROME_PATH to a Chromium) for the browser tests",
            err=True)
    else:
        say("install Chromium (e.g. 'sudo apt-get install chromium') for the browser tests",
            err=True)


def main() -> int:
    os.chdir(ROOT)
    system = beside(install_mosquitto, install_browser)
    try:
        install_package()
        # what the first install left out or a later one broke: each part alone
        install_torch(present("torch"))
        install_rl(present("torch", *RL_MODULES))
        install_spark(present("pyspark"))
    finally:
        system.join()
    return 0


if __name__ == "__main__":
    sys.exit(main())
