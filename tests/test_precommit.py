"""The hooks of .pre-commit-hooks.yaml through the real pre-commit: `pre-commit try-repo <this checkout>`
in a real git repository, as a user trying nblint before adding it to .pre-commit-config.yaml.

try-repo is given the checkout's HEAD commit (`--ref`): what CI's clean clone holds, and the same in a
shared work tree where other people's uncommitted files would otherwise be half copied into pre-commit's
shadow clone (tracked changes yes, new files no). So commit before running these. pre-commit builds a
virtualenv for the hooks with pip, once per commit: PRE_COMMIT_HOME is shared by the tests of a session.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import yaml
from conftest import REPO
from gitrepo import GitRepo

pytestmark = pytest.mark.slow

LOOP = "while True:\n    pass\n"


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory):
    return tmp_path_factory.mktemp("pre-commit-home")


@pytest.fixture(scope="session")
def head():
    done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip("the nblint sources are not a git checkout: pre-commit try-repo needs one")
    return done.stdout.strip()


def try_repo(repo: GitRepo, home, head: str, hook: str, *files: str) -> subprocess.CompletedProcess:
    repo.git("add", *files)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pre_commit",
            "try-repo",
            str(REPO),
            hook,
            "--ref",
            head,
            "--files",
            *files,
            "--color",
            "never",
        ],
        cwd=repo.root,
        env=dict(repo.env, PRE_COMMIT_HOME=str(home)),
        capture_output=True,
        text=True,
        timeout=900,
    )


def test_the_hook_definitions():
    hooks = {hook["id"]: hook for hook in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"nblint", "nblint-strip"}
    assert hooks["nblint"]["entry"] == "nblint check"
    assert hooks["nblint-strip"]["entry"] == "nblint strip"
    for hook in hooks.values():
        assert hook["language"] == "python"
        assert hook["types"] == ["jupyter"]


def test_nblint_fails_on_a_crash_prone_notebook_and_passes_a_clean_one(tmp_path, pre_commit_home, head):
    repo = GitRepo(tmp_path / "repo")
    repo.notebook("loop.ipynb", ["x = 1\n", LOOP])
    repo.notebook("clean.ipynb", ["x = 1\n"])
    failed = try_repo(repo, pre_commit_home, head, "nblint", "loop.ipynb", "clean.ipynb")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "loop.ipynb:cell 2:1:1: NB201" in failed.stdout
    assert "clean.ipynb:" not in failed.stdout
    passed = try_repo(repo, pre_commit_home, head, "nblint", "clean.ipynb")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout


def test_nblint_strip_strips_and_fails_then_passes(tmp_path, pre_commit_home, head):
    repo = GitRepo(tmp_path / "repo")
    path = repo.notebook(
        "nb.ipynb",
        [
            {
                "cell_type": "code",
                "source": "print(1)\n",
                "execution_count": 3,
                "outputs": [{"output_type": "stream", "name": "stdout", "text": ["1\n"]}],
            }
        ],
    )
    first = try_repo(repo, pre_commit_home, head, "nblint-strip", "nb.ipynb")
    assert first.returncode == 1, first.stdout + first.stderr
    assert "files were modified by this hook" in first.stdout
    cell = json.loads(path.read_text())["cells"][0]
    assert cell["outputs"] == [] and cell["execution_count"] is None
    second = try_repo(repo, pre_commit_home, head, "nblint-strip", "nb.ipynb")
    assert second.returncode == 0, second.stdout + second.stderr
