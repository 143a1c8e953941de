"""NB501 unpinned-install and NB502 shell-pip: package installs written inside a notebook."""

from __future__ import annotations

from nblint.core.findings import Severity
from nblint.core.fixes import Applicability, Fix, replace_line, safe
from nblint.core.lazyre import lazy_compile
from nblint.core.read.notebook import Notebook
from nblint.core.wording import listing
from nblint.rules.base import Invalid, NotebookRule
from nblint.rules.common.install_lines import (
    MAGIC_OF_TOOL,
    InstallCommand,
    install_commands,
    pinned_rewrite,
    versions_in_outputs,
)

_SHOWN_SOURCE = 120


def _quoted(source: str) -> str:
    return source if len(source) <= _SHOWN_SOURCE else source[: _SHOWN_SOURCE - 3] + "..."


class UnpinnedInstall(NotebookRule):
    """
    ## What it does
    Flags `%pip install`, `!pip install`, `!python -m pip install`, `%conda install` and `!conda install`
    (and the same commands in `%%bash` cells) of a package without an exact or compatible version pin
    (`==`, `~=`, `===`; for conda `pkg=1.2` or `pkg==1.2`). A bare name, a lower bound only (`>=1.2`), an
    upper bound only (`<2`) or a VCS URL without a tag or commit (`git+https://...` or `@main`) is unpinned.
    The message names the packages and gives the pinned command, with the version this notebook's saved
    pip output shows when there is one.

    Not flagged: pinned packages (also with `-U`, which then installs exactly that version), a bounded
    range (`>=2.10,<2.11`, a compatible pin written out), `-r requirements.txt`, `-c constraints.txt`
    (the pins live in that file), `-e .` and other editable installs, local paths and archives, a file
    at a URL, upgrades of the installer itself (`pip`, `setuptools`, `wheel`), packages IPython fills in
    at run time (`{pkg}`, `$PKG`), uninstalls, and commented-out lines.

    ## Why it hurts
    Every run installs whatever is newest that day, into the environment the kernel is already running
    in. The notebook that worked when it was committed breaks months later on a major release (an API
    removed, a changed default), results change without a line of the notebook changing, and nobody can
    tell which versions produced the saved outputs.

    ## Example
        %pip install pandas scikit-learn>=1.3

    ## Use instead
        %pip install pandas==2.2.3 scikit-learn==1.5.2

    or keep the versions in a `requirements.txt` next to the notebook and `%pip install -r requirements.txt`.

    ## Fix
    Unsafe (`--fix --unsafe-fixes`): where the notebook's saved pip output shows the version of every
    unpinned package, a `%pip` / `%conda` line that is one command alone is rewritten with those pins.
    It changes what later runs install: the versions the output shows, not the newest.
    """

    code = "NB501"
    name = "unpinned-install"
    severity = Severity.WARNING
    # Opt-in: pinning inside a notebook is a project's policy (tutorials install the latest on purpose);
    # on ../shared/corpus 99 of 303 default findings, nearly all `!pip install x` in TensorFlow's tutorials.
    default_enabled = False
    fixable = Applicability.UNSAFE

    VALID = [
        "%pip install pandas==2.2.3\n",
        "%pip install 'scikit_learn~=0.23.0'  # For gaussian_random_matrix.\n",
        '!pip install --quiet "tensorflow-text==2.11.*"\n',
        "%pip install -U numpy===1.26.4\n",
        '%pip install "tensorflow>=2.10,<2.11"\n',
        "%pip install -r requirements.txt\n",
        "%pip install -q -r requirements.txt -c constraints.txt pandas\n",
        "%pip install -e .\n",
        "%pip install ./dist/mypkg-0.1-py3-none-any.whl ../other\n",
        "%pip install git+https://github.com/tensorflow/docs@v2.15.0\n",
        "%pip install https://example.com/packages/mypkg-1.0.tar.gz\n",
        "%pip install --upgrade pip setuptools wheel\n",
        "%pip install -i https://test.pypi.org/simple/ mypkg==0.3\n",
        "%pip install --index-url=https://download.pytorch.org/whl/cpu torch==2.3.1\n",
        "%pip install {package}\n",
        "%pip uninstall -y tensorflow\n",
        "%conda install -y -c conda-forge numpy=1.26 scipy==1.13.1\n",
        "%conda install --file environment.txt\n",
        "# !pip install pandas\n",
        "x = 1  # !pip install pandas\n",
        "!pip list 2>&1 | grep flake8\n",
        "!pip show tensorflow\n",
        # `&&` starts another command; `2>&1` is a redirection, not a package
        "!pip install -q seaborn==0.13.2 2>&1 && echo done\n",
        # a %%bash cell: shell lines read the same way
        "%%bash\npip install -r requirements.txt\n",
        # not Python: not analysed
        [{"cell_type": "markdown", "source": "Run `!pip install pandas` first.", "metadata": {}}],
    ]
    INVALID = [
        Invalid("%pip install pandas\n", line=1, column=1, message="`%pip install pandas==<version>`"),
        Invalid("import sys\n!pip install -q seaborn\n", line=2, message="seaborn without a version"),
        Invalid('!pip install -U "tensorflow>=2.10.0"\n', message="lower bound only (>=2.10.0)"),
        Invalid('!pip install "numpy<=1.23.5"\n', message="upper bound only"),
        Invalid(
            "!pip install remotezip tqdm opencv-python==4.5.2.52 tf-models-official\n",
            message="remotezip, tqdm and tf-models-official",
        ),
        Invalid(
            "!pip install git+https://github.com/tensorflow/docs\n",
            message="git+https://github.com/tensorflow/docs@<commit>",
        ),
        Invalid("%pip install git+https://github.com/org/repo.git@main\n", message="branch 'main'"),
        Invalid("!{sys.executable} -m pip install requests\n", message="%pip install requests==<version>"),
        Invalid("pip install pandas\n", message="pandas"),  # automagic
        Invalid(
            "%conda install -y -c conda-forge xarray\n", message="`%conda install -y -c conda-forge xarray=<version>`"
        ),
        Invalid("!pip install gym[classic_control]\n", message='"gym[classic_control]==<version>"'),
        Invalid("for x in range(1):\n    !pip install tqdm\n", line=2, column=5),
        Invalid("%%capture\n!pip install -q librosa\n", line=2),
        Invalid("%%bash\npip install gdown --no-use-pep517\n", line=2, message="gdown"),
        # the version this notebook's saved output shows goes into the rewrite
        Invalid(
            [
                {
                    "cell_type": "code",
                    "source": "!pip install faker\n",
                    "execution_count": 1,
                    "outputs": [
                        {
                            "output_type": "stream",
                            "name": "stdout",
                            "text": "Collecting faker\nSuccessfully installed faker-33.1.0\n",
                        }
                    ],
                }
            ],
            message="%pip install faker==33.1.0",
        ),
    ]

    def check(self, notebook: Notebook) -> None:
        for command in install_commands(notebook):
            unpinned = command.unpinned
            if not unpinned:
                continue
            cell = notebook.cells[command.cell]
            rewrite = pinned_rewrite(command, versions_in_outputs(cell.outputs))
            magic = (
                f" (as {MAGIC_OF_TOOL[command.tool]}, which installs into the kernel's own environment)"
                if runs_in_shell(command)
                else ""
            )
            autofix = None
            if notebook.original_major >= 4 and command.origin == "magic" and "<" not in rewrite:
                autofix = _pinning_fix(cell.lines, command, rewrite)
            self.report_at(
                f"`{_quoted(command.source)}` installs {_describe(unpinned)}: each run gets whatever is newest "
                f"that day, so results can change and the notebook breaks on the next major release; "
                f"pin {'it' if len(unpinned) == 1 else 'them'} to what you tested{magic}: `{rewrite}`",
                fix=rewrite,
                cell=command.cell,
                line=command.line,
                column=command.column,
                autofix=autofix,
            )


