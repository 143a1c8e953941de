"""NB804, NB806, NB808, NB809, NB810: what a notebook needs of the kernel it names, judged on this machine.

Each finding is placed at the notebook (cell and line where it has one) and says the command that fixes it.
"""

from __future__ import annotations

from nblint.core.findings import Severity
from nblint.core.read.notebook import Notebook
from nblint.rules.machine.facts import MachineInvalid, MachineRule, MachineValid, NotebookFacts
from nblint.rules.machine.kernels import _notebook, kernel
from nblint.rules.machine.options import IMPORT_TIMEOUT

# Modules whose distribution has another name: what the fix installs.
DISTRIBUTION_OF = {
    "sklearn": "scikit-learn",
    "cv2": "opencv-python",
    "PIL": "pillow",
    "yaml": "pyyaml",
    "bs4": "beautifulsoup4",
    "skimage": "scikit-image",
    "dateutil": "python-dateutil",
    "dotenv": "python-dotenv",
    "Bio": "biopython",
}


def _fix_install(facts: NotebookFacts, package: str) -> str:
    python = facts.kernel.python if facts.kernel is not None else "python"
    return f"`{python} -m pip install {package}` (or `%pip install {package}` in the notebook)"


class KernelNotInstalled(MachineRule):
    """
    ## What it does
    Checks that the kernel a notebook names (`metadata.kernelspec.name`) is installed on this machine; if
    not, names the installed kernels that speak the notebook's language and the command that registers one.

    ## Why it kills the kernel
    Jupyter cannot start a kernel it does not know: JupyterLab asks for another (and the notebook runs
    wherever the user clicks), `jupyter nbconvert --execute` and papermill stop with "No such kernel".

    ## Example
    A notebook saved with `"kernelspec": {"name": "conda-env-ml-py"}` opened on a machine without that env.

    ## Use instead
    Register the environment the notebook needs (`/path/to/env/bin/python -m ipykernel install --user --name NAME`),
    or choose one of the installed kernels and save the notebook with it.
    """

    code = "NB804"
    name = "kernel-not-installed"
    severity = Severity.ERROR

    VALID = [MachineValid(_notebook(), machine=kernel("{python}"))]
    INVALID = [
        MachineInvalid(
            _notebook("julia-or-nothing"),
            machine=kernel("{python}"),
            cell=None,
            line=None,
            message="`julia-or-nothing` is not installed",
        ),
    ]

    def check_notebook(self, notebook: Notebook, facts: NotebookFacts) -> None:
        if facts.kernel_name is None or facts.kernel is not None:
            return
        spec = notebook.metadata.get("kernelspec")
        language = (spec.get("language") if isinstance(spec, dict) else None) or notebook.language or ""
        same = sorted(name for name, k in facts.installed.items() if k.language.lower() == language.lower())
        others = (
            f"installed kernels for {language}: {', '.join(same)}"
            if same
            else (f"no installed kernel speaks {language or 'its language'}")
        )
        if language.lower() in ("python", ""):
            fix = f"`/path/to/env/bin/python -m ipykernel install --user --name {facts.kernel_name}`" + (
                f", or save the notebook with one of: {', '.join(same)}" if same else ""
            )
        else:
            fix = f"install a {language} kernel and register it as `{facts.kernel_name}`" + (
                f", or save the notebook with one of: {', '.join(same)}" if same else ""
            )
        self.report_at(
            f"the notebook's kernel `{facts.kernel_name}` is not installed here ({others})",
            fix=fix,
            json_path=("metadata", "kernelspec"),
        )


