"""Atomic writes: a temporary file in the same folder, then a rename over the target.

A crash or a kill at any moment leaves either the old file whole or the new file whole, never half of
one. The target's permission bits are kept. A kill (SIGKILL, a power cut) can still leave the temporary
file behind; `remove_stale_temporaries` removes such leftovers on a later run: files of exactly our
naming pattern, not written to for a minute, that no writer holds locked.
"""

from __future__ import annotations

import os
import re
import stat
import time
from pathlib import Path

# `.NAME.<12 hex digits>.nblint-tmp`, as create_temporary names them, and nothing else.
_TEMPORARY_NAME = re.compile(r"\A\..+\.[0-9a-f]{12}\.nblint-tmp\Z", re.S)
# A temporary file lives for one write and fsync; one untouched this long belongs to a dead writer.
STALE_AFTER_SECONDS = 60.0


def write_bytes_atomic(path: Path, data: bytes, durable: bool = True) -> None:
    """`durable=False` skips the fsync: the rename is still atomic (readers see the old file or the new
    one), but a power cut may lose the new one; right for a cache, wrong for a user's notebook."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    handle, temporary = create_temporary(folder, path.name)
    try:
        lock_temporary(handle)  # tells remove_stale_temporaries a writer is alive, however slow the write
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            if durable:
                os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise


def create_temporary(folder: Path, name: str) -> tuple[int, str]:
    """A new file `.NAME.<random>.nblint-tmp` in `folder`, opened for writing, readable by us alone
    until the chmod above: what tempfile.mkstemp does, without importing tempfile (and shutil and
    random with it: 3 ms of the start of every run that writes a cache entry)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_NOFOLLOW", 0)
    for _ in range(100):
        temporary = os.path.join(folder, f".{name}.{os.urandom(6).hex()}.nblint-tmp")
        try:
            return os.open(temporary, flags, 0o600), temporary
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {name} in {folder}")


def write_text_atomic(path: Path, text: str) -> None:
    write_bytes_atomic(path, text.encode("utf-8"))


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Remove the temporary files a killed nblint left in `folder`; returns what was removed."""
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        if not entry.name.endswith(".nblint-tmp") or not _TEMPORARY_NAME.match(entry.name):
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        if not stat.S_ISREG(info.st_mode) or now - info.st_mtime < STALE_AFTER_SECONDS or _held(entry.path):
            continue
        try:
            os.unlink(entry.path)
        except OSError:
            continue
        removed.append(Path(entry.path))
    return removed


def lock_temporary(handle: int) -> None:
    try:
        import fcntl
    except ImportError:  # Windows: the age alone tells a leftover from a live write
        return
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        pass  # a file system without locks: the age alone


def _held(path: str) -> bool:
    """True when a live writer holds the file locked."""
    try:
        import fcntl
    except ImportError:
        return False
    try:
        handle = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return True  # cannot tell: leave it
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return False  # no locks on this file system: the age alone
    finally:
        os.close(handle)
    return False
