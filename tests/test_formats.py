"""The five output formats, from the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import REPO, run_nblint, write_notebook
from nblint.rules import ALL_RULES

SARIF_SCHEMA = REPO.parent / "shared" / "data" / "sarif-schema-2.1.0.json"


@pytest.fixture
def sample(tmp_path):
    cells = [
        {"cell_type": "markdown", "source": "# Title\n\nsome text"},
        "import os\n",
        "x = 1\nif x:\n    print 'hello, world'\n",
    ]
    return write_notebook(tmp_path / "demo.ipynb", cells)


def test_text_format(sample):
    result = run_nblint("check", str(sample))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{sample}:cell 3:3:")
    assert " NB001 cell 3 is not valid Python" in lines[0]
    assert lines[-1] == "Found 1 finding in 1 notebook."


def test_full_format_shows_the_line_and_a_caret(sample):
    result = run_nblint("check", "--format", "full", str(sample))
    assert "    print 'hello, world'" in result.stdout
    caret_line = next(line for line in result.stdout.splitlines() if line.strip().endswith("^"))
    source_line = next(line for line in result.stdout.splitlines() if "print 'hello" in line and "|" in line)
    assert caret_line.index("^") >= source_line.index("print")


def test_json_format_fields_and_json_line(sample):
    result = run_nblint("check", "--format", "json", str(sample))
    findings = json.loads(result.stdout)
    assert len(findings) == 1
    finding = findings[0]
    for key in ("code", "name", "message", "severity", "path", "cell", "cell_id", "line", "column",
                "end_line", "end_column", "json_line", "fix"):
        assert key in finding
    assert finding["cell"] == 2 and finding["cell_id"] == "cell-2" and finding["line"] == 3
    assert finding["severity"] == "error" and finding["name"] == "syntax-error"
    raw_line = sample.read_text().splitlines()[finding["json_line"] - 1]
    assert json.loads(raw_line.strip().rstrip(",")) == "    print 'hello, world'\n"


def test_github_format(sample):
    result = run_nblint("check", "--format", "github", str(sample))
    line = result.stdout.strip()
    findings = json.loads(run_nblint("check", "--format", "json", str(sample)).stdout)
    assert line.startswith(f"::error file={sample},line={findings[0]['json_line']},title=NB001 syntax-error::")
    assert "cell 3, line 3" in line


def test_github_format_escapes(tmp_path):
    path = tmp_path / "we,ird:name.ipynb"
    path.write_text("{broken")
    line = run_nblint("check", "--format", "github", str(path)).stdout.strip()
    assert "we%2Cird%3Aname.ipynb" in line and "we,ird:name" not in line


def test_sarif_is_valid_against_the_2_1_0_schema(sample, tmp_path):
    if not SARIF_SCHEMA.exists():
        pytest.skip(f"the SARIF 2.1.0 schema is not at {SARIF_SCHEMA} on this machine")
    jsonschema = pytest.importorskip("jsonschema")
    (tmp_path / "broken.ipynb").write_text("{")
    result = run_nblint("check", "--format", "sarif", str(tmp_path))
    document = json.loads(result.stdout)
    schema = json.loads(SARIF_SCHEMA.read_text())
    jsonschema.validate(document, schema)
    run = document["runs"][0]
    ids = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert ids == list(ALL_RULES)
    assert all(rule["help"]["text"] for rule in run["tool"]["driver"]["rules"])
    assert sorted(r["ruleId"] for r in run["results"]) == ["NB001", "NB002"]
    nb001 = next(r for r in run["results"] if r["ruleId"] == "NB001")
    assert run["tool"]["driver"]["rules"][nb001["ruleIndex"]]["id"] == "NB001"
    region = nb001["locations"][0]["physicalLocation"]["region"]
    assert "print 'hello" in sample.read_text().splitlines()[region["startLine"] - 1]


def test_output_file_and_exit_zero(sample, tmp_path):
    out = tmp_path / "report.json"
    result = run_nblint("check", "--format", "json", "--output-file", str(out), "--exit-zero", str(sample))
    assert result.returncode == 0
    assert json.loads(out.read_text())[0]["code"] == "NB001"


def test_clean_run_exits_0_with_a_summary(tmp_path):
    path = write_notebook(tmp_path / "ok.ipynb", ["x = 1\n"])
    result = run_nblint("check", str(path))
    assert result.returncode == 0
    assert result.stdout.strip() == "All checks passed: 1 notebook checked."
    assert json.loads(run_nblint("check", "--format", "json", str(path)).stdout) == []
