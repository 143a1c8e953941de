"""NB503 absolute-user-path, NB504 out-of-order-execution, NB601-NB605 kernelspec rules, NB606
duplicate-cell-id and NB607 old-nbformat through the real CLI on notebooks written to tmp_path: positions
and json_line against the raw file, the `allowed-kernels` option from a pyproject.toml, look-alikes."""

from __future__ import annotations

import json

import pytest
from conftest import check_notebook, run_nblint, write_notebook

from nblint.rules.environment.user_paths import find_user_path
from nblint.rules.metadata.kernelspec import environment_specific, language_family
from nblint.testing import make_notebook

PYTHON3 = {"display_name": "Python 3", "language": "python", "name": "python3"}


def check(tmp_path, select: str, cells=("x = 1\n",), metadata=None, notebook=None, config: str | None = None):
    return check_notebook(tmp_path, cells, select, config=config, metadata=metadata, notebook=notebook)


def raw_line(tmp_path, number: int) -> str:
    return (tmp_path / "nb.ipynb").read_text(encoding="utf-8").splitlines()[number - 1].strip()


def metadata_with(kernelspec=None, language_info=None) -> dict:
    metadata = {}
    if kernelspec is not None:
        metadata["kernelspec"] = kernelspec
    if language_info is not None:
        metadata["language_info"] = language_info
    return metadata


# -- NB503 ---------------------------------------------------------------------------------------------------


def test_user_path_is_reported_at_the_string_with_a_portable_rewrite(tmp_path):
    cells = ["import pandas as pd\n", "df = pd.read_csv(\n    '/Users/alice/projects/churn/train.csv')\n"]
    [finding] = check(tmp_path, "NB503", cells)
    assert (finding["cell"], finding["line"], finding["column"]) == (1, 2, 5)
    assert "'/Users/alice/projects/churn/train.csv'" in finding["message"] and "'alice'" in finding["message"]
    assert finding["fix"] == 'Path.home() / "projects/churn/train.csv"'
    assert raw_line(tmp_path, finding["json_line"]) == "\"    '/Users/alice/projects/churn/train.csv')\\n\""


@pytest.mark.parametrize(
    "text, user",
    [
        ("/home/bob/data.csv", "bob"),
        ("C:\\Users\\Carol\\Desktop\\x.xlsx", "Carol"),
        ("C:/Users/carol/x.xlsx", "carol"),
        ("d:\\\\users\\\\dan\\\\x", "dan"),  # as an f-string's source text holds it
        ("/mnt/c/Users/erin/x", "erin"),
        ("file:///Users/frank/x.csv", "frank"),
        ("PYTHONPATH=/opt/lib:/home/gina/lib", "gina"),
        ("--data=/home/hank/data", "hank"),
    ],
)
def test_paths_into_a_home_folder(text, user):
    assert find_user_path(text)[1] == user


@pytest.mark.parametrize(
    "text",
    [
        "/tmp/x",
        "/dev/null",
        "/content/drive/MyDrive/x",
        "/kaggle/input/x",
        "~/data",
        "data/x.csv",
        "../x",
        "https://example.com/home/alice/x",
        "http://host:8888/tree/Users/alice",
        "s3://bucket/home/alice/x",
        "https://x.org/?path=/home/alice",
        "/data/home/alice",
        "/home",
        "/home/",
        "/Users/",
        "/home/jovyan/work",
        "/home/ec2-user/SageMaker",
        "/home/sagemaker-user/x",
        "/home/azureuser/cloudfiles",
        "/Users/Shared/x",
        "C:\\Users\\Public\\x",
        "C:\\Users\\Default\\x",
        "/home/<user>/x",
        "/Users/yourname/x",
        "/home/$USER/x",
        "/home/*/x",
        "/home/.cache",
        "/home/username/x",
        "/home/xxx/x",
    ],
)
def test_look_alikes_are_not_home_folders(text):
    assert find_user_path(text) is None


def test_docstrings_and_comments_are_not_paths(tmp_path):
    cells = [
        '"""Run on /Users/alice/laptop only."""\n',
        "def f():\n    '''Reads /home/bob/data.'''\n    return 1\n",
        "# df = pd.read_csv('/Users/alice/data.csv')\n",
        "#myenv.python.interpreter_path = '/home/ninghai/miniconda3/envs/sdk2/bin/python'\n",
    ]
    assert check(tmp_path, "NB503", cells) == []


