"""The test command on every platform (``py scripts/test.py`` on Windows; Linux's
``make test`` runs the same steps): set up (with a browser for the live page's tests),
then ruff, mypy and the whole suite in four processes, a test file to each at a time.

``PYTEST_ARGS="-k bridge"`` passes options on to pytest.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys

import setup  # scripts/setup.py: this script's folder is first on sys.path

ROOT = setup.ROOT

#: what runs once set up, in order; the first that fails ends the run with its exit code
CHECKS = [
    ["-m", "ruff", "check", "src", "tests", "benchmarks", "examples"],
    ["-m", "mypy"],
    ["-m", "pytest", "-q", "-n", "4", "--dist", "loadfile"],
]
#: native thread pools run one thread each in the tests (tests/conftest.py says why)
THREAD_POOLS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def main() -> int:
    os.environ.setdefault("WITH_BROWSER", "1")
    os.chdir(ROOT)
    setup.main()
    python = str(setup.venv_python())
    extra = shlex.split(os.environ.get("PYTEST_ARGS", ""), posix=os.name != "nt")
    # the tests read and write their own files in UTF-8 whatever the locale (cp1252 on
    # most Windows machines); the package names its encodings itself, which
    # tests/game/test_platform.py holds it to, and tests/cli/test_console_encoding.py runs
    # the command line under cp1252 on purpose
    env = {**os.environ, "PYTHONUTF8": os.environ.get("PYTHONUTF8", "1")}
    # four test processes fill the cores: native thread pools one thread each (as make test)
    for pool in THREAD_POOLS:
        env.setdefault(pool, "1")
    for check in CHECKS:
        cmd = [python, *check, *(extra if "pytest" in check else [])]
        code = subprocess.run(cmd, cwd=ROOT, env=env).returncode
        if code:
            return code
    return 0


if __name__ == "__main__":
    sys.exit(main())
