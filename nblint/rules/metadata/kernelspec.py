"""NB601-NB605: the kernelspec in a notebook's metadata, which tells Jupyter, papermill and nbconvert
which kernel to start."""

from __future__ import annotations

import json
import re

from nblint.core.findings import Severity
from nblint.core.fixes import Applicability, Fix, JsonEdit
from nblint.core.lazyre import lazy_compile
from nblint.core.options import Option, parse_optional_str_list
from nblint.core.read.notebook import Notebook
from nblint.rules.base import Invalid, NotebookRule, Valid

PYTHON_KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}
# What a fresh Jupyter install writes for each language (ipykernel's own display name), used by the fixes.
PORTABLE_KERNELSPECS = {
    "python": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
    "r": {"display_name": "R", "language": "R", "name": "ir"},
}
_PYTHON_LANGUAGE_INFO = {"name": "python", "version": "3.11.7"}

ALLOWED_KERNELS = Option(
    "allowed-kernels",
    None,
    parse_optional_str_list,
    'Kernelspec names a notebook may use (for example ["python3"]); unset, any name is accepted.',
)


def _kernelspec(notebook: Notebook) -> dict | None:
    spec = notebook.metadata.get("kernelspec")
    return spec if isinstance(spec, dict) else None


def _text(value) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _notebook(kernelspec: dict | None = None, language_info: dict | None = None, nbformat: int = 4) -> dict:
    metadata = {}
    if kernelspec is not None:
        metadata["kernelspec"] = kernelspec
    if language_info is not None:
        metadata["language_info"] = language_info
    return {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "id": "cell-0",
                "metadata": {},
                "outputs": [],
                "source": ["x = 1\n"],
            }
        ],
        "metadata": metadata,
        "nbformat": nbformat,
        "nbformat_minor": 5,
    }


def _portable_kernelspec(language: str | None) -> dict:
    """The kernelspec for a language as language_info names it (None: not said, taken as Python)."""
    return PORTABLE_KERNELSPECS.get(language_family(language) if language else "python", {})


class MissingKernelspec(NotebookRule):
    """
    ## What it does
    Flags an nbformat 4 notebook with no `metadata.kernelspec`, as notebooks written by scripts
    (`nbformat.v4.new_notebook()`, jupytext without a kernel) and some exports are. The message proposes
    the kernelspec that matches `language_info` when the notebook has one.

    Not flagged: notebooks in the old formats 1-3 (they have no kernelspec by design; NB607 reports them).

    ## Why it hurts
    Without a kernelspec nothing says which kernel runs the notebook: papermill refuses it ("No kernel
    name found in notebook and no override provided"), Jupyter asks the user to pick a kernel, and
    nbconvert falls back to a default Python that may not be the one the notebook needs.

    ## Example
        "metadata": {"language_info": {"name": "python"}}

    ## Use instead
        "metadata": {
          "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
          "language_info": {"name": "python"}
        }

    (open the notebook, choose the kernel, save.)

    ## Fix
    Safe when `language_info` names Python or R: `--fix` adds that language's portable kernelspec
    (`python3`, `ir`). Unsafe when nothing names the language (the fix then assumes Python).
    """

    code = "NB601"
    name = "missing-kernelspec"
    severity = Severity.WARNING
    # Opt-in: Jupyter asks for a kernel once and goes on; it matters to papermill users, who select it.
    # On ../shared/corpus all 14 findings were notebooks written by scripts and test fixtures.
    default_enabled = False
    fixable = Applicability.SAFE

    VALID = [
        _notebook(PYTHON_KERNELSPEC, _PYTHON_LANGUAGE_INFO),
        _notebook({"display_name": "R", "language": "R", "name": "ir"}),
        # an nbformat 3 notebook: no kernelspec by design (NB607 reports the old format)
        {
            "nbformat": 3,
            "nbformat_minor": 0,
            "metadata": {"name": "old"},
            "worksheets": [
                {
                    "cells": [
                        {"cell_type": "code", "input": "x = 1", "language": "python", "outputs": [], "metadata": {}}
                    ],
                    "metadata": {},
                }
            ],
        },
    ]
    INVALID = [
        Invalid(_notebook(None, _PYTHON_LANGUAGE_INFO), cell=None, line=None, message='"name": "python3"'),
        Invalid(_notebook(), cell=None, line=None, message="no kernelspec"),
    ]

    def check(self, notebook: Notebook) -> None:
        if notebook.original_major < 4 or "kernelspec" in notebook.metadata:
            return
        info = notebook.metadata.get("language_info")
        language = _text(info.get("name")) if isinstance(info, dict) else None
        proposal = _portable_kernelspec(language.lower() if language else None)
        autofix = None
        if proposal:
            fix = f'"kernelspec": {json.dumps(proposal)}'
            advice = f"choose the kernel and save, which writes {fix}"
            autofix = Fix(
                f"Add the kernelspec of {proposal['display_name']}",
                Applicability.SAFE if language else Applicability.UNSAFE,
                (JsonEdit(("metadata", "kernelspec"), dict(proposal)),),
            )
        else:
            fix = "Open the notebook, choose its kernel, and save"
            advice = "open the notebook, choose its kernel and save"
        self.report_at(
            'the notebook has no kernelspec in its metadata: papermill refuses to run it ("No kernel name '
            'found in notebook"), Jupyter asks which kernel to start and nbconvert guesses; ' + advice,
            fix=fix,
            json_path=("metadata",),
            autofix=autofix,
        )


