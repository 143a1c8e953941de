"""The result cache: `.nblint_cache/` at the project root, one small JSON file per notebook.

An entry holds what `check_file` reported for one notebook (findings with their source lines, so
`--format full` works from the cache; whether it was unreadable; the sizes of the files rules read). It
is found by a name derived from everything else that decides the result:

- the notebook's absolute path (rules resolve data files against its folder),
- the per-notebook settings (enabled codes after per-file-ignores, every option: Settings.fingerprint),
- the engine: nblint's version, the interpreter's (its `ast` decides syntax errors), the installed
  libcst and nbformat, and the size and mtime of every nblint source file (so an edited rule, during
  development, never serves results of the old one);

and it is used only while the notebook's bytes still hash to the digest stored in it and every file a
rule sized still has that size. Editing a notebook therefore overwrites its one entry: the cache grows
with the number of notebooks, not with the number of edits.

Entries are written atomically (temporary file + rename), so concurrent runs see a whole entry or none.
Anything unexpected while reading an entry (corrupt JSON, an entry of another format or version, a
foreign file) is a miss; anything failing while writing leaves the run's results as they are. A hit
skips JSON parsing, libcst and the rules entirely.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from nblint import __version__
from nblint.run.dependencies import unchanged

CACHE_DIR_NAME = ".nblint_cache"
ENV_VAR = "NBLINT_CACHE_DIR"
FORMAT = 3  # of an entry; bump when its layout changes (2: warnings; 3: findings carry their autofix)

CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by nblint.\n"
    "# For information about cache directory tags see https://bford.info/cachedir/\n"
)
_TAG_NAME = "CACHEDIR.TAG"


def default_location(config_file: Path | None, explicit: str | os.PathLike | None = None) -> Path:
    """Where the cache lives: `--cache-dir`, else $NBLINT_CACHE_DIR, else `.nblint_cache` beside the
    configuration file in use (the project root), else in the current folder, as ruff places its own."""
    if explicit:
        return Path(explicit)
    from_env = os.environ.get(ENV_VAR)
    if from_env:
        return Path(from_env)
    folder = config_file.parent if config_file is not None else Path.cwd()
    return folder / CACHE_DIR_NAME


def location_for(resolver, explicit: str | os.PathLike | None = None) -> Path:
    """default_location() for a run: the configuration in use is the one found from the current folder
    (or given with --config); a broken one there is reported where it applies, not here."""
    from nblint.run.config import ConfigError

    try:
        config_file = resolver.default().path
    except ConfigError:
        config_file = None
    return default_location(config_file, explicit)


def is_nblint_cache(folder: Path) -> bool:
    """A folder nblint created (it holds our CACHEDIR.TAG): the only kind `nblint clean` removes."""
    try:
        return "created by nblint" in (folder / _TAG_NAME).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False


try:  # the interpreter's own BLAKE2: `import hashlib` loads OpenSSL first, 2 ms of every run's start
    from _blake2 import blake2b as _blake2b

    def _digest(data: bytes) -> str:
        return _blake2b(data, digest_size=32).hexdigest()

except ImportError:  # pragma: no cover - CPython always has it; other interpreters may not
    import hashlib

    def _digest(data: bytes) -> str:
        return hashlib.sha256(data).hexdigest()


def content_digest(raw: bytes) -> str:
    return _digest(raw)


class Cache:
    """Picklable (the worker processes get a copy): just the folder and the engine's fingerprint."""

    def __init__(self, root: Path) -> None:
        self.root = Path(os.path.abspath(root))
        self.folder = self.root / __version__
        self.engine = engine_fingerprint()
        self.writable = True

    def prepare(self) -> bool:
        """Create the cache folder (with CACHEDIR.TAG and a .gitignore of `*`); False when it cannot be
        read, and then the run goes on without a cache. One that cannot be written is read only."""
        try:
            if not (self.root / _TAG_NAME).is_file():
                self.root.mkdir(parents=True, exist_ok=True)
                from nblint.core.atomic import write_bytes_atomic

                write_bytes_atomic(self.root / ".gitignore", b"# Created by nblint automatically.\n*\n", durable=False)
                write_bytes_atomic(self.root / _TAG_NAME, CACHEDIR_TAG.encode(), durable=False)
            self.folder.mkdir(exist_ok=True)
        except OSError:
            pass
        # A cache that cannot be written is still read (a shared or read-only checkout warmed elsewhere).
        self.writable = os.access(self.folder, os.W_OK)
        return self.folder.is_dir() and os.access(self.folder, os.R_OK | os.X_OK)

    def entry_path(self, notebook: str, settings_fingerprint: str) -> Path:
        name = _digest(
            "\0".join((str(FORMAT), self.engine, os.path.abspath(notebook), settings_fingerprint)).encode(
                "utf-8", "surrogatepass"
            )
        )
        return self.folder / name[:2] / f"{name}.json"

    def load(self, entry: Path, digest: str, shown: str):
        """The cached FileResult for a notebook whose bytes hash to `digest`, or None (a miss)."""
        try:
            data = json.loads(entry.read_bytes())
            if not (isinstance(data, dict) and data.get("format") == FORMAT and data.get("name") == entry.stem):
                return None
            if data.get("content") != digest:
                return None
            sizes = data["dependencies"]
            if not isinstance(sizes, dict) or not unchanged(sizes):
                return None
            return _result_from(data, shown)
        except Exception:  # missing, corrupt, foreign, of another layout: all just a miss
            return None

    def store(self, entry: Path, digest: str, result) -> None:
        if not self.writable:
            return
        data = {
            "format": FORMAT,
            "name": entry.stem,
            "content": digest,
            "unreadable": result.unreadable,
            "dependencies": result.dependencies,
            "warnings": result.warnings,
            "findings": [_finding_to_dict(finding) for finding in result.findings],
        }
        try:
            from nblint.core.atomic import write_bytes_atomic

            entry.parent.mkdir(exist_ok=True)
            if entry.is_dir() and not entry.is_symlink():  # an entry replaced by a folder: repaired, not cold for ever
                import shutil

                shutil.rmtree(entry)
            write_bytes_atomic(entry, json.dumps(data, separators=(",", ":")).encode("utf-8"), durable=False)
        except (OSError, ValueError, TypeError):  # a full disk, a read-only folder: the run goes on uncached
            pass


