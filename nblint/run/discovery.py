"""Which files a run checks: the files named, and the notebooks under the folders named.

Folders skip `.ipynb_checkpoints/`, `.git/`, virtualenvs (any folder holding `pyvenv.cfg`), ruff's other
default excludes, and what `exclude` in the configuration names. A file named on the command line is
checked whatever its extension (as ruff does), unless the configuration excludes it: pre-commit hands
nblint every staged notebook, and `exclude` must hold there too.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from nblint.core.read.files import describe_path
from nblint.run.config import DEFAULT_EXCLUDE, ConfigResolver

_DEFAULT_EXCLUDE = frozenset(DEFAULT_EXCLUDE)


@dataclass
class Discovery:
    """The notebooks to check among the paths named, and what could not be checked."""

    files: list[Path] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)  # folders holding no notebook
    # Paths named, or `*.ipynb` names found in a folder, that are not files to read, with what each is:
    # ("x.ipynb", "is a FIFO, not a file"), a device, a symlink loop. Never opened; the run reports them.
    not_files: list[tuple[str, str]] = field(default_factory=list)


def discover(paths: list[str], resolver: ConfigResolver) -> Discovery:
    found = Discovery()
    seen: set[str] = set()

    def add(path: Path) -> None:
        key = os.path.abspath(path)
        if key not in seen:
            seen.add(key)
            found.files.append(path)

    def walked(notebook: Path) -> None:
        what = describe_path(notebook)
        if what is None or what.startswith("is a broken symlink"):
            add(notebook)  # a broken symlink is reported as unreadable (NB002) when read
        else:
            found.not_files.append((str(notebook), what))

    for name in paths:
        path = Path(name)
        if path.is_file():
            if not resolver.for_path(path).is_excluded(path):
                add(path)
        elif path.is_dir():
            before, not_before = len(found.files), len(found.not_files)
            for notebook in _walk(path, resolver):
                walked(notebook)
            if len(found.files) == before and len(found.not_files) == not_before:
                found.empty.append(name)
        else:
            what = describe_path(path)
            if what is None or what == "no such file or folder":
                found.missing.append(name)
            else:
                found.not_files.append((name, what))
    return found


def _walk(root: Path, resolver: ConfigResolver):
    for folder, dirs, files in os.walk(root):
        folder_path = Path(folder)
        settings = resolver.for_dir(Path(os.path.abspath(folder_path)))
        dirs[:] = sorted(
            d
            for d in dirs
            if d not in _DEFAULT_EXCLUDE
            and not (folder_path / d / "pyvenv.cfg").exists()
            and not settings.is_excluded(folder_path / d)
        )
        for name in sorted(files):
            if name.endswith(".ipynb"):
                path = folder_path / name
                if not settings.is_excluded(path):
                    yield path
