"""Gather the facts (kernelspecs, probes) and run the enabled NB8xx rules over them."""

from __future__ import annotations

import functools
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import libcst as cst

from nblint.core.findings import Finding
from nblint.integrations.doctor import probes
from nblint.rules import ALL_RULES
from nblint.rules.machine.facts import ImportFact, KernelFacts, NotebookFacts


def kernelspecs() -> dict[str, KernelFacts]:
    """Every kernelspec jupyter_client finds (JUPYTER_PATH, JUPYTER_DATA_DIR, the environment's own)."""
    from jupyter_client.kernelspec import KernelSpecManager

    found = {}
    for name, entry in KernelSpecManager().get_all_specs().items():
        spec, folder = entry.get("spec", {}), entry.get("resource_dir", "")
        env = {str(k): str(v) for k, v in (spec.get("env") or {}).items()}
        found[name] = KernelFacts(
            name,
            os.path.join(folder, "kernel.json"),
            list(spec.get("argv") or []),
            str(spec.get("language") or ""),
            env,
        )
    return found


def _crash_probe(interpreter: str, timeout: float, environ: Mapping[str, str], cwd: Any, fact: ImportFact) -> Any:
    """One import in a subprocess of the kernel's interpreter (the pool maps it over the imports)."""
    return probes.import_crash(interpreter, fact.module, timeout, environ, cwd)


# nblint's own process settings for its own interpreter, not the kernel's: Jupyter's kernels are
# started from a server's environment, and a PYTHONPATH that lets nblint run from a checkout would put
# that checkout (and its egg-info) on the kernel's path. A kernelspec's `env` that sets them is honoured.
_NOT_THE_KERNELS = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONSAFEPATH", "PYTHONINSPECT")


def kernel_environ(kernel: KernelFacts, with_spec: bool = True) -> dict[str, str]:
    """The environment the kernel's interpreter runs with: this one, less nblint's own Python
    settings, plus the kernelspec's `env` (variables expanded, as jupyter_client does; without
    `with_spec`, left for jupyter_client to add)."""
    environ = {key: value for key, value in os.environ.items() if key not in _NOT_THE_KERNELS}
    for key, value in kernel.env.items() if with_spec else ():
        environ[key] = os.path.expandvars(value)
    return environ


def probe_kernel(kernel: KernelFacts, modules: Sequence[str], timeout: float, cwd: str | None = None) -> None:
    if not kernel.argv:
        return
    environ = kernel_environ(kernel)
    kernel.path = environ.get("PATH", "")
    argv0 = kernel.argv[0]
    if argv0 in ("python", "python3"):
        import sys

        argv0 = sys.executable  # jupyter_client starts its own interpreter for these
    resolved = argv0 if os.sep in argv0 else shutil.which(argv0, path=kernel.path)
    if resolved is None or not os.path.exists(resolved):
        return
    kernel.interpreter = resolved
    kernel.executable = os.path.isfile(resolved) and os.access(resolved, os.X_OK)
    if not kernel.executable:
        return
    if "-m" in kernel.argv[:-1]:
        kernel.module = kernel.argv[kernel.argv.index("-m") + 1]
    if kernel.language.lower() != "python" and "python" not in os.path.basename(resolved):
        return
    kernel.probe = probes.interpreter(resolved, kernel.module, modules, timeout, environ, cwd)
    kernel.is_python = kernel.probe.ok or "python" in os.path.basename(resolved)
    if kernel.probe.ok:
        folder = _startup_folder(kernel, environ)
        if folder is not None:
            kernel.startup_folder = folder
            kernel.startup = probes.startup(resolved, folder, timeout, environ)
        kernel.distributions = kernel.probe.data.get("distributions")
        kernel.marker_environment = kernel.probe.data.get("marker_environment", {})


def resolve_command(kernel: KernelFacts, word: str, timeout: float) -> dict[str, Any]:
    """What `word` (pip, python3, ...) run by the shell of the kernel finds on the kernel's PATH, and the
    environment (sys.prefix) it belongs to; asked once per kernel and word."""
    if word not in kernel.commands:
        path = shutil.which(word, path=kernel.path)
        info: dict[str, Any] = {"path": path, "prefix": None}
        if path is not None:
            target = _script_interpreter(path) or path
            info["prefix"] = probes.prefix(target, timeout, kernel_environ(kernel))
        kernel.commands[word] = info
    return kernel.commands[word]


