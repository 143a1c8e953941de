"""Configuration for a long-running server: what `nblint check` would use, re-read when it changes.

`nblint check` reads the configuration once per run; the server lives for hours while people edit
pyproject.toml. Before each analysis it compares the size and mtime of every configuration file that
could apply (nblint.toml and pyproject.toml in the notebook's folder and each folder above it, or the
`--config` file); any change and the resolver starts afresh. That is a few dozen stat calls, and it
works with clients that never send workspace/didChangeWatchedFiles (a change notification also
starts it afresh).
"""

from __future__ import annotations

import os
from pathlib import Path

from nblint.run.config import CONFIG_FILES, ConfigResolver, Overrides, Settings


class ServerSettings:
    def __init__(self, overrides: Overrides = Overrides()) -> None:
        self.overrides = overrides
        self._resolver: ConfigResolver | None = None
        self._forget_requested = False
        self._stamps: dict[Path, tuple | None] = {}  # configuration file -> (mtime, size), None if absent

    def for_notebook(self, path: Path) -> Settings:
        """The settings of one notebook. Raises ConfigError for a configuration nblint cannot use."""
        if self._forget_requested:
            self._forget_requested = False
            self._resolver, self._stamps = None, {}
        stamps = {
            candidate: _file_stamp(candidate) for candidate in self._candidates(Path(os.path.abspath(path.parent)))
        }
        if any(candidate in self._stamps and self._stamps[candidate] != stamp for candidate, stamp in stamps.items()):
            self._resolver, self._stamps = None, {}
        self._stamps.update(stamps)
        if self._resolver is None:
            self._resolver = ConfigResolver(self.overrides)
        return self._resolver.for_path(path)

    def forget(self) -> None:
        """A configuration file changed (workspace/didChangeWatchedFiles): read them all again. Called on
        the event loop while an analysis may be reading the settings on its own thread, so it only asks;
        the next for_notebook() (on the analysis thread) starts afresh."""
        self._forget_requested = True

    def _candidates(self, folder: Path) -> list[Path]:
        """Every file whose change could change this folder's settings."""
        if self.overrides.config is not None:
            return [self.overrides.config]
        found = []
        while True:
            found.extend(folder / name for name in CONFIG_FILES)
            if folder.parent == folder:
                return found
            folder = folder.parent


def _file_stamp(path: Path) -> tuple | None:
    try:
        status = os.stat(path)
    except OSError:
        return None
    return (status.st_mtime_ns, status.st_size)