def _pinning_fix(lines: list[str], command: InstallCommand, rewrite: str) -> Fix | None:
    """The line rewritten with the versions its saved output shows, when the line is the one command alone
    (no other command, redirection, comment or continuation that the rewrite would drop)."""
    if not 1 <= command.line <= len(lines):
        return None
    text = lines[command.line - 1]
    own = text[command.column - 1 :]
    if own.strip() != command.source or any(char in own for char in "&|;<>#\\"):
        return None
    return Fix(
        "Pin the versions this notebook's saved output shows",
        Applicability.UNSAFE,
        (replace_line(command.cell, command.line, command.column, len(text.rstrip()) + 1, rewrite),),
    )


def _describe(packages) -> str:
    reasons = {package.why for package in packages}
    if len(reasons) == 1:
        return f"{listing([p.display for p in packages])} {packages[0].why}"
    return listing([f"{p.display} ({p.why})" for p in packages])


class ShellPip(NotebookRule):
    """
    ## What it does
    Flags package installs and uninstalls run through the shell: `!pip install`, `!pip3 install`,
    `!python -m pip install`, `!conda install` (and `pip install` lines in `%%bash` cells). The message
    gives the same line as an IPython magic (`%pip`, `%conda`).

    Not flagged: `%pip install` and `%conda install` (and automagic `pip install`), which install into the
    kernel's environment; `!{sys.executable} -m pip install`, which names the kernel's own interpreter;
    `!conda install --prefix {sys.prefix}`; `!conda install -n env` that names another environment on
    purpose; read-only commands such as `!pip list` and `!pip show`.

    With NB501 also selected, an unpinned `!pip install x` is one finding, NB501's, whose rewrite is
    already the pinned `%pip` line.

    ## Why it hurts
    `!pip` runs the first `pip` on the PATH of the shell that started Jupyter, which is often another
    Python than the kernel's (a base conda environment, the system Python, a different virtualenv). The
    install reports success, then `import` fails with ModuleNotFoundError, or imports an old copy, and
    the notebook behaves differently on every machine. `%pip` and `%conda` always target the running kernel.

    ## Example
        !pip install -q seaborn==0.13.2

    ## Use instead
        %pip install -q seaborn==0.13.2

    ## Fix
    Safe: `--fix` replaces the `!pip` (`!pip3`, `!python -m pip`) that starts a line with `%pip`, keeping
    the rest of the line as written. Not fixed: `!conda`, `sudo pip`, a pip named by its path, a result
    assigned (`out = !pip install x`), a line with a second install, and `%%bash` cells.
    """

    code = "NB502"
    name = "shell-pip"
    severity = Severity.WARNING
    # Opt-in: on hosted kernels (Colab, Kaggle) the shell's pip is the kernel's, and `!pip install` is
    # their documented idiom; 124 of 303 default findings on ../shared/corpus.
    default_enabled = False
    # One finding per line: NB501's rewrite (`%pip install x==<version>`) is already the magic.
    yields_to = "NB501"
    fixable = Applicability.SAFE

    VALID = [
        "%pip install seaborn==0.13.2\n",
        "%conda install -y numpy=1.26\n",
        "pip install seaborn==0.13.2\n",  # automagic: the %pip magic
        "import sys\n!{sys.executable} -m pip install seaborn==0.13.2\n",
        '!"{sys.executable}" -m pip install -q seaborn==0.13.2\n',
        "!conda install --yes --prefix {sys.prefix} numpy=1.26\n",
        "!conda install -y -n analysis numpy=1.26\n",
        "!pip list 2>&1 | grep flake8\n",
        "flake8_version = !pip list 2>&1 | grep flake8\n",
        "!pip show tensorflow\n",
        "!pip freeze > requirements.txt\n",
        "# !pip install seaborn\n",
        "!echo pip install seaborn\n",
        "!ls pip\n",
        "%%writefile setup.sh\npip install seaborn\n",
        '%%bash\necho "pip install seaborn"\n',
    ]
    INVALID = [
        Invalid("!pip install -q seaborn==0.13.2\n", column=1, message="`%pip install -q seaborn==0.13.2`"),
        Invalid("! pip install lightgbm==4.5.0\n", message="%pip install lightgbm==4.5.0"),
        Invalid("import os\n!pip3 install tqdm==4.66.5\n", line=2, message="pip3"),
        Invalid("!python -m pip install tqdm==4.66.5\n", message="%pip install tqdm==4.66.5"),
        Invalid("!python3.11 -m pip install --upgrade tqdm==4.66.5\n", message="%pip install --upgrade tqdm==4.66.5"),
        Invalid("!sudo pip install tqdm==4.66.5\n", message="%pip install tqdm==4.66.5"),
        Invalid("!/opt/conda/bin/pip install tqdm==4.66.5\n", message="%pip install"),
        Invalid("!pip uninstall -y -q tensorflow\n", message="%pip uninstall -y -q tensorflow"),
        Invalid(
            "!conda install -y -c conda-forge xarray=2024.6\n", message="%conda install -y -c conda-forge xarray=2024.6"
        ),
        Invalid("!mamba install -y xarray=2024.6\n", message="%mamba install"),
        Invalid("out = !pip install tqdm==4.66.5\n", message="%pip install tqdm==4.66.5"),
        Invalid("!pip install tqdm==4.66.5 > /dev/null 2>&1\n", message="%pip install tqdm==4.66.5 > /dev/null 2>&1"),
        Invalid(
            "%%bash\nset -e\npython -m pip install .\n",
            line=3,
            message="in a %%bash cell runs the shell's `python -m pip`",
        ),
    ]

    def check(self, notebook: Notebook) -> None:
        reported: set[tuple[int, int]] = set()
        commands = install_commands(notebook)
        per_line: dict[tuple[int, int], int] = {}
        for command in commands:
            per_line[(command.cell, command.line)] = per_line.get((command.cell, command.line), 0) + 1
        for command in commands:
            if not runs_in_shell(command):
                continue
            where = (command.cell, command.line)
            if where in reported:
                continue  # one finding per line: `!pip install a && pip install b`
            reported.add(where)
            magic = MAGIC_OF_TOOL[command.tool]
            rewrite = _as_magic(command, magic)
            in_cell = " in a %%bash cell" if command.origin == "shell-cell" else ""
            if command.tool == "pip":
                runs = f"runs the shell's `{command.invoked_as}`, which may belong to another Python than the kernel's"
            else:
                runs = f"runs `{command.invoked_as}` in the shell's active environment, which may not be the kernel's"
            if command.action == "install":
                effect = "the install reports success and `import` still fails or finds an old copy"
            else:
                effect = "it changes another environment than the one the kernel imports from"
            self.report_at(
                f"`{_quoted(command.source)}`{in_cell} {runs}: {effect}; {magic} always targets the running kernel: "
                f"`{rewrite}`" + (" (in a Python cell)" if command.origin == "shell-cell" else ""),
                fix=rewrite,
                cell=command.cell,
                line=command.line,
                column=command.column,
                autofix=_pip_magic_fix(notebook, command) if per_line[(command.cell, command.line)] == 1 else None,
            )