def _startup_folder(kernel: KernelFacts, environ: dict) -> str | None:
    """The startup folder of the profile the kernel would use, when it holds files or its profile a config."""
    base = environ.get("IPYTHONDIR") or os.path.join(os.path.expanduser("~"), ".ipython")
    profile = "default"
    for index, word in enumerate(kernel.argv):
        if word.startswith("--profile="):
            profile = word.split("=", 1)[1]
        elif word == "--profile" and index + 1 < len(kernel.argv):
            profile = kernel.argv[index + 1]
    folder = os.path.join(base, f"profile_{profile}", "startup")
    configs = [
        os.path.join(base, f"profile_{profile}", name) for name in ("ipython_config.py", "ipython_kernel_config.py")
    ]
    has_files = os.path.isdir(folder) and any(name.endswith((".py", ".ipy")) for name in os.listdir(folder))
    has_extensions = any(
        os.path.isfile(path) and "extensions" in open(path, encoding="utf-8", errors="replace").read()
        for path in configs
    )
    return folder if has_files or has_extensions else None


def _script_interpreter(path: str) -> str | None:
    try:
        with open(path, "rb") as handle:
            first = handle.readline(4096).decode("utf-8", "replace")
            second = handle.readline(4096).decode("utf-8", "replace")
    except OSError:
        return None
    if not first.startswith("#!"):
        return None
    words = first[2:].split()
    if words and words[0].endswith("/sh") and second.startswith("'''exec'"):
        words = second.split()[1:2]
        return words[0].strip('"') if words else None
    return words[0] if words and "python" in os.path.basename(words[0]) else None


def notebook_imports(notebook) -> list[ImportFact]:
    """Top-level imports of the notebook's cells (not inside try/if/def/class), via the engine's program."""
    from nblint.core.code.program import build_program

    program = build_program(notebook)
    facts: list[ImportFact] = []
    if program.module is None:
        return facts

    def visit(statements):
        for statement in statements:
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    names = []
                    if isinstance(small, cst.Import):
                        names = [cst.Module([]).code_for_node(alias.name) for alias in small.names]
                    elif isinstance(small, cst.ImportFrom) and not small.relative and small.module is not None:
                        names = [cst.Module([]).code_for_node(small.module)]
                    for name in names:
                        top = name.split(".")[0]
                        if top == "__future__":
                            continue
                        code_cell, line, column, _, _ = program.position(small)
                        facts.append(ImportFact(top, code_cell.cell.index, line, column))
            elif isinstance(statement, (cst.With, cst.For, cst.While)):
                visit(statement.body.body)

    visit(program.module.body)
    return facts


def _to_finding(report, rule, path: str, notebook=None) -> Finding:
    json_line = None
    cell_id = None
    if notebook is not None:
        if report.cell is not None and report.line is not None:
            cell = notebook.cells[report.cell]
            cell_id = cell.id
            json_line = notebook.source_json_line(cell, report.line)
        elif report.json_path is not None:
            json_line = notebook.json_line(report.json_path)
    return Finding(
        rule.code,
        rule.name,
        report.message,
        report.severity or rule.severity,
        path,
        cell=report.cell,
        cell_id=cell_id,
        line=report.line,
        column=report.column,
        json_line=json_line,
        fix=report.fix,
    )


@dataclass
class Diagnosis:
    findings: list[Finding]
    kernelspecs: int  # how many kernelspecs were checked
    notebooks: int = 0  # how many notebooks were read
    unreadable: int = 0  # ... of which could not be read (reported with their NB00x code)


# For one notebook: the machine rules enabled for it (its folder's configuration, per-file-ignores) and
# the options its rules run with.
SettingsFor = Callable[[Path], "tuple[frozenset[str], Mapping[str, Any]]"]


