"""Starting the CLI loads no heavy library: each command imports what it uses when it runs.

Each case runs a fresh interpreter (as a user's shell does) and reads ``sys.modules`` at
exit, so a library imported anywhere on the way (an ``import`` statement or
``importlib``) counts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

# what capture must never need: analysis, plotting, learning and streaming libraries
NOT_FOR_CAPTURE = {"torch", "sklearn", "plotly", "duckdb", "matplotlib", "gymnasium",
                   "pandas", "scipy", "websockets", "skops"}
# --help needs none of the above, nor the array and file libraries the commands run on
NOT_FOR_HELP = NOT_FOR_CAPTURE | {"numpy", "pyarrow", "psutil", "pyspark", "sqlglot", "paho"}
COMMANDS = ["", "capture", "read", "stream", "sim", "replay", "analyze", "compare", "sql",
            "export", "archive", "archive add", "archive query", "import", "channels", "demo",
            "ml", "ml prepare", "ml train", "ml predict"]

# put before the code run: at exit (sys.exit too), writes the top-level names in
# sys.modules to the file named by argv[1]
RUNNER = """\
import atexit, sys
def _dump(path=sys.argv[1]):
    with open(path, "w") as f:
        f.write("\\n".join(sorted({m.split(".")[0] for m in list(sys.modules)})))
atexit.register(_dump)
"""


def loaded(tmp_path: Path, code: str, *args: str,
           blocked: tuple[str, ...] = ()) -> tuple[int, set[str]]:
    """Exit code and top-level modules loaded by `code` run in a fresh interpreter, where
    importing a ``blocked`` module fails as if it were not installed."""
    out = tmp_path / "modules.txt"
    block = (f"class _Blocked:\n"
             f"    def find_spec(self, name, path=None, target=None):\n"
             f"        if name.split('.')[0] in {blocked!r}: raise ImportError(name)\n"
             f"sys.meta_path.insert(0, _Blocked())\n") if blocked else ""
    proc = subprocess.run([sys.executable, "-c", RUNNER + block + code, str(out), *args],
                          capture_output=True, text=True, timeout=120)
    return proc.returncode, set(out.read_text().split())


def cli(tmp_path: Path, *args: str, blocked: tuple[str, ...] = ()) -> tuple[int, set[str]]:
    """Run `actelemetry *args` through the console script's entry point."""
    return loaded(tmp_path, "from actelemetry.cli import main; main(sys.argv[2:])", *args,
                  blocked=blocked)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c or "top")
def test_help_loads_no_heavy_library(tmp_path: Path, command: str) -> None:
    code, modules = cli(tmp_path, *command.split(), "--help")
    assert code == 0
    assert "actelemetry" in modules and "typer" in modules  # the CLI really ran
    heavy = modules & NOT_FOR_HELP
    assert not heavy, f"`actelemetry {command} --help` loaded {sorted(heavy)}"


def test_importing_the_cli_loads_no_heavy_library(tmp_path: Path) -> None:
    code, modules = loaded(tmp_path, "import actelemetry.cli")
    assert code == 0
    assert not modules & NOT_FOR_HELP, sorted(modules & NOT_FOR_HELP)


def test_capture_module_loads_only_what_capture_needs(tmp_path: Path) -> None:
    code, modules = loaded(tmp_path, "import actelemetry.capture.loop")
    assert code == 0
    assert {"numpy", "pyarrow"} <= modules  # the capture machinery itself was imported
    assert not modules & NOT_FOR_CAPTURE, sorted(modules & NOT_FOR_CAPTURE)


def test_capture_without_a_game_loads_only_what_capture_needs(tmp_path: Path) -> None:
    code, modules = cli(tmp_path, "capture", "--no-wait", "--shm-dir", str(tmp_path / "none"),
                        "-o", str(tmp_path / "logs"))
    assert code == 2  # no game: a one-line error, after the capture machinery loaded
    assert "numpy" in modules
    assert not modules & NOT_FOR_CAPTURE, sorted(modules & NOT_FOR_CAPTURE)


def test_a_whole_capture_loads_only_what_capture_needs(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    # PyArrow imports pandas by itself where it is installed (the `rl` extra brings it), to
    # tell DataFrames from arrays; blocked, a capture that needed it would fail here
    code, modules = cli(tmp_path, "capture", "--source", "sim", "--fast", "--duration", "1",
                        "-o", str(logs), blocked=("pandas",))
    assert code == 0
    assert len(list(logs.glob("*.parquet"))) == 1  # it recorded and wrote a session
    # closing the session writes its per-lap summary with the analysis's own SQL, so DuckDB
    # loads then, after the last sample (the loop itself never needs it: the tests above)
    assert "duckdb" in modules
    assert not modules & (NOT_FOR_CAPTURE - {"duckdb"}), sorted(modules & NOT_FOR_CAPTURE)
