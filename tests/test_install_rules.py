"""NB501 unpinned-install and NB502 shell-pip: how pip and conda lines are read (the parser, on its own),
and what the real CLI reports for real notebooks written to tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import check_notebook, run_nblint, write_notebook

from nblint.core.code.program import build_program
from nblint.core.read.notebook import parse_notebook
from nblint.rules.common.install_lines import install_commands, split_commands, versions_in_outputs
from nblint.testing import make_notebook, notebook_text


def commands_of(cells, metadata=None):
    """The install commands nblint finds in a notebook, read from its JSON as the engine reads it."""
    text = notebook_text(make_notebook(cells, metadata))
    notebook = parse_notebook(Path("nb.ipynb"), text.encode())
    build_program(notebook)  # fills notebook.magic_lines, as the engine does before notebook rules run
    return install_commands(notebook)


def unpinned_names(line: str) -> list[str]:
    [command] = commands_of([line + "\n"])
    return [package.display for package in command.unpinned]


# -- the parser ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line, unpinned",
    [
        ("%pip install pandas", ["pandas"]),
        ("%pip install pandas==2.2.3", []),
        ("%pip install pandas~=2.2", []),
        ("%pip install pandas===2.2.3", []),
        ('%pip install "pandas>=2.0"', ["pandas"]),
        ('%pip install "pandas>=2.0,<2.3"', []),  # a bounded range is a compatible pin written out
        ('%pip install "pandas<3"', ["pandas"]),
        ('%pip install "pandas!=2.1.0"', ["pandas"]),
        ('%pip install "pandas[excel]==2.2.3"', []),
        ("%pip install pandas[excel]", ["pandas[excel]"]),
        ('%pip install "tensorflow-text==2.11.*"', []),
        ("%pip install -U pandas==2.2.3", []),  # -U of a pinned package installs exactly that version
        ("%pip install --upgrade pandas", ["pandas"]),
        ("%pip install -qU pandas", ["pandas"]),
        ("%pip install -i https://test.pypi.org/simple/ mypkg", ["mypkg"]),  # the URL is -i's value
        ("%pip install --index-url https://test.pypi.org/simple/ mypkg==1.0", []),
        ("%pip install --extra-index-url=https://x.org/simple mypkg==1.0", []),
        ("%pip install -f ./wheels mypkg==1.0", []),
        ("%pip install -r requirements.txt", []),
        ("%pip install -qr requirements.txt", []),  # a combined short group that ends with -r
        ("%pip install -r requirements.txt seaborn", ["seaborn"]),
        ("%pip install -c constraints.txt seaborn", []),  # the pins live in the constraints file
        ("%pip install -e .", []),
        ("%pip install -e git+https://github.com/org/repo.git#egg=repo", []),
        ("%pip install .", []),
        ("%pip install ./packages/mylib", []),
        ("%pip install dist/mylib-0.1-py3-none-any.whl", []),
        ("%pip install mylib-0.1.tar.gz", []),
        ("%pip install git+https://github.com/org/repo.git", ["git+https://github.com/org/repo.git"]),
        ("%pip install git+https://github.com/org/repo.git@v1.2.0", []),
        ("%pip install git+https://github.com/org/repo.git@3f2a9c1", []),
        ("%pip install git+https://github.com/org/repo.git@master", ["git+https://github.com/org/repo.git@master"]),
        ("%pip install git+ssh://git@github.com/org/repo.git", ["git+ssh://git@github.com/org/repo.git"]),
        ("%pip install git+ssh://git@github.com/org/repo.git@v1", []),
        ('%pip install "repo @ git+https://github.com/org/repo.git@v1"', []),
        ("%pip install repo @ git+https://github.com/org/repo.git", ["repo"]),
        (
            "%pip install https://github.com/org/repo/archive/master.zip",
            ["https://github.com/org/repo/archive/master.zip"],
        ),
        ("%pip install https://files.example.org/mylib-1.0-py3-none-any.whl", []),
        ("%pip install --upgrade pip setuptools wheel", []),
        ("%pip install {package}", []),
        ("%pip install $PACKAGE", []),
        ("%pip install pandas  # plotting: seaborn>=0.13", ["pandas"]),
        ("%pip install git+https://github.com/org/repo.git@v1#egg=repo", []),
        ("!pip install -q seaborn 2>&1 | tail -1", ["seaborn"]),
        ("!pip install seaborn > /dev/null && echo ok", ["seaborn"]),
        ("!pip install seaborn>=0.13", ["seaborn"]),  # unquoted, `>` is a redirection: seaborn is bare
        ("%conda install numpy", ["numpy"]),
        ("%conda install numpy=1.26", []),
        ("%conda install numpy==1.26.4", []),
        ("%conda install 'numpy>=1.26'", ["numpy"]),
        ("%conda install -c conda-forge numpy=1.26", []),  # -c is conda's channel, not a constraints file
        ("%conda install -c conda-forge xarray", ["xarray"]),
        ("%conda install conda-forge::numpy=1.26", []),
        ("%conda install 'numpy 1.26.*'", []),
        ("%conda install --file packages.txt", []),
        ("%mamba install -y polars", ["polars"]),
    ],
)
def test_which_packages_are_unpinned(line, unpinned):
    assert unpinned_names(line) == unpinned


def test_uninstalls_and_read_only_commands_pin_nothing():
    for line in ("%pip uninstall -y pandas", "!pip list", "!pip show pandas", "!pip freeze"):
        [command] = commands_of([line + "\n"])
        assert command.unpinned == []


@pytest.mark.parametrize(
    "line, invoked_as, in_kernel",
    [
        ("%pip install x", "%pip", True),
        ("pip install x", "%pip", True),  # automagic
        ("!pip install x", "pip", False),
        ("!pip3.11 install x", "pip3.11", False),
        ("!python -m pip install x", "python -m pip", False),
        ("!python3 -u -m pip install x", "python3 -m pip", False),
        ("!{sys.executable} -m pip install x", "{sys.executable} -m pip", True),
        ('!"{sys.executable}" -m pip install x', "{sys.executable} -m pip", True),
        ("!sudo -H pip install x", "pip", False),
        ("!env PIP_NO_CACHE_DIR=1 pip install x", "pip", False),
        ("!/opt/conda/bin/pip install x", "pip", False),
        ("!conda install -y x", "conda", False),
        ("!conda install -y --prefix {sys.prefix} x", "conda", True),
        ("files = !pip install x", "pip", False),
    ],
)
def test_how_the_installer_is_invoked(line, invoked_as, in_kernel):
    [command] = commands_of([line + "\n"])
    assert (command.invoked_as, command.runs_in_kernel) == (invoked_as, in_kernel)


def test_shell_lines_split_like_a_shell():
    assert split_commands("pip install a && pip install 'b c'; echo done # note") == [
        ["pip", "install", "a"],
        ["pip", "install", "b c"],
        ["echo", "done"],
    ]
    assert split_commands("pip install x 2>&1 | tail -1") == [["pip", "install", "x"], ["tail", "-1"]]
    assert split_commands('pip install "unclosed') == []  # the shell could not run it either


def test_each_command_of_a_line_is_read():
    [first, second] = commands_of(["!pip install a==1.0 && pip install b\n"])
    assert [p.display for p in first.unpinned] == [] and [p.display for p in second.unpinned] == ["b"]


def test_bash_cells_are_read_line_by_line_with_continuations():
    commands = commands_of(["%%bash\nset -e\npip install \\\n    tqdm\necho done\n"])
    [command] = commands
    assert (command.origin, command.line, [p.display for p in command.unpinned]) == ("shell-cell", 3, ["tqdm"])


def test_other_cell_magics_are_not_read():
    assert commands_of(["%%writefile setup.sh\npip install tqdm\n"]) == []
    assert commands_of(["%%script python\nprint('pip install tqdm')\n"]) == []
    assert len(commands_of(["%%script bash\npip install tqdm\n"])) == 1


def test_notebooks_of_other_kernels_are_not_read():
    r_metadata = {"kernelspec": {"display_name": "R", "language": "R", "name": "ir"}, "language_info": {"name": "R"}}
    assert commands_of(["%%bash\npip install tqdm\n"], r_metadata) == []
    py2 = {
        "kernelspec": {"display_name": "Python 2", "language": "python", "name": "python2"},
        "language_info": {"name": "python", "version": "2.7.18"},
    }
    assert commands_of(["!pip install tqdm\n"], py2) == []


def test_versions_are_read_from_pip_output():
    outputs = [
        {
            "output_type": "stream",
            "name": "stdout",
            "text": [
                "Requirement already satisfied: python-dateutil>=2.4 in /usr/lib/python3/site-packages (from faker) (2.8.2)\n",
                "Requirement already satisfied: numpy in /usr/lib/python3/dist-packages (1.26.4)\n",
                "Successfully installed Faker-33.1.0 text_unidecode-1.3\n",
            ],
        }
    ]
    assert versions_in_outputs(outputs) == {"numpy": "1.26.4", "faker": "33.1.0", "text-unidecode": "1.3"}


# -- through the CLI ----------------------------------------------------------------------------------------


def run(tmp_path, cells, select="NB501,NB502", *extra):
    return check_notebook(tmp_path, cells, select, *extra)


def test_cli_reports_an_unpinned_shell_install_once_with_the_fix_for_both(tmp_path):
    findings = run(tmp_path, ["import os\n", "x = 1\n!pip install -q seaborn matplotlib==3.9.2\n"])
    # one finding per line: NB501's rewrite is already the %pip magic NB502 asks for
    assert [(f["code"], f["cell"], f["line"], f["column"]) for f in findings] == [("NB501", 1, 2, 1)]
    [unpinned] = findings
    assert unpinned["message"].startswith(
        "`!pip install -q seaborn matplotlib==3.9.2` installs seaborn without a version"
    )
    assert "(as %pip, which installs into the kernel's own environment)" in unpinned["message"]
    assert unpinned["fix"] == "%pip install -q seaborn==<version> matplotlib==3.9.2"
    lines = (tmp_path / "nb.ipynb").read_text().splitlines()
    assert lines[unpinned["json_line"] - 1].strip() == '"!pip install -q seaborn matplotlib==3.9.2\\n"'


def test_cli_each_rule_alone_still_reports_the_line(tmp_path):
    [shell] = run(tmp_path, ["!pip install -q seaborn matplotlib==3.9.2\n"], "NB502")
    assert shell["code"] == "NB502" and shell["fix"] == "%pip install -q seaborn matplotlib==3.9.2"
    [unpinned] = run(tmp_path, ["!pip install -q seaborn\n"], "NB501")
    assert unpinned["code"] == "NB501"
    # a pinned shell install is NB502's alone; silencing NB501 on a line brings NB502 back
    assert [f["code"] for f in run(tmp_path, ["!pip install seaborn==0.13.2\n"])] == ["NB502"]
    assert [f["code"] for f in run(tmp_path, ["!pip install seaborn  # noqa: NB501\n"])] == ["NB502"]


def test_installs_are_off_by_default(tmp_path):
    write_notebook(tmp_path / "nb.ipynb", ["!pip install seaborn\n"])
    result = run_nblint("check", "--no-cache", "nb.ipynb", cwd=tmp_path)
    assert result.returncode == 0, result.stdout


def test_cli_pins_to_the_version_the_saved_output_shows(tmp_path):
    cell = {
        "cell_type": "code",
        "source": "%pip install faker\n",
        "execution_count": 1,
        "outputs": [{"output_type": "stream", "name": "stdout", "text": ["Successfully installed faker-33.1.0\n"]}],
    }
    [finding] = run(tmp_path, [cell])
    assert finding["fix"] == "%pip install faker==33.1.0"
    assert finding["message"].endswith("pin it to what you tested: `%pip install faker==33.1.0`")


def test_cli_clean_installs_and_look_alikes_report_nothing(tmp_path):
    cells = [
        "%pip install pandas==2.2.3\n",
        "import sys\n!{sys.executable} -m pip install tqdm==4.66.5\n",
        "# !pip install seaborn\n",
        "%pip install -r requirements.txt\n",
        "!pip list\n",
        "msg = '!pip install seaborn'\n",
        {"cell_type": "markdown", "source": "Run `!pip install seaborn`.", "metadata": {}},
    ]
    assert run(tmp_path, cells) == []


def test_cli_reads_bash_cells(tmp_path):
    findings = run(tmp_path, ["%%bash\ncd /tmp\npip install gdown --no-use-pep517\n"])
    assert [(f["code"], f["cell"], f["line"]) for f in findings] == [("NB501", 0, 3)]
    [shell] = run(tmp_path, ["%%bash\ncd /tmp\npip install gdown --no-use-pep517\n"], "NB502")
    assert (shell["line"], "in a %%bash cell" in shell["message"]) == (3, True)


def test_cli_suppression_comment_silences_the_line(tmp_path):
    assert run(tmp_path, ["!pip install seaborn  # nblint: ignore[NB501, NB502]\n"]) == []


def test_cli_full_format_shows_the_fix(tmp_path):
    write_notebook(tmp_path / "nb.ipynb", ["!pip install seaborn\n"])
    result = run_nblint("check", "--no-cache", "--select", "NB502", "--format", "full", "nb.ipynb", cwd=tmp_path)
    assert result.returncode == 1
    assert "%pip install seaborn" in result.stdout


def test_cli_rewrites_only_the_install_of_a_compound_line(tmp_path):
    [finding] = run(tmp_path, ["!cd models/research && python -m pip install . && cd ../..\n"], "NB502")
    assert finding["fix"] == "%pip install ."
    [finding] = run(tmp_path, ["%pip install pandas==2.2.3 && pip install tqdm==4.66.5\n"], "NB502")
    assert finding["fix"] == "%pip install tqdm==4.66.5"  # the second command is the shell's pip
