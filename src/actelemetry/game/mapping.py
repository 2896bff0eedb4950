"""Opening the games' pages, and creating them for a publisher, on every platform.

Three ways in, one interface (:class:`PageMapping`):

* Windows: the game's named mappings ``Local\\acpmf_*``, opened read-only with
  ``OpenFileMappingW`` so a reader never creates a page the game has not (``mmap`` with a
  tagname would create an empty one); see :mod:`actelemetry.game.named`.
* Linux with the game under Proton: the bridge files ``/dev/shm/acpmf_*``.
* Any folder (``--shm-dir``): the simulator, replays and tests publish there.

Where one set of pages lives is a :class:`PageLocation`, the only thing the rest of the
package sees: a folder, or a set of named mappings (the game's own names, or private
names for a capture's own simulator or replay, so sessions running at once never meet).
Private pages (:func:`private_pages`) are named mappings where the game's are, and a
folder on tmpfs elsewhere. A mapping only copies bytes out; deciding whether the game is
live is the reader's job. The operating system's other ways are in
:mod:`actelemetry.game.host`.
"""

from __future__ import annotations

import functools
import itertools
import mmap
import os
import secrets
import shutil
import stat
import struct
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, cast

from actelemetry.errors import GameNotRunning, PageError
from actelemetry.game.layouts import PAGES
from actelemetry.game.named import GAME_NOT_FOUND, create_named_pages, object_name

#: page -> file name under a folder / Windows object name without the ``Local\\`` prefix
PAGE_NAMES: dict[str, str] = {page: f"acpmf_{page}" for page in PAGES}
#: size of each page file the Linux bridges (and our simulator) create
BRIDGE_FILE_SIZE = 2048
#: where the Linux Proton bridges put the pages
LINUX_BRIDGE_DIR = Path("/dev/shm")

#: the platforms whose game publishes named mappings (``Local\\acpmf_*``), not files
NAMED_MAPPINGS = sys.platform == "win32"
_INT = struct.Struct("<i")
#: the text that marks a named location in :meth:`PageLocation.as_text`
_NAMED_TAG = "named:"
_FOLDER_TAG = "folder:"


@dataclass(frozen=True)
class PageLocation:
    """Where one set of pages lives: files in ``folder``, or, with no folder, named
    mappings whose names are ``prefix`` + ``acpmf_*`` (no prefix: the game's own).

    Publishers create pages at a location, readers open them there, and a child process
    is told one as text (:meth:`as_text`), so nothing outside this package needs to know
    which kind it is.
    """

    folder: Path | None = None
    prefix: str = ""

    def __post_init__(self) -> None:
        if self.folder is not None and not isinstance(self.folder, Path):
            object.__setattr__(self, "folder", Path(self.folder))
        if self.folder is not None and self.prefix:
            raise ValueError("a page location is a folder or a name prefix, not both")
        if "\\" in self.prefix:
            raise ValueError(f"a mapping's name holds no backslash: {self.prefix!r}")

    @classmethod
    def of(cls, where: PageLocation | Path | str | None) -> PageLocation:
        """A location from what a caller holds: a folder, or None for the game's own
        named mappings."""
        if isinstance(where, PageLocation):
            return where
        return cls() if where is None else cls(Path(where))

    @property
    def named(self) -> bool:
        return self.folder is None

    def page_names(self) -> dict[str, str]:
        """page -> file name in the folder, or mapping name without ``Local\\``."""
        return {page: f"{self.prefix}{name}" for page, name in PAGE_NAMES.items()}

    def as_text(self) -> str:
        """One line a child process turns back into this location (:meth:`from_text`)."""
        return f"{_FOLDER_TAG}{self.folder}" if self.folder is not None \
            else f"{_NAMED_TAG}{self.prefix}"

    @classmethod
    def from_text(cls, text: str) -> PageLocation:
        if text.startswith(_FOLDER_TAG):
            return cls(Path(text[len(_FOLDER_TAG):]))
        if text.startswith(_NAMED_TAG):
            return cls(prefix=text[len(_NAMED_TAG):])
        raise ValueError(f"not a page location: {text!r}")

    def __str__(self) -> str:
        if self.folder is not None:
            return str(self.folder)
        return object_name(f"{self.prefix}acpmf_*")


def default_location() -> PageLocation:
    """Where the game's pages are on this platform: its named mappings, or the Linux
    bridges' folder."""
    return PageLocation() if NAMED_MAPPINGS else PageLocation(LINUX_BRIDGE_DIR)


#: a positional read where the platform has one (not Windows): see FilePageMapping
_PREAD: Callable[[int, int, int], bytes] | None = getattr(os, "pread", None)


