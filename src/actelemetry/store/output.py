"""Writing outputs so that a failure leaves nothing half-written.

A file is written under a temporary name beside its target and renamed onto it when whole
(on Windows, which refuses to rename onto a file a reader holds open, the rename waits a
few seconds for the reader to let go: :func:`~actelemetry.game.host.replace_file`);
a folder of outputs is written into a hidden staging folder inside the target and its files
moved in when all are done. On any failure the temporary file or staging folder is removed
and the error names the path and why, as one :class:`StorageError` line.
"""

from __future__ import annotations

import contextlib
import errno
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

from actelemetry.errors import StorageError
from actelemetry.game.host import replace_file

_REASONS = {errno.ENOSPC: "the disk is full", errno.EROFS: "the file system is read-only",
            errno.EACCES: "permission denied", errno.EPERM: "permission denied",
            errno.ENOTDIR: "a part of the path is a file, not a folder",
            errno.EISDIR: "it is a folder", errno.EDQUOT: "the disk quota is exceeded"}


def reason(exc: OSError) -> str:
    """Why an OS call failed, in words."""
    return _REASONS.get(exc.errno or 0) or exc.strerror or str(exc)


def _failed(path: Path, exc: OSError) -> StorageError:
    return StorageError(f"cannot write {path}: {reason(exc)}")


def ensure_folder(folder: Path) -> Path:
    """The output folder, created if needed; a one-line error when it cannot be."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise StorageError(f"cannot write into {folder}: it is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _failed(folder, exc) from exc
    return folder


@contextlib.contextmanager
def atomic_file(path: Path) -> Iterator[Path]:
    """Yields a temporary path to write; it becomes ``path`` when the block succeeds."""
    path = Path(path)
    if path.is_dir():
        raise StorageError(f"cannot write {path}: it is a folder")
    ensure_folder(path.parent)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        yield tmp
        replace_file(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise _failed(path, exc) from exc
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


@contextlib.contextmanager
def staged_folder(folder: Path) -> Iterator[Path]:
    """Yields a staging folder; its files move into ``folder`` when the block succeeds.

    Files already in ``folder`` with other names are kept; ones with the same names are
    replaced only once every new file has been written.
    """
    folder = ensure_folder(folder)
    try:
        stage = folder / f".staging-{uuid.uuid4().hex[:8]}"
        stage.mkdir()
    except OSError as exc:
        raise _failed(folder, exc) from exc
    try:
        yield stage
        files = [(item, folder / item.relative_to(stage))
                 for item in sorted(stage.rglob("*")) if item.is_file()]
        for _, target in files:
            if target.is_dir():
                raise StorageError(f"cannot write {target}: it is a folder")
        for item, target in files:
            target.parent.mkdir(parents=True, exist_ok=True)
            replace_file(item, target)
    except OSError as exc:
        raise _failed(folder, exc) from exc
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def moved(paths: dict[str, Path], stage: Path, folder: Path) -> dict[str, Path]:
    """Where files written into ``stage`` are once :func:`staged_folder` has moved them."""
    return {k: Path(folder) / Path(p).relative_to(stage) for k, p in paths.items()}
