"""Real git repositories in tmp_path for the tests of --diff-base, the hooks, pre-commit and the Action.

Each repository gets its own identity and ignores the machine's global and system git configuration,
so a developer's hooks, signing or templates never leak into a test.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any, Mapping, Sequence

from conftest import write_notebook


def git_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    for key in list(env):
        if key.startswith("GIT_"):
            del env[key]
    empty = home / ".gitconfig-empty"
    home.mkdir(parents=True, exist_ok=True)
    empty.touch()
    env.update(
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=str(empty),
        GIT_AUTHOR_NAME="Test",
        GIT_AUTHOR_EMAIL="test@example.com",
        GIT_COMMITTER_NAME="Test",
        GIT_COMMITTER_EMAIL="test@example.com",
    )
    env.pop("NBLINT_CACHE_DIR", None)
    return env


class GitRepo:
    def __init__(self, root: Path):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.env = git_env(root.parent / f".{root.name}-home")
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str, check: bool = True, input: str | None = None) -> subprocess.CompletedProcess:
        result = subprocess.run(
            ["git", *args], cwd=self.root, env=self.env, capture_output=True, text=True, input=input
        )
        if check and result.returncode != 0:
            raise AssertionError(f"git {' '.join(args)} failed ({result.returncode}):\n{result.stdout}{result.stderr}")
        return result

    def notebook(self, relative: str, cells: Sequence[str | Mapping[str, Any]] = (), **kwargs) -> Path:
        return write_notebook(self.root / relative, cells, **kwargs)

    def write(self, relative: str, text: str) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    def commit(self, message: str = "commit", *paths: str) -> str:
        self.git("add", "--all", *paths)
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.head()

    def head(self) -> str:
        return self.git("rev-parse", "HEAD").stdout.strip()
