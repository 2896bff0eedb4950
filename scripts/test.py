"""The test command on every platform (``py scripts/test.py`` on Windows; Linux's
``make test`` runs the same steps): set up (with a browser for the live page's tests),
then ruff, mypy and the whole suite in four processes, a test file to each at a time
(mypy beside the suite: :data:`BESIDE`).

``PYTEST_ARGS="-k bridge"`` passes options on to pytest.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
import sys
import tempfile
from typing import IO

import setup  # scripts/setup.py: this script's folder is first on sys.path

ROOT = setup.ROOT

#: what runs once set up, in order; the first that fails ends the run with its exit code
CHECKS = [
    ["-m", "ruff", "check", "src", "tests", "benchmarks", "examples"],
    ["-m", "mypy"],
    ["-m", "pytest", "-q", "-n", "4", "--dist", "loadfile", "--no-loadscope-reorder"],
]
#: the checks that run beside the next one rather than before it, their output held until
#: they end: mypy's first run (a fresh clone has no cache) keeps a core busy for 30-60 s,
#: and the tests leave cores idle while they wait on real time
BESIDE = (["-m", "mypy"],)
#: native thread pools run one thread each in the tests (tests/conftest.py says why)
THREAD_POOLS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def run_checks(python: str, checks: list[list[str]], beside: tuple[list[str], ...],
               env: dict[str, str], extra: list[str]) -> int:
    """Run ``checks`` in order with ``python``, those in ``beside`` in the background beside
    the next; the first that fails ends the run (a background one is stopped) and gives
    its exit code, a background one's once the others have passed."""
    started: list[tuple[subprocess.Popen[bytes], IO[bytes]]] = []
    code = 0
    with contextlib.ExitStack() as files:
        try:
            for check in checks:
                cmd = [python, *check, *(extra if "pytest" in check else [])]
                if check in beside:
                    log: IO[bytes] = files.enter_context(tempfile.TemporaryFile())
                    started.append((subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log,
                                                     stderr=subprocess.STDOUT), log))
                    continue
                code = subprocess.run(cmd, cwd=ROOT, env=env).returncode
                if code:
                    break
        finally:
            for proc, held in started:  # each says what it found, and fails the run if so
                if code:
                    proc.terminate()
                returned = proc.wait()
                held.seek(0)
                sys.stdout.write(held.read().decode(errors="replace"))
                sys.stdout.flush()
                code = code or returned
    return code


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
    return run_checks(python, CHECKS, BESIDE, env, extra)


if __name__ == "__main__":
    sys.exit(main())
