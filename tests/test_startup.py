"""Start-up: `nblint --version` and `nblint check one.ipynb` import only what they use.

Measured with `python -X importtime` in a subprocess, as a person would; what is asserted is which
modules are imported, never how long they took.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import write_notebook

# Heavy, and not needed to check a valid nbformat 4 notebook: nbdime and nbstripout (other commands),
# nbformat and jsonschema (only for old or invalid notebooks), libcst.matchers (rules never use it),
# the process pool (one notebook is checked in process).
FORBIDDEN_FOR_CHECK = (
    "nbdime",
    "pygls",
    "lsprotocol",
    "cattrs",
    "nblint.server",
    "nbstripout",
    "nbformat",
    "jsonschema",
    "libcst.matchers",
    "libcst.codemod",
    "concurrent.futures.process",
    "multiprocessing",
    "jupyter_server",
    "git",
)


def imported_modules(*args: str, cwd: Path) -> set[str]:
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "nblint", *args], cwd=cwd, capture_output=True, text=True
    )
    assert "Traceback" not in result.stderr, result.stderr
    modules = {line.split("|")[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")}
    assert modules, "python -X importtime printed nothing"
    return modules


def forbidden_in(modules: set[str], forbidden: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == f or m.startswith(f + ".") for f in forbidden))


def test_version_imports_no_engine(tmp_path):
    modules = imported_modules("--version", cwd=tmp_path)
    assert "nblint.cli" in modules
    assert forbidden_in(modules, FORBIDDEN_FOR_CHECK + ("libcst", "nblint.run.pipeline", "nblint.rules")) == []


@pytest.mark.slow  # runs under -X importtime
def test_checking_one_valid_notebook_imports_only_what_it_uses(tmp_path):
    write_notebook(
        tmp_path / "one.ipynb",
        [
            "import numpy as np\nimport pandas as pd\n",
            "df = pd.read_csv('data.csv')\nx = np.zeros((10, 10))\n%matplotlib inline\n",
            {"cell_type": "markdown", "source": "# Results"},
        ],
    )
    for extra in ((), ("--no-cache",), ("--format", "full")):
        modules = imported_modules("check", *extra, "one.ipynb", cwd=tmp_path)
        assert "nblint.run.pipeline" in modules and "libcst" in modules  # the check did run
        assert forbidden_in(modules, FORBIDDEN_FOR_CHECK) == [], extra


@pytest.mark.slow  # runs under -X importtime
def test_an_invalid_notebook_pays_for_the_validator_but_not_for_rfc3987(tmp_path):
    # nbformat's validator is imported to name the schema error; jsonschema's IRI checker is not (the
    # failed import of rfc3987_syntax still gets a line from -X importtime; lark is what it would load).
    notebook = {
        "cells": [
            {
                "cell_type": "code",
                "source": "x = 1\n",
                "metadata": {},
                "outputs": [],
                "bogus": 1,
                "execution_count": None,
            }
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 4,
    }
    write_notebook(tmp_path / "bad.ipynb", notebook=notebook)
    modules = imported_modules("check", "--no-cache", "bad.ipynb", cwd=tmp_path)
    assert "nbformat.validator" in modules
    assert forbidden_in(modules, ("lark", "nbdime")) == []


def test_rule_visitor_names_are_read_without_inspecting_libcsts_stubs():
    import inspect

    from nblint.rules import ALL_RULES
    from nblint.rules.base import CodeRule, visitor_names

    code_rules = [rule for rule in ALL_RULES.values() if issubclass(rule, CodeRule)]
    assert code_rules
    for rule in code_rules:
        thorough = tuple(
            name
            for name, member in inspect.getmembers(rule, inspect.isfunction)
            if name.startswith(("visit_", "leave_")) and not getattr(member, "_is_no_op", False)
        )
        assert visitor_names(rule) == thorough, rule.code
        assert thorough, f"{rule.code} visits nothing"