def diagnose(
    notebooks: Sequence[Path] | None,
    enabled: frozenset[str],
    options: Mapping[str, Any],
    kernel_names: Sequence[str] = (),
    start: bool = False,
    settings_for: SettingsFor | None = None,
) -> Diagnosis:
    """Check the kernelspecs (those `kernel_names` names; else the notebooks' own; else, when no
    notebook is given (None), every one) and the notebooks against their kernels. `enabled` and
    `options` are the machine rules and options of the working folder, for kernels no notebook uses."""
    from nblint.core import suppressions
    from nblint.core.read.notebook import Unreadable, read_notebook

    installed = kernelspecs()
    timeout = float(options.get("probe-timeout", 20))
    read = []
    findings: list[Finding] = []
    for path in notebooks or ():
        try:
            read.append(read_notebook(path))
        except Unreadable as problem:
            rule = ALL_RULES[problem.code]
            findings.append(Finding(rule.code, rule.name, problem.message, rule.severity, str(path), line=problem.line))
    per_notebook = {id(nb): (settings_for(nb.path) if settings_for else (enabled, options)) for nb in read}
    wanted: dict[str, set[str]] = {}  # kernel name -> the machine rules of the notebooks that use it
    for notebook in read:
        name = _kernel_name(notebook)
        if name is not None and name in installed:
            wanted.setdefault(name, set()).update(per_notebook[id(notebook)][0])
    names = list(kernel_names) or (list(wanted) if notebooks is not None else list(installed))
    kernels = [installed[name] for name in names if name in installed]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda k: probe_kernel(k, [], timeout), kernels))
    if start:
        from nblint.integrations.doctor.patience import patience
        from nblint.integrations.doctor.start import start_kernel

        figures = patience(float(options.get("kernel-start-timeout", 60)), timeout)
        for kernel in kernels:
            if kernel.executable:
                kernel.start = start_kernel(kernel, figures, kernel_environ(kernel, with_spec=False))
    for kernel in kernels:
        # a kernel the notebooks use is judged by their rules: a project that ignores NB807 ignores it for its kernel
        codes = wanted.get(kernel.name, enabled)
        for code in sorted(codes):
            rule_class = ALL_RULES[code]
            rule = rule_class(options)
            rule.check_kernel(kernel)
            findings.extend(_to_finding(r, rule_class, kernel.spec_file) for r in rule.reports)
    for notebook in read:
        notebook_rules, notebook_options = per_notebook[id(notebook)]
        name = _kernel_name(notebook)
        kernel = installed.get(name) if name is not None else None
        facts = NotebookFacts(name, kernel, installed)
        if kernel is not None and kernel.probe is not None and kernel.probe.ok and notebook.is_python:
            facts.imports = notebook_imports(notebook)
            from nblint.integrations.doctor.shell import shell_programs

            for program in shell_programs(notebook):
                resolve_command(kernel, program.word, timeout)
                facts.commands.append(
                    {
                        "cell": program.cell,
                        "line": program.line,
                        "column": program.column,
                        "word": program.word,
                        "pip": program.runs_pip,
                        "source": program.source,
                    }
                )
            cwd = str(Path(notebook.path).resolve().parent)
            from nblint.integrations.doctor.pins import project_pins

            facts.pins = project_pins(Path(cwd))
            modules = sorted({f.module for f in facts.imports})
            answer = probes.interpreter(kernel.interpreter, None, modules, timeout, kernel_environ(kernel), cwd)
            if answer.ok:
                stdlib = set(answer.data.get("stdlib", []))
                for fact in facts.imports:
                    fact.found = answer.data.get("modules", {}).get(fact.module)
                crash_timeout = float(notebook_options.get("import-timeout", 60))
                todo = [f for f in facts.imports if f.found and f.module not in stdlib]
                with ThreadPoolExecutor(max_workers=4) as pool:
                    probe = functools.partial(
                        _crash_probe, kernel.interpreter, crash_timeout, kernel_environ(kernel), cwd
                    )
                    results = list(pool.map(probe, todo))
                for fact, result in zip(todo, results):
                    fact.crash = result
        reported = []
        for code in sorted(notebook_rules):
            rule_class = ALL_RULES[code]
            rule = rule_class(notebook_options)
            rule.check_notebook(notebook, facts)
            reported.extend(_to_finding(r, rule_class, str(notebook.path), notebook) for r in rule.reports)
        findings.extend(suppressions.apply(reported, notebook))  # `# noqa: NB806`, as `check` honours it
    return Diagnosis(
        sorted(findings, key=lambda f: f.sort_key()),
        len(kernels),
        notebooks=len(notebooks or ()),
        unreadable=len(notebooks or ()) - len(read),
    )


def _kernel_name(notebook) -> str | None:
    spec = notebook.metadata.get("kernelspec")
    name = spec.get("name") if isinstance(spec, dict) else None
    return name if isinstance(name, str) else None
