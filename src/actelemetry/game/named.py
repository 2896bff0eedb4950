"""Windows named file mappings ``Local\\acpmf_*``: the game's own way of publishing pages.

The game creates three pagefile-backed sections with ``CreateFileMappingW`` and holds
their handles while it runs; a reader opens them with ``OpenFileMappingW``. Both sides
are here, through ctypes on kernel32:

* :class:`NamedPageMapping`, the reader: read-only, and never creating a page the game
  has not (``mmap`` with a tagname would create an empty one, and a capture would then
  wait on a page nobody writes);
* :func:`create_named_pages`, the publisher (simulator, replay): creates the sections at
  the layouts' size and refuses names that already exist, so it never writes into the
  running game's pages.

A section lives while any process holds a handle to it: the publisher keeps its handles
(and views) open until :meth:`NamedPage.close`.
"""

from __future__ import annotations

import ctypes
import struct
import sys
from typing import Any

from actelemetry.errors import GameNotRunning, PageError
from actelemetry.game.layouts import LAYOUTS
from actelemetry.game.names import GAMES

#: what the reader says when the game has not created its pages
GAME_NOT_FOUND = "Assetto Corsa shared memory not found"
#: the object-name prefix of the game's sections (the caller's session)
NAMESPACE = "Local\\"
_INT = struct.Struct("<i")

FILE_MAP_WRITE = 0x0002
FILE_MAP_READ = 0x0004
PAGE_READWRITE = 0x04
ERROR_ALREADY_EXISTS = 183
ERROR_FILE_NOT_FOUND = 2


def section_size(page: str) -> int:
    """Bytes of a published section: the larger of the two games' layouts of ``page``, so
    one size fits both (the game itself creates each at its structure's size)."""
    return max(ctypes.sizeof(LAYOUTS[(game, page)]) for game in GAMES)


def object_name(page_name: str) -> str:
    """``acpmf_physics`` -> ``Local\\acpmf_physics``."""
    return f"{NAMESPACE}{page_name}"


def _last_error() -> int:
    """The calling thread's last Windows error (0 elsewhere)."""
    if sys.platform != "win32":
        return 0
    return ctypes.get_last_error()


def _kernel32() -> Any:
    """kernel32 with the prototypes used here (Windows only)."""
    if sys.platform != "win32":
        raise PageError("named mappings exist only on Windows")
    from ctypes import wintypes

    k32 = ctypes.WinDLL("kernel32", use_last_error=True)
    k32.OpenFileMappingW.restype = wintypes.HANDLE
    k32.OpenFileMappingW.argtypes = [wintypes.DWORD, wintypes.BOOL, wintypes.LPCWSTR]
    k32.CreateFileMappingW.restype = wintypes.HANDLE
    k32.CreateFileMappingW.argtypes = [wintypes.HANDLE, ctypes.c_void_p, wintypes.DWORD,
                                       wintypes.DWORD, wintypes.DWORD, wintypes.LPCWSTR]
    k32.MapViewOfFile.restype = ctypes.c_void_p
    k32.MapViewOfFile.argtypes = [wintypes.HANDLE, wintypes.DWORD, wintypes.DWORD,
                                  wintypes.DWORD, ctypes.c_size_t]
    k32.UnmapViewOfFile.restype = wintypes.BOOL
    k32.UnmapViewOfFile.argtypes = [ctypes.c_void_p]
    k32.CloseHandle.restype = wintypes.BOOL
    k32.CloseHandle.argtypes = [wintypes.HANDLE]
    k32.VirtualQuery.restype = ctypes.c_size_t
    k32.VirtualQuery.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t]
    return k32


class _MemoryInfo(ctypes.Structure):
    """MEMORY_BASIC_INFORMATION: how large the view the system gave us is (on 64-bit
    Windows a 2-byte PartitionId sits in what is padding here: the offsets agree)."""

    _fields_ = [
        ("BaseAddress", ctypes.c_void_p), ("AllocationBase", ctypes.c_void_p),
        ("AllocationProtect", ctypes.c_uint32), ("RegionSize", ctypes.c_size_t),
        ("State", ctypes.c_uint32), ("Protect", ctypes.c_uint32), ("Type", ctypes.c_uint32),
    ]