def test_f_string_and_bytes_paths_are_read(tmp_path):
    cells = ["run = 3\np = f'/Users/alice/runs/{run}/model.pt'\nq = b'/home/bob/raw.bin'\n"]
    findings = check(tmp_path, "NB503", cells)
    assert [(f["line"], f["column"]) for f in findings] == [(2, 5), (3, 5)]


# -- NB504 ---------------------------------------------------------------------------------------------------


def ran(count):
    return {"cell_type": "code", "source": "x = 1\n", "execution_count": count, "outputs": []}


def test_out_of_order_is_reported_once_at_the_first_cell_that_goes_down(tmp_path):
    cells = [ran(1), ran(7), {"cell_type": "markdown", "source": "# Notes", "metadata": {}}, ran(3), ran(8), ran(2)]
    [finding] = check(tmp_path, "NB504", cells)
    assert (finding["cell"], finding["line"]) == (3, None)
    assert finding["message"].startswith("cell 4 ran as [3] after cell 2 ran as [7] (2 of 5 run cells")
    assert raw_line(tmp_path, finding["json_line"]) == '"execution_count": 3,'


@pytest.mark.parametrize(
    "counts",
    [[1, 2, 3], [1, 5, 9], [None, None], [1, None, 2], [], [4, 4]],
)
def test_in_order_or_unrun_notebooks_are_fine(tmp_path, counts):
    assert check(tmp_path, "NB504", [ran(c) for c in counts] or ["x = 1\n"]) == []


# -- NB601 / NB602 / NB603 -----------------------------------------------------------------------------------


def test_missing_kernelspec_points_at_metadata_and_proposes_one(tmp_path):
    [finding] = check(tmp_path, "NB6", metadata=metadata_with(language_info={"name": "python"}))
    assert (finding["code"], finding["cell"]) == ("NB601", None)
    assert raw_line(tmp_path, finding["json_line"]) == '"metadata": {'
    assert (
        finding["fix"]
        == '"kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}'
    )


def test_old_notebook_gets_nb607_alone(tmp_path):
    v3 = {
        "metadata": {"name": "analysis"},
        "nbformat": 3,
        "nbformat_minor": 0,
        "worksheets": [
            {
                "cells": [
                    {
                        "cell_type": "code",
                        "collapsed": False,
                        "input": "x = 1",
                        "language": "python",
                        "metadata": {},
                        "outputs": [],
                        "prompt_number": 2,
                    },
                    {
                        "cell_type": "code",
                        "collapsed": False,
                        "input": "y = 2",
                        "language": "python",
                        "metadata": {},
                        "outputs": [],
                        "prompt_number": 1,
                    },
                ],
                "metadata": {},
            }
        ],
    }
    findings = check(tmp_path, "NB6,NB504", notebook=v3)
    assert sorted(f["code"] for f in findings) == ["NB504", "NB607"]
    by_code = {f["code"]: f for f in findings}
    assert raw_line(tmp_path, by_code["NB607"]["json_line"]) == '"nbformat": 3,'
    assert "nbformat 3" in by_code["NB607"]["message"]
    assert raw_line(tmp_path, by_code["NB504"]["json_line"]) == '"prompt_number": 1'  # v3's execution count


def test_incomplete_kernelspec_names_what_is_missing(tmp_path):
    [finding] = check(tmp_path, "NB602", metadata=metadata_with({"name": "python3", "language": "python"}))
    assert "no display_name" in finding["message"]
    assert raw_line(tmp_path, finding["json_line"]) == '"kernelspec": {'


def test_language_mismatch_and_agreement(tmp_path):
    [finding] = check(tmp_path, "NB603", metadata=metadata_with(PYTHON3, {"name": "R"}))
    assert raw_line(tmp_path, finding["json_line"]) == '"language": "python",'
    assert check(tmp_path, "NB603", metadata=metadata_with(PYTHON3, {"name": "python", "version": "3.12.1"})) == []
    assert check(tmp_path, "NB603", metadata=metadata_with(PYTHON3)) == []


@pytest.mark.parametrize(
    "a, b", [("python", "python3"), ("Python", "ipython3"), ("C++17", "c++"), ("python", "pyspark"), ("R", "r")]
)
def test_spellings_of_one_language_agree(a, b):
    assert language_family(a) == language_family(b)


def test_notebook_level_suppression_in_metadata(tmp_path):
    metadata = {"nblint": {"ignore": ["NB601"]}, "language_info": {"name": "python"}}
    assert check(tmp_path, "NB601", metadata=metadata) == []


# -- NB604 and its option ------------------------------------------------------------------------------------

