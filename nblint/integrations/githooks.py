"""Plain git integration for teams without the pre-commit framework (`nblint install-hooks`).

- The pre-commit hook is the shell script shipped in the package (nblint/hooks/pre-commit, also at
  hooks/pre-commit in the checkout). Installing it writes the absolute path of this interpreter's
  `nblint` into it, so the hook works whatever PATH git runs it with, and what it judges: only the
  cells each commit changes (`--diff-base HEAD`, as pre-commit users configure it) or whole notebooks.
  An existing hook is never overwritten unless it is nblint's own (its marker line says so).
- The strip filter is a git clean filter, as `nbstripout --install` sets up: `filter.nblint.clean` in
  the repository's .git/config runs `nblint strip --stdin %f` on every notebook `git add` stages, and
  `*.ipynb filter=nblint` in the top-level .gitattributes applies it. The filter is not `required`: a
  clone without it defined simply stores notebooks unfiltered.

Uninstalling removes only what these functions installed.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

HOOK_NAME = "pre-commit"
HOOK_MARKER = "# nblint pre-commit hook."
HOOK_PATH_LINE = "NBLINT_INSTALLED=nblint"
HOOK_JUDGE_LINE = "NBLINT_JUDGE=changed"
CHANGED_CELLS, WHOLE_NOTEBOOKS = "changed", "whole"
FILTER_NAME = "nblint"
FILTER_ARGUMENTS = "strip --stdin %f"  # git replaces %f with the (quoted) path of the file being added
ATTRIBUTES_LINE = f"*.ipynb filter={FILTER_NAME}"


class HookError(Exception):
    """A problem that stops the command: a usage error (exit 2), with a one-line message."""


@dataclass
class Repository:
    top: Path
    hooks: Path

    @property
    def hook(self) -> Path:
        return self.hooks / HOOK_NAME

    @property
    def attributes(self) -> Path:
        return self.top / ".gitattributes"

    def shown(self, path: Path) -> str:
        """A path as the user should read it: relative to the current folder when inside it."""
        try:
            return os.path.relpath(path)
        except ValueError:
            return str(path)


def _git(args: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    except FileNotFoundError:
        raise HookError("git is not installed (or not on PATH)") from None


def find_repository(start: Path | None = None) -> Repository:
    found = _git(["rev-parse", "--show-toplevel"], start)
    if found.returncode != 0:
        reason = found.stderr.strip().splitlines()[-1] if found.stderr.strip() else "not a git repository"
        raise HookError(f"not inside a git work tree ({reason.removeprefix('fatal: ')})")
    top = Path(found.stdout.strip())
    # Relative to the top: that is where git runs hooks from, and how it reads core.hooksPath.
    hooks = _git(["rev-parse", "--git-path", "hooks"], top)
    if hooks.returncode != 0:
        raise HookError(f"cannot find the hooks folder of {top}: {hooks.stderr.strip()}")
    return Repository(top, (top / hooks.stdout.strip()).resolve())


def nblint_executable() -> Path:
    """The `nblint` command of the interpreter running now (its venv's bin/ or Scripts/ folder)."""
    candidates = [Path(sysconfig.get_path("scripts")) / "nblint", Path(sys.executable).parent / "nblint"]
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate.absolute()
    found = shutil.which("nblint")
    if found:
        return Path(found).absolute()
    raise HookError(f"cannot find the nblint command of {sys.executable}; install nblint into that environment")


def hook_text(nblint: Path, judge: str = CHANGED_CELLS) -> str:
    template = resources.files("nblint").joinpath("hooks", HOOK_NAME).read_text(encoding="utf-8")
    for line in (HOOK_PATH_LINE, HOOK_JUDGE_LINE):
        if template.count(line + "\n") != 1:
            raise RuntimeError(f"the packaged pre-commit hook has lost its {line.split('=')[0]} line")
    return template.replace(HOOK_PATH_LINE + "\n", f"NBLINT_INSTALLED={shlex.quote(str(nblint))}\n").replace(
        HOOK_JUDGE_LINE + "\n", f"NBLINT_JUDGE={judge}\n"
    )


def can_judge_changed_cells() -> bool:
    """Whether this environment has nbdime, which `nblint check --diff-base` needs."""
    import importlib.util

    return importlib.util.find_spec("nbdime") is not None


def is_nblint_hook(path: Path) -> bool:
    try:
        with open(path, encoding="utf-8", errors="replace") as stream:
            return HOOK_MARKER in stream.read(4096)
    except OSError:
        return False


# -------------------------------------------------------------------------------------------- install


def install_hook(repo: Repository, nblint: Path, judge: str = CHANGED_CELLS) -> tuple[bool, str]:
    """(installed, message). Never overwrites a hook that is not nblint's."""
    hook = repo.hook
    text = hook_text(nblint, judge)
    what = (
        "only the cells each commit changes (--diff-base HEAD)"
        if judge == CHANGED_CELLS
        else "every cell of the staged notebooks"
    )
    if os.path.lexists(hook):
        if not is_nblint_hook(hook):
            return False, (
                f"{repo.shown(hook)} already exists and is not nblint's; left as it is. Add a line running "
                f"'{nblint} check' on your notebooks to it, or move it away and run nblint install-hooks again"
            )
        if hook.read_text(encoding="utf-8", errors="replace") == text:
            return True, f"{repo.shown(hook)} is already nblint's hook, running {nblint} on {what}"
        _write_executable(hook, text, replace=True)
        return True, f"updated {repo.shown(hook)} (nblint's hook) to run {nblint} on {what}"
    hook.parent.mkdir(parents=True, exist_ok=True)
    try:
        _write_executable(hook, text, replace=False)
    except FileExistsError:  # appeared since we looked: still never overwrite it
        return False, f"{repo.shown(hook)} already exists; left as it is"
    return True, (
        f"installed {repo.shown(hook)}: {nblint} check judges {what}; strip --dry-run refuses "
        "notebooks with outputs left in"
    )


def _write_executable(path: Path, text: str, replace: bool) -> None:
    if replace:
        from nblint.core.atomic import write_text_atomic

        write_text_atomic(path, text)
        os.chmod(path, 0o755)
        return
    # O_EXCL: created by us or not at all, so a hook written meanwhile is never clobbered.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o755)
    with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
        stream.write(text)
    os.chmod(path, 0o755)  # whatever the umask says: a hook that cannot run is silently skipped by git


def filter_command(nblint: Path) -> str:
    return f"{shlex.quote(str(nblint))} {FILTER_ARGUMENTS}"


def install_filter(repo: Repository, nblint: Path) -> list[str]:
    messages = []
    for key, value in (
        (f"filter.{FILTER_NAME}.clean", filter_command(nblint)),
        (f"filter.{FILTER_NAME}.smudge", "cat"),
    ):
        done = _git(["config", "--local", key, value], repo.top)
        if done.returncode != 0:
            raise HookError(f"git config {key} failed: {done.stderr.strip()}")
    messages.append(
        f"set filter.{FILTER_NAME} in the repository's git config: `git add` strips notebooks with {nblint} strip"
    )
    # git applies a new clean filter only to what it stages from now on; tracked notebooks keep their
    # outputs in the index (and in the next commits) until they are staged again.
    tracked = _git(["ls-files", "--", "*.ipynb"], repo.top)
    if tracked.returncode == 0 and tracked.stdout.strip():
        count = len(tracked.stdout.splitlines())
        messages.append(
            f"the {count} notebook{'s' if count != 1 else ''} already in git {'are' if count != 1 else 'is'} "
            "stripped only when staged again: run `git add --renormalize .` and commit to strip them all now"
        )
    lines = _attribute_lines(repo.attributes)
    if ATTRIBUTES_LINE in (line.strip() for line in lines):
        messages.append(f"{repo.shown(repo.attributes)} already applies it ({ATTRIBUTES_LINE})")
    else:
        text = "".join(lines)
        if text and not text.endswith("\n"):
            text += "\n"
        from nblint.core.atomic import write_text_atomic

        write_text_atomic(repo.attributes, text + ATTRIBUTES_LINE + "\n")
        messages.append(
            f"added '{ATTRIBUTES_LINE}' to {repo.shown(repo.attributes)}: commit it so it applies in every clone"
        )
    return messages


def _attribute_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines(keepends=True)
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as exc:
        raise HookError(f"cannot read {path}: {exc}") from None


# ------------------------------------------------------------------------------------------ uninstall


def uninstall(repo: Repository) -> list[str]:
    messages = []
    hook = repo.hook
    if os.path.lexists(hook):
        if is_nblint_hook(hook):
            hook.unlink()
            messages.append(f"removed {repo.shown(hook)}")
        else:
            messages.append(f"{repo.shown(hook)} is not nblint's; left as it is")

    clean = _git(["config", "--local", "--get", f"filter.{FILTER_NAME}.clean"], repo.top)
    if clean.returncode == 0:
        if f" {FILTER_ARGUMENTS}" in clean.stdout:
            _git(["config", "--local", "--remove-section", f"filter.{FILTER_NAME}"], repo.top)
            messages.append(f"removed filter.{FILTER_NAME} from the repository's git config")
        else:
            messages.append(f"filter.{FILTER_NAME} in the git config does not run nblint strip; left as it is")

    lines = _attribute_lines(repo.attributes)
    kept = [line for line in lines if line.strip() != ATTRIBUTES_LINE]
    if len(kept) != len(lines):
        if "".join(kept).strip():
            from nblint.core.atomic import write_text_atomic

            write_text_atomic(repo.attributes, "".join(kept))
            messages.append(f"removed '{ATTRIBUTES_LINE}' from {repo.shown(repo.attributes)}")
        else:
            repo.attributes.unlink()
            messages.append(f"removed {repo.shown(repo.attributes)} (it held only '{ATTRIBUTES_LINE}')")
    return messages