class IncompleteKernelspec(NotebookRule):
    """
    ## What it does
    Flags a `metadata.kernelspec` that lacks `name` or `display_name` (or has them empty), naming what is
    missing. nbformat's schema requires both.

    ## Why it hurts
    `name` is what Jupyter, papermill and nbconvert look up to start the kernel: without it they fail or
    fall back to a default kernel. Without `display_name` Jupyter cannot show the kernel in its menus and
    `nbformat.validate` fails in CI.

    ## Example
        "kernelspec": {"language": "python", "name": "python3"}

    ## Use instead
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}

    ## Fix
    For a Python notebook `--fix` fills in what is missing (`name` `python3`, `display_name`
    `Python 3 (ipykernel)`) and leaves the rest; unsafe when it must name the kernel and nothing in
    the metadata says the notebook is Python.
    """

    code = "NB602"
    name = "incomplete-kernelspec"
    severity = Severity.WARNING
    # Opt-in: the schema requires both keys, so NB004 (on by default) already reports the same notebook.
    default_enabled = False
    fixable = Applicability.SAFE

    VALID = [
        _notebook(PYTHON_KERNELSPEC),
        _notebook({"display_name": "Python 3 (ipykernel)", "name": "python3"}),  # language is optional
        _notebook(None),  # no kernelspec at all is NB601's
    ]
    INVALID = [
        Invalid(_notebook({"language": "python", "name": "python3"}), cell=None, line=None, message="display_name"),
        Invalid(_notebook({"display_name": "Python 3", "language": "python"}), cell=None, line=None, message="no name"),
        Invalid(_notebook({"display_name": "", "name": ""}), cell=None, line=None, message="name and display_name"),
    ]

    def check(self, notebook: Notebook) -> None:
        spec = _kernelspec(notebook)
        if spec is None:
            return
        missing = [key for key in ("name", "display_name") if _text(spec.get(key)) is None]
        if not missing:
            return
        portable = PORTABLE_KERNELSPECS["python"]
        complete = {**portable, **{k: v for k, v in spec.items() if _text(v)}} if notebook.is_python else None
        fix = f'"kernelspec": {json.dumps(complete)}' if complete else "Choose the kernel in Jupyter and save"
        advice = f"choose the kernel and save, or write {fix}" if complete else "choose the kernel and save"
        autofix = None
        if complete:
            guessed = "name" in missing and notebook.language is None
            autofix = Fix(
                f"Fill in the kernelspec's {' and '.join(missing)}",
                Applicability.UNSAFE if guessed else Applicability.SAFE,
                tuple(JsonEdit(("metadata", "kernelspec", key), complete[key]) for key in missing),
            )
        self.report_at(
            f"the kernelspec has no {' and '.join(missing)}: Jupyter, papermill and nbconvert look the kernel up "
            f"by name and show it by display_name, and nbformat's schema requires both; {advice}",
            fix=fix,
            json_path=("metadata", "kernelspec"),
            autofix=autofix,
        )


