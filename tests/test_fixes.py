"""Fixes: the model (nblint.core.fixes), `check --fix / --diff / --unsafe-fixes`, on generated notebooks and on
real ones copied from the shared corpus."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from conftest import CORPUS, json_findings, run_nblint, write_notebook

from nblint.core.fixes import FixError, JsonEdit, SourceEdit, apply_fixes, replace_line, safe, unsafe
from nblint.testing import make_notebook, notebook_text

KERNEL_OF_ONE_MACHINE = {"display_name": "Python [conda env:churn]", "language": "python", "name": "conda-env-churn-py"}
FIXABLE = "NB502,NB601,NB602,NB605,NB606,NB701,NB702,NB703"
# The rules with fixes, opt-in ones (NB501, NB502, NB601, NB602) included, and the options that switch NB701/NB702 on.
CONFIG = (
    '[tool.nblint]\nextend-select = ["NB501", "NB502", "NB601", "NB602"]\n'
    'require-clean-outputs = true\nmax-output-size = "100 KiB"\n'
)


# -- comparing notebooks ------------------------------------------------------------------------------------


def changed_paths(before, after, path=()) -> set[tuple]:
    """JSON paths whose values differ; a list that changed length counts as changed itself."""
    if type(before) is not type(after):
        return {path}
    if isinstance(before, dict):
        found = set()
        for key in before.keys() | after.keys():
            if key not in before or key not in after:
                found.add(path + (key,))
            else:
                found |= changed_paths(before[key], after[key], path + (key,))
        return found
    if isinstance(before, list):
        if len(before) != len(after):
            return {path}
        return set().union(*(changed_paths(a, b, path + (i,)) for i, (a, b) in enumerate(zip(before, after))))
    return set() if before == after else {path}


def named_paths(findings: list[dict]) -> set[tuple]:
    """The JSON paths the findings' fixes name (a source edit names its cell's source)."""
    paths = set()
    for finding in findings:
        for edit in (finding["autofix"] or {}).get("edits", []):
            paths.add(tuple(edit["path"]) if edit["kind"] == "json" else ("cells", edit["cell"], "source"))
    return paths


def only_named_changed(before: dict, after: dict, named: set[tuple]) -> None:
    for path in changed_paths(before, after):
        # a changed path lies under a named one, or is the list a named item was removed from
        assert any(path[: len(n)] == n or n[: len(path)] == path for n in named), (path, named)


def assert_valid(path: Path) -> None:
    notebook = nbformat.reads(path.read_text(encoding="utf-8"), as_version=nbformat.NO_CONVERT)
    nbformat.validate(notebook)


def fix(folder: Path, *args: str):
    return run_nblint("check", "--no-cache", "--fix", *args, cwd=folder)


def check_json(folder: Path, *args: str) -> list[dict]:
    return json_findings(run_nblint("check", "--no-cache", "--format", "json", *args, cwd=folder))


# -- every safe fix on a generated notebook (the quick run covers them without the corpus) -----------------


def _cell(source: str, **fields) -> dict:
    return {"cell_type": "code", "source": source, **fields}


CASES = {
    "NB502": (
        [
            "import os\n",
            "for x in range(2):\n    !pip -q install tqdm==4.66.5 > /dev/null\n",
            "! python -m pip install rich==13.9.4\n",
        ],
        None,
    ),
    "NB601": (["x = 1\n"], {"language_info": {"name": "python", "version": "3.11.7"}}),
    "NB602": (
        ["x = 1\n"],
        {"kernelspec": {"language": "python", "name": "python3"}, "language_info": {"name": "python"}},
    ),
    "NB605": (["x = 1\n"], {"kernelspec": KERNEL_OF_ONE_MACHINE, "language_info": {"name": "python"}}),
    "NB606": (
        [
            _cell("x = 1\n", id="same"),
            {"cell_type": "markdown", "source": "# notes", "id": "same"},
            _cell("y = 2\n", id="same"),
        ],
        None,
    ),
    "NB701": (
        [
            _cell(
                "print(1)\n", execution_count=4, outputs=[{"output_type": "stream", "name": "stdout", "text": ["1\n"]}]
            ),
            _cell("y = 2\n", execution_count=5),
        ],
        None,
    ),
    "NB702": (
        [
            _cell(
                "show()\n",
                execution_count=1,
                outputs=[
                    {"output_type": "stream", "name": "stdout", "text": ["small\n"]},
                    {"output_type": "display_data", "metadata": {}, "data": {"text/plain": ["x" * 200_000]}},
                    {"output_type": "display_data", "metadata": {}, "data": {"text/plain": ["y" * 150_000]}},
                ],
            )
        ],
        None,
    ),
    "NB703": (
        [
            _cell(
                "1 / 0\n",
                execution_count=1,
                outputs=[
                    {"output_type": "stream", "name": "stdout", "text": ["before\n"]},
                    {
                        "output_type": "error",
                        "ename": "ZeroDivisionError",
                        "evalue": "division by zero",
                        "traceback": ["Traceback", "ZeroDivisionError: division by zero"],
                    },
                ],
            )
        ],
        None,
    ),
}


def _fix_and_verify(folder: Path, codes: str, *flags: str, exact: bool = True) -> dict[Path, list[dict]]:
    """Check, fix, check and fix again every notebook under `folder`; assert what the bar asks of each fixed one:
    a valid notebook, only what the fixes named changed, nothing left to fix, a second --fix changes nothing.
    Returns the findings of the first check by notebook."""
    paths = sorted(folder.rglob("*.ipynb"))
    before = {path: path.read_text(encoding="utf-8") for path in paths}
    findings: dict[Path, list[dict]] = {}
    for finding in check_json(folder, "--select", codes):
        findings.setdefault(folder / finding["path"], []).append(finding)
    result = fix(folder, "--select", codes, *flags)
    assert "Traceback" not in result.stderr and "warning" not in result.stderr, result.stderr
    fixable = sum(1 for items in findings.values() for f in items if f["autofix"])
    fixed = int(re.search(r"Fixed (\d+) finding", result.stdout).group(1))
    # Fewer when two fixes overlap and the first makes the second moot (NB701 empties the outputs NB703 names).
    assert fixed == fixable if exact else 0 < fixed <= fixable, result.stdout
    for path in paths:
        after = path.read_text(encoding="utf-8")
        if not any(f["autofix"] for f in findings.get(path, [])):
            assert after == before[path], path
            continue
        assert after != before[path], path
        assert_valid(path)
        only_named_changed(json.loads(before[path]), json.loads(after), named_paths(findings[path]))
    assert not [f for f in check_json(folder, "--select", codes) if f["autofix"]]
    snapshot = {path: path.read_bytes() for path in paths}
    again = fix(folder, "--select", codes, *flags)
    assert "Fixed" not in again.stdout and {path: path.read_bytes() for path in paths} == snapshot
    return findings


def test_every_safe_fix_on_generated_notebooks(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.nblint]\nmax-output-size = "100 KiB"\n', encoding="utf-8")
    (tmp_path / "clean").mkdir()
    (tmp_path / "clean" / "pyproject.toml").write_text(CONFIG, encoding="utf-8")  # NB701 on here only
    for code, (cells, metadata) in CASES.items():
        folder = tmp_path / "clean" if code == "NB701" else tmp_path
        write_notebook(folder / f"{code}.ipynb", cells, metadata=metadata)
    findings = _fix_and_verify(tmp_path, FIXABLE)
    for code in CASES:  # each notebook had its rule's findings, each with a safe fix
        mine = findings[tmp_path / ("clean" if code == "NB701" else "") / f"{code}.ipynb"]
        assert {f["code"] for f in mine} == {code} and all(f["autofix"]["applicability"] == "safe" for f in mine)

    pip = json.loads((tmp_path / "NB502.ipynb").read_text())
    assert pip["cells"][1]["source"] == ["for x in range(2):\n", "    %pip -q install tqdm==4.66.5 > /dev/null\n"]
    assert pip["cells"][2]["source"] == ["%pip install rich==13.9.4\n"]
    ids = [cell["id"] for cell in json.loads((tmp_path / "NB606.ipynb").read_text())["cells"]]
    assert ids[0] == "same" and len(set(ids)) == 3 and all(len(i) == 8 for i in ids[1:])
    for code in ("NB601", "NB605"):
        spec = json.loads((tmp_path / f"{code}.ipynb").read_text())["metadata"]["kernelspec"]
        assert spec == {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    assert json.loads((tmp_path / "NB602.ipynb").read_text())["metadata"]["kernelspec"] == {
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "name": "python3",
    }
    outputs = json.loads((tmp_path / "NB703.ipynb").read_text())["cells"][0]["outputs"]
    assert [o["output_type"] for o in outputs] == ["stream"]
    outputs = json.loads((tmp_path / "NB702.ipynb").read_text())["cells"][0]["outputs"]
    assert [o.get("text") for o in outputs] == [["small\n"]]
    cells = json.loads((tmp_path / "clean" / "NB701.ipynb").read_text())["cells"]
    assert [(c["outputs"], c["execution_count"]) for c in cells] == [([], None), ([], None)]


@pytest.mark.slow  # nbstripout's import is most of it
def test_nb701_fix_leaves_what_nblint_strip_leaves(tmp_path):
    cells, _ = CASES["NB701"]
    (tmp_path / "pyproject.toml").write_text(CONFIG, encoding="utf-8")
    fixed = write_notebook(tmp_path / "fixed.ipynb", cells)
    stripped = write_notebook(tmp_path / "stripped.ipynb", cells)
    fix(tmp_path, "--select", "NB701", "fixed.ipynb")
    assert run_nblint("strip", "stripped.ipynb", cwd=tmp_path).returncode == 1
    assert fixed.read_bytes() == stripped.read_bytes()


def test_unsafe_fixes_wait_for_the_flag(tmp_path):
    path = write_notebook(tmp_path / "nb.ipynb", ["x = 1\n"], metadata={})  # no kernelspec, no language: a guess
    before = path.read_bytes()
    [finding] = check_json(tmp_path, "--select", "NB601")
    assert finding["autofix"]["applicability"] == "unsafe"
    result = fix(tmp_path, "--select", "NB601")
    assert result.returncode == 1 and path.read_bytes() == before
    assert "1 fixable with `nblint check --fix --unsafe-fixes`" in result.stdout
    diff = run_nblint("check", "--no-cache", "--diff", "--select", "NB601", cwd=tmp_path)
    assert diff.returncode == 0 and diff.stdout == "" and "1 more fixable with `--unsafe-fixes`" in diff.stderr
    result = fix(tmp_path, "--select", "NB601", "--unsafe-fixes")
    assert result.returncode == 0, result.stdout
    assert json.loads(path.read_text())["metadata"]["kernelspec"]["name"] == "python3"
    assert_valid(path)


def test_unsafe_pin_from_the_saved_output(tmp_path):
    installed = {"output_type": "stream", "name": "stdout", "text": ["Successfully installed faker-33.1.0\n"]}
    path = write_notebook(
        tmp_path / "nb.ipynb",
        [
            _cell("%pip install -q faker\n", execution_count=1, outputs=[installed]),
            "%pip install rich  # no output: no version to pin\n",
        ],
    )
    before = path.read_text()
    assert fix(tmp_path, "--select", "NB501").returncode == 1 and path.read_text() == before
    result = fix(tmp_path, "--select", "NB501", "--unsafe-fixes")
    assert "Fixed 1 finding. Found 1 finding" in result.stdout, result.stdout
    after = json.loads(path.read_text())
    assert after["cells"][0]["source"] == ["%pip install -q faker==33.1.0\n"]
    only_named_changed(json.loads(before), after, {("cells", 0, "source")})
    assert_valid(path)


def test_diff_writes_nothing_and_shows_what_fix_writes(tmp_path):
    (tmp_path / "pyproject.toml").write_text(CONFIG, encoding="utf-8")
    path = write_notebook(tmp_path / "nb.ipynb", CASES["NB703"][0] + CASES["NB502"][0], metadata=CASES["NB605"][1])
    before = path.read_bytes()
    diff = run_nblint("check", "--no-cache", "--diff", cwd=tmp_path)
    assert diff.returncode == 1, diff.stderr
    assert path.read_bytes() == before
    assert diff.stdout.startswith("--- a/nb.ipynb\n+++ b/nb.ipynb\n")
    assert '+    "%pip install rich==13.9.4\\n"' in diff.stdout
    assert "Would fix" in diff.stderr
    fixed = fix(tmp_path)
    # The diff, applied by hand, gives the file --fix writes.
    removed = [line[1:] for line in diff.stdout.splitlines() if line.startswith("-") and not line.startswith("---")]
    added = [line[1:] for line in diff.stdout.splitlines() if line.startswith("+") and not line.startswith("+++")]
    after = path.read_text().splitlines()
    assert all(line in after for line in added) and fixed.returncode in (0, 1)
    assert not any(line in after for line in removed if line.strip().startswith('"!'))
    nothing = run_nblint("check", "--no-cache", "--diff", cwd=tmp_path)
    assert nothing.returncode == 0 and nothing.stdout == ""


def test_fixes_from_the_cache_apply_the_same(tmp_path):
    (tmp_path / "pyproject.toml").write_text(CONFIG, encoding="utf-8")
    path = write_notebook(tmp_path / "nb.ipynb", CASES["NB502"][0])
    assert run_nblint("check", cwd=tmp_path).returncode == 1  # stores the findings, with their fixes
    result = run_nblint("check", "--fix", cwd=tmp_path)
    assert result.returncode == 0, result.stdout
    assert "%pip" in path.read_text() and "!pip" not in path.read_text()


def test_fix_through_a_symlink_keeps_the_link(tmp_path):
    (tmp_path / "pyproject.toml").write_text(CONFIG, encoding="utf-8")
    target = write_notebook(tmp_path / "real" / "nb.ipynb", CASES["NB502"][0])
    (tmp_path / "work").mkdir()
    link = tmp_path / "work" / "nb.ipynb"
    link.symlink_to(target)
    mode = target.stat().st_mode
    assert fix(tmp_path / "work", "nb.ipynb").returncode == 0
    assert link.is_symlink() and "%pip" in target.read_text() and target.stat().st_mode == mode


def test_fix_with_diff_base_fixes_only_what_is_new(tmp_path):
    from gitrepo import GitRepo

    repo = GitRepo(tmp_path / "repo")
    (repo.root / "pyproject.toml").write_text(CONFIG, encoding="utf-8")
    path = repo.notebook("nb.ipynb", ["!pip install a==1\n", "x = 1\n"])
    repo.commit("old")
    repo.notebook("nb.ipynb", ["!pip install a==1\n", "!pip install b==2\n"])
    result = run_nblint("check", "--no-cache", "--diff-base", "HEAD", "--fix", cwd=repo.root, env=repo.env)
    assert result.returncode == 0 and "Fixed 1 finding" in result.stdout, result.stdout + result.stderr
    assert [cell["source"] for cell in json.loads(path.read_text())["cells"]] == [
        ["!pip install a==1\n"],
        ["%pip install b==2\n"],
    ]


def test_a_file_that_is_not_a_notebook_is_left_byte_for_byte(tmp_path):
    broken = tmp_path / "broken.ipynb"
    broken.write_bytes(b'{"cells": [ !pip install x')
    conflict = tmp_path / "conflict.ipynb"
    conflict.write_bytes(b"<<<<<<< HEAD\n{}\n=======\n[]\n>>>>>>> other\n")
    (tmp_path / "pyproject.toml").write_text(CONFIG, encoding="utf-8")
    good = write_notebook(tmp_path / "good.ipynb", CASES["NB502"][0])
    before = {p: p.read_bytes() for p in (broken, conflict)}
    for flags in (["--fix", "--unsafe-fixes"], ["--add-noqa"]):
        result = run_nblint("check", "--no-cache", *flags, cwd=tmp_path)
        assert "Traceback" not in result.stderr
        assert {p: p.read_bytes() for p in before} == before
    assert "%pip" in good.read_text()


def test_fix_keeps_the_files_own_layout(tmp_path):
    data = make_notebook(CASES["NB502"][0])
    text = json.dumps(data, indent=2, ensure_ascii=True).replace("\n", "\r\n")  # no final newline, CRLF, indent 2
    path = tmp_path / "nb.ipynb"
    path.write_bytes(text.encode())
    fix(tmp_path, "--select", "NB502")
    after = path.read_bytes().decode()
    assert after == text.replace('"! python -m pip install', '"%pip install').replace("!pip -q", "%pip -q")


def test_usage_errors(tmp_path):
    write_notebook(tmp_path / "nb.ipynb", ["x = 1\n"])
    result = run_nblint("check", "--add-noqa", "--fix", cwd=tmp_path)
    assert result.returncode == 2 and "cannot be combined" in result.stderr


# -- the model itself ------------------------------------------------------------------------------------------


def _text(cells, **kwargs) -> str:
    return notebook_text(make_notebook(cells, **kwargs))


def test_overlapping_fixes_wait_and_overlapping_edits_of_one_fix_are_refused():
    text = _text(["abc = 1\n"])
    first = safe("a", replace_line(0, 1, 1, 4, "xyz"))
    second = safe("b", replace_line(0, 1, 3, 6, "q"))
    third = safe("c", JsonEdit(("metadata", "x"), 1))
    outcome = apply_fixes(text, [first, second, third])
    assert outcome.applied == [first, third] and outcome.skipped == [second]
    assert json.loads(outcome.text)["cells"][0]["source"] == ["xyz = 1\n"]
    with pytest.raises(FixError):
        apply_fixes(text, [safe("d", JsonEdit(("metadata",), {}), JsonEdit(("metadata", "kernelspec"), None))])
    with pytest.raises(FixError):
        apply_fixes(text, [safe("e", replace_line(4, 1, 1, 1, "x"))])  # no cell 5
    with pytest.raises(FixError):
        apply_fixes(text, [safe("f", replace_line(0, 1, 20, 20, "x"))])  # past the line's end
    # A JSON edit of a cell and an edit of its source overlap.
    outcome = apply_fixes(
        text, [first, unsafe("g", JsonEdit(("cells", 0), {"cell_type": "raw", "metadata": {}, "source": ""}))]
    )
    assert len(outcome.applied) == 1 and len(outcome.skipped) == 1


def test_removing_several_items_of_one_list_by_their_original_indexes():
    outputs = [{"output_type": "stream", "name": "stdout", "text": [str(i)]} for i in range(5)]
    text = _text([{"source": "x\n", "execution_count": 1, "outputs": outputs}])
    outcome = apply_fixes(
        text,
        [
            safe("a", JsonEdit(("cells", 0, "outputs", 1), remove=True)),
            safe("b", JsonEdit(("cells", 0, "outputs", 3), remove=True)),
        ],
    )
    assert [o["text"] for o in json.loads(outcome.text)["cells"][0]["outputs"]] == [["0"], ["2"], ["4"]]


def test_source_edits_across_lines_and_a_string_source_stays_a_string():
    data = make_notebook(["a = 1\nb = 2\nc = 3\n"])
    data["cells"][0]["source"] = "a = 1\nb = 2\nc = 3"
    text = notebook_text(data)
    outcome = apply_fixes(text, [safe("x", SourceEdit(0, 1, 5, 3, 1, "10\nc = 4\n"), SourceEdit(0, 3, 5, 3, 6, "5"))])
    assert json.loads(outcome.text)["cells"][0]["source"] == "a = 10\nc = 4\nc = 5"
    # A key added to a sorted object goes in sorted place, as nbformat writes it.
    outcome = apply_fixes(text, [safe("k", JsonEdit(("metadata", "kernelspec", "env"), {}))])
    assert list(json.loads(outcome.text)["metadata"]["kernelspec"]) == ["display_name", "env", "language", "name"]


# -- real notebooks from the shared corpus ------------------------------------------------------------------------

needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the shared corpus is not at {CORPUS}")

# One small real notebook per fixed rule, found by checking the corpus (NB606's is invalid before the fix: its
# duplicate ids; the fix is what makes it valid).
CORPUS_CASES = [
    (
        "NB502",
        "Azure__MachineLearningNotebooks/how-to-use-azureml/azure-synapse/spark_session_on_synapse_spark_pool.ipynb",
    ),
    ("NB601", "nteract__papermill/papermill/tests/notebooks/blank-vscode.ipynb"),
    ("NB605", "nbQA-dev__nbQA/tests/data/notebook_for_autoflake.ipynb"),
    ("NB606", "_invalid_and_edge/jupyter__nbformat/tests/invalid_unique_cell_id.ipynb"),
    ("NB701", "nteract__papermill/papermill/tests/notebooks/test_autosave.ipynb"),
    ("NB703", "jupyter__nbformat/tests/many_tracebacks.ipynb"),
]


@needs_corpus
def test_each_fix_on_real_notebooks(tmp_path):
    (tmp_path / "pyproject.toml").write_text(CONFIG, encoding="utf-8")
    for code, name in CORPUS_CASES:
        if not (CORPUS / name).is_file():
            pytest.skip(f"{name} is not in the corpus")
        shutil.copyfile(CORPUS / name, tmp_path / f"{code}.ipynb")
    findings = _fix_and_verify(tmp_path, FIXABLE, "--unsafe-fixes", exact=False)
    for code, name in CORPUS_CASES:
        assert any(f["code"] == code and f["autofix"] for f in findings[tmp_path / f"{code}.ipynb"]), name


@needs_corpus
@pytest.mark.slow
def test_fix_the_whole_corpus(tmp_path):
    """Every fix on every corpus notebook in one run: valid notebooks, only what the fixes named changed,
    nothing left to fix, a second run changes nothing, and files that are not notebooks are untouched."""
    folder = tmp_path / "corpus"
    shutil.copytree(CORPUS, folder)
    (folder / "pyproject.toml").write_text(CONFIG, encoding="utf-8")
    findings = check_json(folder, "--jobs", "1", "--select", FIXABLE + ",NB004")
    by_path: dict[str, list[dict]] = {}
    for finding in findings:
        by_path.setdefault(finding["path"], []).append(finding)
    originals = {p: p.read_bytes() for p in folder.rglob("*.ipynb")}
    result = run_nblint(
        "check", "--no-cache", "--jobs", "1", "--fix", "--unsafe-fixes", "--select", FIXABLE, cwd=folder, timeout=600
    )
    assert "Traceback" not in result.stderr and "warning" not in result.stderr, result.stderr
    changed = [p for p, data in originals.items() if p.read_bytes() != data]
    fixable = {path for path, items in by_path.items() if any(f["autofix"] for f in items)}
    assert {str(p.relative_to(folder)) for p in changed} == fixable
    for path in changed:
        mine = by_path[str(path.relative_to(folder))]
        before, after = json.loads(originals[path]), json.loads(path.read_bytes())
        only_named_changed(before, after, named_paths(mine))
        if not any(f["code"] == "NB004" for f in mine):  # a notebook valid before is valid after
            assert_valid(path)
    remaining = check_json(folder, "--jobs", "1", "--select", FIXABLE)
    assert not [f for f in remaining if f["autofix"]]
    snapshot = {p: p.read_bytes() for p in originals}
    run_nblint(
        "check", "--no-cache", "--jobs", "1", "--fix", "--unsafe-fixes", "--select", FIXABLE, cwd=folder, timeout=600
    )
    assert {p: p.read_bytes() for p in originals} == snapshot


@needs_corpus
@pytest.mark.slow
def test_add_noqa_on_the_whole_corpus(tmp_path):
    """ruff issue 5189 at scale: after --add-noqa every notebook that read before still reads (JSON and
    nbformat), nothing without a finding on a line changed, no finding that got a comment is reported
    again, and a second run adds nothing."""
    folder = tmp_path / "corpus"
    shutil.copytree(CORPUS, folder)
    before = {p: p.read_bytes() for p in folder.rglob("*.ipynb")}
    findings = check_json(folder, "--jobs", "1")
    with_line = {f["path"] for f in findings if f["cell"] is not None and f["line"] is not None}
    first = run_nblint("check", "--no-cache", "--jobs", "1", "--add-noqa", cwd=folder, timeout=600)
    assert first.returncode == 0 and "Traceback" not in first.stderr, first.stderr
    added = int(re.search(r"Added (\d+) suppression comment", first.stdout).group(1))
    changed = {str(p.relative_to(folder)) for p, data in before.items() if p.read_bytes() != data}
    assert added > 0 and changed <= with_line
    for name in changed:
        text = (folder / name).read_text(encoding="utf-8")
        nbformat.reads(text, as_version=nbformat.NO_CONVERT)  # raises when it no longer reads
        old = json.loads(before[folder / name])
        only_named_changed(old, json.loads(text), {("cells", i, "source") for i in range(len(old["cells"]))})
    cells = {name: json.loads((folder / name).read_text())["cells"] for name in changed}
    for finding in check_json(folder, "--jobs", "1"):  # every comment added suppresses what it names
        if finding["path"] in changed and finding["line"] is not None and finding["cell"] is not None:
            lines = "".join(cells[finding["path"]][finding["cell"]]["source"]).split("\n")
            assert "nblint: ignore" not in lines[finding["line"] - 1], finding
    snapshot = {p: p.read_bytes() for p in before}
    second = run_nblint("check", "--no-cache", "--jobs", "1", "--add-noqa", cwd=folder, timeout=600)
    assert "Added 0 suppression comments" in second.stdout
    assert {p: p.read_bytes() for p in before} == snapshot


# -- --add-noqa ------------------------------------------------------------------------------------------------


def test_add_noqa_twice_is_once_and_the_notebook_stays_valid(tmp_path):
    """ruff issue 5189: ruff's --add-noqa wrote its directives into notebooks' JSON ("Added 171 noqa
    directives") and every notebook of the folder stopped parsing. Here: one comment per finding's line,
    inside the cell's source, merged with one already there; the rest of the folder untouched."""
    cells = [
        "import time\ntime.sleep(86400)\n",
        "while True:  # nblint: ignore[NB405]\n    time.sleep(1)\n",  # merges with the comment there
        'query = """\nwhile True: pass\n"""\n!pip install tqdm==4.66.5\n',
        "%matplotlib inline\nN = 10\n",
        {"cell_type": "markdown", "source": "!pip install x"},
    ]
    path = write_notebook(tmp_path / "nb.ipynb", cells, metadata={})  # NB601: notebook-level, left
    bystander = write_notebook(tmp_path / "clean.ipynb", ["x = 1\n"])
    clean_bytes = bystander.read_bytes()
    before = json.loads(path.read_text())
    findings = check_json(tmp_path, "--select", "NB201,NB405,NB502,NB601")
    assert {f["code"] for f in findings} == {"NB201", "NB405", "NB502", "NB601"}

    first = run_nblint("check", "--no-cache", "--add-noqa", "--select", "NB201,NB405,NB502,NB601", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "Added 3 suppression comments to 1 notebook. 1 finding left" in first.stdout
    once = path.read_text()
    after = json.loads(once)
    assert after["cells"][0]["source"] == ["import time\n", "time.sleep(86400)  # nblint: ignore[NB405]\n"]
    assert after["cells"][1]["source"][0] == "while True:  # nblint: ignore[NB201, NB405]\n"
    assert after["cells"][2]["source"][3] == "!pip install tqdm==4.66.5  # nblint: ignore[NB502]\n"
    assert after["cells"][2]["source"][:3] == before["cells"][2]["source"][:3]  # the string is as it was
    only_named_changed(before, after, {("cells", 0, "source"), ("cells", 1, "source"), ("cells", 2, "source")})
    assert bystander.read_bytes() == clean_bytes
    # Valid JSON, a valid notebook, and nbformat writes it back byte for byte (it was in nbformat's layout).
    notebook = nbformat.reads(once, as_version=4)
    nbformat.validate(notebook)
    assert nbformat.writes(notebook) + "\n" == once  # nbformat.write adds the final newline
    assert [f["code"] for f in check_json(tmp_path, "--select", "NB201,NB405,NB502,NB601")] == ["NB601"]

    second = run_nblint("check", "--no-cache", "--add-noqa", "--select", "NB201,NB405,NB502,NB601", cwd=tmp_path)
    assert second.returncode == 0 and "Added 0 suppression comments" in second.stdout
    assert path.read_text() == once


def test_no_comment_where_it_would_change_the_code(tmp_path):
    from nblint.core.noqa import cell_suppression_fix, line_suppression_fix
    from nblint.core.read.notebook import parse_notebook

    cells = [
        'text = """first\nsecond /home/alice/x.csv\n"""\n',  # line 2 is inside a string
        "x = 1 + \\\n    2\n",  # a backslash continuation
        "%matplotlib inline\n",  # a magic that would read the comment as arguments
        "%%writefile out.txt\nhello\n",  # not Python
        "%%bash\npip install x==1\n",  # shell: `#` is a comment there
        "%%time\ny = 2\n",
    ]
    path = write_notebook(tmp_path / "nb.ipynb", cells)
    notebook = parse_notebook(path, path.read_bytes())
    assert line_suppression_fix(notebook, 0, 2, ["NB503"]) is None
    assert line_suppression_fix(notebook, 1, 1, ["NB101"]) is None
    assert line_suppression_fix(notebook, 2, 1, ["NB101"]) is None
    assert line_suppression_fix(notebook, 3, 2, ["NB101"]) is None
    assert line_suppression_fix(notebook, 4, 2, ["NB502"]) is not None
    assert line_suppression_fix(notebook, 0, 3, ["NB101"]) is not None  # the string's last line ends the statement
    cell_fix = cell_suppression_fix(notebook, 5, ["NB201"])
    outcome = apply_fixes(notebook.text, [cell_fix])
    assert json.loads(outcome.text)["cells"][5]["source"] == ["%%time\n", "# nblint: ignore-cell[NB201]\n", "y = 2\n"]


def test_rules_and_explain_say_which_rules_have_fixes(tmp_path):
    rules = {rule["code"]: rule["fix"] for rule in json.loads(run_nblint("rules", "--format", "json").stdout)}
    assert {code for code, fix in rules.items() if fix == "safe"} == set(FIXABLE.split(","))
    assert rules["NB501"] == "unsafe" and rules["NB201"] is None
    explained = run_nblint("explain", "NB606").stdout
    assert "fix: safe" in explained.splitlines()[0] and "## Fix" in explained
