"""nblint's own code keeps its layers (import-linter), its lint and format (ruff) and its types (mypy).

The tools come with the test extras; they run from the checkout's root on the configuration in
pyproject.toml, so a failure here reads exactly as running the tool by hand would.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (it comes with the test extras: pip install '.[test]')")
    return found


def _run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)


def test_the_layers_hold():
    result = _run(_tool("lint-imports"), "--no-cache")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr


def test_ruff_finds_nothing():
    result = _run(_tool("ruff"), "check", "--no-cache", "nblint", "tests", "bench")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr


def test_the_code_is_formatted():
    result = _run(_tool("ruff"), "format", "--no-cache", "--check", "nblint", "tests", "bench")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr


@pytest.mark.slow
def test_mypy_finds_nothing():
    result = _run(_tool("mypy"), "--no-incremental")
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr
