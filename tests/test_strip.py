"""`nblint strip` against nbstripout 0.9.1's own command line, on the same notebooks, option by option.

Every comparison runs the real `nblint strip` and the real `nbstripout --keep-id` (both in subprocesses)
on two copies of the same files. Where the input is laid out as nbformat writes it, the bytes must be
equal; elsewhere nblint keeps the file's own layout, so the content must be equal (both read back and
written in nbformat's layout) and the layout must be the input's.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from conftest import CORPUS, run_nblint

from nblint.core.read.jsonlayout import detect
from nblint.run.strip_options import StripOptions
from nblint.testing import notebook_text

# Small and varied notebooks of the shared corpus: nbformat 2, 3, 4.4 and 4.5, nbformat's layout and
# others (indent 2, compact), outputs of every kind, a Colab notebook with widgets.
CORPUS_PICKS = (
    "jupyter__nbformat/tests/test3.ipynb",
    "jupyter__nbformat/tests/test4.5.ipynb",
    "jupyter__nbformat/tests/test4plus.ipynb",
    "_invalid_and_edge/jupyter__nbformat/tests/test2.ipynb",
    "jupyter__nbdime/nbdime/tests/files/single_cell_nb--json_output.ipynb",
    "jupyter__nbdime/nbdime/tests/files/output-conflict--2.ipynb",
    "nteract__papermill/papermill/tests/notebooks/test_logging.ipynb",
    "trekhleb__homemade-machine-learning/notebooks/k_means/k_means_demo.ipynb",
    "Azure__MachineLearningNotebooks/how-to-use-azureml/azure-synapse/spark_session_on_synapse_spark_pool.ipynb",
    "tensorflow__docs/site/en/hub/tutorials/cross_lingual_similarity_with_tf_hub_multilingual_universal_encoder.ipynb",
)


# ---------------------------------------------------------------- notebooks


def lines(text: str) -> list[str]:
    return text.splitlines(keepends=True)


def stream(text: str, name: str = "stdout") -> dict:
    return {"name": name, "output_type": "stream", "text": lines(text)}


def result(count: int, text: str) -> dict:
    return {
        "data": {"text/plain": lines(text)},
        "execution_count": count,
        "metadata": {},
        "output_type": "execute_result",
    }


def code(source: str, count=None, outputs=(), metadata=None, **extra) -> dict:
    cell = {
        "cell_type": "code",
        "execution_count": count,
        "metadata": dict(metadata or {}),
        "outputs": list(outputs),
        "source": lines(source),
    }
    cell.update(extra)
    return cell


def rich_notebook() -> dict:
    """Something for every option: default keys, init cells, keep_output, tags, empty cells, sizes."""
    picture = {
        "data": {"image/png": "iVBORw0KGgo" + "A" * 3000, "text/plain": ["<Figure size 640x480 with 1 Axes>"]},
        "metadata": {},
        "output_type": "display_data",
    }
    cells = [
        {
            "cell_type": "markdown",
            "metadata": {"heading_collapsed": True, "hidden": True},
            "source": lines("# Títle ✓\n"),
        },
        code(
            "print('hello')\n1 + 1\n",
            1,
            [stream("hello\n"), result(1, "2")],
            {
                "collapsed": False,
                "scrolled": True,
                "ExecuteTime": {"end_time": "2024-01-01T00:00:00Z"},
                "execution": {"iopub.status.busy": "2024-01-01"},
                "bar": {"baz": 1, "qux": 2},
            },
        ),
        code("plot()\n", 2, [picture, stream("small\n")]),
        code("setup()\n", 3, [stream("init\n")], {"init_cell": True}),
        code("keep()\n", 4, [stream("kept\n")], {"keep_output": True}),
        code("keep_tag()\n", 5, [result(5, "'tagged'")], {"tags": ["keep_output"]}),
        code("answer = 42\n", 6, [stream("solved\n")], {"tags": ["solution"]}),
        code("secret()\n", 7, [], {"tags": ["hidden-cell", "other"]}),
        code("  \n", 8),
        {"cell_type": "raw", "metadata": {}, "source": lines("raw text\n")},
        code(
            "1/0\n",
            9,
            [
                {
                    "ename": "ZeroDivisionError",
                    "evalue": "division by zero",
                    "output_type": "error",
                    "traceback": ["ZeroDivisionError: division by zero"],
                }
            ],
            {"trusted": True},
        ),
    ]
    for index, cell in enumerate(cells):
        cell["id"] = f"c{index}"
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "foo": {"nested": 1},
            "signature": "sha256:abc",
            "widgets": {"application/vnd.jupyter.widget-state+json": {"state": {}, "version_major": 2}},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def old_ids_notebook() -> dict:
    """nbformat 4.4: no cell ids at all."""
    notebook = rich_notebook()
    for cell in notebook["cells"]:
        del cell["id"]
    notebook["nbformat_minor"] = 4
    return notebook


def keep_output_notebook() -> dict:
    """`keep_output: true` in the notebook's metadata keeps every output unless --keep-output is given."""
    notebook = rich_notebook()
    notebook["metadata"]["keep_output"] = True
    return notebook


