"""CI runs exactly what the README tells a user to run, on Linux and on Windows."""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / ".github" / "workflows" / "ci.yml"
#: runner.os as a workflow names it -> the README's quick-start heading
PLATFORMS = {"Linux": "Linux", "Windows": "Windows"}


def quick_start(platform: str) -> list[str]:
    """The commands of the README's quick start for ``platform``, comments cut off."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = re.search(rf"^## Quick start \({platform}\b.*?$(.*?)^## ", readme, re.M | re.S)
    assert section, f"README has no quick start for {platform}"
    block = re.search(r"^```\w*\n(.*?)^```", section.group(1), re.M | re.S)
    assert block, f"README's {platform} quick start has no code block"
    return [line.split("#", 1)[0].strip() for line in block.group(1).splitlines()
            if line.split("#", 1)[0].strip()]


def workflow() -> dict:
    data = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_each_quick_start_is_two_commands_a_demo_and_the_tests() -> None:
    for platform in PLATFORMS.values():
        demo, test = quick_start(platform)
        assert "demo" in demo and "test" in test, (platform, demo, test)


def test_ci_runs_on_every_push_on_linux_and_windows_old_and_new_python() -> None:
    data = workflow()
    triggers = data.get("on", data.get(True))  # YAML 1.1 reads a bare `on` as true
    assert "push" in triggers
    (job,) = data["jobs"].values()
    matrix = job["strategy"]["matrix"]
    assert sorted(matrix["os"]) == ["ubuntu-latest", "windows-latest"]
    assert sorted(matrix["python"]) == ["3.11", "3.13"]
    assert job["runs-on"] == "${{ matrix.os }}"
    assert job["strategy"].get("fail-fast") is False  # one platform failing shows the other


def test_each_platform_runs_the_readmes_test_command_and_nothing_else() -> None:
    (job,) = workflow()["jobs"].values()
    runs = [step for step in job["steps"] if "run" in step]
    assert len(runs) == len(PLATFORMS), "one test step per platform, no extra commands"
    for runner_os, platform in PLATFORMS.items():
        (step,) = [s for s in runs if s.get("if") == f"runner.os == '{runner_os}'"]
        assert step["run"].strip() == quick_start(platform)[1], platform
    # the same Python as the matrix, and the browser for the live page's tests on both
    for step in runs:
        assert step["env"]["PYTHON"] == "${{ steps.python.outputs.python-path }}"
        assert step["env"]["CHROME_PATH"] == "${{ steps.chrome.outputs.chrome-path }}"
    uses = [step.get("uses", "") for step in job["steps"]]
    assert any(u.startswith("actions/setup-python@") for u in uses)
    assert any(u.startswith("browser-actions/setup-chrome@") for u in uses)
    assert not any("if" in step for step in job["steps"] if "uses" in step)


def test_the_local_ci_command_is_the_linux_one() -> None:
    run = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert f"exec {quick_start('Linux')[1]}" in run


def test_make_test_runs_the_windows_test_script() -> None:
    """make test (Linux) sets up and runs scripts/test.py, the Windows test command: the
    same ruff, mypy and pytest commands on both, from one list."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^test:\n((?:\t.*\n)+)", makefile, re.M)
    assert recipe
    lines = [shlex.split(line) for line in recipe.group(1).splitlines()]
    assert lines == [["WITH_BROWSER=1", "./scripts/setup.sh"],
                     [".venv/bin/python", "scripts/test.py"]]
    scripts = str(ROOT / "scripts")
    sys.path.insert(0, scripts)  # scripts/test.py imports scripts/setup.py beside it
    try:
        spec = importlib.util.spec_from_file_location("actelemetry_test_script",
                                                      ROOT / "scripts" / "test.py")
        assert spec is not None and spec.loader is not None
        test_script = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(test_script)
    finally:
        sys.path.remove(scripts)
    checks = [check[1] for check in test_script.CHECKS]
    assert checks == ["ruff", "mypy", "pytest"]
    (pytest_args,) = [c for c in test_script.CHECKS if c[1] == "pytest"]
    assert pytest_args[pytest_args.index("-n"):pytest_args.index("-n") + 2] == ["-n", "4"]
    assert all(b in test_script.CHECKS for b in test_script.BESIDE)  # each one runs
    # a check beside the next fails the run with its own code and says what it found
    run, env = test_script.run_checks, dict(os.environ)
    beside = ["-c", "import sys; print('found 1 error'); sys.exit(3)"]
    passes = ["-c", "import time; time.sleep(0.5)"]
    assert run(sys.executable, [beside, passes], (beside,), env, []) == 3
    assert run(sys.executable, [beside, passes], (), env, []) == 3
    # a failing check stops the one beside it (a sleep of an hour) and gives its code
    sleeper = ["-c", "import time; time.sleep(3600)"]
    fails = ["-c", "import sys; sys.exit(5)"]
    assert run(sys.executable, [sleeper, fails], (sleeper,), env, []) == 5
    assert run(sys.executable, [passes, passes], (passes,), env, []) == 0
