"""Every rule's VALID and INVALID examples, run through the real engine on real notebook files.

A rule cannot ship without them: the docs test below fails for a rule with no examples or with a
missing docs section.
"""

from __future__ import annotations

import pytest

from nblint.rules import ALL_RULES
from nblint.rules.base import CodeRule, EngineRule, Invalid, NotebookRule
from nblint.testing import run_example


def _run(rule, example, tmp_path):
    """Live examples build real pandas/numpy objects: skipped, saying why, where those are not installed."""
    try:
        return run_example(rule, example, tmp_path)
    except ModuleNotFoundError as exc:
        if getattr(example, "live", ""):
            pytest.skip(f"{rule.code}'s live example needs {exc.name} (a test extra)")
        raise


# Examples with more code than this are pasted literals and expressions thousands of terms long (NB102):
# seconds each, so they run with the slow tests; every rule keeps smaller examples in the quick run.
BIG_EXAMPLE = 10_000


def _code_size(example) -> int:
    source = getattr(example, "source", example)
    if isinstance(source, str):
        return len(source)
    cells = source.get("cells", []) if isinstance(source, dict) else source
    return sum(len(cell if isinstance(cell, str) else str(cell.get("source", ""))) for cell in cells)


def _builds_a_machine(rule) -> bool:
    """NB8xx examples describe a machine (kernelspecs, venvs, a kernel to start) that the test builds for
    real: seconds each, so they run with the slow tests (tests/test_doctor.py keeps quick ones)."""
    return rule.__module__.startswith("nblint.rules.machine.")


def _cases(kind: str):
    for code, rule in ALL_RULES.items():
        for number, example in enumerate(getattr(rule, kind)):
            slow = _code_size(example) > BIG_EXAMPLE or _builds_a_machine(rule)
            marks = [pytest.mark.slow] if slow else []
            yield pytest.param(rule, example, id=f"{code}-{kind.lower()}-{number}", marks=marks)


def test_every_rule_keeps_examples_in_the_quick_run():
    for code, rule in ALL_RULES.items():
        if rule.INVALID and not _builds_a_machine(rule):
            assert any(_code_size(example) <= BIG_EXAMPLE for example in rule.INVALID), code


@pytest.mark.parametrize("rule, example", list(_cases("VALID")))
def test_valid_example_is_not_reported(rule, example, tmp_path):
    findings = _run(rule, example, tmp_path)
    assert findings == [], [f"cell {f.cell} line {f.line}: {f.message}" for f in findings]


@pytest.mark.parametrize("rule, example", list(_cases("INVALID")))
def test_invalid_example_is_reported_where_it_says(rule, example: Invalid, tmp_path):
    findings = _run(rule, example, tmp_path)
    assert findings, f"{rule.code} reported nothing for {example.source!r}"
    wanted = [
        f
        for f in findings
        if f.cell == example.cell
        and (example.line is None or f.line == example.line)
        and (example.column is None or f.column == example.column)
    ]
    assert wanted, f"expected cell={example.cell} line={example.line} column={example.column}, got " + str(
        [(f.cell, f.line, f.column, f.message) for f in findings]
    )
    if example.message is not None:
        assert any(example.message in f.message for f in wanted), [f.message for f in wanted]


REQUIRED_SECTIONS = ("What it does", "Example", "Use instead")


@pytest.mark.parametrize("rule", list(ALL_RULES.values()), ids=list(ALL_RULES))
def test_rule_has_code_name_docs_and_examples(rule):
    assert rule.code.startswith("NB") and len(rule.code) == 5
    assert rule.name == rule.name.lower() and " " not in rule.name and "_" not in rule.name
    sections = rule.doc_sections()
    for section in REQUIRED_SECTIONS:
        assert sections.get(section), f"{rule.code} docs lack '## {section}'"
    assert any(title.startswith("Why") for title in sections), f"{rule.code} docs lack '## Why ...'"
    if rule.options:
        assert "Options" in sections, f"{rule.code} has options but no '## Options' section"
        for option in rule.options:
            assert f"`{option.key}`" in sections["Options"], f"{rule.code} docs do not describe {option.key}"
    if issubclass(rule, (CodeRule, NotebookRule)):
        assert rule.VALID, f"{rule.code} has no VALID examples"
        assert rule.INVALID, f"{rule.code} has no INVALID examples"
    for example in rule.INVALID:
        assert isinstance(example, Invalid)
    for example in rule.VALID:
        assert not isinstance(example, Invalid), f"{rule.code}: an Invalid example sits in VALID"


def test_codes_and_names_are_unique():
    names = [rule.name for rule in ALL_RULES.values()]
    assert len(names) == len(set(names))


def test_engine_rules_are_the_reading_family():
    engine = sorted(code for code, rule in ALL_RULES.items() if issubclass(rule, EngineRule))
    assert engine == ["NB000", "NB001", "NB002", "NB003", "NB004", "NB005"]
    assert not issubclass(ALL_RULES["NB000"], (CodeRule, NotebookRule))
