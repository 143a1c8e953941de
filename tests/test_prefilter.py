"""The rules' cheap pre-filter (CodeRule.needs): a program that holds none of a rule's words skips that
rule's visit, and the filter never hides a finding the rule makes."""

from __future__ import annotations

import pytest

from nblint.rules import ALL_RULES
from nblint.rules.base import CodeRule, Invalid

CODE_RULES = [rule for rule in ALL_RULES.values() if issubclass(rule, CodeRule)]


def example_code(source) -> str:
    """The code cells of a rule example (a str is one cell, a list holds cells, a dict is a notebook)."""
    if isinstance(source, str):
        return source
    if isinstance(source, dict):
        cells = source.get("cells", [])
    else:
        cells = source
    texts = []
    for cell in cells:
        if isinstance(cell, str):
            texts.append(cell)
        elif isinstance(cell, dict) and cell.get("cell_type", "code") == "code":
            text = cell.get("source", "")
            texts.append("".join(text) if isinstance(text, list) else str(text))
    return "\n".join(texts)


@pytest.mark.parametrize("rule", CODE_RULES, ids=lambda rule: rule.code)
def test_every_invalid_example_passes_its_rules_own_prefilter(rule):
    # A rule cannot declare a filter that hides its own findings.
    for example in rule.INVALID:
        assert isinstance(example, Invalid)
        assert rule.may_fire(example_code(example.source) + "\npass None"), (rule.code, example.source)


def test_some_rules_declare_a_prefilter():
    assert any(rule.needs for rule in CODE_RULES)


def test_an_undeclared_prefilter_means_always_run():
    class Undeclared(CodeRule):  # as a rule added later, without `needs`
        pass

    assert Undeclared.needs is None
    assert Undeclared.may_fire("")


def test_the_prefilter_matches_whole_words_in_code_strings_and_imports():
    sleep = ALL_RULES["NB405"]
    assert sleep.may_fire("import time\ntime.sleep(10)\n")
    assert sleep.may_fire("from time import sleep as nap\n")
    assert sleep.may_fire("f = getattr(time, 'sleep')\n")
    assert not sleep.may_fire("asleep = 1\nsleeper(3)\nx = 2\n")


def test_the_pipeline_runs_only_the_rules_a_notebook_can_fire(tmp_path):
    from conftest import write_notebook

    from nblint.core.read.notebook import read_notebook
    from nblint.run.pipeline import may_fire

    path = tmp_path / "nb.ipynb"
    write_notebook(path, ["import numpy as np\nx = np.zeros((10, 10))\n"])
    notebook = read_notebook(path)
    kept = may_fire(CODE_RULES, notebook)
    assert ALL_RULES["NB405"] not in kept and ALL_RULES["NB204"] not in kept
    assert all(rule in kept for rule in CODE_RULES if rule.needs is None)
    write_notebook(path, ["import time\n", "time.sleep(100000)\n"])
    assert ALL_RULES["NB405"] in may_fire(CODE_RULES, read_notebook(path))
