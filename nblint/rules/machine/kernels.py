"""NB801, NB802, NB803, NB805, NB807: what a kernelspec says by itself, judged on this machine.

Each finding is placed at the kernelspec's kernel.json and says the command that fixes it.
"""

from __future__ import annotations

from nblint.core.findings import Severity
from nblint.rules.machine.facts import KernelFacts, MachineInvalid, MachineRule, MachineValid
from nblint.rules.machine.options import KERNEL_START_TIMEOUT, PROBE_TIMEOUT

_LAUNCH = ["-m", "ipykernel_launcher", "-f", "{connection_file}"]


def _notebook(name: str = "doctor-example", source: str = "x = 1\n") -> dict:
    return {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "id": "cell-0",
                "metadata": {},
                "outputs": [],
                "source": [source],
            }
        ],
        "metadata": {
            "kernelspec": {"display_name": "Example", "language": "python", "name": name},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def kernel(argv0: str = "{python}", *rest: str, env: dict | None = None) -> dict:
    """The `machine` of an example: one kernelspec named doctor-example."""
    spec = {"argv": [argv0, *(rest or _LAUNCH)], "language": "python"}
    if env:
        spec["env"] = env
    return {"kernels": {"doctor-example": spec}}


def register_command(kernel: KernelFacts, python: str | None = None) -> str:
    return f"{python or 'python'} -m ipykernel install --user --name {kernel.name}"


class KernelInterpreterMissing(MachineRule):
    """
    ## What it does
    Checks that the program a kernelspec starts (its `argv[0]`, looked up on the kernel's PATH) exists,
    is executable, and, for a Python kernel, runs and answers within `probe-timeout` seconds.

    ## Why it kills the kernel
    A kernelspec outlives the environment it was registered from: remove a conda env or a venv, upgrade
    Python with Homebrew, and the kernel.json still points at the old interpreter. Jupyter lists the
    kernel, the notebook opens, and the kernel never starts ("Kernel error", or a restart loop).

    ## Example
    A kernel.json whose `argv` is `["/home/me/.conda/envs/old/bin/python", "-m", "ipykernel_launcher", ...]`
    after `conda env remove -n old`.

    ## Use instead
    Remove the stale kernelspec (`jupyter kernelspec remove NAME`), or register the environment's
    interpreter again (`/path/to/env/bin/python -m ipykernel install --user --name NAME`).

    ## Options
    - `probe-timeout`: seconds the interpreter may take to answer (default 20).
    """

    code = "NB801"
    name = "kernel-interpreter-missing"
    severity = Severity.ERROR
    options = (PROBE_TIMEOUT,)

    VALID = [MachineValid(_notebook(), machine=kernel("{python}"))]
    INVALID = [
        MachineInvalid(_notebook(), machine=kernel("{missing}"), cell=None, line=None, message="does not exist"),
        MachineInvalid(_notebook(), machine=kernel("{tmp}/notes.txt"), cell=None, line=None, message="not executable"),
    ]

    def check_kernel(self, kernel: KernelFacts) -> None:
        fix = f"`jupyter kernelspec remove {kernel.name}`, or register the environment again: `/path/to/env/bin/python -m ipykernel install --user --name {kernel.name}`"
        argv0 = kernel.argv[0] if kernel.argv else ""
        if not kernel.argv:
            self.report_at(f"kernelspec `{kernel.name}` has an empty argv: Jupyter has nothing to start", fix=fix)
        elif kernel.interpreter is None:
            where = "" if "/" in argv0 else " on the kernel's PATH"
            self.report_at(
                f"kernelspec `{kernel.name}` starts `{argv0}`, which does not exist{where}: the kernel can never start",
                fix=fix,
            )
        elif not kernel.executable:
            self.report_at(
                f"kernelspec `{kernel.name}` starts `{kernel.interpreter}`, which is not executable: the kernel can never start",
                fix=fix,
            )
        elif (
            kernel.probe is not None
            and not kernel.probe.ok
            and kernel.language.lower() == "python"
            and kernel.is_python
        ):
            self.report_at(
                f"kernelspec `{kernel.name}`: `{kernel.interpreter}` does not run: {kernel.probe.error}", fix=fix
            )


class KernelModuleMissing(MachineRule):
    """
    ## What it does
    Checks that the module a Python kernelspec runs (`-m ipykernel_launcher` and the like) can be imported by
    that kernel's own interpreter, asked in a subprocess with the kernel's environment variables.

    ## Why it kills the kernel
    `python -m venv` or `conda create` make an environment without ipykernel; a kernelspec copied or
    written by hand for it starts the interpreter, which exits at once with "No module named
    ipykernel_launcher". Jupyter retries, then gives up: the kernel never starts.

    ## Example
    A kernel.json whose `argv` is `["/work/venv/bin/python", "-m", "ipykernel_launcher", "-f", "{connection_file}"]`
    where /work/venv has no ipykernel.

    ## Use instead
    Install the kernel into that environment: `/work/venv/bin/python -m pip install ipykernel`.
    """

    code = "NB802"
    name = "kernel-module-missing"
    severity = Severity.ERROR

    VALID = [MachineValid(_notebook(), machine=kernel("{python}"))]
    INVALID = [
        MachineInvalid(
            _notebook(), machine=kernel("{venv}"), cell=None, line=None, message="cannot import ipykernel_launcher"
        ),
        MachineInvalid(
            _notebook(),
            machine=kernel("{python}", "-m", "nblint_no_such_kernel", "-f", "{connection_file}"),
            cell=None,
            line=None,
            message="nblint_no_such_kernel",
        ),
    ]

    def check_kernel(self, kernel: KernelFacts) -> None:
        if kernel.module is None or kernel.probe is None or not kernel.probe.ok:
            return
        if kernel.probe.data.get("module_found") is False:
            package = kernel.module.split(".")[0]
            package = "ipykernel" if package == "ipykernel_launcher" else package
            self.report_at(
                f"kernelspec `{kernel.name}`: `{kernel.interpreter}` cannot import {kernel.module} "
                f"(environment {kernel.prefix}, Python {kernel.probe.data.get('version', '?')}): the kernel exits at start",
                fix=f"`{kernel.interpreter} -m pip install {package}`",
            )


# A real ipykernel whose heartbeat thread never answers (as a kernel without a heartbeat).
_SILENT_HEARTBEAT = (
    "import ipykernel.heartbeat as hb; hb.Heartbeat.run = lambda self: None; "
    "from ipykernel import kernelapp; kernelapp.launch_new_instance()"
)


class KernelSlowStart(MachineRule):
    """
    ## What it does
    With `nblint doctor --start`, starts each kernel for real (jupyter_client) and times it to its first
    `kernel_info` reply, then pings its heartbeat as a frontend does. Reported, with the figure and where
    it comes from: a kernel that dies at start (its exit code and the end of its stderr), one that answers
    kernel_info later than jupyter_server's `MappingKernelManager.kernel_info_timeout` (as configured in
    this machine's Jupyter config files, else its 60 s default; nblint's `kernel-start-timeout`, when
    set, instead), and one whose heartbeat does not answer within `time_to_dead`
    (`KernelRestarter.time_to_dead` as configured, else jupyter_client's heartbeat default, 1 s).

    ## Why it kills the kernel
    Frontends wait a limited time: jupyter_server gives a new kernel 60 s to answer kernel_info, then
    reports it dead; a heavy startup file, an import that scans a network share, or a wrapper script
    that activates conda on every start push a kernel past that, and it is killed or restarted in a loop.
    A kernel whose heartbeat does not answer within time_to_dead is called dead by the frontends that
    watch it (the console, qtconsole), however well it runs code.

    ## Example
    A kernelspec whose wrapper script runs `conda activate` and imports TensorFlow in a startup file:
    70 s before the kernel answers.

    ## Use instead
    Move the slow work out of the start (import it in the notebook), start the interpreter directly
    instead of through `conda run`, or raise the frontend's patience (`c.MappingKernelManager.kernel_info_timeout`).

    ## Options
    - `kernel-start-timeout`: seconds a kernel may take to answer (default 60, jupyter_server's; left at
      60, the server's own configured `kernel_info_timeout` is used when a Jupyter config file sets one).
    """

    code = "NB803"
    name = "kernel-slow-start"
    severity = Severity.ERROR
    options = (KERNEL_START_TIMEOUT,)

    VALID = [MachineValid(_notebook(), machine={**kernel("{python}"), "start": True})]
    INVALID = [
        MachineInvalid(
            _notebook(),
            machine={
                **kernel("{python}", "-c", "import sys; sys.stderr.write('no luck\\n'); sys.exit(3)"),
                "start": True,
            },
            cell=None,
            line=None,
            message="exit code 3",
        ),
        MachineInvalid(
            _notebook(),
            machine={**kernel("{python}", "-c", _SILENT_HEARTBEAT, "-f", "{connection_file}"), "start": True},
            cell=None,
            line=None,
            message="heartbeat did not answer a ping within 1 s (jupyter_client's heartbeat time_to_dead, its default)",
        ),
    ]

    def check_kernel(self, kernel: KernelFacts) -> None:
        start = kernel.start
        if start is None:
            return
        patience = start.patience
        start_figure = f"{start.timeout:g} s ({patience.start_name})" if patience else f"{start.timeout:g} s"
        command = " ".join(kernel.argv)
        if start.seconds is None:
            gives_up = "" if start.died else f"; the frontend gives up after {start_figure}"
            self.report_at(
                f"kernelspec `{kernel.name}`: the kernel {start.error}{gives_up}",
                fix=f"run `{command}` by hand to see why it does not answer",
            )
        elif start.seconds > start.timeout:
            self.report_at(
                f"kernelspec `{kernel.name}`: the kernel took {start.seconds:.1f} s to answer kernel_info, "
                f"over the frontends' {start_figure}",
                fix="move slow imports out of the kernel's startup files and wrapper scripts, or raise "
                "`c.MappingKernelManager.kernel_info_timeout` in jupyter_server_config.py",
            )
        elif patience is not None and start.heartbeat is None:
            self.report_at(
                f"kernelspec `{kernel.name}`: the kernel answered kernel_info in {start.seconds:.1f} s, but its "
                f"heartbeat did not answer a ping within {patience.heartbeat:g} s ({patience.heartbeat_name}): "
                "a frontend that watches the heartbeat reports the kernel dead",
                fix="make the kernel answer its heartbeat (hb_port) at once, or raise "
                "`c.KernelRestarter.time_to_dead` in jupyter_server_config.py",
            )


class StartupRaises(MachineRule):
    """
    ## What it does
    Runs the IPython startup files (`profile_*/startup/*.py`, `*.ipy`) and loads the extensions configured
    in the profile a Python kernel would use (`IPYTHONDIR` from the kernel's environment, `--profile`
    from its argv) in a subprocess of that kernel's interpreter, and reports each one that raises, with
    its file and line.

    ## Why it hurts
    IPython catches the error, prints a traceback the frontend seldom shows, and starts the kernel
    without what the file sets up: the notebook then fails far from the cause (a name that is not
    defined, a plotting backend not set), or the traceback hides in the server's log.

    ## Example
    `~/.ipython/profile_default/startup/00-setup.py` doing `import seaborn` in an environment without it.

    ## Use instead
    Fix or remove the file (or the `c.InteractiveShellApp.extensions` entry), or install what it needs
    into the kernel's environment.
    """

    code = "NB805"
    name = "startup-raises"
    severity = Severity.WARNING

    VALID = [
        MachineValid(
            _notebook(),
            machine={
                **kernel("{python}", env={"IPYTHONDIR": "{ipythondir}"}),
                "startup": {"00-fine.py": "ANSWER = 42\n"},
            },
        )
    ]
    INVALID = [
        MachineInvalid(
            _notebook(),
            machine={
                **kernel("{python}", env={"IPYTHONDIR": "{ipythondir}"}),
                "startup": {"00-fine.py": "ANSWER = 42\n", "10-broken.py": "x = 1\nraise ValueError('bad setup')\n"},
            },
            cell=None,
            line=None,
            message="10-broken.py line 2 raises ValueError: bad setup",
        ),
    ]

    def check_kernel(self, kernel: KernelFacts) -> None:
        probe = kernel.startup
        if probe is None:
            return
        if not probe.ok:
            self.report_at(
                f"kernelspec `{kernel.name}`: running the startup of {kernel.startup_folder} {probe.error}",
                fix=f"look at the startup files in {kernel.startup_folder}",
            )
            return
        for error in probe.data.get("errors", []):
            if error.get("extension"):
                self.report_at(
                    f"kernelspec `{kernel.name}`: IPython extension `{error['extension']}` fails to load: {error['error']}",
                    fix=f"`{kernel.python} -m pip install` what it needs, or remove it from the profile's `extensions`",
                )
            else:
                line = f" line {error['line']}" if error.get("line") else ""
                self.report_at(
                    f"kernelspec `{kernel.name}`: IPython startup file {error['file']}{line} raises {error['error']}; "
                    "the kernel starts without what it sets up",
                    fix=f"fix or remove {error['file']}",
                )


def broken_requirements(kernel: KernelFacts) -> list[tuple[str, str, str, str | None]]:
    """pip check's logic with packaging: (distribution, version, requirement, installed version or None)
    for each requirement of an installed distribution that the environment does not meet; the
    distribution is named as pip check names it (canonical: pyasn1-modules, not pyasn1_modules)."""
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name
    from packaging.version import InvalidVersion, Version

    installed = {canonicalize_name(d["name"]): d["version"] for d in kernel.distributions or [] if d.get("name")}
    environment = {**kernel.marker_environment, "extra": ""}
    broken = []
    for dist in kernel.distributions or []:
        for text in dist.get("requires") or []:
            try:
                requirement = Requirement(text)
                if requirement.marker is not None and not requirement.marker.evaluate(environment):
                    continue
            except (InvalidRequirement, ValueError, KeyError):
                continue
            have = installed.get(canonicalize_name(requirement.name))
            if have is None:
                broken.append((canonicalize_name(dist["name"]), dist["version"], str(requirement), None))
                continue
            try:
                if not requirement.specifier.contains(Version(have), prereleases=True):
                    broken.append((canonicalize_name(dist["name"]), dist["version"], str(requirement), have))
            except InvalidVersion:
                continue
    return broken


class BrokenRequirements(MachineRule):
    """
    ## What it does
    Reads every installed distribution of a Python kernel's environment (importlib.metadata, run by that
    interpreter over its own sys.path: not the folder nblint runs in, nor nblint's own PYTHONPATH; a
    kernelspec's `env` that sets PYTHONPATH counts) and reports each requirement the environment does
    not meet, as `pip check` does: a dependency missing, or installed at a version the dependent excludes.

    ## Why it kills the kernel
    `pip install --no-deps`, a conda and pip mix, or a later install that upgraded a shared dependency
    leave a package running against a version it was never built for: an ImportError at best, and for
    binary packages (NumPy 2 under a module built for NumPy 1) a crash of the kernel on import.

    ## Example
    `pip install pandas==1.5.3` then `pip install --no-deps numpy==2.0.0`: pandas 1.5.3 requires numpy<2.

    ## Use instead
    Install the versions the dependents accept: `python -m pip install "numpy<2"` with the kernel's own
    interpreter (the finding names it), then `python -m pip check`.
    """

    code = "NB807"
    name = "broken-requirements"
    severity = Severity.ERROR

    VALID = [
        MachineValid(
            _notebook(),
            machine={
                **kernel("{venv}"),
                "venv_packages": {
                    "nbl-needs": {"version": "1.0", "requires": ["nbl-base>=2"]},
                    "nbl-base": {"version": "2.1"},
                },
            },
        )
    ]
    INVALID = [
        MachineInvalid(
            _notebook(),
            machine={
                **kernel("{venv}"),
                "venv_packages": {
                    "nbl-needs": {
                        "version": "1.0",
                        "requires": [
                            "nbl-base>=2",
                            "nbl-absent; python_version >= '3'",
                            "nbl-win; sys_platform == 'win32'",
                        ],
                    },
                    "nbl-base": {"version": "1.4"},
                },
            },
            cell=None,
            line=None,
            message="nbl-needs 1.0 requires nbl-base>=2, but 1.4 is installed",
        ),
    ]

    def check_kernel(self, kernel: KernelFacts) -> None:
        if not kernel.distributions:
            return
        for dist, version, requirement, have in broken_requirements(kernel):
            state = "which is not installed" if have is None else f"but {have} is installed"
            self.report_at(
                f"kernelspec `{kernel.name}` (environment {kernel.prefix}): {dist} {version} requires {requirement}, {state}",
                fix=f'`{kernel.python} -m pip install "{requirement.split(";")[0].strip()}"`, then `{kernel.python} -m pip check`',
            )
