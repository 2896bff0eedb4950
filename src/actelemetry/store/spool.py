"""The crash-safe spool: raw page bytes appended in small compressed blocks.

A capture writes every sample here first. Each block is one ``os.write`` of a
self-describing, checksummed chunk, so a capture killed with SIGKILL leaves a file whose
complete blocks are all readable; only the samples not yet flushed are lost: at most
``flush_interval`` seconds (0.25) or :data:`FLUSH_SAMPLES` samples, whichever is less, plus
how late the capturing thread runs on a busy machine. The first sample is written at once.
A spool is turned into a session file when the session closes, or recovered by the next
command that reads the folder.

Layout: ``MAGIC``, u32 header length, header JSON, then blocks of
``BLOCK_MAGIC, u32 payload length, u32 records, u32 duplicates so far, u32 crc32`` followed by
the zlib-compressed records (a NumPy structured array, see :func:`record_dtype`).
"""

from __future__ import annotations

import contextlib
import json
import os
import struct
import time
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from actelemetry.errors import SessionFileError, StorageError
from actelemetry.game.dtypes import page_size

MAGIC = b"ACTSPOOL1\n"
BLOCK_MAGIC = b"BLK1"
_BLOCK_HEAD = struct.Struct("<4sIIII")
SUFFIX = ".spool"
#: a block is written at the latest after this many samples (0.1 s at the physics rate)
FLUSH_SAMPLES = 32
_INT32_MAX = 2**31 - 1


def record_dtype(game: str) -> np.dtype:
    """One sample in the spool: clock, capture accounting and the two dynamic pages."""
    return np.dtype([
        ("t", "<f8"), ("skipped", "<i4"), ("gap", "<f4"),
        ("physics", f"V{page_size(game, 'physics')}"),
        ("graphics", f"V{page_size(game, 'graphics')}"),
    ])


class SpoolWriter:
    """Appends samples; writes a compressed block at once for the first sample, then every
    ``flush_interval`` wall seconds or :data:`FLUSH_SAMPLES` samples, whichever comes first."""

    def __init__(self, path: Path, header: dict[str, Any], flush_interval: float = 0.25) -> None:
        self.path = path
        self.header = header
        self.dtype = record_dtype(header["game"])
        self.flush_interval = flush_interval
        self.samples = 0
        self.duplicates = 0
        self._pending: list[tuple] = []
        self._fd = -1
        self._good_size = 0
        self._last_flush = time.monotonic()
        self._appended = 0
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
            self._fd = os.open(path, flags)
            # the writer's process id: a spool whose writer still runs is not recovered
            head = json.dumps({**header, "pid": os.getpid()}).encode()
            self._write(MAGIC + struct.pack("<I", len(head)) + head)
            self._good_size = len(MAGIC) + 4 + len(head)
        except OSError as exc:
            if self._fd >= 0:
                self.abandon()
                path.unlink(missing_ok=True)
            raise StorageError(f"cannot create {path}: {exc.strerror or exc}") from exc

    def _write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            n = os.write(self._fd, view)
            view = view[n:]

    def append(self, t: float, skipped: int, gap: float, physics: bytes, graphics: bytes) -> None:
        """Queue one sample; write a block when the last one is older than the interval."""
        self._pending.append((t, min(max(skipped, 0), _INT32_MAX), gap, physics, graphics))
        self._appended += 1
        if (self._appended == 1 or len(self._pending) >= FLUSH_SAMPLES
                or time.monotonic() - self._last_flush >= self.flush_interval):
            self.flush()

    def flush(self) -> None:
        """Write the queued samples as one block (one write call)."""
        self._last_flush = time.monotonic()
        if not self._pending:
            return
        records = np.array(self._pending, dtype=self.dtype)
        payload = zlib.compress(records.tobytes(), 1)
        head = _BLOCK_HEAD.pack(BLOCK_MAGIC, len(payload), len(records), self.duplicates,
                                zlib.crc32(payload))
        try:
            self._write(head + payload)
        except OSError as exc:
            self._truncate_to(self._good_size)
            raise StorageError(f"writing {self.path} failed: {exc.strerror or exc}") from exc
        self._good_size += len(head) + len(payload)
        self.samples += len(records)
        self._pending.clear()

    def _truncate_to(self, size: int) -> None:
        """Cut a partly written block off, so the file ends on a whole block."""
        with contextlib.suppress(OSError):  # a torn last block is dropped on reading anyway
            os.ftruncate(self._fd, size)

    def close(self) -> None:
        try:
            self.flush()
        finally:
            self.abandon()

    def abandon(self) -> None:
        """Close without writing what is queued (after a write error)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def read_spool(path: Path) -> tuple[dict[str, Any], np.ndarray, int]:
    """Header, records and the duplicate count of a spool; a torn last block is dropped."""
    data = path.read_bytes()
    if not data.startswith(MAGIC) or len(data) < len(MAGIC) + 4:
        raise SessionFileError(f"{path}: not an actelemetry spool")
    (hlen,) = struct.unpack_from("<I", data, len(MAGIC))
    pos = len(MAGIC) + 4
    header = _header(path, data[pos:pos + hlen])
    pos += hlen
    dtype = record_dtype(header["game"])
    chunks, duplicates = [], 0
    while pos + _BLOCK_HEAD.size <= len(data):
        magic, plen, nrec, dups, crc = _BLOCK_HEAD.unpack_from(data, pos)
        payload = data[pos + _BLOCK_HEAD.size: pos + _BLOCK_HEAD.size + plen]
        if magic != BLOCK_MAGIC or len(payload) < plen or zlib.crc32(payload) != crc:
            break  # torn or missing tail: everything before it is intact
        try:
            raw = zlib.decompress(payload)
        except zlib.error:
            break
        if len(raw) != nrec * dtype.itemsize:
            break
        chunks.append(np.frombuffer(raw, dtype=dtype))
        duplicates = dups
        pos += _BLOCK_HEAD.size + plen
    records = np.concatenate(chunks) if chunks else np.zeros(0, dtype=dtype)
    return header, records, duplicates


def _header(path: Path, text: bytes) -> dict[str, Any]:
    try:
        header = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise SessionFileError(f"{path}: spool header is damaged") from exc
    if not isinstance(header, dict) or header.get("game") not in ("ac", "acc") \
            or not isinstance(header.get("static_page"), str):
        raise SessionFileError(f"{path}: spool header is damaged")
    return header


def spool_writer_alive(path: Path) -> int | None:
    """The process id of the capture still writing this spool, or None when none is."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(len(MAGIC) + 4)
            if not head.startswith(MAGIC) or len(head) < len(MAGIC) + 4:
                return None
            (hlen,) = struct.unpack_from("<I", head, len(MAGIC))
            header = json.loads(fh.read(min(hlen, 1 << 20)))
    except (OSError, ValueError, RecursionError):
        return None
    pid = header.get("pid") if isinstance(header, dict) else None
    if not isinstance(pid, int) or type(pid) is bool or pid <= 0:
        return None
    import psutil

    return pid if psutil.pid_exists(pid) else None