class ImportNotFound(MachineRule):
    """
    ## What it does
    Asks the notebook's own kernel interpreter (`importlib.util.find_spec`, run there, from the notebook's
    folder) for every module the notebook imports at the top of its cells, across cells and with magics
    masked, and reports those it cannot find. Imports inside `try` or `if` blocks are left alone.

    ## Why it kills the kernel
    The notebook was written in another environment: the first run stops at `ModuleNotFoundError`, often
    after an hour of work in the cells above; `!pip install` in the wrong place then installs elsewhere.

    ## Example
    ```python
    import polars as pl   # the kernel's environment has no polars
    ```

    ## Use instead
    Install it with the kernel's own interpreter (`/path/to/env/bin/python -m pip install polars`, or
    `%pip install polars` in the notebook), or start the notebook with the kernel of the environment that has it.
    """

    code = "NB806"
    name = "import-not-found"
    severity = Severity.ERROR

    VALID = [
        MachineValid(_notebook(source="import json\nimport nblint\n"), machine=kernel("{python}")),
        MachineValid(
            _notebook(source="try:\n    import nblint_surely_absent\nexcept ImportError:\n    pass\n"),
            machine=kernel("{python}"),
        ),
        MachineValid(
            _notebook(source="import helper_beside\n"),
            machine={**kernel("{python}"), "files": {"helper_beside.py": ""}},
        ),
    ]
    INVALID = [
        MachineInvalid(
            _notebook(source="import json\nfrom nblint_surely_absent.sub import thing\n"),
            machine=kernel("{python}"),
            cell=0,
            line=2,
            message="cannot find module nblint_surely_absent",
        ),
    ]

    def check_notebook(self, notebook: Notebook, facts: NotebookFacts) -> None:
        if facts.kernel is None:
            return
        for fact in facts.imports:
            if fact.found is False:
                package = DISTRIBUTION_OF.get(fact.module, fact.module)
                self.report_at(
                    f"the kernel `{facts.kernel.name}` ({facts.kernel.python}) cannot find module {fact.module}: "
                    "this import raises ModuleNotFoundError",
                    fix=_fix_install(facts, package),
                    cell=fact.cell,
                    line=fact.line,
                    column=fact.column,
                )


class PinMismatch(MachineRule):
    """
    ## What it does
    Reads the project's own pins (`requirements*.txt`, `pyproject.toml` `[project] dependencies`,
    `environment.yml`, the first found from the notebook's folder upwards) and reports each package the
    notebook's kernel environment has at a version the pin does not allow.

    ## Why it hurts
    The notebook was written and checked against the pinned versions; another version changes results
    silently, breaks an API the notebook calls, or, for binary packages, crashes on import.

    ## Example
    `requirements.txt` says `pandas==1.5.3`; the kernel's environment has pandas 2.2.

    ## Use instead
    Install the pins into the kernel's environment (`/path/to/env/bin/python -m pip install -r requirements.txt`),
    or update the pin when the new version is the one meant.
    """

    code = "NB808"
    name = "pin-mismatch"
    severity = Severity.WARNING

    VALID = [
        MachineValid(
            _notebook(),
            machine={
                **kernel("{venv}"),
                "venv_packages": {"nbl-base": {"version": "2.1"}},
                "files": {"requirements.txt": "nbl-base>=2,<3\nnot-installed==1.0\n"},
            },
        )
    ]
    INVALID = [
        MachineInvalid(
            _notebook(),
            machine={
                **kernel("{venv}"),
                "venv_packages": {"nbl-base": {"version": "2.1"}},
                "files": {"requirements.txt": "# pins\nnbl-base==1.4\n"},
            },
            cell=None,
            line=None,
            message="requirements.txt:2 pins nbl-base==1.4",
        ),
    ]

    def check_notebook(self, notebook: Notebook, facts: NotebookFacts) -> None:
        if facts.kernel is None or not facts.kernel.distributions or not facts.pins:
            return
        from packaging.specifiers import InvalidSpecifier, SpecifierSet
        from packaging.utils import canonicalize_name
        from packaging.version import InvalidVersion, Version

        installed = {canonicalize_name(d["name"]): d["version"] for d in facts.kernel.distributions if d.get("name")}
        for pin in facts.pins:
            have = installed.get(canonicalize_name(pin.name))
            if have is None or not pin.specifier:
                continue
            try:
                if SpecifierSet(pin.specifier).contains(Version(have), prereleases=True):
                    continue
            except (InvalidSpecifier, InvalidVersion):
                continue
            self.report_at(
                f"{pin.file}:{pin.line} pins {pin.name}{pin.specifier}; the kernel `{facts.kernel.name}`'s environment has {have}",
                fix=f'`{facts.kernel.python} -m pip install "{pin.name}{pin.specifier}"`, or update the pin',
                json_path=("metadata",),
            )


