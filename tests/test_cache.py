"""The result cache (.nblint_cache/) never changes what is reported; it is used, invalidated, ignored
when damaged, shared safely by concurrent runs, and removed by `nblint clean`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import json_findings, run_nblint, write_notebook
from speed_projects import grow, make_project

from nblint.reporters import FORMATS
from nblint.run.cache import FORMAT


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    return make_project(tmp_path_factory.mktemp("cached") / "project")


def check(project: Path, *args: str, cache_dir: Path | None = None) -> subprocess.CompletedProcess:
    extra = ("--cache-dir", str(cache_dir)) if cache_dir is not None else ()
    result = run_nblint("check", ".", *args, *extra, cwd=project)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode in (0, 1), result.stderr
    return result


def entries(cache_dir: Path) -> list[Path]:
    return sorted(cache_dir.glob("*/*/*.json"))


@pytest.mark.slow  # eleven runs over a project of 120 notebooks
def test_cold_warm_and_uncached_runs_report_the_same_in_every_format(project, tmp_path):
    from nblint.run.cache import source_stamp

    source_before = source_stamp()  # an edit of nblint itself mid-test (a shared work tree) starts a new cache
    cache_dir = tmp_path / "cache"
    cold = check(project, "--format", "json", cache_dir=cache_dir)
    stored = entries(cache_dir)
    notebooks = [p for p in project.rglob("*.ipynb") if ".nblint_cache" not in p.parts]
    # every notebook that could be read is stored; the unreadable ones too (their verdict is in the bytes)
    assert len(stored) == len(notebooks)
    for format_name in FORMATS:
        uncached = check(project, "--format", format_name, "--no-cache")
        warm = check(project, "--format", format_name, cache_dir=cache_dir)
        assert warm.stdout == uncached.stdout, format_name
        assert warm.returncode == uncached.returncode == 1
        if format_name == "json":
            assert cold.stdout == uncached.stdout
            assert json_findings(warm)  # not an empty report compared with an empty report
    if source_stamp() == source_before:
        assert entries(cache_dir) == stored  # warm runs wrote nothing new: they were hits


@pytest.mark.slow  # runs over a project of 120 notebooks
def test_the_full_format_shows_source_lines_from_the_cache(project, tmp_path):
    cache_dir = tmp_path / "cache"
    check(project, "--format", "full", cache_dir=cache_dir)
    warm = check(project, "--format", "full", cache_dir=cache_dir)
    assert " | a = np.random.rand(N, N)" in warm.stdout
    assert "= help:" in warm.stdout


def test_a_hit_is_the_stored_result_and_an_edited_notebook_is_checked_again(tmp_path):
    project = tmp_path / "p"
    first = write_notebook(project / "a.ipynb", ["import time\ntime.sleep(86400)\n"])
    second = write_notebook(project / "b.ipynb", ["import time\ntime.sleep(90000)\n"])
    cache_dir = project / ".nblint_cache"
    check(project, "--format", "json")
    # Mark every stored message: a run that uses the cache reports the marks, one that re-checks does not.
    for entry in entries(cache_dir):
        data = json.loads(entry.read_text())
        for finding in data["findings"]:
            finding["message"] = "FROM CACHE " + finding["message"]
        entry.write_text(json.dumps(data))
    messages = {f["path"]: f["message"] for f in json_findings(check(project, "--format", "json"))}
    assert all(message.startswith("FROM CACHE ") for message in messages.values()) and len(messages) == 2

    write_notebook(first, ["import time\ntime.sleep(86401)\n"])  # edited: its entry no longer matches
    messages = {Path(f["path"]).name: f["message"] for f in json_findings(check(project, "--format", "json"))}
    assert not messages["a.ipynb"].startswith("FROM CACHE ") and "86401" in messages["a.ipynb"]
    assert messages["b.ipynb"].startswith("FROM CACHE ")
    assert second.exists()


@pytest.mark.parametrize(
    "damage",
    [
        "garbage bytes",
        "truncated",
        "empty",
        "a list",
        "another format",
        "another notebook's entry",
        "bad finding",
        "bad dependencies",
    ],
)
@pytest.mark.slow  # two runs for each kind of damage
def test_damaged_or_foreign_entries_are_ignored(damage, tmp_path):
    project = tmp_path / "p"
    write_notebook(project / "a.ipynb", ["import time\ntime.sleep(86400)\n"])
    write_notebook(project / "b.ipynb", ["while True:\n    pass\n"])
    expected = check(project, "--format", "json", "--no-cache").stdout
    check(project, "--format", "json")
    a_entry, b_entry = entries(project / ".nblint_cache")
    data = json.loads(a_entry.read_text())
    damaged = {
        "garbage bytes": b"\x00\xff\xfe not json",
        "truncated": a_entry.read_bytes()[:40],
        "empty": b"",
        "a list": b"[1, 2, 3]",
        "another format": json.dumps({**data, "format": 999}).encode(),
        "another notebook's entry": b_entry.read_bytes(),
        "bad finding": json.dumps({**data, "findings": [{"code": "NB101"}]}).encode(),
        "bad dependencies": json.dumps({**data, "dependencies": ["not", "a", "mapping"]}).encode(),
    }[damage]
    a_entry.write_bytes(damaged)
    (a_entry.parent / "stray.json").write_text("{}")  # a foreign file in the folder
    assert check(project, "--format", "json").stdout == expected
    assert check(project, "--format", "json").stdout == expected  # and the entry was rewritten whole
    assert json.loads(a_entry.read_text())["format"] == FORMAT


@pytest.mark.slow  # several nblint runs in turn
def test_a_change_of_settings_is_a_miss(tmp_path):
    project = tmp_path / "p"
    write_notebook(project / "a.ipynb", ["import numpy as np\na = np.zeros((20000, 20000))\n"])  # 3.0 GiB
    (project / "pyproject.toml").write_text('[tool.nblint]\nmemory-budget = "1 GiB"\n')
    assert [f["code"] for f in json_findings(check(project, "--format", "json"))] == ["NB101"]
    (project / "pyproject.toml").write_text('[tool.nblint]\nmemory-budget = "8 GiB"\n')
    assert json_findings(check(project, "--format", "json")) == []
    assert json_findings(check(project, "--format", "json", "--select", "NB2")) == []
    (project / "pyproject.toml").write_text('[tool.nblint]\nmemory-budget = "1 GiB"\n')
    assert [f["code"] for f in json_findings(check(project, "--format", "json"))] == ["NB101"]
    assert json_findings(check(project, "--format", "json", "--ignore", "NB101")) == []


@pytest.mark.slow  # several runs in turn
def test_a_data_file_that_changes_size_is_a_miss(tmp_path):
    # NB301 sizes the file a read_csv names: the verdict depends on that file, not only on the notebook.
    project = tmp_path / "p"
    write_notebook(project / "reads.ipynb", ["import pandas as pd\ndf = pd.read_csv('data/table.csv')\n"])
    data = project / "data" / "table.csv"

    def codes() -> list[str]:
        cached = [f["code"] for f in json_findings(check(project, "--format", "json"))]
        assert cached == [f["code"] for f in json_findings(check(project, "--format", "json", "--no-cache"))]
        return cached

    assert codes() == []  # the file does not exist: its size is unknown, never guessed
    data.parent.mkdir()
    data.write_text("a,b\n1,2\n")
    assert codes() == []  # appeared, small
    grow(data, 3 * 2**30)
    assert codes() == ["NB301"]  # grew to 3 GiB
    grow(data, 10)
    assert codes() == []
    data.unlink()
    assert codes() == []


@pytest.mark.slow  # several nblint runs in turn
def test_the_cache_lives_at_the_project_root_with_a_tag_and_a_gitignore(tmp_path):
    project = tmp_path / "p"
    (project / "sub").mkdir(parents=True)
    (project / "pyproject.toml").write_text("[tool.nblint]\n")
    write_notebook(project / "sub" / "a.ipynb", ["print(1)\n"])
    run_nblint("check", "a.ipynb", cwd=project / "sub")  # configuration found upward: the cache sits beside it
    cache = project / ".nblint_cache"
    assert cache.is_dir() and not (project / "sub" / ".nblint_cache").exists()
    assert (cache / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")
    assert (cache / ".gitignore").read_text().splitlines()[-1] == "*"
    assert len(entries(cache)) == 1

    other = tmp_path / "elsewhere"  # no configuration anywhere above: the current folder
    write_notebook(other / "b.ipynb", ["print(1)\n"])
    run_nblint("check", ".", cwd=other)
    assert (other / ".nblint_cache" / "CACHEDIR.TAG").is_file()

    uncached = tmp_path / "uncached"
    write_notebook(uncached / "c.ipynb", ["print(1)\n"])
    run_nblint("check", ".", "--no-cache", cwd=uncached)
    assert not (uncached / ".nblint_cache").exists()

    chosen = tmp_path / "chosen-by-env"
    run_nblint("check", ".", cwd=uncached, env={"NBLINT_CACHE_DIR": str(chosen)})
    assert len(entries(chosen)) == 1 and not (uncached / ".nblint_cache").exists()


def test_an_unwritable_cache_location_is_not_an_error(tmp_path):
    project = tmp_path / "p"
    write_notebook(project / "a.ipynb", ["import time\ntime.sleep(86400)\n"])
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = run_nblint("check", ".", "--format", "json", "--cache-dir", str(blocker / "cache"), cwd=project)
    assert result.returncode == 1 and result.stderr == ""
    assert [f["code"] for f in json_findings(result)] == ["NB405"]


@pytest.mark.slow  # concurrent runs over a project of 120 notebooks
def test_concurrent_runs_share_the_cache_safely(project, tmp_path):
    cache_dir = tmp_path / "shared-cache"
    expected = check(project, "--format", "json", "--no-cache").stdout
    command = [sys.executable, "-m", "nblint", "check", ".", "--format", "json", "--cache-dir", str(cache_dir)]
    runs = [
        subprocess.Popen(command, cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    for run in runs:
        out, err = run.communicate(timeout=300)
        assert out == expected and "Traceback" not in err
    assert check(project, "--format", "json", cache_dir=cache_dir).stdout == expected
    assert not list(cache_dir.rglob("*.nblint-tmp"))  # no temporary file left behind


@pytest.mark.slow  # several runs and cleans in turn
def test_clean_removes_the_cache_and_nothing_else(tmp_path):
    project = tmp_path / "p"
    (project / "nested").mkdir(parents=True)
    (project / "pyproject.toml").write_text("[tool.nblint]\n")
    write_notebook(project / "a.ipynb", ["print(1)\n"])
    run_nblint("check", ".", cwd=project)
    (project / "nested" / "pyproject.toml").write_text("[tool.nblint]\n")
    write_notebook(project / "nested" / "b.ipynb", ["print(1)\n"])
    run_nblint("check", ".", cwd=project / "nested")
    assert (project / ".nblint_cache").is_dir() and (project / "nested" / ".nblint_cache").is_dir()

    result = run_nblint("clean", cwd=project)
    assert result.returncode == 0, result.stderr
    assert not (project / ".nblint_cache").exists() and not (project / "nested" / ".nblint_cache").exists()
    assert (project / "a.ipynb").is_file() and (project / "nested" / "b.ipynb").is_file()
    assert run_nblint("clean", cwd=project).returncode == 0  # nothing to clean is fine

    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.tex").write_text("years of work")
    result = run_nblint("clean", "--cache-dir", str(precious), cwd=project)
    assert (precious / "thesis.tex").is_file() and "not an nblint cache" in result.stderr


def test_the_runner_keeps_a_stable_order(tmp_path):
    from nblint.run.cache import Cache
    from nblint.run.config import ConfigResolver
    from nblint.run.runner import check_files

    files = [
        write_notebook(tmp_path / f"{name}.ipynb", ["import time\ntime.sleep(86400)\ntime.sleep(99999)\n"])
        for name in ("c", "a", "b")
    ]
    cold = check_files(files, ConfigResolver(), jobs=1, cache=Cache(tmp_path / "cache"))
    warm = check_files(list(reversed(files)), ConfigResolver(), jobs=1, cache=Cache(tmp_path / "cache"))
    for results in (cold, warm):
        assert [Path(r.path).name for r in results] == ["a.ipynb", "b.ipynb", "c.ipynb"]
        for result in results:
            assert [f.line for f in result.findings] == [2, 3]
    assert [r.findings for r in cold] == [r.findings for r in warm]


def test_the_source_stamp_is_every_module_of_nblint_with_its_size_and_time():
    import os

    import nblint
    from nblint.run.cache import source_stamp

    package = os.path.dirname(os.path.realpath(nblint.__file__))
    expected = []
    for folder, dirs, files in os.walk(package):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        for name in files:
            if name.endswith(".py"):
                status = os.stat(os.path.join(folder, name))
                relative = os.path.relpath(os.path.join(folder, name), package)
                expected.append(f"{relative} {status.st_size} {status.st_mtime_ns}")
    assert len(expected) > 100 and any(line.startswith(os.path.join("rules", "memory", "")) for line in expected)
    assert source_stamp().split("\n") == sorted(expected)