def _finding_to_dict(finding) -> dict[str, Any]:
    data = finding.to_dict()
    data.pop("path")  # the path is the run's way of naming the notebook; it is put back on reading
    data["source_line"] = finding.source_line  # to_dict leaves it out, `--format full` needs it
    return data


def _result_from(data: dict, shown: str):
    from nblint.core.findings import Finding
    from nblint.run.pipeline import FileResult

    unreadable, warnings = data["unreadable"], data["warnings"]
    if not isinstance(unreadable, bool) or not (
        isinstance(warnings, list) and all(isinstance(w, str) for w in warnings)
    ):
        raise ValueError("bad entry")
    findings = [Finding.from_dict({**item, "path": shown}) for item in data["findings"]]
    return FileResult(shown, findings, unreadable=unreadable, dependencies=data["dependencies"], warnings=warnings)


_ENGINE: str | None = None


def engine_fingerprint() -> str:
    """What, besides the notebook and the settings, decides the findings (see the module docstring)."""
    global _ENGINE
    if _ENGINE is None:
        parts = [__version__, sys.implementation.name, sys.version, _package_versions(), source_stamp()]
        _ENGINE = _digest("\n".join(parts).encode("utf-8", "surrogatepass"))
    return _ENGINE


def _package_versions() -> str:
    # find_spec on a top-level package locates it without importing it (import libcst costs 0.1 s).
    from importlib.util import find_spec

    texts = []
    for name in ("libcst", "nbformat"):
        try:
            spec = find_spec(name)
            folder = list(spec.submodule_search_locations or [])[0]
            texts.append(Path(folder, "_version.py").read_text(encoding="utf-8", errors="replace"))
        except Exception:
            texts.append(f"{name}: unknown")
    return "\n".join(texts)


def source_stamp() -> str:
    """Every module of the nblint package (the rules decide findings too) by relative path, size and
    modification time, sorted by path. One os.scandir per folder, whose entries answer is-file and
    is-folder without a system call: half the cost of os.walk with os.stat and os.path.relpath per file
    (1.5 ms of every run that uses the cache)."""
    package = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
    stamps: list[str] = []
    folders = [("", package)]
    while folders:
        relative, folder = folders.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                name = entry.name
                if name.endswith(".py") and entry.is_file():
                    status = entry.stat()
                    stamps.append(f"{relative}{name} {status.st_size} {status.st_mtime_ns}")
                elif name != "__pycache__" and entry.is_dir(follow_symlinks=False):
                    folders.append((f"{relative}{name}{os.sep}", entry.path))
    stamps.sort()
    return "\n".join(stamps)
