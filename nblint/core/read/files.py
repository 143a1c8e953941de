"""Reading a file that may not be one: a FIFO, a socket, a device or a symlink loop named `*.ipynb`.

Opening a FIFO for reading blocks until a writer comes (for ever, in a pre-commit hook or under CI), and
reading a character device like /dev/zero never ends. So nothing is opened before `stat` says it is a
regular file, and the descriptor opened is checked again (the name may have been swapped in between).
"""

from __future__ import annotations

import errno
import os
import stat
from contextlib import contextmanager
from io import BufferedReader
from typing import Iterator

_KINDS = (
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISDIR, "a folder"),
)


class NotRegularFile(OSError):
    """`strerror` says what the path is instead ("is a FIFO, not a file")."""

    def __init__(self, what: str):
        super().__init__(errno.EINVAL, what)


def describe_mode(mode: int) -> str | None:
    """None for a regular file, else what it is: "is a FIFO, not a file"."""
    if stat.S_ISREG(mode):
        return None
    for test, name in _KINDS:
        if test(mode):
            return f"is {name}, not a file"
    return "is not a regular file"


def describe_path(path: str | os.PathLike) -> str | None:
    """None for a regular file (through symlinks), else why it cannot be read as one: what it is, "is a
    symlink loop", "is a broken symlink", or the system's reason."""
    try:
        return describe_mode(os.stat(path).st_mode)
    except OSError as exc:
        return _describe_error(path, exc)


def _describe_error(path, exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "is a symlink loop, not a file"
    if exc.errno == errno.ENOENT and os.path.islink(path):
        return f"is a broken symlink (to {os.readlink(path)})"
    if exc.errno == errno.ENOENT:
        return "no such file or folder"
    return exc.strerror or str(exc)


class HandedBytes:
    """A file's bytes handed to the one reader that needs them, which takes them and so holds the only
    reference: it can drop them once decoded, or cut a bytearray as it parses, and read the file again
    if it must (so they are the bytes of the path given with them). On a 200 MB notebook a caller's copy
    kept alive beside the decoded text and the parsed JSON was a third of the peak memory."""

    __slots__ = ("_data",)

    def __init__(self, data: bytes | bytearray) -> None:
        self._data: bytes | bytearray | None = data

    def take(self) -> bytes | bytearray:
        data, self._data = self._data, None
        if data is None:
            raise RuntimeError("these bytes were taken already")
        return data


def read_regular_bytes(path: str | os.PathLike) -> bytes:
    """The bytes of a regular file; raises OSError (NotRegularFile for anything else) without ever
    blocking on a FIFO or reading a device."""
    with _open_regular(path) as (stream, _size):
        return stream.read()


def read_regular_buffer(path: str | os.PathLike) -> bytearray:
    """As read_regular_bytes, into a bytearray that a reader can cut as it goes (nblint.core.read.cellwise)."""
    with _open_regular(path) as (stream, size):
        buffer = bytearray(size)
        filled = stream.readinto(buffer) or 0
        del buffer[filled:]  # the file shrank since the stat
        rest = stream.read()  # or grew
        if rest:
            buffer += rest
        return buffer


@contextmanager
def _open_regular(path: str | os.PathLike) -> Iterator[tuple[BufferedReader, int]]:
    """(stream, size) of a regular file; nothing is opened before `stat` says it is one."""
    what = describe_mode(os.stat(path).st_mode)
    if what is not None:
        raise NotRegularFile(what)
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        status = os.fstat(descriptor)
        what = describe_mode(status.st_mode)
        if what is not None:  # swapped for a FIFO between the stat and the open
            raise NotRegularFile(what)
        with open(descriptor, "rb", closefd=False) as stream:
            yield stream, status.st_size
    finally:
        os.close(descriptor)
