"""`nblint check --diff-base REF` in real git repositories, with the real nbdime.

The findings used here are syntax errors (NB001): every cell that does not parse is one finding in that
cell, so which cells are reported shows exactly which cells --diff-base judged changed.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import json_findings, run_nblint
from gitrepo import GitRepo

pytestmark = pytest.mark.slow  # real git repositories and nbdime for every test

BAD_A = "def a(:\n    pass\n"
BAD_B = "print 'b'\n"
BAD_C = "c = (\n"
BAD_D = "for d in:\n    pass\n"


@pytest.fixture
def repo(tmp_path):
    return GitRepo(tmp_path / "repo")


def check(repo: GitRepo, *args: str):
    return run_nblint("check", "--format", "json", *args, cwd=repo.root, env=repo.env)


def cells_reported(result) -> list[tuple[str, int | None]]:
    return sorted((f["path"], f["cell"]) for f in json_findings(result))


@pytest.mark.slow  # git commits and several runs
def test_only_changed_and_added_cells_are_reported(repo):
    repo.notebook("nb.ipynb", ["import os\n", BAD_A, "x = 1\n", BAD_B, "y = 2\n"])
    base = repo.commit("base")
    # A markdown cell inserted at the top shifts every index; cell 2 (x = 1) is edited into a bad one;
    # a bad cell is added between the two old bad cells; the old bad cells are untouched.
    repo.notebook(
        "nb.ipynb",
        [
            {"cell_type": "markdown", "source": "# Title\n"},
            "import os\n",
            BAD_A,
            "x = 1\n" + BAD_C,
            BAD_D,
            BAD_B,
            "y = 2\n",
        ],
    )
    everything = check(repo)
    assert [f["cell"] for f in json_findings(everything)] == [2, 3, 4, 5]

    result = check(repo, "--diff-base", base)
    assert result.returncode == 1
    assert cells_reported(result) == [("nb.ipynb", 3), ("nb.ipynb", 4)]
    assert "2 findings in cells unchanged since" in result.stderr


def test_unchanged_notebook_reports_nothing_and_exits_0(repo):
    repo.notebook("nb.ipynb", [BAD_A])
    repo.commit("base")
    result = check(repo, "--diff-base", "HEAD")
    assert result.returncode == 0, result.stderr
    assert json_findings(result) == []
    assert "1 finding in cells unchanged since HEAD" in result.stderr


def test_removed_cells_shift_the_rest(repo):
    repo.notebook("nb.ipynb", ["a = 1\n", "b = 2\n", BAD_A, "c = 3\n", BAD_B])
    base = repo.commit("base")
    repo.notebook("nb.ipynb", [BAD_A, "c = 3\n", BAD_B + "z = (\n"])  # two cells removed, the last edited
    assert cells_reported(check(repo, "--diff-base", base)) == [("nb.ipynb", 2)]


def test_text_format_and_a_branch_name_as_ref(repo):
    repo.notebook("nb.ipynb", ["x = 1\n", BAD_A])
    repo.commit("base")
    repo.git("branch", "base-branch")
    repo.notebook("nb.ipynb", ["x = 1\n", BAD_A, BAD_B])
    repo.commit("head")
    result = run_nblint("check", "--diff-base", "base-branch", cwd=repo.root, env=repo.env)
    assert result.returncode == 1
    assert "nb.ipynb:cell 3:1:1: NB001" in result.stdout
    assert "cell 2:" not in result.stdout


def test_a_renamed_notebook_is_compared_with_its_old_name(repo):
    repo.notebook("old/name.ipynb", ["x = 1\n", BAD_A, "y = 2\n", "z = 3\n", "w = 4\n"])
    base = repo.commit("base")
    repo.git("mv", "old/name.ipynb", "new.ipynb")
    repo.notebook("new.ipynb", ["x = 1\n", BAD_A, "y = 2\n", "z = 3\n", "w = 4\n", BAD_B])
    repo.commit("rename and add a cell")
    assert cells_reported(check(repo, "--diff-base", base)) == [("new.ipynb", 5)]


def test_a_renamed_notebook_not_yet_committed(repo):
    # `git diff -M REF` sees staged renames too: the work tree is what is checked.
    repo.notebook("a.ipynb", ["x = 1\n", BAD_A, "y = 2\n", "z = 3\n"])
    base = repo.commit("base")
    repo.git("mv", "a.ipynb", "b.ipynb")
    assert cells_reported(check(repo, "--diff-base", base)) == []


def test_a_notebook_new_since_ref_is_judged_whole(repo):
    repo.notebook("old.ipynb", ["x = 1\n"])
    base = repo.commit("base")
    repo.notebook("fresh.ipynb", [BAD_A, "x = 1\n", BAD_B])
    repo.commit("add")
    assert cells_reported(check(repo, "--diff-base", base)) == [("fresh.ipynb", 0), ("fresh.ipynb", 2)]
    # Untracked is new as well.
    repo.notebook("untracked.ipynb", [BAD_C])
    assert ("untracked.ipynb", 0) in cells_reported(check(repo, "--diff-base", base))


def test_a_notebook_deleted_since_ref_does_not_disturb_the_run(repo):
    repo.notebook("gone.ipynb", [BAD_A])
    repo.notebook("kept.ipynb", [BAD_A, "x = 1\n"])
    base = repo.commit("base")
    repo.git("rm", "-q", "gone.ipynb")
    repo.notebook("kept.ipynb", [BAD_A, "x = (\n"])
    repo.commit("delete one, change the other")
    result = check(repo, "--diff-base", base, ".")
    assert result.returncode == 1, result.stderr
    assert cells_reported(result) == [("kept.ipynb", 1)]


def test_a_file_that_was_not_a_notebook_at_ref_is_judged_whole_with_one_info_line(repo):
    repo.write("nb.ipynb", "this was a text file\n")
    base = repo.commit("base")
    repo.notebook("nb.ipynb", [BAD_A, "x = 1\n", BAD_B])
    result = check(repo, "--diff-base", base)
    assert cells_reported(result) == [("nb.ipynb", 0), ("nb.ipynb", 2)]
    info = [line for line in result.stderr.splitlines() if "was not a notebook at" in line]
    assert len(info) == 1 and "nb.ipynb" in info[0] and "checking all of it" in info[0]


def test_missing_ref_is_a_clear_error(repo):
    repo.notebook("nb.ipynb", [BAD_A])
    repo.commit("base")
    result = check(repo, "--diff-base", "no-such-branch")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip() == (
        f"nblint: error: --diff-base no-such-branch: no such commit in the git repository at {repo.root.resolve()}"
    )


def test_a_ref_that_looks_like_an_option_is_not_one(repo):
    repo.notebook("nb.ipynb", [BAD_A])
    repo.commit("base")
    result = check(repo, "--diff-base=--output=/tmp/nblint-owned")
    assert result.returncode == 2
    assert "no such commit" in result.stderr


def test_a_notebook_outside_any_git_repository_is_a_clear_error(tmp_path, repo):
    outside = tmp_path / "plain"
    outside.mkdir()
    from conftest import write_notebook

    write_notebook(outside / "nb.ipynb", [BAD_A])
    result = run_nblint(
        "check",
        "--diff-base",
        "HEAD",
        "nb.ipynb",
        cwd=outside,
        env={**repo.env, "GIT_CEILING_DIRECTORIES": str(tmp_path)},
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "nblint: error: --diff-base HEAD: nb.ipynb is not in a git repository, so there is nothing to compare it with"
    )
    assert "Traceback" not in result.stderr


def test_notebook_level_findings_are_reported_only_when_new(repo):
    # A markdown cell carrying `outputs` breaks the nbformat schema (NB004, notebook-level): present at
    # REF, it is old news; a merge conflict (NB003) that appears after REF is new.
    kaggle = {"cell_type": "markdown", "source": "# Kaggle\n", "outputs": []}
    repo.notebook("schema.ipynb", [kaggle, "x = 1\n"])
    repo.notebook("conflict.ipynb", ["x = 1\n"])
    base = repo.commit("base")
    assert [f["code"] for f in json_findings(check(repo, "schema.ipynb"))] == ["NB004"]

    repo.notebook("schema.ipynb", [kaggle, "x = 1\n", BAD_A])
    text = (repo.root / "conflict.ipynb").read_text()
    (repo.root / "conflict.ipynb").write_text("<<<<<<< HEAD\n" + text + "=======\n" + text + ">>>>>>> other\n")
    result = check(repo, "--diff-base", base)
    assert sorted((f["path"], f["code"], f["cell"]) for f in json_findings(result)) == [
        ("conflict.ipynb", "NB003", None),
        ("schema.ipynb", "NB001", 2),
    ]


def test_outputs_alone_changing_does_not_make_old_code_new(repo):
    def code(source, text):
        return {
            "cell_type": "code",
            "source": source,
            "execution_count": 1,
            "outputs": [{"output_type": "stream", "name": "stdout", "text": [text]}],
        }

    repo.notebook("nb.ipynb", [code("x = 1\n", "run 1\n"), code(BAD_A, "run 1\n")])
    base = repo.commit("base")
    repo.notebook("nb.ipynb", [code("x = 1\n", "run 2\n"), code(BAD_A, "run 2\n")])  # re-run: new outputs
    result = check(repo, "--diff-base", base)
    assert json_findings(result) == [] and result.returncode == 0


def test_tags_changing_makes_the_cell_changed(repo):
    # Removing a suppression tag brings the finding back: that is news.
    repo.notebook("nb.ipynb", [{"cell_type": "code", "source": BAD_A, "metadata": {"tags": ["nblint-ignore"]}}])
    base = repo.commit("base")
    assert json_findings(check(repo)) == []
    repo.notebook("nb.ipynb", [{"cell_type": "code", "source": BAD_A, "metadata": {"tags": []}}])
    assert cells_reported(check(repo, "--diff-base", base)) == [("nb.ipynb", 0)]


def test_a_notebook_in_a_subfolder_run_from_the_subfolder(repo):
    repo.notebook("sub/dir/nb.ipynb", ["x = 1\n"])
    base = repo.commit("base")
    repo.notebook("sub/dir/nb.ipynb", ["x = 1\n", BAD_A])
    result = run_nblint(
        "check", "--format", "json", "--diff-base", base, "nb.ipynb", cwd=repo.root / "sub" / "dir", env=repo.env
    )
    assert cells_reported(result) == [("nb.ipynb", 1)]


def test_without_nbdime_the_error_says_how_to_add_it(repo):
    repo.notebook("nb.ipynb", [BAD_A])
    repo.commit("base")
    # Blocking the import is how Python itself spells "not installed" (sys.modules[name] = None).
    program = "import sys; sys.modules['nbdime'] = None; from nblint.cli import main; sys.exit(main(sys.argv[1:]))"
    result = subprocess.run(
        [sys.executable, "-c", program, "check", "--diff-base", "HEAD", "nb.ipynb"],
        cwd=repo.root,
        env=repo.env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "--diff-base needs nbdime" in lines[0] and '".[diff]"' in lines[0]


def test_plain_check_never_imports_nbdime(repo):
    repo.notebook("nb.ipynb", [BAD_A])
    program = (
        "import sys; from nblint.cli import main; code = main(['check', 'nb.ipynb']); print('nbdime' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", program], cwd=repo.root, env=repo.env, capture_output=True, text=True
    )
    assert result.stdout.strip().splitlines()[-1] == "False", result.stdout + result.stderr


def test_cross_cell_facts_come_from_the_whole_notebook(repo):
    # The constant and the import live in an old, unchanged cell; the sleep is added: NB405 knows the
    # value through the notebook-level table, and only the new cell is reported.
    repo.notebook("nb.ipynb", ["import time\nWAIT = 10 * 3600\n", "time.sleep(WAIT)\n"])
    base = repo.commit("base")
    repo.notebook(
        "nb.ipynb", ["import time\nWAIT = 10 * 3600\n", "time.sleep(WAIT)\n", "x = 1\n", "time.sleep(WAIT * 2)\n"]
    )
    result = check(repo, "--diff-base", base)
    findings = json_findings(result)
    assert [(f["code"], f["cell"]) for f in findings] == [("NB405", 3)]
    assert "20 h" in findings[0]["message"]


def test_a_rerun_that_saved_a_traceback_reports_the_output_rule_not_the_old_code(repo):
    # Same source, new outputs: NB703 (a traceback saved in the outputs) is news; NB405 on the same
    # unchanged code is not.
    def cell(outputs):
        return {
            "cell_type": "code",
            "source": "import time\ntime.sleep(36000)\n",
            "execution_count": 1,
            "outputs": outputs,
        }

    repo.notebook("nb.ipynb", [cell([{"output_type": "stream", "name": "stdout", "text": ["waited\n"]}])])
    base = repo.commit("base")
    error = {"output_type": "error", "ename": "KeyboardInterrupt", "evalue": "", "traceback": ["KeyboardInterrupt"]}
    repo.notebook("nb.ipynb", [cell([error])])
    assert sorted(f["code"] for f in json_findings(check(repo))) == ["NB405", "NB703"]
    assert [f["code"] for f in json_findings(check(repo, "--diff-base", base))] == ["NB703"]


@pytest.mark.slow  # nbdime's diff of many notebook pairs
@pytest.mark.parametrize("additions_first", [True, False])
def test_cell_ops_are_walked_with_a_running_offset(additions_first):
    # Old cells 0..4. Cell 1 replaced by two new cells, cell 3 patched in its source, cell 4 in its
    # outputs alone: new list 0, a, b, 2, 3', 4'.
    from nbdime.diff_format import op_addrange, op_patch, op_removerange

    from nblint.integrations.diffbase import CellChanges, walk_cell_ops

    replace = [op_addrange(1, [{"source": "a"}, {"source": "b"}]), op_removerange(1, 1)]
    ops = (replace if additions_first else replace[::-1]) + [
        op_patch(3, [op_patch("source", [op_addrange(0, ["x"])])]),
        op_patch(4, [op_patch("metadata", [op_patch("nblint-outputs", [op_addrange(0, "0")])])]),
    ]
    changes = CellChanges()
    walk_cell_ops(ops, changes)
    assert sorted(changes.changed) == [1, 2, 4]
    assert changes.outputs_only == {5: 4}
