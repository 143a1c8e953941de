"""Files a rule looked at besides the notebook, so the cache knows when a stored result went stale.

A rule that decides from another file's size (NB301 sizes the CSV a `read_csv` names) records what it
saw: a code rule in `self.context.files_stat[absolute path] = size or None`, anything else through
`file_size(path)` here. While the runner checks a notebook, the engine hands those sizes to the
`recording()` that the runner opened; they travel with the FileResult (`dependencies`), the cache stores
them beside the findings and, before reusing the findings, sizes each path again: a file that appeared,
vanished or changed size makes the entry a miss. Outside a recording (the rule-example tests,
`check_file` called directly) nothing is kept.
"""

from __future__ import annotations

import os
import stat
import threading
from contextlib import contextmanager
from typing import Iterator, Mapping

# One recording per thread: each notebook is checked on one (deep-stack) thread.
_local = threading.local()


@contextmanager
def recording() -> Iterator[dict[str, int | None]]:
    """Collect the (absolute path -> size) look-ups made inside the block into the dict it yields."""
    previous = getattr(_local, "recorded", None)
    recorded: dict[str, int | None] = {}
    _local.recorded = recorded
    try:
        yield recorded
    finally:
        _local.recorded = previous


def record(sizes: Mapping[str, int | None]) -> None:
    """Add look-ups to the open recording, if any (the engine calls this with a context's files_stat)."""
    recorded = getattr(_local, "recorded", None)
    if recorded is not None:
        recorded.update(sizes)


def current_size(path: str | os.PathLike) -> int | None:
    """The size of the regular file at `path`, None when there is none (missing, a folder, unreadable)."""
    try:
        status = os.stat(path)
    except (OSError, ValueError):  # ValueError: a NUL byte in the name
        return None
    return status.st_size if stat.S_ISREG(status.st_mode) else None


def file_size(path: str | os.PathLike) -> int | None:
    """current_size(), recorded as a dependency of the notebook being checked."""
    absolute = os.path.abspath(path)
    size = current_size(absolute)
    record({absolute: size})
    return size


def unchanged(sizes: Mapping[str, int | None]) -> bool:
    """True when every recorded path still has the size it had."""
    return all(current_size(path) == size for path, size in sizes.items())
