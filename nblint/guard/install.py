"""Where `nblint guard install` puts the one file it owns, and how it is taken away again.

IPython runs every `*.py` file of a profile's `startup/` folder when a shell or kernel starts (and, for
every profile, those of `{sys.prefix}/etc/ipython/startup/`, `/usr/local/etc/ipython/startup/` and
`/etc/ipython/startup/`). nblint writes its own file there, `50-nblint-guard.py`, which loads the
extension; it never edits a configuration file someone else owns (IPython reads one `ipython_config.py`
per folder, with no `ipython_config.d/` of separate files, so a config-file route would mean editing
theirs). The file starts with a marker line: uninstall removes a file only when it carries it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

FILE_NAME = "50-nblint-guard.py"
MARKER = "# nblint guard: written by `nblint guard install`; `nblint guard uninstall` removes this file."

STARTUP_CODE = (
    MARKER
    + """
# It loads nblint's guard into every IPython kernel and shell that reads this folder: each cell is
# checked with the kernel's live values before it runs (`%nblint` shows the state, `%nblint off` stops it).
def _nblint_load_guard():
    try:
        get_ipython().extension_manager.load_extension("nblint.guard")
    except Exception as exc:  # nblint not installed in this kernel's environment, for one
        print(f"nblint guard not loaded: {type(exc).__name__}: {exc}")


_nblint_load_guard()
del _nblint_load_guard
"""
)


class InstallError(Exception):
    """Something in the way; the message says what."""


def ipython_dir() -> Path:
    """IPython's own answer (IPYTHONDIR, else ~/.ipython), without starting IPython."""
    try:
        from IPython.paths import get_ipython_dir

        return Path(get_ipython_dir())
    except ImportError:
        configured = os.environ.get("IPYTHONDIR")
        return Path(configured).expanduser() if configured else Path.home() / ".ipython"


def startup_folder(profile: str = "default", system: bool = False) -> Path:
    if system:
        # The environment's folder: every kernel of this Python environment (a JupyterHub image's), for
        # every user and profile, and only kernels that can import this nblint.
        return Path(sys.prefix) / "etc" / "ipython" / "startup"
    return ipython_dir() / f"profile_{profile}" / "startup"


def is_ours(path: Path) -> bool:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.readline().rstrip("\n") == MARKER
    except (OSError, UnicodeDecodeError):
        return False


def install(folder: Path) -> str:
    from nblint.core.atomic import write_text_atomic

    path = folder / FILE_NAME
    if path.exists() and not is_ours(path):
        raise InstallError(f"{path} exists and is not nblint's: left as it is")
    if path.exists() and path.read_text(encoding="utf-8") == STARTUP_CODE:
        return f"nblint guard already installed: {path}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_text_atomic(path, STARTUP_CODE)
    except OSError as exc:
        raise InstallError(f"cannot write {path}: {exc.strerror or exc}") from None
    return f"nblint guard installed: {path} (new kernels load it; `%load_ext nblint` for a running one)"


def uninstall(folder: Path) -> str:
    path = folder / FILE_NAME
    if not path.exists():
        return f"nothing of nblint's to remove in {folder}"
    if not is_ours(path):
        raise InstallError(f"{path} is not nblint's (no marker line): left as it is")
    try:
        path.unlink()
    except OSError as exc:
        raise InstallError(f"cannot remove {path}: {exc.strerror or exc}") from None
    return f"nblint guard uninstalled: removed {path}"
