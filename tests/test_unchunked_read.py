"""NB301 unchunked-read through the real command line: sparse data files, options in a pyproject.toml."""

from __future__ import annotations

import pytest

from pathlib import Path

from conftest import json_findings, run_nblint, write_notebook

from nblint.core.code.context import CodeContext
from nblint.rules.data.local_paths import find_local

GiB = 2**30
MiB = 2**20


def sparse(path: Path, size: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        handle.truncate(size)  # no disk used
    return path


def pyproject(folder: Path, body: str) -> Path:
    path = folder / "pyproject.toml"
    path.write_text("[tool.nblint]\n" + body, encoding="utf-8")
    return path


def nb301(folder: Path, *args: str) -> list[dict]:
    result = run_nblint("check", "--select", "NB301", "--format", "json", *args, str(folder), cwd=folder)
    assert result.returncode in (0, 1), result.stderr
    return json_findings(result)


READ_BIG = ["import pandas as pd\n", "df = pd.read_csv('data/big.csv')\n"]


def test_a_big_csv_is_reported_at_the_call_with_the_estimate(tmp_path):
    write_notebook(tmp_path / "nb.ipynb", READ_BIG)
    sparse(tmp_path / "data" / "big.csv", 3 * GiB)
    findings = nb301(tmp_path)
    assert [(f["cell"], f["line"], f["column"], f["severity"]) for f in findings] == [(1, 1, 6, "warning")]
    message = findings[0]["message"]
    assert "data/big.csv (3.0 GiB)" in message and "~6.0 GiB in memory" in message and "1 GiB budget" in message
    assert "chunksize=" in findings[0]["fix"]


def test_text_output_and_exit_code(tmp_path):
    write_notebook(tmp_path / "nb.ipynb", READ_BIG)
    sparse(tmp_path / "data" / "big.csv", 3 * GiB)
    result = run_nblint("check", "--select", "NB301", str(tmp_path / "nb.ipynb"), cwd=tmp_path)
    assert result.returncode == 1
    assert "cell 2:1:6: NB301" in result.stdout


@pytest.mark.slow  # several nblint runs in turn
def test_a_missing_file_or_a_small_file_is_not_reported(tmp_path):
    write_notebook(tmp_path / "nb.ipynb", READ_BIG)
    assert nb301(tmp_path) == []
    sparse(tmp_path / "data" / "big.csv", 100 * MiB)
    assert nb301(tmp_path) == []


@pytest.mark.slow  # several nblint runs in turn
def test_memory_budget_option(tmp_path):
    write_notebook(tmp_path / "nb.ipynb", READ_BIG)
    sparse(tmp_path / "data" / "big.csv", 200 * MiB)  # ~400 MiB in memory
    assert nb301(tmp_path) == []
    pyproject(tmp_path, 'memory-budget = "256 MiB"\n')
    findings = nb301(tmp_path)
    assert len(findings) == 1 and "over the 256 MiB budget" in findings[0]["message"]
    sparse(tmp_path / "data" / "big.csv", 3 * GiB)
    pyproject(tmp_path, 'memory-budget = "8 GiB"\n')
    assert nb301(tmp_path) == []


def test_data_dirs_are_relative_to_the_configuration_files_folder(tmp_path):
    project = tmp_path / "project"
    notebooks = project / "notebooks" / "eda"
    write_notebook(notebooks / "nb.ipynb", ["import pandas as pd\ndf = pd.read_csv('big.csv')\n"])
    sparse(project / "shared_data" / "big.csv", 3 * GiB)
    # a folder of the same name beside the notebook must not be the one used
    (notebooks / "shared_data").mkdir()
    assert nb301(notebooks) == []
    pyproject(project, 'data-dirs = ["shared_data"]\n')
    findings = nb301(notebooks)  # run from the notebook's folder: the config's folder still anchors it
    assert len(findings) == 1
    assert "shared_data" in findings[0]["message"] and "3.0 GiB" in findings[0]["message"]


def test_data_dirs_accept_absolute_folders_and_try_them_in_order(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    sparse(elsewhere / "big.csv", 3 * GiB)
    project = tmp_path / "project"
    write_notebook(project / "nb.ipynb", ["import pandas as pd\ndf = pd.read_csv('big.csv')\n"])
    (project / "empty").mkdir()
    pyproject(project, f'data-dirs = ["empty", "{elsewhere.as_posix()}"]\n')
    findings = nb301(project)
    assert len(findings) == 1 and "elsewhere/big.csv (3.0 GiB)" in findings[0]["message"]
    # the notebook's own folder comes first: a small file there wins over the big one
    sparse(project / "big.csv", 10)
    assert nb301(project) == []


def test_flag_unknown_read_size_reports_info_only_for_unknown_sizes(tmp_path):
    cells = [
        "import sys\nimport pandas as pd\n",
        "a = pd.read_csv(sys.argv[1])\n",  # path computed at run time
        "b = pd.read_csv('data/missing.csv')\n",  # does not exist here: never reported
        "c = pd.read_csv('https://example.org/big.csv')\n",  # remote: never reported
        "d = pd.read_csv('data/big.csv', usecols=['id'])\n",  # part of a big file: size unknown
        "e = pd.read_csv('data/big.csv', chunksize=10_000)\n",  # bounded: never reported
    ]
    write_notebook(tmp_path / "nb.ipynb", cells)
    sparse(tmp_path / "data" / "big.csv", 3 * GiB)
    assert nb301(tmp_path) == []
    pyproject(tmp_path, "flag-unknown-read-size = true\n")
    findings = nb301(tmp_path)
    assert [(f["cell"], f["severity"]) for f in findings] == [(1, "info"), (4, "info")]
    assert "computed when the notebook runs" in findings[0]["message"]
    assert "usecols=" in findings[1]["message"]


def test_bad_option_values_are_configuration_errors(tmp_path):
    write_notebook(tmp_path / "nb.ipynb", READ_BIG)
    pyproject(tmp_path, 'data-dirs = "data"\n')
    result = run_nblint("check", "--select", "NB301", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 2 and "data-dirs" in result.stderr and "Traceback" not in result.stderr
    pyproject(tmp_path, 'flag-unknown-read-size = "yes"\n')
    result = run_nblint("check", "--select", "NB301", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 2 and "flag-unknown-read-size" in result.stderr


def test_a_partitioned_parquet_folder_counts_all_its_files(tmp_path):
    write_notebook(tmp_path / "nb.ipynb", ["import pandas as pd\ndf = pd.read_parquet('events')\n"])
    for year in (2022, 2023, 2024):
        sparse(tmp_path / "events" / f"year={year}" / "part-0.parquet", 100 * MiB)
    sparse(tmp_path / "events" / "_SUCCESS", 0)
    findings = nb301(tmp_path)
    assert len(findings) == 1 and "(3 files, 300 MiB)" in findings[0]["message"]


def test_the_files_sized_are_recorded_on_the_context(tmp_path):
    sparse(tmp_path / "data" / "big.csv", 3 * GiB)
    context = CodeContext(None, tmp_path)
    found = find_local(context, "big.csv", [str(tmp_path / "nowhere"), "data"])
    assert found is not None and found.size == 3 * GiB
    assert context.files_stat == {
        str(tmp_path / "big.csv"): None,
        str(tmp_path / "nowhere" / "big.csv"): None,
        str(tmp_path / "data" / "big.csv"): 3 * GiB,
    }
