"""What `nblint doctor` learns about this machine, as plain data the NB8xx rules judge.

The facts are gathered by nblint.integrations.doctor (kernelspecs through jupyter_client, probes run by
each kernel's own interpreter in a subprocess); the rules here only read them, so they never start a
process themselves and stay on the same layer as every other rule.

A machine rule is a MachineRule: `check_kernel(kernel)` for what a kernelspec says by itself (reported
at its kernel.json), `check_notebook(notebook, facts)` for what a notebook needs of its kernel (reported
at the notebook, cell and line). Its examples are MachineValid / MachineInvalid: a notebook (as every
rule's) plus `machine`, the description of the kernelspecs, environments and files the example test
builds for real in a temporary folder (nblint.integrations.doctor.examples).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from nblint.core.read.notebook import Notebook
from nblint.rules.base import Invalid, Rule, RuleRunner, Valid


@dataclass(frozen=True)
class MachineValid(Valid):
    """A machine example that must not be reported. `machine` keys (all optional):

    - "kernels": {name: {"argv": [...], "language": "python", "env": {...}}}; in argv and env values
      `{python}` is nblint's own interpreter (it has ipykernel), `{venv}` a fresh venv's python (no pip,
      no ipykernel), `{missing}` a path that does not exist, `{tmp}` the example's folder, `{bin}` a
      folder of scripts (see "scripts"), `{ipythondir}` the IPython folder of "startup".
    - "startup": {file name: source} written to {ipythondir}/profile_default/startup/.
    - "scripts": {name: text} executable files written to {bin}, placeholders filled in.
    - "files": {relative path: text} written beside the notebook (requirements.txt, pyproject.toml).
    - "venv_packages": {name: {"version": v, "requires": [...], "module": source}} distributions
      installed (a dist-info and a module) into the `{venv}` environment.
    - "start": true to start the kernels for real (`nblint doctor --start`).
    """

    machine: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class MachineInvalid(Invalid):
    """A machine example that must be reported (cell=None: at the kernelspec or the notebook itself)."""

    machine: Mapping[str, Any] = field(default_factory=dict)


@dataclass
class Probe:
    """One run of a kernel's interpreter (or of an import in it): what it said, or why it did not."""

    ok: bool
    data: dict = field(default_factory=dict)
    error: str = ""  # "timed out after 10 s", "killed by SIGSEGV", the last line of a traceback
    timed_out: bool = False
    signal: str | None = None


@dataclass
class Patience:
    """How long the frontends wait, each figure with where it comes from (it is named in the finding)."""

    start: float  # seconds to a new kernel's first kernel_info reply
    start_name: str  # "jupyter_server's MappingKernelManager.kernel_info_timeout, its default"
    heartbeat: float  # seconds a heartbeat ping may take to come back (time_to_dead)
    heartbeat_name: str


@dataclass
class StartResult:
    """`--start`: the kernel started for real, timed to its first kernel_info reply, then its heartbeat."""

    seconds: float | None  # None: no reply
    timeout: float
    error: str = ""  # why it did not answer: exit code and the end of its stderr, or the timeout
    patience: Patience | None = None
    heartbeat: float | None = None  # the slowest of a few heartbeat round trips; None: one never came back
    died: bool = False  # the process exited before it answered


@dataclass
class KernelFacts:
    name: str
    spec_file: str  # the kernel.json
    argv: list[str]
    language: str
    env: dict[str, str]
    interpreter: str | None = None  # argv[0] resolved on the kernel's PATH; None when it resolves to nothing
    executable: bool = False
    is_python: bool = False  # argv[0] is a Python interpreter (it answered the probe)
    module: str | None = None  # the module `-m` names
    probe: Probe | None = None  # the interpreter's probe: runs, sys.prefix, version, the module's spec
    startup: Probe | None = None  # the profile's startup files and extensions, run there (None: nothing to run)
    startup_folder: str | None = None
    start: StartResult | None = None
    distributions: list[dict] | None = None  # [{"name", "version", "requires"}] of that environment
    marker_environment: dict = field(default_factory=dict)
    path: str = ""  # the kernel's PATH
    commands: dict[str, dict] = field(
        default_factory=dict
    )  # "pip" / "python" on that PATH -> {"path", "prefix", "interpreter"}

    @property
    def prefix(self) -> str | None:
        return self.probe.data.get("prefix") if self.probe is not None and self.probe.ok else None

    @property
    def python(self) -> str:
        """How a fix names the kernel's interpreter."""
        return self.interpreter or (self.argv[0] if self.argv else "python")


@dataclass
class ImportFact:
    module: str  # the top-level module
    cell: int
    line: int
    column: int
    found: bool | None = None  # find_spec in the kernel's interpreter; None: not asked
    crash: Probe | None = None  # importing it in its own subprocess


@dataclass
class Pin:
    name: str
    specifier: str  # packaging's text, e.g. "==1.2.3"
    file: str
    line: int


@dataclass
class NotebookFacts:
    kernel_name: str | None
    kernel: KernelFacts | None  # None: not installed here (or the notebook names none)
    installed: dict[str, KernelFacts]  # every kernelspec found, by name
    imports: list[ImportFact] = field(default_factory=list)
    pins: list[Pin] = field(default_factory=list)
    commands: list[dict] = field(default_factory=list)  # `!pip` / `!python` lines: {cell, line, column, word, source}


class MachineRule(Rule, RuleRunner):
    """A rule over this machine: run by `nblint doctor` only, never by `check` (check stays independent of
    the machine). Rules report with `report_at`; a kernel rule's reports are placed at its kernel.json."""

    default_enabled = False  # under `check`; `doctor` enables every machine rule by default
    machine = True  # nblint.run.config.resolve_enabled keeps machine rules out of `check`, even under ALL

    def check_kernel(self, kernel: KernelFacts) -> None:
        """What a kernelspec says by itself."""

    def check_notebook(self, notebook: Notebook, facts: NotebookFacts) -> None:
        """What a notebook needs of the kernel it names."""


def is_machine_rule(rule: type) -> bool:
    return isinstance(rule, type) and issubclass(rule, MachineRule)
