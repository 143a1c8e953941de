"""`nblint install-hooks [--strip-filter]` and `nblint uninstall-hooks` in real git repositories: real
commits go through the installed hook, real `git add` through the clean filter."""

from __future__ import annotations

import json
import os
import stat
import subprocess

import pytest
from conftest import REPO, run_nblint
from gitrepo import GitRepo

# Every commit here runs the real hook (nblint check + nblint strip --check): a few seconds each.
pytestmark = pytest.mark.slow

LOOP = "while True:\n    pass\n"  # NB201 unbounded-loop: the cell never finishes
CLEAN = "x = 1\n"


def with_outputs(source: str) -> dict:
    return {
        "cell_type": "code",
        "source": source,
        "execution_count": 4,
        "outputs": [{"output_type": "stream", "name": "stdout", "text": ["1\n"]}],
    }


@pytest.fixture
def repo(tmp_path):
    return GitRepo(tmp_path / "repo")


def nblint(repo: GitRepo, *args: str):
    return run_nblint(*args, cwd=repo.root, env=repo.env)


def commit(repo: GitRepo, *paths: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """`git add PATHS` and `git commit`, as a user types them (hooks run)."""
    repo.git("add", *paths)
    return subprocess.run(
        ["git", "commit", "-m", "change"], cwd=repo.root, env=env or repo.env, capture_output=True, text=True
    )


def assert_commit(repo: GitRepo, *paths: str, ok: bool) -> None:
    done = commit(repo, *paths)
    assert (done.returncode == 0) == ok, done.stdout + done.stderr


def committed_files(repo: GitRepo) -> list[str]:
    done = repo.git("ls-tree", "-r", "--name-only", "HEAD", check=False)
    return done.stdout.split() if done.returncode == 0 else []


def test_the_hook_refuses_a_crash_prone_notebook_and_lets_a_clean_one_in(repo):
    installed = nblint(repo, "install-hooks")
    assert installed.returncode == 0, installed.stderr
    assert "installed .git/hooks/pre-commit" in installed.stdout
    hook = repo.root / ".git" / "hooks" / "pre-commit"
    assert hook.stat().st_mode & stat.S_IXUSR

    repo.notebook("clean.ipynb", [CLEAN])
    assert_commit(repo, "clean.ipynb", ok=True)
    assert committed_files(repo) == ["clean.ipynb"]

    repo.notebook("sub/loop.ipynb", [CLEAN, LOOP])
    refused = commit(repo, "sub/loop.ipynb")
    assert refused.returncode != 0
    # git hands a hook's standard output to its standard error.
    assert "sub/loop.ipynb:cell 2:1:1: NB201" in refused.stderr
    assert "commit refused" in refused.stderr
    assert committed_files(repo) == ["clean.ipynb"]


def test_the_refusal_says_which_check_refused_with_true_counts(repo):
    """Issue 19: a refusal by `check` alone also printed "0 notebooks would be stripped, 1 already clean"."""
    assert nblint(repo, "install-hooks").returncode == 0
    repo.notebook("loop.ipynb", [LOOP])
    by_check = commit(repo, "loop.ipynb")
    assert by_check.returncode != 0
    assert "would be stripped" not in by_check.stderr and "already clean" not in by_check.stderr, by_check.stderr
    assert "commit refused: nblint check reported findings (above)." in by_check.stderr

    repo.notebook("loop.ipynb", [CLEAN])
    repo.notebook("out.ipynb", [with_outputs("print(1)\n")])
    by_strip = commit(repo, "loop.ipynb", "out.ipynb")
    assert by_strip.returncode != 0
    assert "1 notebook would be stripped, 1 already clean" in by_strip.stderr, by_strip.stderr
    assert "commit refused: nblint strip --dry-run reported notebooks to strip (above)." in by_strip.stderr

    repo.notebook("loop.ipynb", [with_outputs(LOOP)])
    both = commit(repo, "loop.ipynb", "out.ipynb")
    assert "2 notebooks would be stripped, 0 already clean" in both.stderr, both.stderr
    assert "commit refused: nblint check reported findings and nblint strip --dry-run notebooks to strip" in both.stderr


def test_the_hook_judges_the_index_not_the_work_tree(repo):
    assert nblint(repo, "install-hooks").returncode == 0
    # Staged bad, fixed in the work tree only: what would be committed is still bad.
    repo.notebook("nb.ipynb", [LOOP])
    repo.git("add", "nb.ipynb")
    repo.notebook("nb.ipynb", [CLEAN])
    assert_commit(repo, ok=False)
    # Staged clean, broken in the work tree only: the commit is clean.
    repo.notebook("nb.ipynb", [CLEAN])
    repo.git("add", "nb.ipynb")
    repo.notebook("nb.ipynb", [LOOP])
    assert_commit(repo, ok=True)
    assert "while True" not in repo.git("show", "HEAD:nb.ipynb").stdout


def test_the_hook_refuses_outputs_and_honours_the_staged_configuration(repo):
    assert nblint(repo, "install-hooks").returncode == 0
    repo.notebook("nb.ipynb", [with_outputs("print(1)\n")])
    refused = commit(repo, "nb.ipynb")
    assert refused.returncode != 0
    assert "1 notebook would be stripped" in refused.stderr
    assert run_nblint("strip", "nb.ipynb", cwd=repo.root, env=repo.env).returncode == 1
    assert_commit(repo, "nb.ipynb", ok=True)

    # A pyproject.toml staged with the notebook applies, from its own folder.
    repo.write("proj/pyproject.toml", '[tool.nblint]\nignore = ["NB201"]\n')
    repo.notebook("proj/loop.ipynb", [LOOP])
    repo.notebook("other/loop.ipynb", [LOOP])
    assert_commit(repo, "proj", ok=True)
    assert_commit(repo, "other", ok=False)


def test_the_hook_finds_nblint_without_path(repo):
    assert nblint(repo, "install-hooks").returncode == 0
    text = (repo.root / ".git" / "hooks" / "pre-commit").read_text()
    recorded = next(line for line in text.splitlines() if line.startswith("NBLINT_INSTALLED="))
    assert recorded.removeprefix("NBLINT_INSTALLED=").strip("'").startswith("/")
    git_folder = os.path.dirname(subprocess.run(["sh", "-c", "command -v git"], capture_output=True, text=True).stdout)
    bare_env = dict(repo.env, PATH=f"{git_folder}:/usr/bin:/bin")
    repo.notebook("nb.ipynb", [LOOP])
    refused = commit(repo, "nb.ipynb", env=bare_env)
    assert "NB201" in refused.stderr, refused.stderr
    assert refused.returncode != 0


def test_an_existing_hook_is_never_overwritten(repo):
    hook = repo.root / ".git" / "hooks" / "pre-commit"
    hook.parent.mkdir(parents=True, exist_ok=True)
    hook.write_text("#!/bin/sh\necho mine\n")
    result = nblint(repo, "install-hooks")
    assert result.returncode == 1
    assert "already exists and is not nblint's; left as it is" in result.stderr
    assert hook.read_text() == "#!/bin/sh\necho mine\n"
    # uninstall-hooks leaves it alone as well.
    removed = nblint(repo, "uninstall-hooks")
    assert removed.returncode == 0 and "is not nblint's; left as it is" in removed.stdout
    assert hook.read_text() == "#!/bin/sh\necho mine\n"


def test_installing_twice_is_fine_and_core_hookspath_is_honoured(repo):
    repo.git("config", "core.hooksPath", "githooks")
    first = nblint(repo, "install-hooks")
    assert first.returncode == 0 and "githooks/pre-commit" in first.stdout
    again = nblint(repo, "install-hooks")
    assert again.returncode == 0 and "already nblint's hook" in again.stdout
    repo.notebook("nb.ipynb", [LOOP])
    assert_commit(repo, "nb.ipynb", ok=False)


def test_the_strip_filter_strips_on_git_add_and_uninstall_undoes_everything(repo):
    repo.write(".gitattributes", "*.png binary\n")
    result = nblint(repo, "install-hooks", "--strip-filter")
    assert result.returncode == 0, result.stderr
    assert repo.git("config", "--get", "filter.nblint.clean").stdout.strip().endswith(" strip --stdin %f")
    assert (repo.root / ".gitattributes").read_text() == "*.png binary\n*.ipynb filter=nblint\n"

    repo.notebook("nb.ipynb", [with_outputs("print(1)\n")])
    repo.git("add", "nb.ipynb", ".gitattributes")
    staged = json.loads(repo.git("show", ":nb.ipynb").stdout)
    assert staged["cells"][0]["outputs"] == [] and staged["cells"][0]["execution_count"] is None
    on_disk = json.loads((repo.root / "nb.ipynb").read_text())
    assert on_disk["cells"][0]["outputs"] != []  # the work tree keeps its outputs
    assert_commit(repo, ok=True)  # stripped in the index, so the hook's strip --check passes

    removed = nblint(repo, "uninstall-hooks")
    assert removed.returncode == 0
    assert "removed .git/hooks/pre-commit" in removed.stdout
    assert not (repo.root / ".git" / "hooks" / "pre-commit").exists()
    assert repo.git("config", "--get-regexp", "^filter\\.", check=False).stdout == ""
    assert (repo.root / ".gitattributes").read_text() == "*.png binary\n"
    assert nblint(repo, "uninstall-hooks").stdout.strip() == "nothing of nblint's to remove"


def test_a_gitattributes_holding_only_the_filter_line_is_removed(repo):
    assert nblint(repo, "install-hooks", "--strip-filter").returncode == 0
    assert (repo.root / ".gitattributes").read_text() == "*.ipynb filter=nblint\n"
    assert nblint(repo, "uninstall-hooks").returncode == 0
    assert not (repo.root / ".gitattributes").exists()


def test_outside_a_git_work_tree(tmp_path, repo):
    plain = tmp_path / "plain"
    plain.mkdir()
    env = dict(repo.env, GIT_CEILING_DIRECTORIES=str(tmp_path))
    for command in ("install-hooks", "uninstall-hooks"):
        result = run_nblint(command, cwd=plain, env=env)
        assert result.returncode == 2
        assert result.stderr.startswith("nblint: error: not inside a git work tree")
        assert "Traceback" not in result.stderr


def test_the_shipped_hook_is_the_one_in_hooks_folder():
    # hooks/pre-commit (for people who copy hooks by hand) is the packaged file itself.
    assert (REPO / "hooks" / "pre-commit").resolve() == (REPO / "nblint" / "hooks" / "pre-commit").resolve()
    assert os.access(REPO / "nblint" / "hooks" / "pre-commit", os.X_OK)


# -- what the hook judges: the changed cells (the default) or whole notebooks ---------------------------


def test_the_hook_judges_only_the_cells_a_commit_changes(repo):
    # An old notebook with a finding and saved outputs, committed before the hook existed.
    repo.notebook("old.ipynb", [LOOP, with_outputs("print(1)\n")])
    repo.commit("before the hook")
    installed = nblint(repo, "install-hooks")
    assert installed.returncode == 0 and "only the cells each commit changes" in installed.stdout, installed.stdout

    # A commit that only strips the outputs is not refused for the old loop in a cell it did not touch.
    assert run_nblint("strip", "old.ipynb", cwd=repo.root, env=repo.env).returncode == 1
    done = commit(repo, "old.ipynb")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 finding in cells unchanged since HEAD not shown" in done.stderr

    # Nor one that edits another cell; a new loop in the cell it changes is refused.
    repo.notebook("old.ipynb", [LOOP, "print(2)\n"])
    assert_commit(repo, "old.ipynb", ok=True)
    repo.notebook("old.ipynb", [LOOP, "while True:\n    print(2)\n"])
    refused = commit(repo, "old.ipynb")
    assert refused.returncode != 0 and "old.ipynb:cell 2:1:1: NB201" in refused.stderr, refused.stderr
    assert "old.ipynb:cell 1:" not in refused.stderr

    # A notebook new in the commit is judged whole, even a copy of an old one; a renamed one is judged
    # against its old self.
    repo.notebook("old.ipynb", [LOOP, "print(2)\n"])
    repo.notebook("copy.ipynb", [LOOP, "print(2)\n"])
    refused = commit(repo, "copy.ipynb")
    assert refused.returncode != 0 and "copy.ipynb:cell 1:1:1: NB201" in refused.stderr, refused.stderr
    repo.git("rm", "-q", "--cached", "copy.ipynb")
    repo.git("mv", "old.ipynb", "moved.ipynb")
    repo.notebook("moved.ipynb", [LOOP, "print(3)\n"])
    assert_commit(repo, "moved.ipynb", ok=True)


def test_commit_all_judges_the_changed_cells_of_the_index_git_builds(repo):
    # `git commit -a` hands the hook an index of its own (GIT_INDEX_FILE): the hook reads that one.
    repo.notebook("nb.ipynb", [LOOP, CLEAN])
    repo.commit("before the hook")
    assert nblint(repo, "install-hooks").returncode == 0
    repo.notebook("nb.ipynb", [LOOP, "x = 2\n"])
    done = subprocess.run(
        ["git", "commit", "-a", "-m", "edit"], cwd=repo.root, env=repo.env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    repo.notebook("nb.ipynb", [LOOP, "while True:\n    x = 3\n"])
    done = subprocess.run(
        ["git", "commit", "-a", "-m", "edit"], cwd=repo.root, env=repo.env, capture_output=True, text=True
    )
    assert done.returncode != 0 and "nb.ipynb:cell 2:1:1: NB201" in done.stderr, done.stderr
    # The hook left git's own index as it was: the refused change is still unstaged, nothing else moved.
    assert repo.git("status", "--porcelain").stdout == " M nb.ipynb\n"


def test_whole_notebooks_judges_every_cell(repo):
    repo.notebook("old.ipynb", [LOOP, CLEAN])
    repo.commit("before the hook")
    installed = nblint(repo, "install-hooks", "--whole-notebooks")
    assert installed.returncode == 0 and "every cell of the staged notebooks" in installed.stdout
    assert "NBLINT_JUDGE=whole\n" in (repo.root / ".git" / "hooks" / "pre-commit").read_text()
    repo.notebook("old.ipynb", [LOOP, "x = 2\n"])
    refused = commit(repo, "old.ipynb")
    assert refused.returncode != 0 and "old.ipynb:cell 1:1:1: NB201" in refused.stderr, refused.stderr
    # Installing again without the flag switches the hook to the changed cells.
    again = nblint(repo, "install-hooks")
    assert again.returncode == 0 and again.stdout.startswith("updated .git/hooks/pre-commit"), again.stdout
    assert_commit(repo, "old.ipynb", ok=True)


def test_the_refusal_names_what_a_strip_would_change(repo):
    # keep-output: outputs may stay, but the cell metadata nbstripout drops may not; the refusal says which.
    repo.write("pyproject.toml", "[tool.nblint.strip]\nkeep-output = true\nkeep-count = true\n")
    assert nblint(repo, "install-hooks").returncode == 0
    cell = with_outputs("print(1)\n")
    cell["metadata"] = {"collapsed": True}
    repo.notebook("nb.ipynb", [cell])
    refused = commit(repo, "pyproject.toml", "nb.ipynb")
    assert refused.returncode != 0
    assert "nb.ipynb: would drop cell.metadata.collapsed (1 cell)" in refused.stderr, refused.stderr


def test_the_strip_filter_says_how_to_strip_notebooks_already_in_git(repo):
    repo.notebook("tracked.ipynb", [with_outputs("print(1)\n")])
    repo.commit("outputs and all")
    installed = nblint(repo, "install-hooks", "--strip-filter")
    assert installed.returncode == 0, installed.stderr
    assert (
        "the 1 notebook already in git is stripped only when staged again: run `git add --renormalize .`"
        in installed.stdout
    )
    # What it says is so: the filter alone leaves the committed notebook as it was; renormalizing strips it.
    assert json.loads(repo.git("show", ":tracked.ipynb").stdout)["cells"][0]["outputs"] != []
    repo.git("add", "--renormalize", ".")
    assert json.loads(repo.git("show", ":tracked.ipynb").stdout)["cells"][0]["outputs"] == []
    # In a repository with no notebooks yet there is nothing to say about them.
    other = GitRepo(repo.root.parent / "empty")
    fresh = run_nblint("install-hooks", "--strip-filter", cwd=other.root, env=other.env)
    assert fresh.returncode == 0 and "renormalize" not in fresh.stdout
