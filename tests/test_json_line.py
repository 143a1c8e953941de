"""json_line: the line of the raw .ipynb file that holds the reported source line, checked by re-reading
the file."""

from __future__ import annotations

import json

from conftest import json_findings, run_nblint, write_notebook

from nblint.core.read.jsonlocator import locate_lines
from nblint.testing import make_notebook


def _finding(path):
    findings = json_findings(run_nblint("check", "--format", "json", "--select", "NB001", str(path)))
    assert len(findings) == 1, findings
    return findings[0]


def _raw_line(path, number):
    return path.read_text(encoding="utf-8").splitlines()[number - 1]


def test_json_line_of_each_line_of_a_cell(tmp_path):
    for bad_line in range(1, 6):
        lines = [f"v{i} = {i}\n" for i in range(1, 6)]
        lines[bad_line - 1] = "print 'é \"quoted\" \\\\ here'\n"
        path = write_notebook(
            tmp_path / f"n{bad_line}.ipynb", [{"cell_type": "markdown", "source": "# t\n\nx"}, "".join(lines)]
        )
        finding = _finding(path)
        assert (finding["cell"], finding["line"]) == (1, bad_line)
        assert json.loads(_raw_line(path, finding["json_line"]).strip().rstrip(",")) == lines[bad_line - 1]


def test_json_line_with_ascii_escapes_and_other_indents(tmp_path):
    notebook = make_notebook(["x = 'ünïcode'\n", "y = 1\nprint 'é'\n"])
    path = tmp_path / "ascii.ipynb"
    path.write_text(json.dumps(notebook, indent=2, ensure_ascii=True) + "\n")
    finding = _finding(path)
    assert json.loads(_raw_line(path, finding["json_line"]).strip().rstrip(",")) == "print 'é'\n"


def test_source_as_one_string_falls_back_to_the_source_key(tmp_path):
    notebook = make_notebook(["x = 1\n"])
    notebook["cells"].append(
        {
            "cell_type": "code",
            "execution_count": None,
            "id": "s",
            "metadata": {},
            "outputs": [],
            "source": "y = 1\nprint 'x'\n",
        }
    )
    path = tmp_path / "string_source.ipynb"
    path.write_text(json.dumps(notebook, indent=1))
    finding = _finding(path)
    assert finding["line"] == 2
    assert '"source": "y = 1\\nprint' in _raw_line(path, finding["json_line"])


def test_locator_records_keys_and_elements():
    text = '{\n "a": [\n  "x",\n  {"b": 1}\n ],\n "c": {\n  "d": "\\"}{[]"\n }\n}\n'
    lines = locate_lines(text)
    assert lines[("a",)] == 2 and lines[("a", 0)] == 3 and lines[("a", 1)] == 4
    assert lines[("c", "d")] == 7