# Names of one language, as kernelspecs and language_info write them.
_LANGUAGE_FAMILIES = {
    "python": {"python", "ipython", "py", "pyspark", "pysparkkernel", "sparkmagic.kernels.pysparkkernel"},
    "c++": {"c++", "cpp", "xcpp", "cling"},
    "c#": {"c#", "csharp", ".net-csharp"},
    "f#": {"f#", "fsharp", ".net-fsharp"},
    "powershell": {"powershell", "pwsh", ".net-powershell"},
    "javascript": {"javascript", "js", "node", "nodejs", "ijavascript"},
    "typescript": {"typescript", "ts"},
    "shell": {"bash", "sh", "shell", "zsh"},
    "wolfram": {"wolfram language", "wolfram", "mathematica"},
    "r": {"r"},
}
# language_info names that say nothing about one language (.NET's polyglot notebooks mix several).
_ANY_LANGUAGE = {"polyglot-notebook"}


def language_family(name: str) -> str:
    lowered = name.strip().lower()
    lowered = re.sub(r"[\s_-]*\d+(?:\.\d+)*$", "", lowered) or lowered  # python3, c++17, julia 1.9
    for family, names in _LANGUAGE_FAMILIES.items():
        if lowered in names:
            return family
    return lowered


class KernelLanguageMismatch(NotebookRule):
    """
    ## What it does
    Flags a notebook whose `kernelspec.language` names another language than `language_info.name`,
    for example a Python kernelspec over R's language_info after metadata was copied between notebooks.
    Versions and spellings of one language agree (`python` and `python3`, `C++17` and `c++`, PySpark and
    Python).

    Not flagged: agreeing metadata; a notebook without `language_info` or without `kernelspec.language`;
    .NET polyglot notebooks (`language_info.name` is `polyglot-notebook`).

    ## Why it hurts
    Tools read different keys: Jupyter starts the kernel named by the kernelspec, while nbconvert,
    papermill's parameter injection, GitHub's renderer and linters pick the language from
    `language_info`. With the two disagreeing, parameters are injected in the wrong language, code is
    highlighted and linted as the wrong language, and the notebook is hard to trust.

    ## Example
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "R"}

    ## Use instead
    Open the notebook with the kernel it needs and save it, which rewrites both keys:

        "kernelspec": {"display_name": "R", "language": "R", "name": "ir"},
        "language_info": {"name": "R"}
    """

    code = "NB603"
    name = "kernel-language-mismatch"
    severity = Severity.WARNING

    VALID = [
        _notebook(PYTHON_KERNELSPEC, _PYTHON_LANGUAGE_INFO),
        _notebook({"display_name": "Python 3", "language": "Python", "name": "python3"}, {"name": "python3"}),
        _notebook(PYTHON_KERNELSPEC),  # no language_info
        _notebook({"display_name": "Python 3", "name": "python3"}, {"name": "R"}),  # no kernelspec.language
        _notebook({"display_name": "C++17", "language": "C++17", "name": "xcpp17"}, {"name": "c++", "version": "17"}),
        _notebook({"display_name": "PySpark", "language": "python", "name": "pysparkkernel"}, {"name": "pyspark"}),
        _notebook(
            {"display_name": ".NET (C#)", "language": "C#", "name": ".net-csharp"}, {"name": "polyglot-notebook"}
        ),
        _notebook({"display_name": "R", "language": "R", "name": "ir"}, {"name": "R", "version": "4.3.1"}),
        _notebook({"display_name": "Julia 1.10", "language": "julia", "name": "julia-1.10"}, {"name": "julia"}),
    ]
    INVALID = [
        Invalid(
            _notebook(PYTHON_KERNELSPEC, {"name": "R"}),
            cell=None,
            line=None,
            message="kernelspec.language 'python' but language_info.name 'R'",
        ),
        Invalid(
            _notebook({"display_name": "R", "language": "R", "name": "ir"}, {"name": "python"}), cell=None, line=None
        ),
    ]

    def check(self, notebook: Notebook) -> None:
        spec = _kernelspec(notebook)
        info = notebook.metadata.get("language_info")
        if spec is None or not isinstance(info, dict):
            return
        declared, running = _text(spec.get("language")), _text(info.get("name"))
        if declared is None or running is None or running.strip().lower() in _ANY_LANGUAGE:
            return
        if language_family(declared) == language_family(running):
            return
        self.report_at(
            f"kernelspec.language '{declared}' but language_info.name '{running}': Jupyter starts the kernel by "
            f"its kernelspec while nbconvert, papermill and renderers take the language from language_info; open "
            f"the notebook with the kernel it needs and save it so both agree",
            fix="Open the notebook with the right kernel and save it",
            json_path=("metadata", "kernelspec", "language"),
        )


