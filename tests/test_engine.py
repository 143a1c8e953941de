"""The engine's promises: an unexpected error in one notebook is NB000 for that notebook alone."""

from __future__ import annotations

from pathlib import Path

from conftest import write_notebook

from nblint import rules as registry
from nblint.core.findings import Severity
from nblint.rules.base import CodeRule
from nblint.run.config import ConfigResolver, Overrides
from nblint.run.runner import check_files


class ExplodingRule(CodeRule):
    """A rule with a bug: it raises on every call it sees."""

    code = "NB999"
    name = "exploding"
    severity = Severity.ERROR

    def visit_Call(self, node):
        raise ZeroDivisionError("a bug in a rule")


def test_internal_error_is_nb000_and_the_run_goes_on(tmp_path, monkeypatch):
    monkeypatch.setitem(registry.CHECK_RULES, "NB999", ExplodingRule)  # the rules check runs
    monkeypatch.setitem(registry.ALL_RULES, "NB999", ExplodingRule)
    bad = write_notebook(tmp_path / "a.ipynb", ["print(1)\n"])
    good = write_notebook(tmp_path / "b.ipynb", ["print 'py2'\n"])
    (tmp_path / "nblint.toml").write_text('extend-select = ["NB999"]\n')
    results = check_files([bad, good], ConfigResolver(Overrides()))
    by_name = {Path(r.path).name: r for r in results}
    [internal] = by_name["a.ipynb"].findings
    assert internal.code == "NB000"
    assert "ZeroDivisionError: a bug in a rule" in internal.message and "\n" not in internal.message
    assert [f.code for f in by_name["b.ipynb"].findings] == ["NB001"]