# `!pip`, `! pip3`, `!python -m pip`, `!python3.11 -m pip` before the action (and pip's own flags, `-q`): what
# `%pip` stands for.
_SHELL_PIP = lazy_compile(
    r"!\s*(?:pip(?:3(?:\.\d+)?)?|python(?:3(?:\.\d+)?)?\s+-m\s*pip)(?=(?:\s+-[A-Za-z-]+)*\s+(?:install|uninstall)(?:\s|$))"
)


def _pip_magic_fix(notebook: Notebook, command: InstallCommand) -> Fix | None:
    """`!pip install ...` -> `%pip install ...`: the installer replaced, every other character kept."""
    if command.origin != "shell" or command.tool != "pip" or notebook.original_major < 4:
        return None
    lines = notebook.cells[command.cell].lines
    if not 1 <= command.line <= len(lines):
        return None
    match = _SHELL_PIP.match(lines[command.line - 1], command.column - 1)
    if match is None:
        return None
    return safe(
        "Replace the shell's pip with `%pip`",
        replace_line(command.cell, command.line, match.start() + 1, match.end() + 1, "%pip"),
    )


_CONDA_CHANGING = {"install", "remove", "uninstall", "update", "upgrade"}
_CHANGING_ACTIONS = {"pip": {"install", "uninstall"}}


