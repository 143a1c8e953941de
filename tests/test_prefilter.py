"""The rules' cheap pre-filter (CodeRule.needs): a program that holds none of a rule's words skips that
rule's visit, and the filter never hides a finding the rule makes."""

from __future__ import annotations

import pytest

from nblint.rules import ALL_RULES
from nblint.rules.base import CodeRule, Invalid, Valid

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
def test_every_invalid_example_passes_its_rules_own_prefilter(rule, tmp_path):
    # A rule cannot declare a filter that hides its own findings: checked as the pipeline checks it.
    from nblint.core.read.notebook import read_notebook
    from nblint.run.pipeline import may_fire
    from nblint.testing import write_example

    for number, example in enumerate(rule.INVALID):
        assert isinstance(example, Invalid)
        if example.live:
            continue  # the guard checks a live cell without the pre-filter
        notebook = read_notebook(write_example(example, tmp_path, f"invalid-{number}.ipynb"))
        assert may_fire([rule], notebook, _options(example)) == [rule], (rule.code, example.source)


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
    assert ALL_RULES["NB101"] in kept  # np.zeros: the allocation rule reads it
    assert ALL_RULES["NB102"] not in kept  # no literal of 10,001 elements without 10,000 commas
    write_notebook(path, ["import time\n", "time.sleep(100000)\n"])
    assert ALL_RULES["NB405"] in may_fire(CODE_RULES, read_notebook(path))


# -- the filter never hides a finding --------------------------------------------------------------

# Every code rule and every rule the engine runs beside them (notebook rules, NB001, NB005): the findings
# of a notebook must not depend on which code rules its text lets run, nor on the parse being skipped.
EVERY_RULE = frozenset(ALL_RULES)
BIG_EXAMPLE = 10_000  # as tests/test_rule_examples.py: pasted literals, seconds each, with the slow tests


def _all_pass(code_rules, notebook, options=None):
    return code_rules


def _findings(path, options, monkeypatch, prefilter: bool):
    from nblint.run import pipeline

    with monkeypatch.context() as patch:
        if not prefilter:
            patch.setattr(pipeline, "may_fire", _all_pass)
        result = pipeline.check_file(path, EVERY_RULE, options)
    return [finding.to_dict() for finding in result.findings]


def _options(example):
    from nblint.testing import all_options

    options = {key: option.parsed_default() for key, option in all_options().items()}
    for key, value in example.options.items():
        options[key] = all_options()[key].parse(value)
    return options


def _examples():
    for rule in CODE_RULES:
        for kind in ("VALID", "INVALID"):
            for number, example in enumerate(getattr(rule, kind)):
                example = example if isinstance(example, Valid) else Valid(example)
                if example.live or example.raw:
                    continue  # the guard checks live cells without the pre-filter; raw files are not notebooks
                slow = len(example_code(example.source)) > BIG_EXAMPLE
                marks = [pytest.mark.slow] if slow else []
                yield pytest.param(rule, example, id=f"{rule.code}-{kind.lower()}-{number}", marks=marks)


@pytest.mark.parametrize("rule, example", list(_examples()))
def test_every_example_has_the_same_findings_with_and_without_the_prefilter(rule, example, tmp_path, monkeypatch):
    from nblint.testing import write_example

    path = write_example(example, tmp_path)
    options = _options(example)
    assert _findings(path, options, monkeypatch, True) == _findings(path, options, monkeypatch, False)


@pytest.mark.slow
def test_the_corpus_has_the_same_findings_with_and_without_the_prefilter(monkeypatch):
    from conftest import CORPUS

    if not CORPUS.is_dir():
        pytest.skip(f"the shared corpus is not beside the project ({CORPUS})")
    options = _options(Valid(""))
    checked = 0
    for path in sorted(CORPUS.rglob("*.ipynb")):
        assert _findings(path, options, monkeypatch, True) == _findings(path, options, monkeypatch, False), path
        checked += 1
    assert checked > 100


def test_a_notebook_no_code_rule_can_fire_on_is_not_parsed(tmp_path, monkeypatch):
    from conftest import write_notebook

    from nblint.core.read.notebook import read_notebook
    from nblint.run import pipeline

    parsed = []
    build = pipeline.build_program

    def spy(notebook, parse=True, cells=None):
        parsed.append(parse)
        return build(notebook, parse=parse, cells=cells)

    monkeypatch.setattr(pipeline, "build_program", spy)
    path = tmp_path / "nb.ipynb"
    write_notebook(path, ["x = 1\ny = x + 2\n", "%matplotlib inline\n", "if x:\n  y = (\n"])
    assert pipeline.may_fire(CODE_RULES, read_notebook(path)) == []
    findings = pipeline.check_file(path, EVERY_RULE, {}).findings
    assert parsed == [False]
    assert [finding.code for finding in findings] == ["NB001"]  # the engine's own checks still run
    write_notebook(path, ["def f(n):\n    return f(n)\n"])
    findings = pipeline.check_file(path, EVERY_RULE, {}).findings
    assert parsed == [False, True] and "NB203" in [finding.code for finding in findings]


def test_every_code_rule_declares_a_prefilter_but_huge_literal_counts_commas():
    assert [rule.code for rule in CODE_RULES if rule.needs is None] == ["NB102"]
    literal = ALL_RULES["NB102"]
    assert literal.prefiltered()
    assert not literal.may_fire("x = [1, 2, 3]\n", {"max-literal-elements": 3})
    assert literal.may_fire("x = [1, 2, 3, 4]\n", {"max-literal-elements": 3})
    assert literal.may_fire("x = [1]\n", {"max-literal-elements": 0})


def test_tokens_that_are_not_names_match_as_written():
    power = ALL_RULES["NB205"]
    assert power.may_fire("x = 10**100\n") and power.may_fire("y = pow(2, n)\n")
    assert not power.may_fire("x = 10 * 100\npower = 3\n")
    paths = ALL_RULES["NB503"]
    assert paths.may_fire("p = 'C:\\\\USERS\\\\bob'\n") and paths.may_fire("p = '\\x2fhome/alice'\n")
    assert not paths.may_fire("p = '/tmp/homework/users_list'\n")
