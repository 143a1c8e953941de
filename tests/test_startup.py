"""Start-up: `nblint --version` and `nblint check one.ipynb` import only what they use.

Measured with `python -X importtime` in a subprocess, as a person would; what is asserted is which
modules are imported, never how long they took.
"""

from __future__ import annotations

import json
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


# Not needed to check a notebook in a folder without a configuration file, and imported otherwise: the
# TOML parser, traceback (a rule's crash), the machine rules (nblint doctor's), the frame arithmetic of
# NB110 (a merge, join or pivot of frames built from literals). Seen in sys.modules,
# which also lists what importlib.import_module loads (the rule registry), unlike -X importtime.
NOT_IMPORTED_BY_CHECK = (
    "tomllib",
    "traceback",
    "nblint.rules.machine.facts",
    "nblint.rules.machine.kernels",
    "nblint.rules.machine.notebooks",
    "nblint.core.frames",
)

_CHECK_AND_REPORT = """
import json, sys
from nblint.cli import main
code = main(sys.argv[1:])
from nblint.rules.git.large_output import LargeOutput
from nblint.rules.memory.huge_literal import HugeLiteral
built = [rule.code for rule in (LargeOutput, HugeLiteral) for name in ("VALID", "INVALID")
         if getattr(vars(rule)[name], "_examples", "a list") is not None]
print(json.dumps({"code": code, "modules": sorted(sys.modules), "examples built": built}))
"""


def test_checking_one_notebook_without_configuration_imports_only_what_it_uses(tmp_path):
    write_notebook(tmp_path / "one.ipynb", ["import pandas as pd\n", "df = pd.read_csv('data.csv')\n"])
    result = subprocess.run(
        [sys.executable, "-c", _CHECK_AND_REPORT, "check", "--no-cache", "--jobs", "1", "one.ipynb"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert "Traceback" not in result.stderr, result.stderr
    report = json.loads(result.stdout.splitlines()[-1])
    assert "nblint.run.pipeline" in report["modules"] and "nblint.rules.git.secret" in report["modules"]
    assert forbidden_in(set(report["modules"]), NOT_IMPORTED_BY_CHECK) == []
    assert report["examples built"] == []  # rule examples are for the tests and the docs


def test_check_rules_are_every_rule_but_the_machine_rules_and_all_options_is_unchanged():
    from nblint import rules

    machine = {code for code, rule in rules.ALL_RULES.items() if getattr(rule, "machine", False)}
    assert machine and all(code.startswith("NB8") for code in machine)
    assert list(rules.CHECK_RULES) == [code for code in rules.ALL_RULES if code not in machine]
    assert all(rules.CHECK_RULES[code] is rules.ALL_RULES[code] for code in rules.CHECK_RULES)
    assert rules.RULES_BY_NAME == {rule.name: rule for rule in rules.ALL_RULES.values()}
    # all_options() reads the machine rules' options from machine/options.py: the same options, in the
    # same order as gathered from every rule, by code.
    from nblint.core.options import GUARD_OPTIONS, MEMORY_BUDGET

    expected = {MEMORY_BUDGET.key: MEMORY_BUDGET}
    expected.update((option.key, option) for option in GUARD_OPTIONS)
    for rule in rules.ALL_RULES.values():
        expected.update((option.key, option) for option in rule.options)
    assert list(rules.all_options().items()) == list(expected.items())