TF_GPU = metadata_with({"display_name": "Python (tf-gpu)", "language": "python", "name": "tf-gpu"})


def test_allowed_kernels_unset_reports_nothing(tmp_path):
    assert check(tmp_path, "NB604", metadata=TF_GPU) == []


def test_allowed_kernels_in_pyproject_reports_other_names(tmp_path):
    [finding] = check(tmp_path, "NB604", metadata=TF_GPU, config='allowed-kernels = ["python3", "ir"]\n')
    assert "kernel 'tf-gpu' is not one of the allowed kernels (python3, ir)" in finding["message"]
    assert raw_line(tmp_path, finding["json_line"]) == '"name": "tf-gpu"'


def test_allowed_kernels_in_pyproject_accepts_listed_names(tmp_path):
    assert check(tmp_path, "NB604", metadata=metadata_with(PYTHON3), config='allowed-kernels = ["python3"]\n') == []


def test_allowed_kernels_must_be_a_list_of_names(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.nblint]\nallowed-kernels = "python3"\n', encoding="utf-8")
    write_notebook(tmp_path / "nb.ipynb", ["x = 1\n"], metadata=TF_GPU)
    result = run_nblint("check", "--no-cache", "--select", "NB604", "nb.ipynb", cwd=tmp_path)
    assert result.returncode == 2
    assert "allowed-kernels" in result.stderr and "Traceback" not in result.stderr


# -- NB605 ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "conda-env-churn-py",
        "conda-env-my-project-py",
        "conda-root-py",
        "conda-env-anaconda3-py",
        "conda_myenv",
        "conda_custom_env",
        "python38064bitenv38402d408776534fc5af35f0cc2441a95a",
        "python37464bitbasecondaa9b4d8c6a6b54c5fa3d1ab66b60e8f5a",
        "python_defaultSpec_1598412345678",
        "/home/alice/venv/bin/python",
    ],
)
def test_environment_specific_names(name):
    assert environment_specific(name) is not None


@pytest.mark.parametrize(
    "name",
    [
        "python3",
        "python2",
        "python",
        "ir",
        "julia-1.10",
        "julia-1.6",
        "xpython",
        "xcpp17",
        "bash",
        "javascript",
        "pysparkkernel",
        "sparkkernel",
        ".net-csharp",
        "python38-azureml",
        "azureml_py38",
        "azureml_py38_pt_tf",
        "conda_python3",
        "conda_python2",
        "conda_tensorflow2_p310",
        "conda_pytorch_p39",
        "conda_mxnet_latest_p37",
        "conda_amazonei_tensorflow_p36",
        "myproject",
        "tf-gpu",
        "venv",
    ],
)
def test_portable_and_platform_names(name):
    assert environment_specific(name) is None


def test_environment_specific_kernel_names_python3_and_points_at_the_name(tmp_path):
    metadata = metadata_with(
        {"display_name": "Python [conda env:churn]", "language": "python", "name": "conda-env-churn-py"},
        {"name": "python"},
    )
    [finding] = check(tmp_path, "NB605", metadata=metadata)
    assert "'conda-env-churn-py'" in finding["message"] and "portable 'python3'" in finding["message"]
    assert finding["fix"] == '"name": "python3"'
    assert raw_line(tmp_path, finding["json_line"]) == '"name": "conda-env-churn-py"'


# -- NB606 ---------------------------------------------------------------------------------------------------


def test_duplicate_ids_are_read_from_the_raw_file(tmp_path):
    notebook = make_notebook(["x = 1\n", "y = 2\n", "z = 3\n"])
    notebook["cells"][2]["id"] = notebook["cells"][0]["id"]
    [finding] = check(tmp_path, "NB606", notebook=notebook)
    assert (finding["cell"], finding["line"]) == (2, None)
    assert finding["message"].startswith("cell 3 has id 'cell-0', the same as cell 1")
    assert raw_line(tmp_path, finding["json_line"]) == '"id": "cell-0",'
    # nbformat itself would have renamed one of them on load: the file on disk is unchanged by the check
    assert json.loads((tmp_path / "nb.ipynb").read_text())["cells"][2]["id"] == "cell-0"


def test_unique_ids_and_no_ids_are_fine(tmp_path):
    assert check(tmp_path, "NB606", ["x = 1\n", "y = 2\n"]) == []
    notebook = make_notebook(["x = 1\n", "y = 2\n"])
    notebook["nbformat_minor"] = 4
    for cell in notebook["cells"]:
        del cell["id"]
    assert check(tmp_path, "NB606", notebook=notebook) == []
