"""The GitHub Action's step: `python -m nblint.integrations.action`, configured by environment variables only.

action.yml passes every input through `env:` (never `${{ inputs.x }}` inside a shell line, which would
let a crafted input run code), and GitHub sets the rest:

  NBLINT_PATHS       notebooks or folders, separated by spaces or newlines (shell-style quotes allowed);
                     default "."
  NBLINT_DIFF_BASE   a git revision: report only cells changed since it. Empty: the pull request's base
                     commit on pull_request / pull_request_target / merge_group events, every cell on
                     other events. "none": every cell.
  NBLINT_SELECT, NBLINT_IGNORE   comma-separated codes or prefixes, as `nblint check --select/--ignore`
  NBLINT_FAIL_ON     error | warning | info | never: the mildest severity that fails the step (default error)
  NBLINT_SARIF_FILE  also write SARIF 2.1.0 here, for github/codeql-action/upload-sarif
  GITHUB_EVENT_NAME, GITHUB_EVENT_PATH, GITHUB_OUTPUT, GITHUB_STEP_SUMMARY   set by the runner

What it does: with a diff base (a pull request's, by default), finds the notebooks changed since it under
the paths (git diff against the base, renames followed, deletions left out); runs `nblint check --format json` on them once,
with --diff-base; prints the findings as workflow commands (the annotations `--format github` gives);
writes SARIF if asked; appends a Markdown summary (findings by code, the worst notebooks) to the job
summary; sets the outputs `findings`, `errors`, `warnings`, `infos` and `notebooks`; and exits 1 when a
finding reaches NBLINT_FAIL_ON, 2 when nblint itself could not run. One nblint run serves every output,
so the annotations, the SARIF file and the summary always agree.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, TextIO

from nblint.core.findings import Finding, Severity

FAIL_ON = {"error": 3, "warning": 2, "info": 1, "never": None}
PULL_REQUEST_EVENTS = ("pull_request", "pull_request_target")
WORST_NOTEBOOKS_SHOWN = 10


class ActionError(Exception):
    """A problem with the inputs or the checkout: a `::error::` line and exit 2."""


@dataclass
class Plan:
    files: list[str] = field(default_factory=list)
    diff_base: str | None = None  # a commit, or None for every cell
    why: str = ""  # for the summary: which cells were judged


# ------------------------------------------------------------------------------------------- inputs


def _git(args: list[str], check: bool = True) -> str:
    done = subprocess.run(["git", *args], capture_output=True, text=True)
    if check and done.returncode != 0:
        message = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}"
        raise ActionError(f"git {' '.join(args[:2])} failed: {message}")
    return done.stdout


def _has_commit(revision: str) -> bool:
    done = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}"],
        capture_output=True,
        text=True,
    )
    return done.returncode == 0


def _event(env: Mapping[str, str]) -> dict:
    path = env.get("GITHUB_EVENT_PATH")
    if not path:
        return {}
    try:
        with open(path, encoding="utf-8") as stream:
            data = json.load(stream)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def pull_request_base(env: Mapping[str, str]) -> str | None:
    """The base commit of the pull request (or merge queue entry) that triggered the run, if any."""
    name = env.get("GITHUB_EVENT_NAME", "")
    event = _event(env)
    if name in PULL_REQUEST_EVENTS:
        base = (event.get("pull_request") or {}).get("base") or {}
        return base.get("sha") or None
    if name == "merge_group":
        return (event.get("merge_group") or {}).get("base_sha") or None
    return None


def _ensure_commit(sha: str) -> None:
    """actions/checkout fetches one commit by default: fetch the base when it is missing."""
    if _has_commit(sha):
        return
    subprocess.run(["git", "fetch", "--no-tags", "--quiet", "--depth=1", "origin", sha], capture_output=True)
    if not _has_commit(sha):
        raise ActionError(
            f"the base commit {sha} is not in the checkout and could not be fetched; "
            "use actions/checkout with fetch-depth: 0"
        )


def _diff_base(env: Mapping[str, str]) -> tuple[str | None, str]:
    requested = env.get("NBLINT_DIFF_BASE", "").strip()
    if requested.lower() == "none":
        return None, "every cell (diff-base: none)"
    if requested:
        _ensure_commit(requested)
        return requested, f"cells changed since `{requested}`"
    base = pull_request_base(env)
    if base is None:
        return None, "every cell (not a pull request)"
    _ensure_commit(base)
    # With the PR's head checked out rather than its merge commit, judge against the fork point.
    fork = subprocess.run(["git", "merge-base", base, "HEAD"], capture_output=True, text=True)
    if fork.returncode == 0 and fork.stdout.strip():
        base = fork.stdout.strip()
    return base, f"cells changed since the pull request's base `{base[:12]}`"


def changed_notebooks(base: str) -> set[str]:
    """Absolute paths of the notebooks changed since `base` that still exist (renames: the new name)."""
    top = Path(_git(["rev-parse", "--show-toplevel"]).strip())
    names = _git(["diff", "--name-only", "-z", "-M", "--diff-filter=d", "--no-relative", base, "--"]).split("\0")
    return {os.path.abspath(top / name) for name in names if name.endswith(".ipynb")}


def plan(env: Mapping[str, str]) -> Plan:
    from nblint.run.config import ConfigResolver, Overrides
    from nblint.run.discovery import discover

    paths = shlex.split(env.get("NBLINT_PATHS", "")) or ["."]
    diff_base, why = _diff_base(env)
    found = discover(paths, ConfigResolver(Overrides()))
    if found.missing:
        raise ActionError(f"paths: no such file or folder: {', '.join(found.missing)}")
    files = [str(path) for path in found.files]
    if diff_base is not None:
        # Only the notebooks changed since the base: the others have no changed cell to report.
        changed = changed_notebooks(diff_base)
        files = [name for name in files if os.path.abspath(name) in changed]
    return Plan(files, diff_base, why)


def _codes_argument(env: Mapping[str, str], key: str) -> str | None:
    value = ",".join(part.strip() for part in env.get(key, "").replace("\n", ",").split(",") if part.strip())
    return value or None


# -------------------------------------------------------------------------------------------- nblint


def run_nblint(job: Plan, env: Mapping[str, str]) -> tuple[int, list[Finding]]:
    with tempfile.TemporaryDirectory(prefix="nblint-action-") as folder:
        report = Path(folder) / "findings.json"
        command = [
            sys.executable,
            "-m",
            "nblint",
            "check",
            "--format",
            "json",
            "--output-file",
            str(report),
            "--no-cache",
        ]
        if job.diff_base is not None:
            command += ["--diff-base", job.diff_base]
        for flag, key in (("--select", "NBLINT_SELECT"), ("--ignore", "NBLINT_IGNORE")):
            codes = _codes_argument(env, key)
            if codes is not None:
                command += [flag, codes]
        command += ["--", *job.files]
        done = subprocess.run(command, stdout=subprocess.PIPE, text=True)  # stderr goes to the log as it is
        if done.returncode not in (0, 1) or not report.exists():
            return 2, []
        findings = [Finding.from_dict(item) for item in json.loads(report.read_text(encoding="utf-8"))]
        return done.returncode, findings


# ------------------------------------------------------------------------------------------- outputs


def summary_markdown(findings: list[Finding], job: Plan, fail_on: str, failed: bool) -> str:
    counts = Counter(f.severity for f in findings)
    lines = ["## nblint", ""]
    if not job.files:
        lines.append(f"No notebooks to check ({job.why}).")
        return "\n".join(lines) + "\n"
    if not findings:
        lines.append(f"All {_plural(len(job.files), 'notebook')} passed: {job.why} judged.")
        return "\n".join(lines) + "\n"
    by_severity = ", ".join(_plural(counts[s], s.value) for s in Severity if counts[s])
    notebooks = len({f.path for f in findings})
    verdict = "failed" if failed else "passed"
    threshold = (
        "never fails" if fail_on == "never" else f"fails on {fail_on}" + ("" if fail_on == "error" else " and worse")
    )
    lines += [
        f"**{_plural(len(findings), 'finding')}** ({by_severity}) in {notebooks} of {_plural(len(job.files), 'notebook')} "
        f"checked; {job.why} judged. The check {verdict} ({threshold}).",
        "",
        "### Findings by code",
        "",
        "| Code | Rule | Severity | Findings |",
        "|---|---|---|---:|",
    ]
    by_code = Counter((f.code, f.name, f.severity) for f in findings)
    for (code, name, severity), count in sorted(
        by_code.items(), key=lambda item: (-item[0][2].rank, -item[1], item[0][0])
    ):
        lines.append(f"| {code} | {name} | {severity.value} | {count} |")
    per_notebook: dict[str, Counter] = {}
    for finding in findings:
        per_notebook.setdefault(finding.path, Counter())[finding.severity] += 1
    worst = sorted(
        per_notebook.items(),
        key=lambda item: (-item[1][Severity.ERROR], -item[1][Severity.WARNING], -sum(item[1].values()), item[0]),
    )
    lines += [
        "",
        "### Worst notebooks",
        "",
        "| Notebook | Errors | Warnings | Info | Total |",
        "|---|---:|---:|---:|---:|",
    ]
    for path, tally in worst[:WORST_NOTEBOOKS_SHOWN]:
        lines.append(
            f"| `{_cell_text(path)}` | {tally[Severity.ERROR]} | {tally[Severity.WARNING]} | "
            f"{tally[Severity.INFO]} | {sum(tally.values())} |"
        )
    if len(worst) > WORST_NOTEBOOKS_SHOWN:
        lines.append(f"| and {len(worst) - WORST_NOTEBOOKS_SHOWN} more | | | | |")
    lines += ["", "`nblint explain CODE` tells what a rule catches and what to write instead."]
    return "\n".join(lines) + "\n"


def _cell_text(text: str) -> str:
    return text.replace("|", "\\|").replace("`", "'").replace("\n", " ")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 or word == 'info' else 's'}"


def _append(path: str | None, text: str) -> None:
    if path:
        with open(path, "a", encoding="utf-8") as stream:
            stream.write(text)


def fails(findings: list[Finding], fail_on: str) -> bool:
    threshold = FAIL_ON[fail_on]
    return threshold is not None and any(f.severity.rank >= threshold for f in findings)


def main(env: Mapping[str, str] | None = None, stdout: TextIO | None = None) -> int:
    env = os.environ if env is None else env
    stdout = stdout or sys.stdout
    from nblint.reporters import RunResult, github, sarif
    from nblint.run.config import ConfigError

    fail_on = env.get("NBLINT_FAIL_ON", "").strip().lower() or "error"
    try:
        if fail_on not in FAIL_ON:
            raise ActionError(f"fail-on must be one of {', '.join(FAIL_ON)}, not {fail_on!r}")
        job = plan(env)
    except (ActionError, ConfigError) as exc:
        stdout.write(f"::error title=nblint::{exc}\n")
        return 2

    findings: list[Finding] = []
    status = 0
    if job.files:
        print(f"nblint: checking {_plural(len(job.files), 'notebook')}: {job.why}", file=sys.stderr)
        status, findings = run_nblint(job, env)
        if status == 2:
            stdout.write("::error title=nblint::nblint could not check the notebooks (see the log above)\n")
            return 2
    stdout.write(github.render(RunResult(findings=findings, checked=len(job.files))))
    stdout.flush()

    sarif_file = env.get("NBLINT_SARIF_FILE", "").strip()
    if sarif_file:
        Path(sarif_file).parent.mkdir(parents=True, exist_ok=True)
        Path(sarif_file).write_text(
            sarif.render(RunResult(findings=findings, checked=len(job.files))), encoding="utf-8"
        )

    failed = fails(findings, fail_on)
    _append(env.get("GITHUB_STEP_SUMMARY"), summary_markdown(findings, job, fail_on, failed))
    counts = Counter(f.severity for f in findings)
    _append(
        env.get("GITHUB_OUTPUT"),
        "".join(
            f"{key}={value}\n"
            for key, value in (
                ("findings", len(findings)),
                ("errors", counts[Severity.ERROR]),
                ("warnings", counts[Severity.WARNING]),
                ("infos", counts[Severity.INFO]),
                ("notebooks", len(job.files)),
            )
        ),
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