class ImportCrashes(MachineRule):
    """
    ## What it does
    Imports each module the notebook imports (the ones the kernel can find, outside the standard
    library) in its own subprocess of the kernel's interpreter, from the notebook's folder, and reports
    one that kills the process (naming the signal), raises, or does not finish within `import-timeout`.

    ## Why it kills the kernel
    A binary package built against another version of NumPy, or linked to a library that moved, does
    not raise: it segfaults (or aborts) in the middle of `import`, and the kernel dies with "The kernel
    appears to have died" and no traceback. Each import here runs alone so the doctor survives it.

    ## Example
    `import scipy` in an environment where `pip install --no-deps numpy==2.0` replaced the NumPy scipy was built for.

    ## Use instead
    Reinstall the package so that it matches its dependencies (`python -m pip install --force-reinstall
    PACKAGE` with the kernel's interpreter), then `python -m pip check`.

    ## Options
    - `import-timeout`: seconds one import may take (default 60).
    """

    code = "NB809"
    name = "import-crashes"
    severity = Severity.ERROR
    options = (IMPORT_TIMEOUT,)

    VALID = [
        MachineValid(
            _notebook(source="import nblint_fine\n"),
            machine={**kernel("{venv}"), "venv_packages": {"nblint-fine": {"version": "1.0", "module": "VALUE = 1\n"}}},
        )
    ]
    INVALID = [
        MachineInvalid(
            _notebook(source="import json\nimport nblint_aborts\n"),
            machine={
                **kernel("{venv}"),
                "venv_packages": {"nblint-aborts": {"version": "1.0", "module": "import os\nos.abort()\n"}},
            },
            cell=0,
            line=2,
            message="SIGABRT",
        ),
    ]

    def check_notebook(self, notebook: Notebook, facts: NotebookFacts) -> None:
        if facts.kernel is None:
            return
        for fact in facts.imports:
            probe = fact.crash
            if probe is None or probe.ok:
                continue
            fix = f"`{facts.kernel.python} -m pip install --force-reinstall {DISTRIBUTION_OF.get(fact.module, fact.module)}`, then `{facts.kernel.python} -m pip check`"
            if probe.signal:
                message = (
                    f"importing {fact.module} in the kernel `{facts.kernel.name}`'s environment kills the process with "
                    f"{probe.signal}: the kernel dies here, with no traceback"
                )
            elif probe.timed_out:
                message = f"importing {fact.module} in the kernel `{facts.kernel.name}`'s environment {probe.error}"
            else:
                message = (
                    f"importing {fact.module} in the kernel `{facts.kernel.name}`'s environment raises {probe.error}"
                )
            self.report_at(
                message,
                fix=fix,
                cell=fact.cell,
                line=fact.line,
                column=fact.column,
                severity=None if probe.signal else Severity.WARNING,
            )


# A `python` on PATH that is another environment's interpreter (a wrapper, as pyenv's shims are).
_WRAPPER = '#!/bin/sh\nexec {python} "$@"\n'