class PageMapping(Protocol):
    """A read-only view of one page."""

    size: int

    def read(self, n: int) -> bytes:
        """Copy the first ``n`` bytes (``n <= size``) out of the page."""
        ...

    def read_int(self, offset: int) -> int:
        """One little-endian int32 read in place (a cheap look at packetId or status)."""
        ...

    def exists(self) -> bool:
        """False once the page the mapping was opened on has gone (file removed)."""
        ...

    def close(self) -> None: ...


class FilePageMapping:
    """A page backed by a file (bridge file in /dev/shm or a folder of ours).

    Where the platform has ``pread`` the file is read with it rather than mapped: a page
    file that another program truncates then reads short (an error with a message) instead
    of killing the reader with SIGBUS. Elsewhere (Windows, where a mapped file cannot be
    truncated) it is mapped.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        try:
            st = os.fstat(self._fd)
            self.size, self._ino = st.st_size, st.st_ino
            if self.size == 0:
                raise PageError(f"{path}: page file is empty")
            self._mm = None if _PREAD is not None else mmap.mmap(
                self._fd, 0, access=mmap.ACCESS_READ)
        except BaseException:
            os.close(self._fd)
            raise

    def read(self, n: int) -> bytes:
        if _PREAD is None:
            assert self._mm is not None  # mapped in __init__ where there is no pread
            return self._mm[:n]
        data = _PREAD(self._fd, n, 0)
        if len(data) < n:
            raise PageError(f"{self.path}: the page file shrank to {len(data)} bytes while "
                            "being read (its writer truncated it)")
        return data

    def copier(self, n: int) -> Callable[[], bytes]:
        """A call that copies the first ``n`` bytes, unchecked: one ``pread`` (or a slice
        of the map) with no Python frame around it, for the capture's per-step copies. A
        copy shorter than ``n`` means the file was truncated: the caller checks."""
        if _PREAD is None:
            assert self._mm is not None
            return cast(Callable[[], bytes], functools.partial(self._mm.__getitem__, slice(0, n)))
        return functools.partial(_PREAD, self._fd, n, 0)

    def read_int(self, offset: int) -> int:
        if _PREAD is None:
            assert self._mm is not None
            return int(_INT.unpack_from(self._mm, offset)[0])
        data = _PREAD(self._fd, _INT.size, offset)
        if len(data) < _INT.size:
            raise PageError(f"{self.path}: the page file shrank to {offset + len(data)} "
                            "bytes while being read (its writer truncated it)")
        return _INT.unpack(data)[0]

    def exists(self) -> bool:
        try:
            return os.stat(self.path).st_ino == self._ino
        except OSError:
            return False

    def close(self) -> None:
        if self._mm is not None:
            self._mm.close()
        os.close(self._fd)


def open_pages(where: PageLocation | Path | None = None) -> dict[str, PageMapping]:
    """Open the three pages read-only, at ``where`` (a location or a folder) or the
    platform's default place.

    Raises :class:`GameNotRunning` when a page does not exist (yet, or any more).
    """
    location = default_location() if where is None else PageLocation.of(where)
    folder = location.folder
    opened: dict[str, PageMapping] = {}
    try:
        for page, name in location.page_names().items():
            if folder is None:
                from actelemetry.game.named import NamedPageMapping

                opened[page] = NamedPageMapping(object_name(name))
                continue
            path = Path(folder) / name
            if not path.is_file():
                raise GameNotRunning(f"{GAME_NOT_FOUND} ({path} does not exist)")
            opened[page] = FilePageMapping(path)
    except BaseException:
        for mapping in opened.values():
            mapping.close()
        raise
    return opened


class WritablePage(Protocol):
    """A page a publisher writes: an ``mmap`` of a page file, or a named section."""

    def __len__(self) -> int: ...

    def __getitem__(self, key: slice, /) -> bytes: ...

    def __setitem__(self, key: slice, data: bytes | bytearray, /) -> None: ...

    def close(self) -> None: ...


def create_pages(where: PageLocation | Path | None) -> dict[str, WritablePage]:
    """Writable pages for a publisher at ``where``: files in a folder, or named mappings
    (None: the game's own ``Local\\acpmf_*``) as the game creates them (Windows only;
    elsewhere an error)."""
    location = PageLocation.of(where)
    if location.folder is not None:
        return dict(create_page_files(location.folder))
    if not NAMED_MAPPINGS:
        raise PageError("named mappings exist only on Windows: give a folder for the pages")
    return dict(create_named_pages(location.page_names()))  # pragma: no cover - Windows


def hold_pages(location: PageLocation) -> Callable[[], None] | None:
    """Once a publisher has created all its pages at ``location``, hold them and return
    what lets them go; None while they are not all there yet.

    A named mapping lives only while some process holds a handle to it: a writer in a
    child process that ends (a replay played to its end) would take its pages, last frame
    and OFF status included, with it before a reader looked. Held, named pages get a
    folder's lifetime: they go when whoever holds them lets go. Files need no holding;
    they are there once the last one (static) has its full size.
    """
    if location.folder is not None:
        try:
            ready = (location.folder / PAGE_NAMES["static"]).stat().st_size > 0
        except OSError:
            ready = False
        return _nothing_to_release if ready else None
    try:
        held = open_pages(location)
    except GameNotRunning:
        return None

    def release() -> None:
        for mapping in held.values():
            mapping.close()

    return release


def _nothing_to_release() -> None:
    """Files stay until their folder goes: nothing is held."""


#: how long a publisher watches existing pages for another live writer before taking over
LIVE_WRITER_WATCH_S = 0.25


def create_page_files(folder: Path) -> dict[str, mmap.mmap]:
    """Writable page files in ``folder``, mapped, for a publisher (simulator, replay).

    Files are created at :data:`BRIDGE_FILE_SIZE` bytes, like the Linux bridges do, or
    reused when they exist, so ``/dev/shm`` publishes under the bridges' names. A page file
    that is a symbolic link or not a regular file is refused (writing through it would
    overwrite whatever it points to), and so is a folder whose pages another program is
    writing right now.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    _refuse_live_writer(folder)
    maps: dict[str, mmap.mmap] = {}
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)
    try:
        for page, name in PAGE_NAMES.items():
            path = folder / name
            if path.is_symlink():
                raise PageError(f"{path} is a symbolic link; refusing to write through it")
            try:
                fd = os.open(path, flags, 0o644)
            except OSError:
                if path.is_symlink():  # made a link between the look and the open
                    raise PageError(f"{path} is a symbolic link; refusing to write through "
                                    "it") from None
                raise
            try:
                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    raise PageError(f"{path} is not a regular file; refusing to write to it")
                if os.fstat(fd).st_size < BRIDGE_FILE_SIZE:
                    os.ftruncate(fd, BRIDGE_FILE_SIZE)
                maps[page] = mmap.mmap(fd, BRIDGE_FILE_SIZE)
            finally:
                os.close(fd)
    except BaseException:
        for m in maps.values():
            m.close()
        raise
    return maps


