"""Configuration found from the notebook's folder upward, rule selection, and its errors."""

from __future__ import annotations

import pytest
from conftest import json_findings, run_nblint, write_notebook

PY2 = ["print 'x'\n"]


def _codes(result):
    return sorted({f["code"] for f in json_findings(result)})


def test_nearest_pyproject_applies(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.nblint]\nignore = ["NB001"]\n')
    write_notebook(tmp_path / "sub" / "a.ipynb", PY2)
    result = run_nblint("check", "--format", "json", str(tmp_path / "sub"))
    assert result.returncode == 0 and _codes(result) == []


def test_pyproject_without_nblint_table_is_skipped_upward(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.nblint]\nignore = ["NB001"]\n')
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "pyproject.toml").write_text('[project]\nname = "x"\n')
    write_notebook(tmp_path / "sub" / "a.ipynb", PY2)
    assert _codes(run_nblint("check", "--format", "json", str(tmp_path / "sub"))) == []


def test_nblint_toml_wins_over_pyproject_in_the_same_folder(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.nblint]\nignore = ["NB001"]\n')
    (tmp_path / "nblint.toml").write_text('select = ["NB001"]\n')
    write_notebook(tmp_path / "a.ipynb", PY2)
    assert _codes(run_nblint("check", "--format", "json", str(tmp_path))) == ["NB001"]


@pytest.mark.slow  # several nblint runs in turn
def test_each_notebook_uses_its_own_nearest_configuration(tmp_path):
    (tmp_path / "quiet").mkdir()
    (tmp_path / "quiet" / "nblint.toml").write_text('ignore = ["NB001"]\n')
    write_notebook(tmp_path / "quiet" / "a.ipynb", PY2)
    write_notebook(tmp_path / "loud" / "b.ipynb", PY2)
    findings = json_findings(run_nblint("check", "--format", "json", str(tmp_path)))
    assert [f["path"].split("/")[-1] for f in findings] == ["b.ipynb"]


@pytest.mark.slow  # several nblint runs in turn
def test_unknown_key_is_exit_2_naming_file_and_key(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.nblint]\nslect = ["NB001"]\n')
    write_notebook(tmp_path / "a.ipynb", PY2)
    result = run_nblint("check", str(tmp_path))
    assert result.returncode == 2
    assert "pyproject.toml" in result.stderr and "'slect'" in result.stderr
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1


def test_unknown_code_is_exit_2(tmp_path):
    (tmp_path / "nblint.toml").write_text('ignore = ["NB999"]\n')
    write_notebook(tmp_path / "a.ipynb", PY2)
    result = run_nblint("check", str(tmp_path))
    assert result.returncode == 2 and "NB999" in result.stderr and "nblint.toml" in result.stderr


def test_invalid_toml_is_exit_2(tmp_path):
    (tmp_path / "nblint.toml").write_text("select = [\n")
    write_notebook(tmp_path / "a.ipynb", PY2)
    result = run_nblint("check", str(tmp_path))
    assert result.returncode == 2 and "invalid TOML" in result.stderr and "Traceback" not in result.stderr


def test_bad_option_value_is_exit_2(tmp_path):
    (tmp_path / "nblint.toml").write_text('memory-budget = "lots"\n')
    write_notebook(tmp_path / "a.ipynb", PY2)
    result = run_nblint("check", str(tmp_path))
    assert result.returncode == 2 and "memory-budget" in result.stderr


@pytest.mark.slow  # several nblint runs in turn
def test_command_line_select_overrides_and_ignore_adds(tmp_path):
    (tmp_path / "nblint.toml").write_text('ignore = ["NB001"]\n')
    write_notebook(tmp_path / "a.ipynb", PY2)
    assert _codes(run_nblint("check", "--format", "json", "--select", "NB001", str(tmp_path))) == ["NB001"]
    assert _codes(run_nblint("check", "--format", "json", "--ignore", "NB0", str(tmp_path))) == []
    bad = run_nblint("check", "--select", "XY1", str(tmp_path))
    assert bad.returncode == 2 and "XY1" in bad.stderr


def test_most_specific_selector_wins(tmp_path):
    (tmp_path / "nblint.toml").write_text('select = ["NB001"]\nignore = ["NB0"]\n')
    write_notebook(tmp_path / "a.ipynb", PY2)
    assert _codes(run_nblint("check", "--format", "json", str(tmp_path))) == ["NB001"]
    (tmp_path / "nblint.toml").write_text('select = ["NB0"]\nignore = ["NB001"]\n')
    assert _codes(run_nblint("check", "--format", "json", str(tmp_path))) == []


def test_config_flag_uses_one_file_for_every_notebook(tmp_path):
    config = tmp_path / "elsewhere" / "strict.toml"
    config.parent.mkdir()
    config.write_text('ignore = ["NB001"]\n')
    write_notebook(tmp_path / "a.ipynb", PY2)
    assert _codes(run_nblint("check", "--format", "json", "--config", str(config), str(tmp_path))) == []
    missing = run_nblint("check", "--config", str(tmp_path / "nope.toml"), str(tmp_path))
    assert missing.returncode == 2 and "not found" in missing.stderr