class ShellOtherEnvironment(MachineRule):
    """
    ## What it does
    For each shell line that runs `pip` or `python` by name (`!pip install x`, `!python train.py`,
    `!python3 -m build`, `!python -m pip install x`, and the same commands in `%%bash` cells), looks the
    word up on the kernel's PATH, as the kernel's shell would, and asks the program found which
    environment it belongs to; reports the line when that is not the kernel's own environment, or when
    there is no such program on the kernel's PATH. A path or `{sys.executable}` names its interpreter and
    is left alone.

    ## Why it hurts
    A kernel started from a Jupyter installed elsewhere inherits that Jupyter's PATH: `!pip install x`
    installs into Jupyter's environment, succeeds, and `import x` still fails in the kernel; `!python
    train.py` runs the script with another interpreter and other packages than the notebook's, so it
    fails (or computes something else) where the notebook's own cells work.

    ## Example
    ```python
    !pip install polars   # pip on the kernel's PATH is /usr/bin/pip (Python 3.10), the kernel is ~/venv
    !python train.py      # /usr/bin/python, not ~/venv/bin/python
    ```

    ## Use instead
    ```python
    %pip install polars   # the magic installs with the kernel's own interpreter
    !{sys.executable} train.py
    ```
    """

    code = "NB810"
    name = "shell-other-environment"
    severity = Severity.ERROR

    VALID = [
        MachineValid(
            _notebook(source="!pip install nblint-x\n!python -c pass\n"),
            machine={
                **kernel("{venv}", env={"PATH": "{venvbin}:/usr/bin:/bin"}),
                "venv_scripts": {"pip": "#!{venv}\n"},
            },
        ),
        MachineValid(
            _notebook(source="import sys\n!{sys.executable} train.py\n!/usr/bin/env true\n"),
            machine={**kernel("{venv}", env={"PATH": "{bin}:/usr/bin:/bin"}), "scripts": {"python": _WRAPPER}},
        ),
    ]
    INVALID = [
        MachineInvalid(
            _notebook(source="import sys\n!pip install nblint-x\n"),
            machine={**kernel("{venv}", env={"PATH": "{bin}:/usr/bin:/bin"}), "scripts": {"pip": "#!{python}\n"}},
            cell=0,
            line=2,
            message="not the kernel's",
        ),
        MachineInvalid(
            _notebook(source="x = 1\n!python train.py --epochs 3\n"),
            machine={**kernel("{venv}", env={"PATH": "{bin}:/usr/bin:/bin"}), "scripts": {"python": _WRAPPER}},
            cell=0,
            line=2,
            message="python on the kernel's PATH is",
        ),
        MachineInvalid(
            _notebook(source="!cd /tmp && python3 -m http.server --help\n"),
            machine={**kernel("{venv}", env={"PATH": "{bin}:/usr/bin:/bin"}), "scripts": {"python3": _WRAPPER}},
            cell=0,
            line=1,
            message="python3 on the kernel's PATH is",
        ),
    ]

    def check_notebook(self, notebook: Notebook, facts: NotebookFacts) -> None:
        kernel = facts.kernel
        if kernel is None or kernel.prefix is None:
            return
        for command in facts.commands:
            word = command["word"]
            found = kernel.commands.get(word)
            if found is None:
                continue
            if command.get("pip", word.startswith("pip")):
                fix = "`%pip ...`: the magic runs pip with the kernel's own interpreter"
                effect = "it installs into (or reads) another environment than the notebook's"
            else:
                fix = f"`{_with_kernel_python(command['source'], word)}`"
                effect = "it runs with another interpreter and other packages than the notebook's"
            if found.get("path") is None:
                message = f"`{command['source']}`: there is no `{word}` on the kernel `{kernel.name}`'s PATH"
            elif found.get("prefix") is None or found["prefix"] == kernel.prefix:
                continue
            else:
                message = (
                    f"`{command['source']}`: {word} on the kernel's PATH is {found['path']} (environment "
                    f"{found['prefix']}), not the kernel's ({kernel.prefix}): {effect}"
                )
            self.report_at(message, fix=fix, cell=command["cell"], line=command["line"], column=command["column"])


def _with_kernel_python(source: str, word: str) -> str:
    """The line with its bare `python` word replaced by the kernel's own interpreter, as IPython fills it in."""
    import re

    text = source if source.startswith("!") else "!" + source
    return re.sub(rf"(?<![\w./-]){re.escape(word)}(?![\w./-])", "{sys.executable}", text, count=1)