class KernelNotAllowed(NotebookRule):
    """
    ## What it does
    With the option `allowed-kernels` set, flags a notebook whose kernelspec name is not in the list
    (the comparison is exact, as Jupyter's lookup is). Does nothing while the option is unset (its default).

    Not flagged: notebooks without a kernelspec or without a name (NB601 and NB602 report those).

    ## Why it hurts
    A project that runs its notebooks in CI or papermill has a known set of kernels installed there; a
    notebook saved with any other kernel fails with "No such kernel" on the first run there, far from
    the commit that changed it.

    ## Example
        # pyproject.toml: allowed-kernels = ["python3"]
        "kernelspec": {"display_name": "Python (tf-gpu)", "language": "python", "name": "tf-gpu"}

    ## Use instead
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}

    ## Options
    - `allowed-kernels` (default: unset, any name is accepted): the kernelspec names notebooks may use,
      for example `allowed-kernels = ["python3", "ir"]`.
    """

    code = "NB604"
    name = "kernel-not-allowed"
    severity = Severity.WARNING
    options = (ALLOWED_KERNELS,)

    VALID = [
        _notebook({"display_name": "Python (tf-gpu)", "language": "python", "name": "tf-gpu"}),  # option unset
        Valid(_notebook(PYTHON_KERNELSPEC), options={"allowed-kernels": ["python3", "ir"]}),
        Valid(_notebook(None), options={"allowed-kernels": ["python3"]}),
    ]
    INVALID = [
        Invalid(
            _notebook({"display_name": "Python (tf-gpu)", "language": "python", "name": "tf-gpu"}),
            options={"allowed-kernels": ["python3"]},
            cell=None,
            line=None,
            message="'tf-gpu' is not one of the allowed kernels (python3)",
        ),
        Invalid(_notebook(PYTHON_KERNELSPEC), options={"allowed-kernels": []}, cell=None, line=None),
    ]

    def check(self, notebook: Notebook) -> None:
        allowed = self.option(ALLOWED_KERNELS)
        spec = _kernelspec(notebook)
        if allowed is None or spec is None:
            return
        name = _text(spec.get("name"))
        if name is None or name in allowed:
            return
        shown = ", ".join(allowed) if allowed else "none"
        self.report_at(
            f"kernel '{name}' is not one of the allowed kernels ({shown}): where only those are installed (CI, "
            f'papermill) the notebook fails with "No such kernel"; switch it to an allowed kernel and save',
            fix=f"Switch the kernel to {allowed[0]}" if allowed else None,
            json_path=("metadata", "kernelspec", "name"),
        )


