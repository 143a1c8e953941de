"""Shared helpers: real notebooks written to tmp_path, the real CLI in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Mapping, Sequence

import pytest

from nblint.testing import make_notebook, notebook_text

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"


def write_notebook(
    path: Path,
    cells: Sequence[str | Mapping[str, Any]] = (),
    metadata: Mapping | None = None,
    notebook: Mapping | None = None,
) -> Path:
    """Write a notebook as nbformat lays it out; `notebook` (a whole JSON dict) wins over cells/metadata."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = notebook if notebook is not None else make_notebook(cells, metadata)
    path.write_text(notebook_text(data), encoding="utf-8")
    return path


def run_nblint(
    *args: str, cwd: Path | None = None, input: str | None = None, env: Mapping | None = None, timeout: float = 120
) -> subprocess.CompletedProcess:
    """The real command line, in a subprocess."""
    full_env = dict(os.environ)
    full_env.pop("NBLINT_CACHE_DIR", None)
    if env:
        full_env.update(env)
    return subprocess.run(
        [sys.executable, "-m", "nblint", *args],
        cwd=cwd,
        input=input,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
    )


def json_findings(result: subprocess.CompletedProcess) -> list[dict]:
    assert not result.stderr.count("Traceback"), result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def nb(tmp_path):
    """nb(cells, name=..., metadata=...) -> path of a notebook written under tmp_path."""

    def make(cells: Sequence[str | Mapping[str, Any]] = (), name: str = "nb.ipynb", **kwargs) -> Path:
        return write_notebook(tmp_path / name, cells, **kwargs)

    return make


def check_notebook(
    tmp_path: Path,
    cells: Sequence[str | Mapping[str, Any]],
    select: str,
    *extra: str,
    config: str | None = None,
    metadata: Mapping | None = None,
    notebook: Mapping | None = None,
) -> list[dict]:
    """Write tmp_path/nb.ipynb (and, with `config`, a pyproject.toml whose `[tool.nblint]` holds it), run
    `nblint check --no-cache --select SELECT --format json` there, and return the findings. The exit code
    must agree with them: 1 when there are findings, 0 when there are none."""
    if config is not None:
        (tmp_path / "pyproject.toml").write_text("[tool.nblint]\n" + config, encoding="utf-8")
    write_notebook(tmp_path / "nb.ipynb", cells, metadata=metadata, notebook=notebook)
    result = run_nblint("check", "--no-cache", "--select", select, "--format", "json", *extra, "nb.ipynb", cwd=tmp_path)
    findings = json_findings(result)
    assert result.returncode == (1 if findings else 0), result.stderr
    return findings