def _refuse_live_writer(folder: Path) -> None:
    """Refuse a folder whose physics page is advancing: another program is publishing."""
    path = folder / PAGE_NAMES["physics"]
    if path.is_symlink() or not path.is_file():
        return

    def packet_id() -> int | None:
        try:
            with open(path, "rb") as fh:
                head = fh.read(_INT.size)
        except OSError:
            return None
        return _INT.unpack(head)[0] if len(head) == _INT.size else None

    first = packet_id()
    time.sleep(LIVE_WRITER_WATCH_S)
    if first is not None and packet_id() not in (None, first):
        raise PageError(f"another program is writing live pages in {folder}; stop it or "
                        "publish in another folder")



_PRIVATE_PREFIX = "actelemetry-pages-"


_PRIVATE_SESSIONS = itertools.count()


@contextmanager
def private_pages() -> Iterator[PageLocation]:
    """A private place for the pages a child or a lockstep source writes, gone on exit.

    Where the game publishes named mappings these are named mappings too, under names of
    their own (``Local\\actelemetry-<pid>-<n>-<random>-acpmf_*``: sessions running at
    once, in one process or many, never meet, and none is the game's); they vanish with
    the last handle. Elsewhere a private folder (:func:`private_page_folder`).
    """
    if NAMED_MAPPINGS:
        yield PageLocation(prefix=f"{_PRIVATE_PREFIX}{os.getpid()}-{next(_PRIVATE_SESSIONS)}-"
                                  f"{secrets.token_hex(4)}-")
        return
    with private_page_folder() as folder:
        yield PageLocation(folder)


@contextmanager
def private_page_folder() -> Iterator[Path]:
    """A private folder for pages a child or a lockstep source writes, removed on exit.

    It goes on tmpfs (``/dev/shm``) when there is one, so the pages never touch a disk;
    folders left behind by a capture that was killed are removed first.
    """
    import psutil

    shm = str(LINUX_BRIDGE_DIR)
    base = shm if os.path.isdir(shm) and os.access(shm, os.W_OK) else None
    root = Path(base or tempfile.gettempdir())
    for old in root.glob(f"{_PRIVATE_PREFIX}*"):
        try:
            owner = int(old.name[len(_PRIVATE_PREFIX):].split("-", 1)[0])
        except ValueError:
            continue
        if not psutil.pid_exists(owner):
            shutil.rmtree(old, ignore_errors=True)
    folder = Path(tempfile.mkdtemp(prefix=f"{_PRIVATE_PREFIX}{os.getpid()}-", dir=base))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)