# nb_conda_kernels: `conda-env-<env>-<kernel>` (`conda-root-py` / `conda-base-py` for the base environment).
_NB_CONDA = re.compile(r"^conda-(?:env-(?P<env>.+)|root|base)-(?P<kernel>py|r|ir|[a-z0-9]+)$", re.I)
# SageMaker notebook instances: `conda_python3` and `conda_<framework>_p<python>` exist on every instance;
# other `conda_<env>` names are environments a lifecycle script or a user created on one instance.
_SAGEMAKER = re.compile(r"^conda_(?P<env>.+)$", re.I)
_SAGEMAKER_BUILTIN = lazy_compile(r"^(?:python[23]|(?:amazonei_)?[a-z][a-z0-9]*(?:_[a-z0-9]+)*_p\d{2,3})$", re.I)
# VS Code's generated names: python + version digits + bitness + environment + a hash of the interpreter path.
_VSCODE_HASHED = re.compile(r"^python\d+(?:32|64)bit.*$|^python_defaultspec_\d+$|^.+[0-9a-f]{32}$", re.I)


def environment_specific(name: str) -> str | None:
    """Why a kernelspec name exists only where the notebook was written, or None for a portable name."""
    match = _NB_CONDA.match(name)
    if match:
        env = match.group("env")
        where = f"the conda environment '{env}'" if env else "the base conda environment"
        return f"nb_conda_kernels' name for {where} of the machine that saved it"
    match = _SAGEMAKER.match(name)
    if match and not _SAGEMAKER_BUILTIN.match(match.group("env")):
        return f"the name of a custom conda environment ('{match.group('env')}') on one SageMaker instance"
    if _VSCODE_HASHED.match(name):
        return "a name generated from one machine's interpreter path (VS Code writes these)"
    if "/" in name or "\\" in name:
        return "a name holding a path on the machine that saved it"
    return None


def _portable_name(notebook: Notebook, name: str) -> str:
    match = _NB_CONDA.match(name)
    kernel = (match.group("kernel") or "").lower() if match else ""
    language = notebook.language or ""
    if kernel in ("r", "ir") or language == "r":
        return "ir"
    return "python3"


