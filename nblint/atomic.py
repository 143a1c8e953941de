"""Atomic writes: a temporary file in the same folder, then a rename over the target.

A crash or a kill at any moment leaves either the old file whole or the new file whole, never half of
one. The target's permission bits are kept.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


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
    handle, temporary = _create_temporary(folder, path.name)
    try:
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


def _create_temporary(folder: Path, name: str) -> tuple[int, str]:
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
