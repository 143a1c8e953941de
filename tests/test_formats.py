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
    assert lines[-1] == "Found 1 finding in 1 notebook (1 checked)."


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
    for key in (
        "code",
        "name",
        "message",
        "severity",
        "path",
        "cell",
        "cell_id",
        "line",
        "column",
        "end_line",
        "end_column",
        "json_line",
        "fix",
    ):
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


def _many_findings(folder: Path) -> None:
    """Two clean notebooks and one with 30 findings of two codes (26 NB703 tracebacks, 4 NB001)."""
    write_notebook(folder / "a_clean.ipynb", ["x = 1\n"])
    write_notebook(folder / "b_clean.ipynb", ["y = 2\n"])
    error = {"output_type": "error", "ename": "KeyError", "evalue": "'k'", "traceback": ["KeyError: 'k'"]}
    cells = [
        {"cell_type": "code", "source": f"d[{i}]\n", "execution_count": None, "outputs": [error]} for i in range(26)
    ] + ["print 'x'\n"] * 4
    write_notebook(folder / "c_noisy.ipynb", cells)


def test_summary_counts_the_notebooks_checked_and_a_long_report_ends_with_counts_by_code(tmp_path):
    _many_findings(tmp_path)
    result = run_nblint("check", "--no-cache", str(tmp_path))
    lines = result.stdout.splitlines()
    assert result.returncode == 1
    assert lines[-1] == "Found 30 findings in 1 notebook (3 checked). 26 fixable with `nblint check --fix`."
    assert lines[-4:-1] == ["By code:", "   4  NB001  syntax-error", "  26  NB703  error-output"]  # by severity
    full = run_nblint("check", "--no-cache", "--format", "full", str(tmp_path)).stdout
    assert "\n\nBy code:\n   4  NB001  syntax-error\n  26  NB703  error-output\n\nFound 30 findings" in full
    # a short report has no tail
    short = run_nblint(
        "check", "--no-cache", str(tmp_path / "a_clean.ipynb"), str(tmp_path / "c_noisy.ipynb"), "--ignore", "NB703"
    ).stdout
    assert "By code:" not in short and short.splitlines()[-1] == "Found 4 findings in 1 notebook (2 checked)."


def test_statistics_flag_counts_per_code_instead_of_listing(tmp_path):
    _many_findings(tmp_path)
    result = run_nblint("check", "--no-cache", "--statistics", str(tmp_path))
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "26  NB703  error-output",
        " 4  NB001  syntax-error",
        "Found 30 findings in 1 notebook (3 checked). 26 fixable with `nblint check --fix`.",
    ]
    as_json = run_nblint("check", "--no-cache", "--statistics", "--format", "json", str(tmp_path))
    assert json.loads(as_json.stdout) == [
        {"code": "NB703", "name": "error-output", "count": 26},
        {"code": "NB001", "name": "syntax-error", "count": 4},
    ]
    refused = run_nblint("check", "--no-cache", "--statistics", "--format", "sarif", str(tmp_path))
    assert refused.returncode == 2 and refused.stdout == "" and "--statistics works with" in refused.stderr


def test_a_folder_without_notebooks_says_nothing_was_found_to_check(tmp_path):
    (tmp_path / "emptydir").mkdir()
    result = run_nblint("check", "emptydir", cwd=tmp_path)
    assert result.returncode == 0  # as ruff on a folder without Python files: a warning, not an error
    assert result.stdout == "No notebooks found to check.\n"
    assert result.stderr == "nblint: warning: emptydir: no notebooks found\n"


def _sarif_validator():
    """jsonschema's validator for the SARIF 2.1.0 schema, with a format checker that knows uri-reference."""
    if not SARIF_SCHEMA.exists():
        pytest.skip(f"the SARIF 2.1.0 schema is not at {SARIF_SCHEMA} on this machine")
    jsonschema = pytest.importorskip("jsonschema")
    checker = jsonschema.FormatChecker()
    if "uri-reference" not in checker.checkers:
        pytest.skip("jsonschema cannot check the uri-reference format here (install jsonschema[format-nongpl])")
    schema = json.loads(SARIF_SCHEMA.read_text())
    return jsonschema.Draft7Validator(schema, format_checker=checker), checker


def test_sarif_uris_are_rfc_3986_references(tmp_path):
    validator, checker = _sarif_validator()
    names = ["my notebooks/a b.ipynb", "x:y%z.ipynb", "caf\u00e9 #1?.ipynb"]
    for name in names:
        write_notebook(tmp_path / name, ["print 'x'\n"])
    result = run_nblint("check", "--no-cache", "--format", "sarif", *names, cwd=tmp_path)
    document = json.loads(result.stdout)
    errors = [error.message for error in validator.iter_errors(document)]
    assert errors == []
    uris = sorted(
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in document["runs"][0]["results"]
    )
    assert uris == ["caf%C3%A9%20%231%3F.ipynb", "my%20notebooks/a%20b.ipynb", "x%3Ay%25z.ipynb"]
    from urllib.parse import unquote, urlsplit

    for uri in uris:
        assert urlsplit(uri).scheme == "" and unquote(uri) in names  # a relative reference to the very file
    # an absolute path becomes a file:// URI
    absolute = run_nblint("check", "--no-cache", "--format", "sarif", str(tmp_path / "x:y%z.ipynb"))
    [only] = json.loads(absolute.stdout)["runs"][0]["results"]
    uri = only["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == (tmp_path / "x:y%z.ipynb").as_uri() and uri.endswith("/x%3Ay%25z.ipynb")
    assert checker.conforms(uri, "uri-reference")