class EnvironmentSpecificKernel(NotebookRule):
    """
    ## What it does
    Flags kernelspec names that exist only on the machine where the notebook was saved:
    `conda-env-<env>-py` (and `conda-root-py`) of nb_conda_kernels, SageMaker's `conda_<env>` for an
    environment someone created, VS Code's names built from an interpreter path
    (`python38064bitenv38402d408776534fc5af35f0cc2441a95a`), and names holding a path. The message names
    the portable kernel, `python3` (or `ir` for R).

    Not flagged: `python3`, `python2`, `python`, `ir`, `julia-1.x` and the other standard names; kernels
    that are the same on every machine of a platform (SageMaker's `conda_python3` and
    `conda_<framework>_p<version>` such as `conda_tensorflow2_p310`, Azure ML's `python38-azureml` and
    `azureml_py38`); names chosen with `ipykernel install --name` that carry no sign of one machine.

    ## Why it hurts
    Anyone else who opens the notebook gets "kernel not found" and a prompt to pick one; papermill and
    `nbconvert --execute` fail with "No such kernel named conda-env-myproject-py" in CI. And every
    contributor who picks their own kernel rewrites the metadata, so the name flips back and forth in
    the history.

    ## Example
        "kernelspec": {"display_name": "Python [conda env:churn]", "language": "python",
                       "name": "conda-env-churn-py"}

    ## Use instead
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}

    To keep running it in that environment, register the environment's kernel under the portable name
    (`python -m ipykernel install --user --name python3` from inside it); note that `python3` then starts
    that environment for all your notebooks.

    ## Fix
    Safe: `--fix` sets the kernelspec's `name` and `display_name` to the portable kernel's (`python3`,
    "Python 3 (ipykernel)"; `ir`, "R") and keeps its other keys.
    """

    code = "NB605"
    name = "environment-specific-kernel"
    severity = Severity.WARNING
    fixable = Applicability.SAFE

    VALID = [
        _notebook(PYTHON_KERNELSPEC),
        _notebook({"display_name": "Python 2", "language": "python", "name": "python2"}),
        _notebook({"display_name": "Python", "language": "python", "name": "python"}),
        _notebook({"display_name": "R", "language": "R", "name": "ir"}),
        _notebook({"display_name": "Julia 1.10.4", "language": "julia", "name": "julia-1.10"}),
        _notebook({"display_name": "Python 3.8 - AzureML", "language": "python", "name": "python38-azureml"}),
        _notebook({"display_name": "Python 3.8 - AzureML", "language": "python", "name": "azureml_py38"}),
        _notebook({"display_name": "conda_python3", "language": "python", "name": "conda_python3"}),
        _notebook({"display_name": "conda_tensorflow2_p310", "language": "python", "name": "conda_tensorflow2_p310"}),
        _notebook(
            {"display_name": "conda_amazonei_mxnet_p36", "language": "python", "name": "conda_amazonei_mxnet_p36"}
        ),
        _notebook({"display_name": ".venv", "language": "python", "name": "python3"}),  # the name is what counts
        _notebook({"display_name": "PySpark", "language": "python", "name": "pysparkkernel"}),
        _notebook({"display_name": "Python (myproject)", "language": "python", "name": "myproject"}),
        _notebook(None),
    ]
    INVALID = [
        Invalid(
            _notebook({"display_name": "Python [conda env:churn]", "language": "python", "name": "conda-env-churn-py"}),
            cell=None,
            line=None,
            message="conda environment 'churn'",
        ),
        Invalid(
            _notebook({"display_name": "Python [conda root]", "language": "python", "name": "conda-root-py"}),
            cell=None,
            line=None,
            message="'python3'",
        ),
        Invalid(
            _notebook({"display_name": "R [conda env:stats]", "language": "R", "name": "conda-env-stats-r"}),
            cell=None,
            line=None,
            message="'ir'",
        ),
        Invalid(
            _notebook({"display_name": "conda_myenv", "language": "python", "name": "conda_myenv"}),
            cell=None,
            line=None,
            message="SageMaker",
        ),
        Invalid(
            _notebook(
                {
                    "display_name": "Python 3.8.0 64-bit ('env38')",
                    "name": "python38064bitenv38402d408776534fc5af35f0cc2441a95a",
                }
            ),
            cell=None,
            line=None,
            message="interpreter path",
        ),
    ]

    def check(self, notebook: Notebook) -> None:
        spec = _kernelspec(notebook)
        name = _text(spec.get("name")) if spec is not None else None
        if name is None:
            return
        why = environment_specific(name)
        if why is None:
            return
        portable = _portable_name(notebook, name)
        spec_of = PORTABLE_KERNELSPECS["r" if portable == "ir" else "python"]
        self.report_at(
            f"kernel '{name}' is {why}: everywhere else Jupyter reports the kernel missing and papermill and "
            f"nbconvert fail with \"No such kernel\"; switch the notebook to the portable '{portable}' and save",
            fix=f'"name": "{portable}"',
            json_path=("metadata", "kernelspec", "name"),
            autofix=Fix(
                f"Switch the kernel to the portable '{portable}'",
                Applicability.SAFE,
                (
                    JsonEdit(("metadata", "kernelspec", "name"), portable),
                    JsonEdit(("metadata", "kernelspec", "display_name"), spec_of["display_name"]),
                ),
            ),
        )