def runs_in_shell(command: InstallCommand) -> bool:
    """An install or uninstall that the shell's installer runs rather than the kernel's (what NB502 reports)."""
    if command.origin == "magic" or command.runs_in_kernel or command.targets_other_env:
        return False
    return command.action in _CHANGING_ACTIONS.get(command.tool, _CONDA_CHANGING)


_NEXT_COMMAND = lazy_compile(r"&&|\|\||;")
_COMMAND_START = lazy_compile(r"&&|\|\||;|\|")


def _as_magic(command: InstallCommand, magic: str) -> str:
    """The line with its installer replaced by the magic, the user's own words after the action kept."""
    text = command.source
    if command.origin == "shell" and "!" in text:
        text = text[text.index("!") :].lstrip("!").strip()
    head = command.invoked_as.split()[-1]  # "pip" of "python -m pip", "conda"
    marker = f" {command.action}"
    position = text.find(marker)
    while position >= 0:
        # the simple command this action belongs to: the text since the last `&&`, `||`, `;` or `|`
        segment = _COMMAND_START.split(text[:position])[-1]
        after = text[position + len(marker) :]
        if (not after or after[0].isspace()) and head in segment and "%" not in segment:
            own_words = _NEXT_COMMAND.split(after)[0].rstrip()
            return f"{magic} {command.action}{own_words}"
        position = text.find(marker, position + 1)
    return f"{magic} {command.action} " + " ".join(command.arguments)