def test_per_file_ignores_and_exclude(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.nblint]\nexclude = ["scratch_*.ipynb", "legacy/"]\n'
        '[tool.nblint.per-file-ignores]\n"tutorials/*.ipynb" = ["NB001"]\n'
    )
    for name in ("a.ipynb", "scratch_1.ipynb", "legacy/old.ipynb", "tutorials/t.ipynb"):
        write_notebook(tmp_path / name, PY2)
    findings = json_findings(run_nblint("check", "--format", "json", str(tmp_path)))
    assert [f["path"].split("/")[-1] for f in findings] == ["a.ipynb"]
    # exclude holds for a file named on the command line too (pre-commit passes files by name)
    direct = run_nblint("check", "--format", "json", str(tmp_path / "scratch_1.ipynb"))
    assert json_findings(direct) == []


def test_default_excludes_skip_checkpoints_git_and_virtualenvs(tmp_path):
    write_notebook(tmp_path / "a.ipynb", PY2)
    write_notebook(tmp_path / ".ipynb_checkpoints" / "a-checkpoint.ipynb", PY2)
    write_notebook(tmp_path / ".git" / "x.ipynb", PY2)
    write_notebook(tmp_path / "myenv" / "lib" / "x.ipynb", PY2)
    (tmp_path / "myenv" / "pyvenv.cfg").write_text("home = /usr\n")
    findings = json_findings(run_nblint("check", "--format", "json", str(tmp_path)))
    assert [f["path"].split("/")[-1] for f in findings] == ["a.ipynb"]


@pytest.mark.parametrize("value", ["2", '"2"', "1.5"])
def test_a_size_without_a_unit_is_an_error_showing_the_form(tmp_path, value):
    (tmp_path / "nblint.toml").write_text(f"memory-budget = {value}\n")
    write_notebook(tmp_path / "a.ipynb", ["x = 1\n"])
    result = run_nblint("check", "--no-cache", str(tmp_path))
    assert result.returncode == 2 and result.stdout == ""
    assert 'nblint.toml: memory-budget: expected a size with its unit, such as "2 GiB"' in result.stderr
    assert "without a unit" in result.stderr and result.stderr.count("\n") == 1


def test_a_size_with_a_unit_or_zero_is_read(tmp_path):
    write_notebook(tmp_path / "a.ipynb", ["import numpy as np\nx = np.zeros((1000, 1000))\n"])  # 7.6 MiB
    for budget, codes in (('"2 GiB"', []), ('"1 MiB"', ["NB101"]), ("0", ["NB101"])):
        (tmp_path / "nblint.toml").write_text(f"memory-budget = {budget}\n")
        assert _codes(run_nblint("check", "--no-cache", "--format", "json", str(tmp_path))) == codes, budget


@pytest.mark.parametrize(
    "table, key, suggestion",
    [
        ('[tool.nblint]\nmemory_budget = "2 GiB"\n', "memory_budget", "memory-budget"),
        ("[tool.nblint]\nmax-printed-line = 10\n", "max-printed-line", "max-printed-lines"),
        ('[tool.nblint]\nextend_select = ["NB501"]\n', "extend_select", "extend-select"),
        ("[tool.nblint.strip]\nkeep_output = true\n", "keep_output", "keep-output"),
        ('[tool.nblint.strip]\nextra-key = ["metadata.foo"]\n', "extra-key", "extra-keys"),
    ],
)
def test_an_unknown_key_suggests_the_nearest(tmp_path, table, key, suggestion):
    (tmp_path / "pyproject.toml").write_text(table)
    write_notebook(tmp_path / "a.ipynb", ["x = 1\n"])
    commands = [("check", "--no-cache")] + ([("strip", "--check")] if "strip]" in table else [])
    for command in commands:  # one loader reads the whole table for both
        result = run_nblint(*command, str(tmp_path))
        assert result.returncode == 2, (command, result.stdout)
        assert f"unknown key '{key}'" in result.stderr and f"(did you mean {suggestion}?)" in result.stderr
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_check_refuses_a_strip_table_strip_would_refuse(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.nblint.strip]\nkeep-output = "yes"\n')
    write_notebook(tmp_path / "a.ipynb", ["x = 1\n"])
    for command in (("check", "--no-cache"), ("strip", "--check")):
        result = run_nblint(*command, str(tmp_path))
        assert result.returncode == 2
        assert "strip.keep-output: expected true or false, got 'yes'" in result.stderr


def test_an_unknown_code_suggests_the_code_of_a_rule_named_or_the_nearest(tmp_path):
    write_notebook(tmp_path / "a.ipynb", ["x = 1\n"])
    (tmp_path / "nblint.toml").write_text('per-file-ignores = { "*.ipynb" = ["unbounded-loop"] }\n')
    result = run_nblint("check", str(tmp_path))
    assert result.returncode == 2 and "(did you mean NB201, the code of unbounded-loop?)" in result.stderr
    result = run_nblint("check", "--select", "NB2O1", str(tmp_path))
    assert result.returncode == 2 and "unknown rule code or prefix 'NB2O1' (did you mean NB201?)" in result.stderr
