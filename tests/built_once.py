"""Fixtures' results built once per test run for all its processes (pytest-xdist's
workers), not once in each: the first process that asks builds, the others wait and load
what it built."""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

T = TypeVar("T")

#: how long a process waits for another one's build before giving up (s)
BUILD_WAIT_S = 1200.0


def build_once(tmp_path_factory: pytest.TempPathFactory, name: str,
               build: Callable[[Path], T]) -> T:
    """``build(folder)``'s result, built by the first of the run's test processes that
    asks for ``name`` (in a folder they all share) and loaded by the others. The result
    must pickle; it may name files in ``folder``, which stays for the whole run."""
    base = tmp_path_factory.getbasetemp()
    root = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "built_once"
    root.mkdir(exist_ok=True)
    key = hashlib.sha256(name.encode()).hexdigest()[:16]
    folder, done, lock = root / key, root / f"{key}.pickle", root / f"{key}.lock"
    deadline = time.monotonic() + BUILD_WAIT_S
    while not done.exists():
        try:
            os.close(os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:  # another process builds it: wait for its result
            if time.monotonic() > deadline:
                raise TimeoutError(f"{name} was not built within {BUILD_WAIT_S:.0f} s by "
                                   f"the process that took it (lock {lock})") from None
            time.sleep(0.2)
            continue
        try:
            if folder.exists():  # a build that failed in another process: start afresh
                shutil.rmtree(folder)
            folder.mkdir()
            value = build(folder)
            partial = root / f"{key}.pickle.partial"
            partial.write_bytes(pickle.dumps(value))
            os.replace(partial, done)  # the result appears whole or not at all
            return value
        finally:
            lock.unlink()
    return pickle.loads(done.read_bytes())  # written by this run's own processes