def v3_text() -> str:
    """An nbformat 3 notebook as nbformat's v3 writer lays it out (ASCII only)."""
    cells = [
        {"cell_type": "heading", "level": 1, "metadata": {}, "source": ["Vérsion 3"]},
        {
            "cell_type": "code",
            "collapsed": False,
            "input": ["x = 1\n", "x"],
            "language": "python",
            "metadata": {"scrolled": True, "tags": ["solution"]},
            "outputs": [{"metadata": {}, "output_type": "pyout", "prompt_number": 1, "text": ["1"]}],
            "prompt_number": 1,
        },
        {
            "cell_type": "code",
            "collapsed": False,
            "input": ["print('hi')"],
            "language": "python",
            "metadata": {},
            "outputs": [{"output_type": "stream", "stream": "stdout", "text": ["hi\n"]}],
            "prompt_number": 2,
        },
    ]
    notebook = {
        "metadata": {"name": "", "signature": "sha256:1"},
        "nbformat": 3,
        "nbformat_minor": 0,
        "worksheets": [{"cells": cells, "metadata": {}}],
    }
    return json.dumps(notebook, indent=1, sort_keys=True, separators=(",", ": ")) + "\n"


def write_crafted(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    texts = {
        "rich.ipynb": notebook_text(rich_notebook()),
        "old_ids.ipynb": notebook_text(old_ids_notebook()),
        "keep_output.ipynb": notebook_text(keep_output_notebook()),
        # Not nbformat's layout: indent 2, insertion order, \u escapes, no trailing newline.
        "indent2.ipynb": json.dumps(rich_notebook(), indent=2, ensure_ascii=True),
        "v3.ipynb": v3_text(),
    }
    paths = []
    for name, text in texts.items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths


def copy_corpus_picks(folder: Path) -> list[Path]:
    if not CORPUS.is_dir():
        return []
    paths = []
    for relative in CORPUS_PICKS:
        target = folder / relative.replace("/", "__")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(CORPUS / relative, target)
        paths.append(target)
    return paths


# ---------------------------------------------------------------- the two tools


def run_nbstripout(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """nbstripout's own command line, blind to any git configuration of this machine."""
    env = dict(os.environ, GIT_CONFIG_GLOBAL=os.devnull, GIT_CONFIG_NOSYSTEM="1")
    return subprocess.run(
        [sys.executable, "-m", "nbstripout", *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=300
    )


def nbformat_layout(text: str) -> str:
    """What nbformat writes for this file's content (what nbstripout writes for a file it changes)."""
    from nbformat import reader, versions

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        notebook = reader.reads(text)
    written = versions[notebook.nbformat].writes_json(notebook)
    return written if written.endswith("\n") else written + "\n"


def in_nbformat_layout(text: str) -> bool:
    """Laid out as nbformat writes: indent 1, sorted keys, ASCII-only before nbformat 4, a final newline."""
    value = json.loads(text)
    ascii_only = value.get("nbformat", 4) < 4
    return json.dumps(value, indent=1, sort_keys=True, separators=(",", ": "), ensure_ascii=ascii_only) + "\n" == text


def assert_same_as_nbstripout(original: str, ours: str, theirs: str, name: str) -> None:
    if ours == theirs:
        return
    assert not in_nbformat_layout(original), f"{name}: in nbformat's layout, yet the bytes differ from nbstripout's"
    assert theirs != original, f"{name}: nbstripout left it alone, nblint changed it"
    assert nbformat_layout(ours) == theirs, f"{name}: the content differs from nbstripout's"
    layout = detect(original, json.loads(original))
    if layout is not None:
        assert detect(ours, json.loads(ours)) == layout, f"{name}: the file's layout was not kept"


def compare(tmp_path: Path, ours_args: list[str], theirs_runs: list[list[str]], config: str | None = None) -> dict:
    """Strip copies of the same notebooks with both tools; returns {name: (original, ours, theirs)}."""
    originals = write_crafted(tmp_path / "source") + copy_corpus_picks(tmp_path / "source")
    ours_dir, theirs_dir = tmp_path / "ours", tmp_path / "theirs"
    shutil.copytree(tmp_path / "source", ours_dir)
    shutil.copytree(tmp_path / "source", theirs_dir)
    if config is not None:
        (ours_dir / "pyproject.toml").write_text(config, encoding="utf-8")
    ours = run_nblint("strip", ".", *ours_args, cwd=ours_dir)
    assert ours.returncode in (0, 1), ours.stderr
    assert "Traceback" not in ours.stderr
    for args in theirs_runs:
        theirs = run_nbstripout(*args, *sorted(p.name for p in theirs_dir.glob("*.ipynb")), cwd=theirs_dir)
        assert theirs.returncode == 0, theirs.stderr
    outcome = {}
    for path in originals:
        outcome[path.name] = (
            path.read_text(encoding="utf-8"),
            (ours_dir / path.name).read_text(encoding="utf-8"),
            (theirs_dir / path.name).read_text(encoding="utf-8"),
        )
    return outcome


OPTION_CASES = [
    ([], ["--keep-id"]),
    (["--keep-output"], ["--keep-id", "--keep-output"]),
    (["--keep-count"], ["--keep-id", "--keep-count"]),
    (["--keep-output", "--keep-count"], ["--keep-id", "--keep-output", "--keep-count"]),
    (
        ["--extra-keys", "metadata.foo cell.metadata.bar.baz metadata.kernelspec.name"],
        ["--keep-id", "--extra-keys", "metadata.foo cell.metadata.bar.baz metadata.kernelspec.name"],
    ),
    (
        ["--keep-metadata-keys", "cell.metadata.scrolled metadata.widgets cell.metadata.ExecuteTime"],
        ["--keep-id", "--keep-metadata-keys", "cell.metadata.scrolled metadata.widgets cell.metadata.ExecuteTime"],
    ),
    (["--drop-empty-cells"], ["--keep-id", "--drop-empty-cells"]),
    (["--drop-tagged-cells", "solution"], ["--keep-id", "--drop-tagged-cells", "solution"]),
    (["--strip-init-cells"], ["--keep-id", "--strip-init-cells"]),
    (["--max-size", "100"], ["--keep-id", "--max-size", "100"]),
    (["--max-size", "1K"], ["--keep-id", "--max-size", "1K"]),
    (
        ["--keep-output", "--max-size", "1K", "--drop-empty-cells"],
        ["--keep-id", "--keep-output", "--max-size", "1K", "--drop-empty-cells"],
    ),
    (["--renumber-ids"], []),
    (
        ["--renumber-ids", "--drop-tagged-cells", "solution", "--drop-empty-cells"],
        ["--drop-tagged-cells", "solution", "--drop-empty-cells"],
    ),
]


@pytest.mark.slow  # runs nbstripout's own command beside ours for each case
@pytest.mark.parametrize("ours_args, theirs_args", OPTION_CASES, ids=lambda value: " ".join(value) or "defaults")
def test_equals_nbstripout(tmp_path, ours_args, theirs_args):
    outcome = compare(tmp_path, ours_args, [theirs_args])
    for name, (original, ours, theirs) in outcome.items():
        assert_same_as_nbstripout(original, ours, theirs, name)
    # The comparison compared stripped notebooks, byte for byte, not untouched copies.
    assert sum(ours == theirs != original for original, ours, theirs in outcome.values()) >= 3


@pytest.mark.slow  # runs nbstripout's own command beside ours
def test_several_tags_drop_every_tagged_cell(tmp_path):
    """nbstripout honours only the last of several tags; nblint drops the cells carrying any of them,
    which is what nbstripout gives when run once per tag."""
    outcome = compare(
        tmp_path,
        ["--drop-tagged-cells", "solution hidden-cell"],
        [["--keep-id", "--drop-tagged-cells", "solution"], ["--keep-id", "--drop-tagged-cells", "hidden-cell"]],
    )
    for name, (original, ours, theirs) in outcome.items():
        assert_same_as_nbstripout(original, ours, theirs, name)
    rich = json.loads(outcome["rich.ipynb"][1])
    assert not any({"solution", "hidden-cell"} & set(cell["metadata"].get("tags", [])) for cell in rich["cells"])


@pytest.mark.slow  # strips every option case twice (flags, then table)
def test_configuration_table_equals_the_same_flags(tmp_path):
    config = """
[tool.nblint.strip]
keep-count = true
extra-keys = ["metadata.foo", "cell.metadata.bar"]
keep-metadata-keys = "cell.metadata.scrolled"
drop-empty-cells = true
drop-tagged-cells = ["solution", "hidden-cell"]
strip-init-cells = true
max-size = "1K"
"""
    same = [
        "--keep-id",
        "--keep-count",
        "--extra-keys",
        "metadata.foo cell.metadata.bar",
        "--keep-metadata-keys",
        "cell.metadata.scrolled",
        "--drop-empty-cells",
        "--strip-init-cells",
        "--max-size",
        "1K",
    ]
    outcome = compare(
        tmp_path,
        [],
        [same + ["--drop-tagged-cells", "solution"], same + ["--drop-tagged-cells", "hidden-cell"]],
        config=config,
    )
    for name, (original, ours, theirs) in outcome.items():
        assert_same_as_nbstripout(original, ours, theirs, name)
    assert "foo" not in json.loads(outcome["rich.ipynb"][1])["metadata"]


@pytest.mark.slow  # several strips of a notebook in turn
def test_command_line_adds_to_the_configuration(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.nblint.strip]\nextra-keys = ["metadata.foo"]\n', encoding="utf-8")
    path = tmp_path / "rich.ipynb"
    path.write_text(notebook_text(rich_notebook()), encoding="utf-8")
    result = run_nblint("strip", "--extra-keys", "metadata.kernelspec", "--keep-count", "rich.ipynb", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    stripped = json.loads(path.read_text(encoding="utf-8"))
    assert "foo" not in stripped["metadata"] and "kernelspec" not in stripped["metadata"]
    assert stripped["cells"][1]["execution_count"] == 1
    assert stripped["cells"][1]["outputs"] == []


# ---------------------------------------------------------------- layout and idempotence


LAYOUTS = {
    "nbformat": dict(indent=1, sort_keys=True, ensure_ascii=False),
    "indent2-ascii": dict(indent=2, ensure_ascii=True),
    "indent4": dict(indent=4, ensure_ascii=False),
    "tabs": dict(indent="\t", ensure_ascii=False),
    "compact": dict(indent=None, separators=(",", ":"), ensure_ascii=False),
    "one-line-spaced": dict(indent=None, ensure_ascii=True),
}
ENDINGS = {"newline": "\n", "no-newline": "", "crlf": "\r\n"}


def laid_out(data: dict, layout: dict, ending: str) -> str:
    text = json.dumps(data, **layout)
    if ending == "\r\n":
        return text.replace("\n", "\r\n") + "\r\n"
    return text + ending


@pytest.mark.slow  # strips a dozen layouts
def test_layout_is_kept(tmp_path):
    """Each file keeps its indent, key order, escaping, line endings and final newline; only what the
    strip removes goes. (One run over every combination.)"""
    for layout_name, layout in LAYOUTS.items():
        for ending_name, ending in ENDINGS.items():
            (tmp_path / f"{layout_name}-{ending_name}.ipynb").write_bytes(
                laid_out(rich_notebook(), layout, ending).encode()
            )
    result = run_nblint("strip", ".", "--keep-output", "--keep-count", "--extra-keys", "metadata.foo", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert len(result.stdout.splitlines()) == len(LAYOUTS) * len(ENDINGS)

    expected = rich_notebook()
    del expected["metadata"]["foo"]
    # What else a strip with these options removes, and nbformat's transient keys:
    del expected["metadata"]["widgets"], expected["metadata"]["signature"]
    for cell in expected["cells"]:
        for key in ("collapsed", "scrolled", "ExecuteTime", "execution", "heading_collapsed", "hidden", "trusted"):
            cell["metadata"].pop(key, None)
    for layout_name, layout in LAYOUTS.items():
        for ending_name, ending in ENDINGS.items():
            path = tmp_path / f"{layout_name}-{ending_name}.ipynb"
            assert path.read_bytes() == laid_out(expected, layout, ending).encode(), path.name


@pytest.mark.slow  # strips each layout twice and compares with nbformat's
@pytest.mark.parametrize(
    "name, text",
    [
        ("nbformat", notebook_text(rich_notebook())),
        ("indent2", json.dumps(rich_notebook(), indent=2, ensure_ascii=True)),
        ("v3", v3_text()),
    ],
)
def test_second_strip_changes_nothing_and_clean_files_are_not_written(tmp_path, name, text):
    path = tmp_path / f"{name}.ipynb"
    path.write_text(text, encoding="utf-8")
    first = run_nblint("strip", path.name, cwd=tmp_path)
    assert first.returncode == 1, first.stderr
    stripped = path.read_bytes()
    before = os.stat(path)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns - 10**9))  # a write would move the mtime
    marked = os.stat(path)
    second = run_nblint("strip", path.name, cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert second.stdout == ""
    assert path.read_bytes() == stripped
    after = os.stat(path)
    assert (after.st_ino, after.st_mtime_ns) == (marked.st_ino, marked.st_mtime_ns)


def test_only_transient_keys_is_not_a_change(tmp_path):
    """nbformat drops `trusted` and `orig_nbformat` when reading, so nbstripout writes nothing for them alone."""
    notebook = {
        "cells": [code("x = 1\n", metadata={"trusted": True}, id="a")],
        "metadata": {"orig_nbformat": 3},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path = tmp_path / "nb.ipynb"
    path.write_text(notebook_text(notebook), encoding="utf-8")
    result = run_nblint("strip", "nb.ipynb", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert path.read_text(encoding="utf-8") == notebook_text(notebook)


@pytest.mark.slow  # several strips of a notebook in turn
def test_cell_ids_kept_and_renumbered(tmp_path):
    path = tmp_path / "nb.ipynb"
    path.write_text(notebook_text(rich_notebook()), encoding="utf-8")
    assert run_nblint("strip", "nb.ipynb", cwd=tmp_path).returncode == 1
    assert [cell["id"] for cell in json.loads(path.read_text())["cells"]] == [f"c{i}" for i in range(11)]
    result = run_nblint("strip", "--renumber-ids", "--drop-tagged-cells", "solution", "nb.ipynb", cwd=tmp_path)
    assert result.returncode == 1
    assert "renumbered 10 cell ids" in result.stdout
    assert [cell["id"] for cell in json.loads(path.read_text())["cells"]] == [str(i) for i in range(10)]


# ---------------------------------------------------------------- --check and --dry-run


@pytest.mark.slow  # several nblint runs in turn
def test_check_lists_what_would_change_and_writes_nothing(tmp_path):
    dirty = tmp_path / "dirty.ipynb"
    dirty.write_text(notebook_text(rich_notebook()), encoding="utf-8")
    clean = tmp_path / "sub" / "clean.ipynb"
    clean.parent.mkdir()
    clean.write_text(
        notebook_text({"cells": [code("x = 1\n", id="a")], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    )
    before = dirty.read_bytes()
    result = run_nblint("strip", "--check", ".", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert result.stdout.splitlines() == ["dirty.ipynb"]
    assert dirty.read_bytes() == before
    assert run_nblint("strip", "--check", "sub", cwd=tmp_path).returncode == 0


@pytest.mark.slow  # several nblint runs in turn
def test_dry_run_tells_what_would_change(tmp_path):
    path = tmp_path / "nb.ipynb"
    path.write_text(notebook_text(rich_notebook()), encoding="utf-8")
    before = path.read_bytes()
    result = run_nblint("strip", "--dry-run", "nb.ipynb", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert path.read_bytes() == before
    assert result.stdout == (
        "nb.ipynb: would remove 6 outputs, clear 10 execution counts, drop cell.metadata.ExecuteTime (1 cell), "
        "cell.metadata.collapsed (1 cell), cell.metadata.execution (1 cell), cell.metadata.heading_collapsed (1 cell), "
        "cell.metadata.hidden (1 cell), cell.metadata.scrolled (1 cell), cell.metadata.trusted (1 cell), "
        "metadata.signature, metadata.widgets\n"
    )
    # the same words, in the past tense, once it is done
    done = run_nblint("strip", "--drop-tagged-cells", "solution", "nb.ipynb", cwd=tmp_path)
    assert done.stdout.startswith(
        "nb.ipynb: removed 5 outputs, cleared 9 execution counts, dropped 1 cell, dropped cell."
    )


# ---------------------------------------------------------------- bad files


BAD_FILES = {
    "not_json.ipynb": (b'{"cells": [', "not JSON"),
    "empty.ipynb": (b"", "not JSON"),
    "conflict.ipynb": (
        b'{\n<<<<<<< HEAD\n "cells": [],\n=======\n "cells": [{}],\n>>>>>>> theirs\n}\n',
        "merge conflict",
    ),
    "list.ipynb": (b"[1, 2]\n", "the JSON is list"),
    "latin1.ipynb": ('{"cells": "é"}'.encode("latin-1"), "not UTF-8"),
    "no_version.ipynb": (b'{"cells": [], "metadata": {}}\n', 'no integer "nbformat"'),
    "v5.ipynb": (b'{"cells": [], "metadata": {}, "nbformat": 5}\n', "nbformat 5"),
    "v3_no_worksheets.ipynb": (b'{"metadata": {"name": ""}, "nbformat": 3, "nbformat_minor": 0}\n', "worksheets"),
    "bad_outputs.ipynb": (
        b'{"cells": [{"cell_type": "code", "metadata": {}, "outputs": 3, "source": ""}], "metadata": {},'
        b' "nbformat": 4, "nbformat_minor": 5}\n',
        "outputs",
    ),
    "deep.ipynb": (
        ('{"cells": [], "metadata": {"x": ' + "[" * 3000 + "]" * 3000 + '}, "nbformat": 4}').encode(),
        "nested too deeply",
    ),
    "contradiction.ipynb": (
        notebook_text(
            {
                "cells": [code("x\n", 1, [stream("x\n")], {"keep_output": False, "tags": ["keep_output"]}, id="a")],
                "metadata": {},
                "nbformat": 4,
                "nbformat_minor": 5,
            }
        ).encode(),
        "contradicts",
    ),
}


@pytest.mark.slow  # several strips of a folder in turn
def test_bad_files_are_left_alone_and_the_rest_is_stripped(tmp_path):
    for name, (data, _) in BAD_FILES.items():
        (tmp_path / name).write_bytes(data)
    good = tmp_path / "zz_good.ipynb"
    good.write_text(notebook_text(rich_notebook()), encoding="utf-8")
    result = run_nblint("strip", ".", cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    problems = [line for line in result.stderr.splitlines() if line.endswith("left unchanged")]
    assert len(problems) == len(BAD_FILES)
    for name, (data, reason) in BAD_FILES.items():
        assert (tmp_path / name).read_bytes() == data
        [line] = [line for line in problems if line.startswith(f"{name}: ")]
        assert reason in line, line
    assert json.loads(good.read_text(encoding="utf-8"))["cells"][1]["outputs"] == []
    assert result.stdout.startswith("zz_good.ipynb: removed")


@pytest.mark.slow  # copies notebooks of the shared corpus
def test_databricks_export_and_nbformat3_are_stripped_and_the_run_goes_on(tmp_path):
    """nbstripout stops at the first of these it cannot read; nblint strips what strip_output can handle."""
    if not CORPUS.is_dir():
        pytest.skip(f"the shared corpus is not at {CORPUS}")
    for relative in (
        "_invalid_and_edge/nbQA-dev__nbQA/tests/data/databricks_notebook.ipynb",
        "_invalid_and_edge/jupyter__nbformat/tests/test3_no_worksheets.ipynb",
        "jupyter__nbformat/tests/test3.ipynb",
    ):
        shutil.copyfile(CORPUS / relative, tmp_path / Path(relative).name)
    no_worksheets = (tmp_path / "test3_no_worksheets.ipynb").read_bytes()
    result = run_nblint("strip", ".", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.splitlines()[0] == (
        'test3_no_worksheets.ipynb: not a notebook: nbformat 3 without a "worksheets" list; left unchanged'
    )
    assert (tmp_path / "test3_no_worksheets.ipynb").read_bytes() == no_worksheets
    assert "databricks_notebook.ipynb: removed 1 output" in result.stdout
    assert "test3.ipynb: removed" in result.stdout
    databricks = json.loads((tmp_path / "databricks_notebook.ipynb").read_text(encoding="utf-8"))
    assert all(cell.get("outputs", []) == [] for cell in databricks["cells"])
    assert "metadata" not in databricks["cells"][1]  # nothing invented for the cell that had none


@pytest.mark.slow  # several nblint runs in turn
def test_missing_path_and_exit_codes(tmp_path):
    (tmp_path / "clean.ipynb").write_text(
        notebook_text({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    )
    assert run_nblint("strip", "clean.ipynb", cwd=tmp_path).returncode == 0
    result = run_nblint("strip", "clean.ipynb", "nowhere.ipynb", cwd=tmp_path)
    assert result.returncode == 2
    assert "nowhere.ipynb: no such file or folder" in result.stderr


@pytest.mark.parametrize(
    "config, message",
    [
        ("[tool.nblint.strip]\nkeep-outputs = true\n", "unknown key 'keep-outputs' in [tool.nblint.strip]"),
        ('[tool.nblint.strip]\nkeep-output = "yes"\n', "strip.keep-output: expected true or false"),
        ('[tool.nblint.strip]\nextra-keys = ["outputs"]\n', "'outputs' is not a key nbstripout can strip"),
        ('[tool.nblint.strip]\nmax-size = "lots"\n', "strip.max-size: expected a size"),
        ("[tool.nblint]\nstrip = 3\n", "[tool.nblint.strip] must be a table"),
    ],
)
def test_configuration_errors_name_the_file_and_change_nothing(tmp_path, config, message):
    (tmp_path / "pyproject.toml").write_text(config, encoding="utf-8")
    path = tmp_path / "nb.ipynb"
    path.write_text(notebook_text(rich_notebook()), encoding="utf-8")
    before = path.read_bytes()
    result = run_nblint("strip", ".", cwd=tmp_path)
    assert result.returncode == 2
    assert "pyproject.toml" in result.stderr and message in result.stderr, result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    "args, message",
    [
        (["--extra-keys", "metadata.ok notmetadata"], "--extra-keys: 'notmetadata' is not a key"),
        (["--max-size", "12X"], "--max-size: expected a size"),
        (["--check", "--dry-run"], "not allowed with argument"),
    ],
)
def test_usage_errors(tmp_path, args, message):
    path = tmp_path / "nb.ipynb"
    path.write_text(notebook_text(rich_notebook()), encoding="utf-8")
    before = path.read_bytes()
    result = run_nblint("strip", *args, "nb.ipynb", cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr, result.stderr
    assert path.read_bytes() == before


# ---------------------------------------------------------------- writing


@pytest.mark.slow  # several strips of a notebook in turn
def test_file_mode_and_symlinks_are_kept(tmp_path):
    target = tmp_path / "real.ipynb"
    target.write_text(notebook_text(rich_notebook()), encoding="utf-8")
    os.chmod(target, 0o640)
    link = tmp_path / "link.ipynb"
    link.symlink_to(target.name)
    result = run_nblint("strip", "link.ipynb", cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert link.is_symlink()
    assert json.loads(target.read_text(encoding="utf-8"))["cells"][1]["outputs"] == []
    assert os.stat(target).st_mode & 0o777 == 0o640


WRITE_INTERRUPTED = """
import os, sys
reached, hold = int(sys.argv[1]), int(sys.argv[2])
real_fsync = os.fsync
def stalled_fsync(fd):
    real_fsync(fd)
    os.write(reached, b"w")  # the temporary file is written whole, the rename is still to come
    os.read(hold, 1)  # held here until the signal comes (or the test ends: the pipe's other end closes)
os.fsync = stalled_fsync
from nblint.cli import main
sys.exit(main(["strip", *sys.argv[3:]]))
"""

REPLACE_FAILS = """
import os, sys
def failing_replace(source, target):
    raise OSError(28, "No space left on device")
os.replace = failing_replace
from nblint.cli import main
sys.exit(main(["strip", *sys.argv[1:]]))
"""


def leftovers(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if path.name.endswith(".nblint-tmp"))


@pytest.mark.slow  # kills a strip mid-write and waits for it
@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGINT", "SIGKILL"])
def test_interrupted_write_leaves_the_original_whole(tmp_path, signal_name):
    """The signal is sent when the child says it is mid-write (a pipe), never after a wait sized to the
    machine's speed; the child is held there by a pipe too, so no timer decides what happens first."""
    import signal

    path = tmp_path / "nb.ipynb"
    notebook = rich_notebook()
    notebook["cells"][2]["outputs"][0]["data"]["image/png"] = "iVBOR" + "B" * 2_000_000
    path.write_text(notebook_text(notebook), encoding="utf-8")
    before = path.read_bytes()
    reached_read, reached_write = os.pipe()
    hold_read, hold_write = os.pipe()
    process = subprocess.Popen(
        [sys.executable, "-c", WRITE_INTERRUPTED, str(reached_write), str(hold_read), str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        pass_fds=(reached_write, hold_read),
    )
    os.close(reached_write)  # the child's copy is the only writer: EOF here if it ends before the write
    os.close(hold_read)
    try:
        assert os.read(reached_read, 1) == b"w", process.communicate()[1]  # blocks until the write is under way
        assert leftovers(tmp_path), "the temporary file should exist while the write is under way"
        process.send_signal(getattr(signal, signal_name))
        # A safety net only, should the signal be ignored (the child would then finish its rename when the
        # hold pipe closes below, and the test fail on the file); the child ends as soon as it is handled.
        _, stderr = process.communicate(timeout=600)
    finally:
        os.close(hold_write)
        os.close(reached_read)
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode != 0
    assert "Traceback" not in stderr
    assert path.read_bytes() == before
    if signal_name == "SIGKILL":
        # Nothing can clean up after SIGKILL: the half-done temporary file is hidden, not a notebook,
        # and a later run neither picks it up nor minds it.
        assert all(name.startswith(".nb.ipynb.") for name in leftovers(tmp_path))
        again = run_nblint("strip", ".", cwd=tmp_path)
        assert again.returncode == 1, again.stderr
        assert again.stdout.startswith("nb.ipynb: removed")
    else:
        assert leftovers(tmp_path) == []


@pytest.mark.slow  # several strips of a notebook in turn
def test_failed_rename_reports_and_goes_on(tmp_path):
    first = tmp_path / "a.ipynb"
    second = tmp_path / "b.ipynb"
    for path in (first, second):
        path.write_text(notebook_text(rich_notebook()), encoding="utf-8")
    before = first.read_bytes()
    result = subprocess.run(
        [sys.executable, "-c", REPLACE_FAILS, "a.ipynb", "b.ipynb"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.splitlines()[:2] == [
        "a.ipynb: cannot write: No space left on device; left unchanged",
        "b.ipynb: cannot write: No space left on device; left unchanged",
    ]
    assert first.read_bytes() == before and second.read_bytes() == before
    assert leftovers(tmp_path) == []


# ---------------------------------------------------------------- the shortcut for clean notebooks


SHORTCUT_OPTIONS = [
    StripOptions(),
    StripOptions(keep_count=True),
    StripOptions(keep_output=True, keep_count=True),
    StripOptions(extra_keys=("metadata.kernelspec", "cell.metadata.tags")),
    StripOptions(keep_metadata_keys=("cell.metadata.collapsed", "metadata.widgets")),
    StripOptions(drop_empty_cells=True),
    StripOptions(drop_tagged_cells=("remove-cell", "solution")),
]


@pytest.mark.slow  # strips many notebook shapes twice
def test_clean_shortcut_never_hides_a_change():
    """Notebooks judged clean from their JSON alone (without importing nbformat and nbstripout) are
    exactly those strip_output leaves as they are: checked on every notebook of the corpus."""
    from nblint.integrations import strip

    if not CORPUS.is_dir():
        pytest.skip(f"the shared corpus is not at {CORPUS}")
    paths = sorted(CORPUS.rglob("*.ipynb"))
    shortcut = strip._certainly_clean
    judged_clean = 0
    for options in SHORTCUT_OPTIONS:
        for path in paths:
            data = path.read_bytes()
            try:
                text = strip.decode_text(data)
                raw = strip.parse_raw(text)
                major = strip.check_structure(raw)
            except strip.NotStrippable:
                continue
            if not shortcut(raw, major, options):
                continue
            judged_clean += 1
            strip._certainly_clean = lambda *args: False
            try:
                outcome = strip.strip_notebook(data, options)
            finally:
                strip._certainly_clean = shortcut
            assert not outcome.changed, f"{path} with {options}: judged clean, yet strip_output changes it"
    assert judged_clean > 500  # the shortcut does take most clean notebooks


@pytest.mark.slow  # imports nbformat's writer in a subprocess per case
def test_layout_that_cannot_be_reproduced_falls_back_to_nbformats(tmp_path):
    """`1E5` for 100000.0 and upper-case escapes are not what json.dumps writes: the file is then written
    in nbformat's layout, exactly as nbstripout writes it."""
    text = notebook_text(rich_notebook()).replace('"foo": {\n   "nested": 1\n  }', '"foo": {\n   "nested": 1E5\n  }')
    text = text.replace("Títle", "T\\u00EDtle")
    assert "1E5" in text and "\\u00EDtle" in text
    for folder in ("ours", "theirs"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "nb.ipynb").write_text(text, encoding="utf-8")
    assert run_nblint("strip", "nb.ipynb", cwd=tmp_path / "ours").returncode == 1
    assert run_nbstripout("--keep-id", "nb.ipynb", cwd=tmp_path / "theirs").returncode == 0
    ours = (tmp_path / "ours" / "nb.ipynb").read_text(encoding="utf-8")
    assert ours == (tmp_path / "theirs" / "nb.ipynb").read_text(encoding="utf-8")
    assert '"nested": 100000.0' in ours and "Títle" in ours


@pytest.mark.slow  # several strips of a notebook in turn
def test_stdin_filter_mode(tmp_path):
    """`--stdin [PATH]` (git's clean filter): the same bytes a file strip writes, exit 0 whether or not
    anything changed; what cannot be stripped is passed through whole, with exit 2."""
    text = notebook_text(rich_notebook())
    (tmp_path / "pyproject.toml").write_text("[tool.nblint.strip]\nkeep-count = true\n", encoding="utf-8")
    path = tmp_path / "nb.ipynb"
    path.write_text(text, encoding="utf-8")
    assert run_nblint("strip", "nb.ipynb", cwd=tmp_path).returncode == 1
    filtered = run_nblint("strip", "--stdin", "nb.ipynb", cwd=tmp_path, input=text)
    assert filtered.returncode == 0, filtered.stderr
    assert filtered.stdout == path.read_text(encoding="utf-8")
    assert json.loads(filtered.stdout)["cells"][1]["execution_count"] == 1  # the PATH's configuration
    again = run_nblint("strip", "--stdin", "nb.ipynb", cwd=tmp_path, input=filtered.stdout)
    assert (again.returncode, again.stdout) == (0, filtered.stdout)
    broken = run_nblint("strip", "--stdin", "nb.ipynb", cwd=tmp_path, input='{"cells": [')
    assert (broken.returncode, broken.stdout) == (2, '{"cells": [')
    assert broken.stderr.startswith("nb.ipynb: not a notebook: not JSON")
    # a name with a newline is quoted, as in a folder run: one line, `path: reason`
    odd = run_nblint("strip", "--stdin", "odd\nname.ipynb", cwd=tmp_path, input='{"cells": [')
    assert odd.returncode == 2 and odd.stderr.startswith('"odd\\nname.ipynb": not a notebook'), odd.stderr
    assert len(odd.stderr.splitlines()) == 1


@pytest.mark.slow  # strip, strip --check and --stdin on several files: ten seconds
def test_a_byte_order_mark_is_read_as_check_reads_it_and_kept(tmp_path):
    """A notebook saved with a UTF-8 byte-order mark (some Windows editors write one): `check` reads it,
    so `strip` does too, and the mark stays, as the rest of the file's layout does."""
    text = notebook_text(rich_notebook())
    plain, marked = tmp_path / "plain.ipynb", tmp_path / "marked.ipynb"
    plain.write_text(text, encoding="utf-8")
    marked.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    checked = run_nblint("check", "--no-cache", "--format", "json", "marked.ipynb", cwd=tmp_path)
    assert "NB002" not in {f["code"] for f in json.loads(checked.stdout)}
    would = run_nblint("strip", "--check", "marked.ipynb", cwd=tmp_path)
    assert would.returncode == 1 and "marked.ipynb" in would.stdout
    assert would.stderr == "1 notebook would be stripped, 0 already clean\n"
    result = run_nblint("strip", ".", cwd=tmp_path)
    assert result.returncode == 1 and "left unchanged" not in result.stderr, result.stderr
    assert marked.read_bytes() == b"\xef\xbb\xbf" + plain.read_bytes()  # the same strip, mark kept
    assert run_nblint("strip", "marked.ipynb", cwd=tmp_path).returncode == 0  # and nothing more to do
    # git's clean filter: the same bytes
    filtered = subprocess.run(
        [sys.executable, "-m", "nblint", "strip", "--stdin", "marked.ipynb"],
        cwd=tmp_path,
        input=b"\xef\xbb\xbf" + text.encode("utf-8"),
        capture_output=True,
    )
    assert (filtered.returncode, filtered.stdout) == (0, marked.read_bytes())