class NamedPageMapping:
    """A page the game created as a named file mapping, opened read-only."""

    size: int

    def __init__(self, name: str) -> None:
        k32 = _kernel32()
        self.name = name
        self._k32 = k32
        self._handle = k32.OpenFileMappingW(FILE_MAP_READ, False, name)
        if not self._handle:
            err = _last_error()
            if err == ERROR_FILE_NOT_FOUND:
                raise GameNotRunning(f"{GAME_NOT_FOUND} ({name} does not exist: the game is "
                                     "not running, or is not in a session yet)")
            raise GameNotRunning(f"{GAME_NOT_FOUND} (cannot open {name}: Windows error {err})")
        self._view = k32.MapViewOfFile(self._handle, FILE_MAP_READ, 0, 0, 0)
        if not self._view:
            err = _last_error()
            k32.CloseHandle(self._handle)
            raise PageError(f"cannot map {name} (Windows error {err})")
        info = _MemoryInfo()
        k32.VirtualQuery(self._view, ctypes.byref(info), ctypes.sizeof(info))
        self.size = int(info.RegionSize)

    def read(self, n: int) -> bytes:
        return ctypes.string_at(self._view, n)

    def read_int(self, offset: int) -> int:
        return int(_INT.unpack(ctypes.string_at(self._view + offset, _INT.size))[0])

    def exists(self) -> bool:
        return True  # the section lives while we hold it; liveness comes from contents

    def close(self) -> None:
        if self._view:
            self._k32.UnmapViewOfFile(self._view)
            self._k32.CloseHandle(self._handle)
            self._view = 0


class NamedPage:
    """A section this process created and writes: slices read and write like ``mmap``."""

    def __init__(self, k32: Any, name: str, handle: int, view: int, size: int) -> None:
        self.name = name
        self._k32 = k32
        self._handle = handle
        self._view = view
        self._size = size
        self._bytes: memoryview | None = memoryview(
            (ctypes.c_char * size).from_address(view)).cast("B")

    def _mem(self) -> memoryview:
        if self._bytes is None:
            raise ValueError(f"{self.name} is closed")
        return self._bytes

    def __len__(self) -> int:
        return self._size

    def __getitem__(self, key: slice) -> bytes:
        return bytes(self._mem()[key])

    def __setitem__(self, key: slice, data: bytes | bytearray) -> None:
        self._mem()[key] = data

    def close(self) -> None:
        if self._bytes is not None:
            self._bytes.release()
            self._bytes = None
            self._k32.UnmapViewOfFile(self._view)
            self._k32.CloseHandle(self._handle)


def create_named_pages(page_names: dict[str, str]) -> dict[str, NamedPage]:
    """Create the sections ``Local\\<name>`` for each page (``page -> acpmf_...``), zeroed,
    writable, pagefile-backed; the handles stay open until each page is closed.

    A name that already exists is refused: the game (or another publisher) is running and
    writing into its pages would corrupt what it publishes.
    """
    k32 = _kernel32()
    from ctypes import wintypes

    invalid_handle = wintypes.HANDLE(-1)
    made: dict[str, NamedPage] = {}
    try:
        for page, page_name in page_names.items():
            name = object_name(page_name)
            size = section_size(page)
            handle = k32.CreateFileMappingW(invalid_handle, None, PAGE_READWRITE, 0, size, name)
            err = _last_error()
            if not handle:
                raise PageError(f"cannot create {name} (Windows error {err})")
            if err == ERROR_ALREADY_EXISTS:
                k32.CloseHandle(handle)
                raise PageError(f"{name} already exists: the game or another publisher is "
                                "running; stop it, or publish in a folder (--shm-dir)")
            view = k32.MapViewOfFile(handle, FILE_MAP_WRITE | FILE_MAP_READ, 0, 0, size)
            if not view:
                err = _last_error()
                k32.CloseHandle(handle)
                raise PageError(f"cannot map {name} (Windows error {err})")
            made[page] = NamedPage(k32, name, handle, view, size)
    except BaseException:
        for section in made.values():
            section.close()
        raise
    return made
